"""Training as production does it, and the evaluation that reuses it unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from assist.dispatch.catalogue import DutyEntry
from assist.dispatch.classifier import Embedder, TextClassifier
from assist.dispatch.thresholds import (
    auto_share,
    coverage_at_precision,
    coverage_curve,
    label_thresholds,
)

TARGET_PRECISION = 0.97
# Thresholds must reach the target on the Wilson lower bound (z = 1), not just on the point estimate:
# out-of-fold precision measured on a few hundred tickets overstates what the next ones will see.
THRESHOLD_Z = 1.0

# Each stage's share of a training run's overall progress (measured on the 6,942-message set: the
# cross-validation folds are most of the time, the final fit on everything about 1.25 folds more).
STAGES: dict[str, tuple[float, float]] = {
    "load": (0.0, 0.05),
    "vectorise": (0.05, 0.15),
    "cross_validate": (0.15, 0.7),
    "calibrate": (0.7, 0.9),
    "thresholds": (0.9, 0.95),
    "save": (0.95, 1.0),
}
# (stage, overall fraction 0..1)
Progress = Callable[[str, float], None]


def overall(stage: str, within: float) -> float:
    """The overall fraction done when `stage` is `within` (0..1) done."""
    start, end = STAGES[stage]
    return start + (end - start) * min(max(within, 0.0), 1.0)


@dataclass
class TrainedModel:
    classifier: TextClassifier
    thresholds: dict[str, float | None]  # per label; None: never auto-dispatch
    default_threshold: float | None  # for labels unseen when thresholds were chosen
    target_precision: float
    metrics: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    sample_weight: Sequence[float] | None = None,
    catalogue: Sequence[DutyEntry] = (),
    embedder: Embedder | None = None,
    target_precision: float = TARGET_PRECISION,
    min_support: int = 20,
    z: float = THRESHOLD_Z,
    progress: Progress | None = None,
) -> TrainedModel:
    """Fit the classifier; choose per-label thresholds on its out-of-fold predictions."""
    started = time.perf_counter()

    def stage(name: str, within: float) -> None:
        if progress is not None:
            progress(name, overall(name, within))

    clf = TextClassifier(catalogue=catalogue, embedder=embedder).fit(texts, labels, sample_weight, stage)
    stage("thresholds", 0.0)
    proba = clf.oof_proba_
    y = clf.oof_labels_
    metrics = score(y, proba, clf.classes_)
    pred = clf.classes_[proba.argmax(1)]
    conf = proba.max(1)
    correct = pred == y
    thresholds = label_thresholds(pred, conf, correct, target_precision, min_support=min_support, z=z)
    _, default = coverage_at_precision(conf, correct, target_precision, z=z)
    metrics["auto_coverage"], metrics["auto_precision"] = auto_share(pred, conf, correct, thresholds, default)
    metrics["n_samples"] = len(y)
    metrics["train_seconds"] = round(time.perf_counter() - started, 1)
    return TrainedModel(clf, thresholds, default, target_precision, metrics)


def score(y: Sequence[str], proba: np.ndarray, classes: np.ndarray) -> dict:
    """accuracy, macro-F1, top-3, the coverage/accuracy curve, coverage at 95 % and 97 % precision."""
    y = np.asarray(y)
    pred = classes[proba.argmax(1)]
    conf = proba.max(1)
    correct = pred == y
    top = np.argsort(-proba, axis=1)[:, :3]
    top3 = float(np.mean([y[i] in classes[top[i]] for i in range(len(y))]))
    cov95, thr95 = coverage_at_precision(conf, correct, 0.95)
    cov97, thr97 = coverage_at_precision(conf, correct, 0.97)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro")),
        "top3": top3,
        "coverage_at_95_precision": cov95,
        "threshold_at_95_precision": thr95,
        "coverage_at_97_precision": cov97,
        "threshold_at_97_precision": thr97,
        "curve": [p.__dict__ for p in coverage_curve(conf, correct)],
    }


def evaluate(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str] | None = None,
    test_labels: Sequence[str] | None = None,
    *,
    folds: int = 5,
    target_precision: float = TARGET_PRECISION,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Held-out figures of `train` (on --test, or K-fold cross-validation when no test set).

    Per-label thresholds are chosen inside each training run and applied to its held-out part,
    so `auto_coverage` / `auto_precision` are what auto-dispatch would really do.
    """
    if test_texts is not None:
        splits = [(np.arange(len(train_texts)), None)]
        texts = list(train_texts) + list(test_texts)
        labels = np.asarray([str(v) for v in list(train_labels) + list(test_labels or [])])
        splits = [(np.arange(len(train_texts)), np.arange(len(train_texts), len(texts)))]
    else:
        texts = list(train_texts)
        labels = np.asarray([str(v) for v in train_labels])
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
        splits = list(splitter.split(np.zeros(len(labels)), labels))
    held_all, proba_rows, auto_rows = [], [], []
    classes = np.unique(labels[np.concatenate([s[0] for s in splits])])
    latency = []
    for n, (train_idx, held_idx) in enumerate(splits, start=1):
        model = train(
            [texts[i] for i in train_idx],
            labels[train_idx],
            embedder=embedder,
            target_precision=target_precision,
        )
        clf = model.classifier
        started = time.perf_counter()
        proba = clf.predict_proba([texts[i] for i in held_idx])
        latency.append((time.perf_counter() - started) / max(len(held_idx), 1))
        aligned = np.zeros((len(held_idx), len(classes)))
        index = {c: i for i, c in enumerate(classes)}
        for j, c in enumerate(clf.classes_):
            aligned[:, index[c]] = proba[:, j]
        pred = clf.classes_[proba.argmax(1)]
        conf = proba.max(1)
        auto_rows.extend(
            (p, c, bool(p == t), model.thresholds, model.default_threshold)
            for p, c, t in zip(pred, conf, labels[held_idx], strict=True)
        )
        held_all.append(held_idx)
        proba_rows.append(aligned)
        if progress:
            progress(n, len(splits))
    held = np.concatenate(held_all)
    result = score(labels[held], np.vstack(proba_rows), classes)
    auto = [bool(t.get(str(p), d) is not None and c >= t.get(str(p), d)) for p, c, _, t, d in auto_rows]
    ok = np.array([r[2] for r in auto_rows])
    auto = np.array(auto)
    result["auto_target_precision"] = target_precision
    result["auto_coverage"] = float(auto.mean()) if len(auto) else 0.0
    result["auto_precision"] = float(ok[auto].mean()) if auto.any() else 1.0
    result["n_train"] = len(splits[0][0]) if test_texts is not None else len(labels)
    result["n_eval"] = len(held)
    result["classes"] = len(classes)
    result["batch_latency_ms_per_ticket"] = round(1000 * float(np.mean(latency)), 3)
    return result
