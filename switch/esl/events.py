"""ESL events as ordered header lists (duplicates kept), in `text/event-plain` and `text/event-json` form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from switch.esl.codec import url_decode, url_encode
from switch.esl.frames import Frame, parse_header_block

ARRAY_PREFIX = "ARRAY::"


@dataclass
class Event:
    """An event: ordered (name, decoded value) pairs and an optional body (BACKGROUND_JOB, log)."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        """Last value wins, as in dict-based clients (a PRIVATE_COMMAND's second header set)."""
        found = default
        for key, value in self.headers:
            if key == name:
                found = value
        return found

    def first(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return any(k == name for k, _ in self.headers)

    @property
    def name(self) -> str:
        return self.get("Event-Name", "") or ""

    @property
    def subclass(self) -> str | None:
        return self.get("Event-Subclass")

    @property
    def unique_id(self) -> str | None:
        return self.get("Unique-ID")

    def names(self) -> list[str]:
        return [k for k, _ in self.headers]

    def variables(self) -> dict[str, str]:
        return {k[9:]: v for k, v in self.headers if k.startswith("variable_")}

    def as_dict(self) -> dict[str, str]:
        return dict(self.headers)


def parse_plain(data: bytes | str) -> Event:
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    head, sep, rest = text.partition("\n\n")
    pairs = [(k, url_decode(v)) for k, v in parse_header_block(head)]
    body = None
    if pairs and pairs[-1][0] == "Content-Length":
        length = int(pairs.pop()[1])
        body = rest.encode("utf-8")[:length].decode("utf-8", errors="replace")
    return Event(pairs, body)


def format_plain(event: Event) -> bytes:
    lines = [f"{k}: {url_encode(v)}\n" for k, v in event.headers]
    if event.body is not None:
        raw = event.body.encode("utf-8")
        lines.append(f"Content-Length: {len(raw)}\n\n")
        return "".join(lines).encode("utf-8") + raw
    lines.append("\n")
    return "".join(lines).encode("utf-8")


def parse_json(data: bytes | str) -> Event:
    pairs_in = json.loads(data, object_pairs_hook=lambda pairs: pairs)
    pairs: list[tuple[str, str]] = []
    body = None
    for key, value in pairs_in:
        if key == "_body":
            body = value
        elif key == "Content-Length":
            continue
        elif isinstance(value, list):
            pairs.append((key, ARRAY_PREFIX + "|:".join(value)))
        else:
            pairs.append((key, value))
    return Event(pairs, body)


def _json_value(value: str) -> str:
    if value.startswith(ARRAY_PREFIX):
        return json.dumps(value[len(ARRAY_PREFIX) :].split("|:"), ensure_ascii=False, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False)


def format_json(event: Event) -> bytes:
    """One JSON object, no trailing newline; duplicate keys kept as FreeSWITCH (cJSON) writes them."""
    parts = [f"{json.dumps(k, ensure_ascii=False)}:{_json_value(v)}" for k, v in event.headers]
    if event.body is not None:
        parts.append(f'"Content-Length":"{len(event.body.encode("utf-8"))}"')
        parts.append(f'"_body":{json.dumps(event.body, ensure_ascii=False)}')
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def event_frame(event: Event, fmt: str) -> Frame:
    """The wire frame for an event: Content-Length first, then Content-Type."""
    body = format_json(event) if fmt == "json" else format_plain(event)
    return Frame([("Content-Length", str(len(body))), ("Content-Type", f"text/event-{fmt}")], body)


def event_from_frame(frame: Frame) -> Event | None:
    ctype = frame.content_type
    if ctype == "text/event-plain":
        return parse_plain(frame.body)
    if ctype == "text/event-json":
        return parse_json(frame.body)
    return None
