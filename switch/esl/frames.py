"""ESL frames: a header block up to an empty line, then `Content-Length` body bytes if that header is there.

Header order is kept (FreeSWITCH puts Content-Length first on events and second on api/response,
and the outbound `connect` reply has its Content-Type near the end), so frames round-trip byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Frame:
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def content_type(self) -> str:
        return self.get("Content-Type", "") or ""

    @property
    def reply_text(self) -> str:
        return self.get("Reply-Text", "") or ""

    def to_bytes(self) -> bytes:
        head = "".join(f"{k}: {v}\n" for k, v in self.headers) + "\n"
        return head.encode("utf-8") + self.body

    @classmethod
    def make(
        cls, content_type: str, body: bytes | str = b"", *, length_first: bool = False, **extra: str
    ) -> Frame:
        """A frame with Content-Type and (if there is a body) Content-Length in FreeSWITCH's order.

        api/response, log/data and disconnect notices put Content-Type first; events put Content-Length first.
        """
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers: list[tuple[str, str]] = []
        if length_first and body:
            headers.append(("Content-Length", str(len(body))))
        headers.append(("Content-Type", content_type))
        headers.extend((k.replace("_", "-"), v) for k, v in extra.items())
        if body and not length_first:
            headers.append(("Content-Length", str(len(body))))
        return cls(headers, body)


def command_reply(text: str, **extra: str) -> Frame:
    return Frame([("Content-Type", "command/reply"), ("Reply-Text", text), *extra.items()])


def api_response(body: str) -> Frame:
    return Frame.make("api/response", body)


class FrameReader:
    """Incremental parser: `feed()` bytes, iterate complete frames."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pending: Frame | None = None
        self._need = 0

    def feed(self, data: bytes) -> Iterator[Frame]:
        self._buf += data
        while True:
            if self._pending is not None:
                if len(self._buf) < self._need:
                    return
                frame = self._pending
                frame.body = bytes(self._buf[: self._need])
                del self._buf[: self._need]
                self._pending = None
                yield frame
                continue
            # FreeSWITCH never starts a frame with LF; skip stray ones (trace separators, keep-alives).
            while self._buf[:1] == b"\n":
                del self._buf[:1]
            end = self._buf.find(b"\n\n")
            if end < 0:
                return
            block = bytes(self._buf[:end]).decode("utf-8", errors="replace")
            del self._buf[: end + 2]
            frame = Frame(parse_header_block(block))
            length = frame.get("Content-Length")
            if length and int(length) > 0:
                self._pending = frame
                self._need = int(length)
                continue
            yield frame


def parse_header_block(block: str) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in block.split("\n"):
        if not line:
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, _, value = line.partition(":")
        headers.append((key, value))
    return headers


class _Stream(Protocol):
    async def readuntil(self, separator: bytes = ...) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...


async def read_frame_from_stream(reader: _Stream) -> Frame:
    """Read one frame from an asyncio StreamReader (skipping leading LFs)."""
    while True:
        block = await reader.readuntil(b"\n\n")
        block = block.lstrip(b"\n")
        if block:
            break
    frame = Frame(parse_header_block(block[:-2].decode("utf-8", errors="replace")))
    length = frame.get("Content-Length")
    if length and int(length) > 0:
        frame.body = await reader.readexactly(int(length))
    return frame
