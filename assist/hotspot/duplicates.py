"""Duplicate detection (并案): the same place and matter, among open tickets within a window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from assist.hotspot.documents import Doc, matter, vectorise

WINDOW = timedelta(days=7)
MIN_SIMILARITY = 0.3  # similarity of the matter (place names removed) when the place agrees
MIN_SIMILARITY_NO_PLACE = 0.6  # the matter alone, when no place is named on one side


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    score: float
    similarity: float
    same_place: bool
    reason: str


def find_duplicates(
    new: Doc,
    open_docs: Sequence[Doc],
    *,
    window: timedelta = WINDOW,
    min_similarity: float = MIN_SIMILARITY,
    min_similarity_no_place: float = MIN_SIMILARITY_NO_PLACE,
    limit: int = 5,
) -> list[Candidate]:
    """Open tickets that are probably the same appeal as `new`, best first.

    Same place: the same local place (compound, village, road) or, lacking that, the same district;
    tickets in different known districts are never duplicates.
    """
    pool = [d for d in open_docs if d.id != new.id and abs(new.created_at - d.created_at) <= window]
    if not pool:
        return []
    matrix, _ = vectorise([matter(new)] + [matter(d) for d in pool], idf=False)
    sims = (matrix[1:] @ matrix[0].T).toarray().ravel()
    out = []
    for doc, sim in zip(pool, sims, strict=True):
        if new.district and doc.district and new.district != doc.district:
            continue
        shared = new.places & doc.places
        same_place = bool(shared) or bool(new.district and new.district == doc.district and not new.places)
        if (same_place and sim >= min_similarity) or sim >= min_similarity_no_place:
            where = "、".join(sorted(shared)) or doc.district or "地点未识别"
            out.append(
                Candidate(
                    doc.id,
                    round(float(sim) + (0.1 if shared else 0.0), 4),
                    round(float(sim), 4),
                    same_place,
                    f"内容相似度 {sim:.0%}，地点：{where}",
                )
            )
    return sorted(out, key=lambda c: -c.score)[:limit]
