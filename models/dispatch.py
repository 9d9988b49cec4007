"""Dispatch models, duty catalogue, duplicates and hotspots."""

from __future__ import annotations
