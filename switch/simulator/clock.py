"""Simulated time: `scale` simulated seconds pass per real second (1.0 = real time)."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate


class SimClock:
    def __init__(self, scale: float = 1.0, start_epoch: float | None = None) -> None:
        self.scale = scale
        self._real0 = time.monotonic()
        self._epoch0 = time.time() if start_epoch is None else start_epoch

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._epoch0 + (time.monotonic() - self._real0) * self.scale

    def now_us(self) -> int:
        return int(self.now() * 1_000_000)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)

    def date_headers(self) -> list[tuple[str, str]]:
        now = self.now()
        local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        gmt = formatdate(now, usegmt=True)
        return [
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(int(now * 1e6))),
        ]
