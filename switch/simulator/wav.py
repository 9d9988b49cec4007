"""Recordings: 8 kHz 16-bit WAV, two channels (caller left, agent right) when RECORD_STEREO is set."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000


def write_stereo_wav(path: Path, seconds: float, *, stereo: bool = True) -> None:
    """Silence with a short 440 Hz tone on the left and 660 Hz on the right at the start, so channels differ."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = max(1, int(seconds * RATE))
    channels = 2 if stereo else 1
    tone = min(frames, RATE // 4)
    head = bytearray()
    for i in range(tone):
        left = int(3000 * math.sin(2 * math.pi * 440 * i / RATE))
        head += struct.pack("<h", left)
        if stereo:
            head += struct.pack("<h", int(3000 * math.sin(2 * math.pi * 660 * i / RATE)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(head))
        remaining = (frames - tone) * channels * 2
        chunk = bytes(min(remaining, 64000))
        while remaining > 0:
            n = min(remaining, len(chunk))
            w.writeframes(chunk[:n])
            remaining -= n
