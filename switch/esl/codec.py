"""FreeSWITCH's `switch_url_encode` / `switch_url_decode`, byte for byte."""

from __future__ import annotations

import re

# Characters FreeSWITCH escapes besides controls and non-ASCII bytes.
_ESCAPED = frozenset(b'\r\n #%&+:;<=>?@[\\]^`{|}"')
_HEX = b"0123456789ABCDEF"
_EXISTING = re.compile(rb"%[0-9A-F]{2}")


def url_encode(value: str) -> str:
    """Percent-encode like FreeSWITCH: uppercase hex; an existing `%XX` (uppercase) is kept as is."""
    raw = value.encode("utf-8")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b == 0x25 and _EXISTING.match(raw, i):
            out += raw[i : i + 3]
            i += 3
            continue
        if b < 0x20 or b > 0x7E or b in _ESCAPED:
            out.append(0x25)
            out.append(_HEX[b >> 4])
            out.append(_HEX[b & 15])
        else:
            out.append(b)
        i += 1
    return out.decode("ascii")


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
