"""Reading a WAV recording while the switch is still writing it.

FreeSWITCH's record_session (and the simulator) write the header first with sizes that are only fixed
when the recording stops, so the file's length — not the header — tells how much audio there is.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_PCM = 1  # record_session writes 16-bit linear PCM


class WavTail:
    """Yields the frames appended since the last read, as float32 arrays shaped (frames, channels)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset: int | None = None  # where the data chunk starts, once the header is there
        self.channels = 0
        self.rate = 0
        self.width = 0  # bytes per sample
        self.declared = 0  # data size in the header (0 or 0xFFFFFFFF while the file grows)
        self.read_bytes = 0

    @property
    def seconds(self) -> float:
        return self.read_bytes / (self.width * self.channels * self.rate) if self.offset else 0.0

    def _parse_header(self, head: bytes) -> bool:
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        pos = 12
        while pos + 8 <= len(head):
            name, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
            if name == b"fmt ":
                if pos + 8 + 16 > len(head):
                    return False
                fmt, channels, rate = struct.unpack("<HHI", head[pos + 8 : pos + 16])
                bits = struct.unpack("<H", head[pos + 22 : pos + 24])[0]
                if fmt != _PCM or bits != 16:
                    raise ValueError(f"recording is not 16-bit PCM (format {fmt}, {bits} bit)")
                self.channels, self.rate, self.width = channels, rate, 2
            elif name == b"data":
                if not self.channels:
                    return False
                self.offset, self.declared = pos + 8, size
                return True
            pos += 8 + size + (size & 1)
        return False

    def read(self) -> np.ndarray | None:
        """New audio in [-1, 1] (None: nothing new, or the header is not complete yet)."""
        try:
            with self.path.open("rb") as f:
                if self.offset is None and not self._parse_header(f.read(4096)):
                    return None
                f.seek(self.offset + self.read_bytes)  # type: ignore[operator]
                block = self.width * self.channels
                raw = f.read()
        except FileNotFoundError:
            return None
        growing = self.declared in (0, 0xFFFFFFFF)
        if not growing:
            raw = raw[: max(0, self.declared - self.read_bytes)]
        raw = raw[: len(raw) // block * block]
        if not raw:
            return None
        self.read_bytes += len(raw)
        samples = np.frombuffer(raw, dtype="<i2")
        return (samples.astype(np.float32) / 32768.0).reshape(-1, self.channels)
