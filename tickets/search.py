"""Full-text search terms for Chinese without a segmenter: character bigrams.

Every run of CJK characters becomes its overlapping bigrams ("噪音扰民" → 噪音 音扰 扰民), every
run of letters/digits one lower-case word. Indexed on PostgreSQL as a tsvector ('simple'
configuration, GIN); a query matches when all its terms are present.
"""

from __future__ import annotations

import re

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def terms(text: str) -> list[str]:
    out: list[str] = []
    for run in _RUNS.findall(text or ""):
        if _CJK.match(run):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run.lower())
    return out


def document(*parts: str | None) -> str:
    """The indexed text of a ticket: unique terms, space-separated."""
    seen: dict[str, None] = {}
    for part in parts:
        for term in terms(part or ""):
            seen.setdefault(term, None)
    return " ".join(seen)


def query_terms(q: str) -> list[str]:
    return list(dict.fromkeys(terms(q)))
