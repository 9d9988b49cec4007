"""Hybrid retrieval: BM25 and dense vectors, fused by reciprocal rank, with filters.

`SearchEngine` knows nothing about the database: it is fed documents (text, metadata, passage vectors)
and answers queries. `kb.search.index` keeps one in step with the published articles.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
from prometheus_client import Histogram

from kb.search.bm25 import BM25Index
from kb.search.embedders import Embedder
from kb.search.tokenizer import tokenize
from kb.search.vectors import VectorIndex

Mode = Literal["bm25", "vector", "hybrid"]
RRF_K = 60
# Reciprocal-rank fusion weights: on gov_qa_dev.csv vectors are the stronger list (see `hotline kb evaluate`).
FUSION_WEIGHTS = {"bm25": 0.5, "vector": 1.0}
# In hybrid mode a lexical match joins the fusion only if it covers this share of the query's IDF
# mass: one shared generic word ("办理", "哪里") is noise that would outvote a good dense match.
MIN_COVERAGE = 0.2
SEARCH_SECONDS = Histogram("hotline_kb_search_seconds", "知识检索耗时", ["mode"])


@dataclass(frozen=True, slots=True)
class DocMeta:
    tenant_id: int | None = None
    base_id: int | None = None
    category_id: int | None = None
    district: str | None = None
    unit_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class Filters:
    tenant_ids: frozenset[int] | None = None
    base_id: int | None = None  # None: the reply knowledge base
    any_base: bool = False  # evaluation and benchmarks: ignore bases
    category_ids: frozenset[int] | None = None
    district: str | None = None  # articles for this district or for the whole city
    unit_id: int | None = None
    valid_at: datetime | None = None

    def accepts(self, m: DocMeta) -> bool:
        if self.tenant_ids is not None and m.tenant_id not in self.tenant_ids:
            return False
        if not self.any_base and m.base_id != self.base_id:
            return False
        if self.category_ids is not None and m.category_id not in self.category_ids:
            return False
        if self.district and m.district not in (None, "", self.district):
            return False
        if self.unit_id is not None and m.unit_id != self.unit_id:
            return False
        if self.valid_at is not None:
            if m.valid_from is not None and m.valid_from > self.valid_at:
                return False
            if m.valid_until is not None and m.valid_until <= self.valid_at:
                return False
        return True

    @property
    def trivial(self) -> bool:
        return (
            self.tenant_ids is None
            and self.category_ids is None
            and not self.district
            and self.unit_id is None
        )


@dataclass
class Hit:
    article_id: int
    score: float  # the mode's own score (RRF for hybrid)
    bm25: float | None = None
    cosine: float | None = None  # best passage's cosine similarity
    chunk_no: int | None = None  # best passage by vector
    ranks: dict[str, int] = field(default_factory=dict)


def rrf(
    rankings: Iterable[list[int]], k: int = RRF_K, weights: Iterable[float] | None = None
) -> dict[int, float]:
    out: dict[int, float] = {}
    rankings = list(rankings)
    for ranking, w in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for r, doc in enumerate(ranking):
            out[doc] = out.get(doc, 0.0) + w / (k + r + 1)
    return out


def doc_tokens(title: str, body: str, keywords: Iterable[str] = ()) -> list[str]:
    """BM25 tokens of an article: the title counts twice, keywords once more."""
    t = tokenize(title)
    return t + t + tokenize(" ".join(keywords)) + tokenize(body)


class SearchEngine:
    def __init__(
        self,
        embedder: Embedder | None,
        weights: dict[str, float] | None = None,
        min_coverage: float | None = None,
    ) -> None:
        self.embedder = embedder
        self.weights = dict(weights or FUSION_WEIGHTS)
        self.min_coverage = MIN_COVERAGE if min_coverage is None else min_coverage
        self.bm25 = BM25Index()
        self.vectors = VectorIndex(embedder.dim) if embedder is not None else None
        self.meta: dict[int, DocMeta] = {}

    def __len__(self) -> int:
        return len(self.meta)

    # -- feeding

    def upsert(self, article_id: int, tokens: list[str], meta: DocMeta, vectors: np.ndarray | None) -> None:
        self.meta[article_id] = meta
        self.bm25.add(article_id, tokens)
        if self.vectors is not None:
            if vectors is not None and len(vectors):
                self.vectors.add(article_id, vectors)
            else:
                self.vectors.remove(article_id)

    def set_vectors(self, article_id: int, vectors: np.ndarray) -> None:
        if self.vectors is not None and article_id in self.meta:
            self.vectors.add(article_id, vectors)

    def remove(self, article_id: int) -> None:
        self.meta.pop(article_id, None)
        self.bm25.remove(article_id)
        if self.vectors is not None:
            self.vectors.remove(article_id)

    def bulk_load(
        self, docs: list[tuple[int, list[str], DocMeta]], vectors: list[tuple[int, np.ndarray]] | None = None
    ) -> None:
        """Replace the content (fast path for rebuilds, evaluation and benchmarks)."""
        self.meta = {d: m for d, _, m in docs}
        self.bm25.build((d, t) for d, t, _ in docs)
        if self.vectors is not None:
            self.vectors = VectorIndex(self.vectors.dim)
            self.vectors.add_many([(a, v) for a, v in (vectors or []) if a in self.meta])

    # -- querying

    def _allowed(self, filters: Filters) -> set[int]:
        return {d for d, m in self.meta.items() if filters.accepts(m)}

    def _bm25(
        self, query: str, n: int, allowed: set[int] | None, min_coverage: float = 0.0
    ) -> list[tuple[int, float]]:
        tokens = tokenize(query)
        found = self.bm25.top(tokens, n, allowed)
        if min_coverage > 0 and found:
            floor = min_coverage * self.bm25.idf_mass(tokens)
            found = [(d, s) for d, s in found if s >= floor]
        return found

    def _vector(
        self, qvec: np.ndarray | None, n: int, allowed: set[int] | None
    ) -> list[tuple[int, int, float]]:
        if self.vectors is None or qvec is None:
            return []
        # several passages per article: fetch more, keep each article's best
        found = self.vectors.search(qvec, n * 4, allowed)
        best: dict[int, tuple[int, float]] = {}
        for a, c, s in found:
            if a not in best or s > best[a][1]:
                best[a] = (c, s)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], kv[0]))[:n]
        return [(a, c, s) for a, (c, s) in ranked]

    def embed_query(self, query: str) -> np.ndarray | None:
        if self.embedder is None or self.vectors is None or len(self.vectors) == 0:
            return None
        return self.embedder.embed_queries([query])[0]

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        qvec: np.ndarray | None = None,
    ) -> list[Hit]:
        t0 = time.perf_counter()
        filters = filters or Filters(any_base=True)
        if mode != "bm25" and qvec is None:
            qvec = self.embed_query(query)
        hits = self._search(query, k, mode, filters, qvec, allowed=None)
        if len(hits) < k and not filters.trivial:
            # post-filtering left too few: search again within the allowed set only
            hits = self._search(query, k, mode, filters, qvec, allowed=self._allowed(filters))
        SEARCH_SECONDS.labels(mode).observe(time.perf_counter() - t0)
        return hits

    def _search(
        self, query: str, k: int, mode: Mode, filters: Filters, qvec, allowed: set[int] | None
    ) -> list[Hit]:
        n = max(k * 5, 50)
        ok = (lambda d: d in allowed) if allowed is not None else (lambda d: filters.accepts(self.meta[d]))
        lex = [
            (d, s)
            for d, s in (
                self._bm25(query, n, allowed, self.min_coverage if mode == "hybrid" else 0.0)
                if mode != "vector"
                else []
            )
            if d in self.meta and ok(d)
        ]
        vec = [
            (d, c, s)
            for d, c, s in (self._vector(qvec, n, allowed) if mode != "bm25" else [])
            if d in self.meta and ok(d)
        ]
        lex_s = {d: s for d, s in lex}
        vec_s = {d: (c, s) for d, c, s in vec}
        if mode == "bm25":
            order = [(d, s) for d, s in lex]
        elif mode == "vector":
            order = [(d, s) for d, _c, s in vec]
        else:
            fused = rrf(
                [[d for d, _ in lex], [d for d, _, _ in vec]],
                weights=[self.weights["bm25"], self.weights["vector"]],
            )
            order = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        lex_rank = {d: i + 1 for i, (d, _) in enumerate(lex)}
        vec_rank = {d: i + 1 for i, (d, _, _) in enumerate(vec)}
        hits = []
        for d, s in order[:k]:
            ranks = {}
            if d in lex_rank:
                ranks["bm25"] = lex_rank[d]
            if d in vec_rank:
                ranks["vector"] = vec_rank[d]
            hits.append(
                Hit(
                    article_id=d,
                    score=float(s),
                    bm25=lex_s.get(d),
                    cosine=vec_s[d][1] if d in vec_s else None,
                    chunk_no=vec_s[d][0] if d in vec_s else None,
                    ranks=ranks,
                )
            )
        return hits
