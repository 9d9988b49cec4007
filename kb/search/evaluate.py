"""Retrieval evaluation: every answer becomes an article, each question must find its own.

Prints Recall@1, Recall@5 and MRR for BM25 only, vectors only and hybrid, and calibrates the
"don't know" threshold of the intelligent Q&A: half of the answers are left out of a second index,
and the cosine that best separates questions whose answer is there from those whose answer is not
is reported.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.search.embedders import Embedder
from kb.search.engine import DocMeta, SearchEngine, doc_tokens
from kb.search.text import chunks

MODES = ("bm25", "vector", "hybrid")


@dataclass
class QAItem:
    question: str
    answer: str


def read_qa(path: Path) -> list[QAItem]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"question", "answer"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: 需要列 question,answer")
        return [QAItem(r["question"].strip(), r["answer"].strip()) for r in reader if r["answer"].strip()]


def build_corpus(qa: list[QAItem], extra: list[QAItem]) -> tuple[list[str], list[int]]:
    """Distinct answers (qa's first, then extra's) and, per qa question, its answer's index."""
    docs: list[str] = []
    index: dict[str, int] = {}
    for item in qa + extra:
        if item.answer not in index:
            index[item.answer] = len(docs)
            docs.append(item.answer)
    return docs, [index[q.answer] for q in qa]


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "recall@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "recall@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 4),
    }


def evaluate(
    qa: list[QAItem],
    extra: list[QAItem],
    embedder: Embedder,
    embed: Callable[[list[str]], list[np.ndarray]],
    *,
    embed_queries: Callable[[list[str]], np.ndarray] | None = None,
    weights: dict[str, float] | None = None,
    min_coverage: float | None = None,
    modes: tuple[str, ...] = MODES,
    qa_rule: tuple[float, float] | None = None,
    k: int = 10,
    progress: Callable[[str], None] = print,
) -> dict:
    """`embed(passages)` returns passage vectors (cached by the caller)."""
    docs, gold = build_corpus(qa, extra)
    t0 = time.perf_counter()
    passages = [chunks("", d) for d in docs]
    flat = [p for ps in passages for p in ps]
    progress(f"语料：{len(docs)} 篇，{len(flat)} 段；问题 {len(qa)} 条")
    vecs = embed(flat)
    t_embed = time.perf_counter() - t0
    per_doc, pos = [], 0
    for ps in passages:
        per_doc.append(np.vstack(vecs[pos : pos + len(ps)]))
        pos += len(ps)
    engine = SearchEngine(embedder, weights, min_coverage)
    engine.bulk_load(
        [(i, doc_tokens("", d), DocMeta()) for i, d in enumerate(docs)],
        [(i, v) for i, v in enumerate(per_doc)],
    )
    t1 = time.perf_counter()
    qvecs = (embed_queries or embedder.embed_queries)([q.question for q in qa])
    t_query_embed = time.perf_counter() - t1
    ranks: dict[str, list[int | None]] = {m: [] for m in modes}
    t2 = time.perf_counter()
    for q, g, qv in zip(qa, gold, qvecs, strict=True):
        for m in modes:
            hits = engine.search(q.question, k=k, mode=m, qvec=qv)
            ids = [h.article_id for h in hits]
            ranks[m].append(ids.index(g) + 1 if g in ids else None)
    t_search = time.perf_counter() - t2
    result = {
        "questions": len(qa),
        "articles": len(docs),
        "passages": len(flat),
        "embedder": embedder.name,
        "fusion_weights": engine.weights,
        "min_coverage": engine.min_coverage,
        **{m: metrics(ranks[m]) for m in modes},
        "threshold": calibrate(engine, qa, gold, qvecs, configured=qa_rule),
        "seconds": {
            "embed_passages": round(t_embed, 1),
            "embed_queries": round(t_query_embed, 1),
            "search_all_modes": round(t_search, 1),
        },
    }
    return result


def top_two(found: list[tuple[int, int, float]]) -> tuple[int, float, float]:
    """Best article, its cosine, and the best cosine of any other article (passages → articles)."""
    best: dict[int, float] = {}
    for a, _c, cos in found:
        best[a] = max(best.get(a, -1.0), cos)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0], ranked[0][1], second


def _rule_figures(arr: np.ndarray, t: float, m: float) -> dict:
    say = (arr[:, 0] >= t) & (arr[:, 1] >= m)
    return {
        "cosine": round(float(t), 3),
        "margin": round(float(m), 3),
        "accuracy": round(float(np.mean(say == (arr[:, 2] > 0))), 4),
        "precision_when_answering": round(float(arr[say, 2].mean()), 4) if say.any() else None,
        "answer_rate": round(float(say.mean()), 4),
    }


def calibrate(
    engine: SearchEngine,
    qa: list[QAItem],
    gold: list[int],
    qvecs: np.ndarray,
    seed: int = 7,
    configured: tuple[float, float] | None = None,
) -> dict:
    """Hide a random half of the answers; pick the rule "answer when the top cosine ≥ t and it leads the
    next article by ≥ m" with the best accuracy of answering (own article at rank 1) versus saying
    "don't know" (own article hidden or not first)."""
    rng = random.Random(seed)
    answers = sorted(set(gold))
    hidden = set(rng.sample(answers, len(answers) // 2))
    allowed = set(engine.meta) - hidden
    samples = []  # (top cosine, margin, should answer)
    for g, qv in zip(gold, qvecs, strict=True):
        found = engine.vectors.search(qv, 40, allowed) if engine.vectors is not None else []
        if not found:
            continue
        top_a, cos, second = top_two(found)
        samples.append((cos, cos - second, g not in hidden and top_a == g))
    if not samples:
        return {}
    arr = np.asarray([(c, m, ok) for c, m, ok in samples], dtype=np.float64)
    best = (0.0, 0.0, -1.0)
    for t in np.arange(0.30, 0.96, 0.005):
        for m in np.arange(0.0, 0.101, 0.005):
            say = (arr[:, 0] >= t) & (arr[:, 1] >= m)
            acc = float(np.mean(say == (arr[:, 2] > 0)))
            if acc > best[2] + 1e-9:
                best = (round(float(t), 3), round(float(m), 3), acc)
    out = _rule_figures(arr, best[0], best[1])
    out["should_answer_rate"] = round(float(arr[:, 2].mean()), 4)
    if configured is not None:
        out["configured"] = _rule_figures(arr, *configured)
    return out
