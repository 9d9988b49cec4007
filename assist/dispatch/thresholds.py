"""Coverage-vs-accuracy curves and per-label auto-dispatch thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CURVE_POINTS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float  # share of tickets at or above the threshold
    accuracy: float  # accuracy of the top-1 label among them


def coverage_curve(
    confidence: Sequence[float], correct: Sequence[bool], points: Sequence[float] = CURVE_POINTS
) -> list[CurvePoint]:
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    out = []
    for t in points:
        mask = conf >= t
        n = int(mask.sum())
        out.append(CurvePoint(float(t), n / max(len(conf), 1), float(ok[mask].mean()) if n else 1.0))
    return out


def wilson_lower(successes: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    """Lower bound of the Wilson score interval: a precision we are fairly sure of, given n."""
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / denom


def coverage_at_precision(
    confidence: Sequence[float], correct: Sequence[bool], target: float, *, z: float = 0.0
) -> tuple[float, float | None]:
    """The largest share of items, taken by descending confidence, whose accuracy is ≥ target.

    Returns (coverage, threshold); (0.0, None) when even the most confident item misses.
    Cuts only between distinct confidence values, so the threshold is a real operating point.
    With z > 0 the Wilson lower bound of the precision must reach the target (a safety margin that
    grows as the evidence shrinks), as used when choosing thresholds.
    """
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if not len(conf):
        return 0.0, None
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = np.arange(1, len(ok) + 1)
    precision = np.cumsum(ok) / n if z <= 0 else wilson_lower(np.cumsum(ok).astype(float), n.astype(float), z)
    # a cut after position i is valid only if the next item has a lower confidence
    boundary = np.append(conf[1:] < conf[:-1], True)
    valid = np.where((precision >= target) & boundary)[0]
    if not len(valid):
        return 0.0, None
    last = int(valid.max())
    return (last + 1) / len(conf), float(conf[last])


def label_thresholds(
    predicted: Sequence[str],
    confidence: Sequence[float],
    correct: Sequence[bool],
    target: float,
    *,
    min_support: int = 20,
    z: float = 0.0,
) -> dict[str, float | None]:
    """Per predicted label: the lowest confidence at which its auto-dispatches reach `target` precision.

    Labels predicted fewer than `min_support` times share the global threshold (too little evidence
    for their own); a label that never reaches the target gets None (never auto-dispatched).
    """
    pred = np.asarray(predicted)
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    _, global_threshold = coverage_at_precision(conf, ok, target, z=z)
    out: dict[str, float | None] = {}
    for label in np.unique(pred):
        mask = pred == label
        if mask.sum() < min_support:
            out[str(label)] = global_threshold
            continue
        _, threshold = coverage_at_precision(conf[mask], ok[mask], target, z=z)
        out[str(label)] = threshold
    return out


def auto_share(
    predicted: Sequence[str],
    confidence: Sequence[float],
    correct: Sequence[bool],
    thresholds: dict[str, float | None],
    default: float | None = None,
) -> tuple[float, float]:
    """(coverage, precision) of auto-dispatch with these per-label thresholds."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    auto = np.array(
        [passes(p, c, thresholds, default) for p, c in zip(predicted, conf, strict=True)], dtype=bool
    )
    n = int(auto.sum())
    return n / max(len(conf), 1), float(ok[auto].mean()) if n else 1.0


def passes(label: str, confidence: float, thresholds: dict[str, float | None], default: float | None) -> bool:
    threshold = thresholds.get(str(label), default)
    return threshold is not None and confidence >= threshold
