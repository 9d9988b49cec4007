"""Transcripts and automatic quality inspection (质检)."""

from __future__ import annotations
