"""Decoding: stereo channels to speakers (the mapping is a setting), mono, undecodable files."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from assist.asr.config import AsrSettings
from assist.asr.transcribe import MIXED, UndecodableAudio, load_channels
from tests.assist.asr_qa.conftest import AUDIO


def test_stereo_channels_follow_the_configured_roles():
    arrays, duration = load_channels(AUDIO / "call_standard.wav", AsrSettings().roles())
    assert [(c, s) for c, s, _ in arrays] == [(0, "agent"), (1, "citizen")]
    assert 31 < duration < 32
    # the agent speaks first: channel 0 carries energy in the first seconds, channel 1 does not
    first = slice(int(1.0 * 16000), int(4.0 * 16000))
    assert np.abs(arrays[0][2][first]).mean() > 5 * np.abs(arrays[1][2][first]).mean()
    swapped, _ = load_channels(
        AUDIO / "call_standard.wav", AsrSettings(channel_roles="citizen,agent").roles()
    )
    assert [s for _, s, _ in swapped] == ["citizen", "agent"]


def test_invalid_role_mapping_is_refused():
    with pytest.raises(ValueError, match="CHANNEL_ROLES"):
        AsrSettings(channel_roles="left,right").roles()


def test_mono_recording_is_one_mixed_channel(tmp_path):
    path = tmp_path / "mono.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(8000, dtype="<i2").tobytes())
    arrays, duration = load_channels(path, ["agent", "citizen"])
    assert [(c, s) for c, s, _ in arrays] == [(0, MIXED)] and abs(duration - 1.0) < 0.01


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk" * 5, b"\x00" * 1000])
def test_undecodable_files_raise_with_a_reason(tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(UndecodableAudio) as err:
        load_channels(path, ["agent", "citizen"])
    assert str(err.value)
    with pytest.raises(UndecodableAudio, match="不存在"):
        load_channels(tmp_path / "missing.wav", ["agent", "citizen"])
