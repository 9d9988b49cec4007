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


# ---------------------------------------------------------------- audio scripts and growing recordings
_WAVE_PCM, _WAVE_ALAW, _WAVE_ULAW = 1, 6, 7


def _alaw_to_linear(byte: int) -> int:
    """G.711 A-law code → 16-bit sample."""
    a = byte ^ 0x55
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if a & 0x80 else -sample


def _ulaw_to_linear(byte: int) -> int:
    """G.711 µ-law code → 16-bit sample."""
    u = ~byte & 0xFF
    sample = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return 0x84 - sample if u & 0x80 else sample - 0x84


_G711 = {
    _WAVE_ALAW: [struct.pack("<h", _alaw_to_linear(b)) for b in range(256)],
    _WAVE_ULAW: [struct.pack("<h", _ulaw_to_linear(b)) for b in range(256)],
}


def read_pcm16(path: Path) -> tuple[int, bytes]:
    """(channels, interleaved 16-bit little-endian frames) of an 8 kHz WAV in PCM, A-law or µ-law."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"not a WAV file: {path}")
    pos, fmt, channels, rate, bits, body = 12, None, 0, 0, 0, b""
    while pos + 8 <= len(data):
        name, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunk = data[pos + 8 : pos + 8 + size]
        if name == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", chunk[:8])
            bits = struct.unpack("<H", chunk[14:16])[0]
        elif name == b"data":
            body = chunk
        pos += 8 + size + (size & 1)
    if rate != RATE or channels not in (1, 2):
        raise ValueError(f"audio script must be 8 kHz mono or stereo: {path}")
    if fmt == _WAVE_PCM and bits == 16:
        return channels, body[: len(body) // (2 * channels) * 2 * channels]
    if fmt in _G711:
        table = _G711[fmt]
        return channels, b"".join(table[b] for b in body[: len(body) // channels * channels])
    raise ValueError(f"unsupported WAV encoding {fmt}/{bits} bit: {path}")


def to_channels(frames: bytes, have: int, want: int) -> bytes:
    """Interleaved 16-bit frames from `have` to `want` channels (mono is duplicated; stereo is mixed down)."""
    if have == want:
        return frames
    if have == 1:
        return b"".join(frames[i : i + 2] * 2 for i in range(0, len(frames), 2))
    pairs = struct.iter_unpack("<hh", frames)
    return b"".join(struct.pack("<h", (left + right) // 2) for left, right in pairs)


class GrowingWav:
    """A 16-bit 8 kHz WAV written as the call goes, like FreeSWITCH's record_session: the header's sizes
    stay 0 until `close()` fixes them, so a reader tails the file by its length, not by its header."""

    HEADER = 44

    def __init__(self, path: Path, channels: int) -> None:
        self.path = Path(path)
        self.channels = channels
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("wb")
        self.file.write(self._header(0))
        self.file.flush()
        self.data_bytes = 0

    def _header(self, data_bytes: int) -> bytes:
        block = 2 * self.channels
        riff = 36 + data_bytes if data_bytes else 0
        return (
            b"RIFF"
            + struct.pack("<I", riff)
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, _WAVE_PCM, self.channels, RATE, RATE * block, block, 16)
            + b"data"
            + struct.pack("<I", data_bytes)
        )

    def append(self, frames: bytes) -> None:
        if frames:
            self.file.write(frames)
            self.file.flush()  # a tailing reader sees the audio at once
            self.data_bytes += len(frames)

    def close(self) -> None:
        if self.file.closed:
            return
        self.file.seek(0)
        self.file.write(self._header(self.data_bytes))
        self.file.close()
