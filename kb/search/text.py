"""Plain text from article bodies, passages (chunks) for embedding, and highlighting."""

from __future__ import annotations

import hashlib
import html
import re

CHUNK_CHARS = 200
MAX_CHUNKS = 64

_TAG = re.compile(r"<[^>]+>")
_MD = re.compile(r"(^|\n)\s*(#{1,6}|>|[-*+]|\d+\.)\s+|[*_`|~]{1,3}|!?\[([^\]]*)\]\([^)]*\)")
_SENT = re.compile(r"(?<=[。！？；!?;\n])")
_WS = re.compile(r"[ \t\r\f\v]+")


def plain_text(body: str, fmt: str = "markdown") -> str:
    if not body:
        return ""
    if fmt == "html" or "<" in body and _TAG.search(body):
        body = html.unescape(_TAG.sub(" ", body))
    body = _MD.sub(lambda m: (m.group(1) or "") + (m.group(3) or ""), body)
    return _WS.sub(" ", body).strip()


def chunks(title: str, body: str, size: int = CHUNK_CHARS) -> list[str]:
    """Passages of at most ~`size` characters cut at sentence ends, each prefixed with the title."""
    body = body.strip()
    head = (title.strip() + "\n") if title.strip() else ""
    if not body:
        return [title.strip()] if title.strip() else []
    sentences: list[str] = []
    for s in _SENT.split(body):
        s = s.strip()
        while len(s) > size:
            sentences.append(s[:size])
            s = s[size:]
        if s:
            sentences.append(s)
    out, cur = [], ""
    for s in sentences:
        if cur and len(cur) + len(s) > size:
            out.append(cur)
            cur = ""
        cur += s
    if cur:
        out.append(cur)
    return [head + c for c in out[:MAX_CHUNKS]]


def passage_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def highlight(text: str, terms: list[str], tag: str = "em") -> str:
    """HTML-escaped text with each query term wrapped in <em>…</em> (longest terms first)."""
    escaped = html.escape(text, quote=False)
    terms = [html.escape(t, quote=False) for t in terms if t]
    if not terms:
        return escaped
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE
    )
    return pattern.sub(lambda m: f"<{tag}>{m.group(0)}</{tag}>", escaped)


def snippet_around(text: str, terms: list[str], width: int = 120) -> str:
    """A window of `text` around the first query term (or its start)."""
    if len(text) <= width:
        return text
    pos = min((text.find(t) for t in terms if t and t in text), default=0)
    start = max(0, pos - width // 4)
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")
