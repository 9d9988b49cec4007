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
        "threshold": calibrate(engine, qa, gold, qvecs),
        "seconds": {
            "embed_passages": round(t_embed, 1),
            "embed_queries": round(t_query_embed, 1),
            "search_all_modes": round(t_search, 1),
        },
    }
    return result


def calibrate(
    engine: SearchEngine, qa: list[QAItem], gold: list[int], qvecs: np.ndarray, seed: int = 7
) -> dict:
    """Hide a random half of the answers; pick the top-1 cosine threshold with the best accuracy of
    "answer" (own article found at rank 1) versus "don't know" (own article hidden)."""
    rng = random.Random(seed)
    answers = sorted(set(gold))
    hidden = set(rng.sample(answers, len(answers) // 2))
    allowed = set(engine.meta) - hidden
    samples = []  # (top cosine, should answer)
    for g, qv in zip(gold, qvecs, strict=True):
        found = engine.vectors.search(qv, 20, allowed) if engine.vectors is not None else []
        if not found:
            continue
        top_a, _c, cos = found[0]
        samples.append((cos, g not in hidden and top_a == g))
    if not samples:
        return {}
    best = (0.0, 0.0)
    for t in np.arange(0.30, 0.96, 0.005):
        acc = sum(1 for c, ok in samples if (c >= t) == ok) / len(samples)
        if acc > best[1]:
            best = (round(float(t), 3), acc)
    answered = [ok for c, ok in samples if c >= best[0]]
    return {
        "cosine": best[0],
        "accuracy": round(best[1], 4),
        "precision_when_answering": round(sum(answered) / len(answered), 4) if answered else None,
        "answer_rate": round(len(answered) / len(samples), 4),
    }
