"""Hotspot mining (信息挖掘): cluster recent tickets by topic and place, score bursts against a baseline."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from assist.hotspot.documents import Doc, content_words, vectorise

CLUSTER_SIMILARITY = 0.3
PLACE_BONUS = 0.15  # the same compound / village / road named: likely the same matter
SURGE_Z = 3.0
MAX_FEATURES = 8000  # bounds the centroid matrix: tickets in the window × features
SURGE_MIN_COUNT = 5


@dataclass
class Hotspot:
    topic: str
    district: str | None
    count: int  # tickets in the window
    recent: int  # tickets in the last day
    expected: float  # per-day baseline rate of this matter before the window
    burst: float  # Poisson z-score of `recent` against the baseline
    trend: list[int]  # tickets per day, oldest first
    direction: str  # 上升 / 持平 / 下降
    ticket_ids: list[int] = field(default_factory=list)
    representatives: list[int] = field(default_factory=list)
    surge: bool = False


def _cluster(matrix, docs: Sequence[Doc], threshold: float) -> list[list[int]]:
    """Leader clustering in time order within a district: one pass, centroids updated as they grow.

    Centroids live in one preallocated matrix so each ticket is compared with all of them at once.
    """
    dense = matrix.toarray().astype(np.float32)
    n = len(docs)
    sums = np.zeros((n, dense.shape[1]), dtype=np.float32)
    norms = np.ones(n, dtype=np.float32)
    clusters: list[list[int]] = []
    districts: list[str | None] = []
    places: list[set[str]] = []
    for i in np.argsort([d.created_at for d in docs], kind="stable"):
        k = len(clusters)
        best = -1
        if k:
            sims = (sums[:k] @ dense[i]) / norms[:k]
            for c in range(k):
                if docs[i].places & places[c]:
                    sims[c] += PLACE_BONUS
                if districts[c] and docs[i].district and districts[c] != docs[i].district:
                    sims[c] = -1.0
            c = int(np.argmax(sims))
            if sims[c] >= threshold:
                best = c
        if best < 0:
            best = k
            clusters.append([])
            districts.append(docs[i].district)
            places.append(set())
        clusters[best].append(i)
        sums[best] += dense[i]
        norms[best] = np.linalg.norm(sums[best]) or 1.0
        districts[best] = districts[best] or docs[i].district
        places[best] |= docs[i].places
    return _merge(clusters, sums[: len(clusters)] / norms[: len(clusters), None], districts, threshold)


def _merge(clusters, unit: np.ndarray, districts, threshold: float) -> list[list[int]]:
    """One pass leaves near-identical clusters apart when an early member was atypical; join them
    (pairs above the threshold, in compatible districts, transitively)."""
    k = len(clusters)
    if k < 2:
        return clusters
    parent = list(range(k))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    sims = unit @ unit.T
    np.fill_diagonal(sims, -1)
    for a, b in zip(*np.nonzero(np.triu(sims >= threshold)), strict=True):
        if not districts[a] or not districts[b] or districts[a] == districts[b]:
            parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for c in range(k):
        groups.setdefault(find(c), []).extend(clusters[c])
    return list(groups.values())


def _topic(texts: Sequence[str], df: Counter, n_docs: int, n: int = 3) -> str:
    """The words most typical of the cluster: shared by its members, rarer in the whole window."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(set(content_words(text)))
    scored = {
        w: c * math.log((1 + n_docs) / (1 + df[w])) for w, c in counts.items() if c >= min(2, len(texts))
    }
    best = sorted(scored, key=lambda w: -scored[w])[:n]
    return "、".join(best) or "其他"


def mine(
    docs: Sequence[Doc],
    *,
    now: datetime,
    window_days: int = 7,
    baseline_days: int = 28,
    similarity: float = CLUSTER_SIMILARITY,
    surge_z: float = SURGE_Z,
    surge_min: int = SURGE_MIN_COUNT,
    top: int = 20,
) -> list[Hotspot]:
    """The hot-issue list for the window ending at `now`, hottest first.

    Baseline: tickets of the previous `baseline_days` similar to a cluster's centroid give its usual
    daily rate; a surge is a last-day count far above it (z ≥ `surge_z`) and at least `surge_min`.
    """
    start = now - timedelta(days=window_days)
    base_start = start - timedelta(days=baseline_days)
    recent_docs = [d for d in docs if start <= d.created_at <= now]
    base_docs = [d for d in docs if base_start <= d.created_at < start]
    if not recent_docs:
        return []
    matrix, vec = vectorise([d.text for d in recent_docs + base_docs], max_features=MAX_FEATURES)
    recent_m = matrix[: len(recent_docs)]
    df: Counter = Counter()
    for d in recent_docs:
        df.update(set(content_words(d.text)))
    base_m = matrix[len(recent_docs) :]
    out = []
    for members in _cluster(recent_m, recent_docs, similarity):
        if len(members) < 2:
            continue
        cluster_docs = [recent_docs[i] for i in members]
        centroid = np.asarray(recent_m[members].mean(axis=0)).ravel()
        centroid /= np.linalg.norm(centroid) or 1.0
        district = Counter(d.district for d in cluster_docs if d.district).most_common(1)
        district = district[0][0] if district else None
        baseline = 0
        if base_docs:
            sims = base_m @ centroid
            baseline = sum(
                1
                for d, s in zip(base_docs, np.asarray(sims).ravel(), strict=True)
                if s >= similarity and (not district or not d.district or d.district == district)
            )
        expected = (baseline + 0.5) / baseline_days  # +0.5: a matter never seen is still possible
        trend = [0] * window_days
        for d in cluster_docs:
            day = min(int((d.created_at - start).total_seconds() // 86400), window_days - 1)
            trend[day] += 1
        recent = trend[-1]
        burst = (recent - expected) / math.sqrt(expected)
        first, second = sum(trend[: window_days // 2]), sum(trend[window_days - window_days // 2 :])
        direction = "上升" if second > first * 1.2 else "下降" if second < first * 0.8 else "持平"
        sims_in = np.asarray(recent_m[members] @ centroid).ravel()
        reps = [cluster_docs[i].id for i in np.argsort(-sims_in)[:3]]
        out.append(
            Hotspot(
                topic=_topic([d.text for d in cluster_docs], df, len(recent_docs)),
                district=district,
                count=len(members),
                recent=recent,
                expected=round(expected, 3),
                burst=round(burst, 2),
                trend=trend,
                direction=direction,
                ticket_ids=[d.id for d in cluster_docs],
                representatives=reps,
                surge=burst >= surge_z and recent >= surge_min,
            )
        )
    out.sort(key=lambda h: (h.surge, h.count, h.burst), reverse=True)
    return out[:top]
