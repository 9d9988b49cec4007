"""Reader for the recorded ESL trace files (../shared/esl-traces): notes, sent lines, received frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from switch.esl.frames import Frame, parse_header_block


@dataclass
class TraceItem:
    kind: str  # "note" | "send" | "recv"
    text: str = ""  # note text or the sent command block
    frame: Frame | None = None
    raw: bytes = b""


def parse_trace(data: bytes) -> list[TraceItem]:
    items: list[TraceItem] = []
    i = 0
    n = len(data)
    send_lines: list[str] = []

    def flush_send() -> None:
        if send_lines:
            items.append(TraceItem("send", "\n".join(send_lines)))
            send_lines.clear()

    while i < n:
        if data[i] == 0x0A:  # separator LF after a body without trailing LF
            i += 1
            continue
        if data.startswith(b"### ", i) or data.startswith(b">>>", i):
            end = data.find(b"\n", i)
            end = n if end < 0 else end
            line = data[i:end].decode("utf-8", errors="replace")
            if line.startswith(">>>"):
                content = line[4:] if line.startswith(">>> ") else ""
                if content == "":
                    flush_send()
                else:
                    send_lines.append(content)
            else:
                flush_send()
                items.append(TraceItem("note", line[4:]))
            i = end + 1
            continue
        flush_send()
        end = data.find(b"\n\n", i)
        if end < 0:
            raise ValueError(f"unterminated frame at byte {i}")
        block = data[i:end].decode("utf-8", errors="replace")
        frame = Frame(parse_header_block(block))
        j = end + 2
        length = frame.get("Content-Length")
        if length and int(length) > 0:
            frame.body = data[j : j + int(length)]
            j += int(length)
        items.append(TraceItem("recv", frame=frame, raw=data[i:j]))
        i = j
    flush_send()
    return items


def load_trace(path: str | Path) -> list[TraceItem]:
    return parse_trace(Path(path).read_bytes())
