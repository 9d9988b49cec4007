"""Demo traffic with recorded conversations: the share of speaking calls, the desk's override, and that
seeded traffic without recordings stays what it was."""

from __future__ import annotations

import random
from pathlib import Path

from switch.simulator.audio import AUDIO_DIR, demo_scripts
from switch.simulator.traffic import TrafficProfile, random_caller
from switch.simulator.wav import read_pcm16


def _callers(profile: TrafficProfile, n: int = 200, seed: int = 3):
    rnd = random.Random(seed)
    return [random_caller(rnd, profile) for _ in range(n)]


def test_recorded_calls_are_shipped_and_readable():
    scripts = demo_scripts()
    assert len(scripts) == 5
    for path, seconds in scripts:
        assert Path(path).parent == AUDIO_DIR
        channels, frames = read_pcm16(path)
        assert channels == 2  # agent left, citizen right
        assert len(frames) / 2 / channels / 8000 > seconds > 10


def test_share_of_speaking_calls_and_their_length():
    scripts = demo_scripts()
    lengths = dict(scripts)
    half = _callers(TrafficProfile(audio_scripts=scripts, audio_share=0.5))
    speaking = [c for c in half if c.audio]
    assert 70 < len(speaking) < 130
    assert {c.audio for c in speaking} == set(lengths)  # every recording is used
    for c in speaking:  # the call ends with the recorded goodbye
        assert c.talk_seconds == lengths[c.audio] + 3
    assert all(c.audio is None for c in _callers(TrafficProfile(audio_scripts=scripts, audio_share=0.0)))


def test_desk_override_makes_every_call_speak():
    at_desk = [False]
    profile = TrafficProfile(audio_scripts=demo_scripts(), audio_share=0.0, audio_always=lambda: at_desk[0])
    rnd = random.Random(5)
    assert random_caller(rnd, profile).audio is None
    at_desk[0] = True
    assert all(random_caller(rnd, profile).audio for _ in range(20))


def test_without_recordings_the_seeded_traffic_is_unchanged():
    plain = _callers(TrafficProfile(), n=50)
    shared = _callers(TrafficProfile(audio_share=1.0), n=50)  # no scripts: no extra random draw
    assert [(c.number, c.digits, c.talk_seconds) for c in plain] == [
        (c.number, c.digits, c.talk_seconds) for c in shared
    ]
