"""FreeSWITCH's `switch_url_encode` / `switch_url_decode`, byte for byte."""

from __future__ import annotations

import re

# What needs escaping: the listed characters, controls and non-ASCII, and a `%` not starting an uppercase `%XX`.
_NEEDS_ESCAPE = re.compile(r'%(?![0-9A-F]{2})|[^\x21-\x7e]|[#&+:;<=>?@\[\\\]^`{|}"]')


def _escape(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group(0).encode("utf-8"))


def url_encode(value: str) -> str:
    """Percent-encode like FreeSWITCH: uppercase hex; an existing `%XX` (uppercase) is kept as is."""
    return _NEEDS_ESCAPE.sub(_escape, value)


def url_decode(value: str) -> str:
    """Decode `%XX` sequences (either case); `+` stays `+` as in FreeSWITCH."""
    if "%" not in value:
        return value
    raw = value.encode("utf-8")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b == 0x25 and i + 2 < n:
            try:
                out.append(int(raw[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(b)
        i += 1
    return out.decode("utf-8", errors="replace")
