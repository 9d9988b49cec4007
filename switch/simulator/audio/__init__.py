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


def call_files() -> tuple[str, ...]:
    """Absolute paths of the recorded calls, in calls.json order."""
    return tuple(str(AUDIO_DIR / call["file"]) for call in calls().values())
