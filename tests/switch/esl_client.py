"""A raw asyncio event-socket client for tests: records every frame the server sends."""

from __future__ import annotations

import asyncio
import contextlib

from switch.esl.events import Event, event_from_frame
from switch.esl.frames import Frame, FrameReader


class RawClient:
    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._parser = FrameReader()
        self._new = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.closed = False

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self._task = asyncio.get_running_loop().create_task(self._pump())

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        assert self.reader is not None
        while True:
            data = await self.reader.read(65536)
            if not data:
                self.closed = True
                self._new.set()
                return
            self.frames.extend(self._parser.feed(data))
            self._new.set()

    async def send(self, text: str) -> None:
        assert self.writer is not None
        self.writer.write(text.encode() + b"\n\n")
        await self.writer.drain()

    async def wait_for(self, pred, timeout: float = 10.0, start: int = 0) -> Frame:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = start
        while True:
            for i in range(seen, len(self.frames)):
                if pred(self.frames[i]):
                    return self.frames[i]
            seen = len(self.frames)
            if self.closed:
                raise AssertionError("connection closed")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a frame")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)

    async def command(self, text: str, timeout: float = 10.0) -> Frame:
        start = len(self.frames)
        await self.send(text)
        return await self.wait_for(
            lambda f: f.content_type in ("command/reply", "api/response"), timeout, start
        )

    async def event(self, name: str, timeout: float = 10.0, start: int = 0, **match: str) -> Event:
        def pred(f: Frame) -> bool:
            ev = event_from_frame(f)
            return (
                ev is not None
                and ev.name == name
                and all(ev.get(k.replace("_", "-")) == v for k, v in match.items())
            )

        frame = await self.wait_for(pred, timeout, start)
        ev = event_from_frame(frame)
        assert ev is not None
        return ev

    def events(self) -> list[Event]:
        return [e for e in (event_from_frame(f) for f in self.frames) if e is not None]

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self._task is not None:
            self._task.cancel()
