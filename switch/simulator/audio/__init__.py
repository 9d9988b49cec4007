"""Recorded demo calls: five synthesized Chinese hotline conversations (8 kHz A-law stereo, the agent on
the left, the citizen on the right, as `HOTLINE_ASR_CHANNEL_ROLES` expects). The demo traffic streams them
into a share of its calls' recordings; the ASR tests and benchmarks use them as fixtures.
`calls.json` holds every turn's words and start time, `manifest.csv` the reference transcripts, and
`make_fixtures.py` how the files were made.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

AUDIO_DIR = Path(__file__).resolve().parent


@cache
def calls() -> dict[str, dict]:
    """Call name → {"file": ..., "turns": [...]} from calls.json."""
    return json.loads((AUDIO_DIR / "calls.json").read_text(encoding="utf-8"))


def demo_scripts() -> tuple[tuple[str, float], ...]:
    """(absolute path, seconds until the last word) of every recorded call, for `TrafficProfile`."""
    return tuple(
        (str(AUDIO_DIR / call["file"]), max(turn["end"] for turn in call["turns"]))
        for call in calls().values()
    )
