"""Automatic quality inspection (智能质检): rules, scoring, review, appeals, alerts, statistics."""
