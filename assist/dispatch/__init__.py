"""Automatic dispatch (智能派单): classifier, address extractor, duty catalogue, thresholds, learning loop.

The algorithms take plain strings as labels: in production a label is a unit id, in evaluation a
category name — nothing here cares which.
"""
