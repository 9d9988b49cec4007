"""Dense passage vectors in a FAISS inner-product index keyed by (article id, chunk number).

IndexIDMap2 over IndexFlatIP: exact search, and an article's passages can be added and removed in
place, so publishing or unpublishing never needs a rebuild.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

# One query at a time: OpenMP threads only add overhead (and fight other processes on a busy host).
faiss.omp_set_num_threads(int(os.environ.get("HOTLINE_FAISS_THREADS", "1")))

CHUNK_BITS = 10  # faiss id = article id << 10 | chunk number (≤ 1024 passages per article)


def chunk_id(article_id: int, chunk_no: int) -> int:
    return (article_id << CHUNK_BITS) | chunk_no


def article_of(cid: int) -> int:
    return cid >> CHUNK_BITS


class VectorIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.n_chunks: dict[int, int] = {}  # article id → passages in the index

    def __len__(self) -> int:
        return len(self.n_chunks)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self.n_chunks

    def add(self, article_id: int, vectors: np.ndarray) -> None:
        self.remove(article_id)
        n = len(vectors)
        if n == 0:
            return
        ids = np.asarray([chunk_id(article_id, i) for i in range(n)], np.int64)
        self.index.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids)
        self.n_chunks[article_id] = n

    def add_many(self, items: list[tuple[int, np.ndarray]]) -> None:
        """Bulk add (articles not yet in the index)."""
        if not items:
            return
        ids = np.concatenate([[chunk_id(a, i) for i in range(len(v))] for a, v in items]).astype(np.int64)
        vecs = np.ascontiguousarray(np.vstack([v for _, v in items]), np.float32)
        self.index.add_with_ids(vecs, ids)
        for a, v in items:
            self.n_chunks[a] = len(v)

    def remove(self, article_id: int) -> bool:
        if article_id not in self.n_chunks:
            return False
        self.index.remove_ids(faiss.IDSelectorRange(chunk_id(article_id, 0), chunk_id(article_id + 1, 0)))
        del self.n_chunks[article_id]
        return True

    def search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None
    ) -> list[tuple[int, int, float]]:
        """(article id, chunk number, cosine) of the k nearest passages."""
        if self.index.ntotal == 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), np.float32)
        k = min(k, self.index.ntotal)
        if allowed is not None:
            ids = [chunk_id(a, i) for a in allowed if a in self.n_chunks for i in range(self.n_chunks[a])]
            if not ids:
                return []
            sel = faiss.IDSelectorBatch(np.asarray(ids, np.int64))
            scores, labels = self.index.search(q, min(k, len(ids)), params=faiss.SearchParameters(sel=sel))
        else:
            scores, labels = self.index.search(q, k)
        return [
            (article_of(int(c)), int(c) & ((1 << CHUNK_BITS) - 1), float(s))
            for c, s in zip(labels[0], scores[0], strict=True)
            if c >= 0
        ]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        vi = cls(dim)
        index = faiss.read_index(str(path))
        if index.d != dim:
            raise ValueError("dimension mismatch")
        vi.index = index
        ids = faiss.vector_to_array(index.id_map).astype(np.int64) if index.ntotal else np.zeros(0, np.int64)
        arts, counts = np.unique(ids >> CHUNK_BITS, return_counts=True)
        vi.n_chunks = {int(a): int(c) for a, c in zip(arts, counts, strict=True)}
        return vi
