"""Dense passage vectors in a FAISS inner-product index, one id per (article, generation, passage).

IndexIDMap over IndexFlatIP: exact search. Publishing adds an article's passages in place;
unpublishing only marks them dead (search skips them) and dead vectors are purged in batches, so
neither needs a rebuild nor pays an O(n) removal each time. Re-publishing an edited article uses the
next generation number, so stale vectors of the old text can never be mistaken for the new ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

# One query at a time: OpenMP threads only add overhead (and fight other processes on a busy host).
faiss.omp_set_num_threads(int(os.environ.get("HOTLINE_FAISS_THREADS", "1")))

CHUNK_BITS = 6  # ≤ 64 passages per article (text.MAX_CHUNKS)
GEN_BITS = 4
PURGE_AT = 2048  # dead passages kept before a batch purge


def chunk_id(article_id: int, chunk_no: int, gen: int = 0) -> int:
    return (article_id << (CHUNK_BITS + GEN_BITS)) | (gen << CHUNK_BITS) | chunk_no


def decode(cid: int) -> tuple[int, int, int]:
    """(article id, generation, passage number)."""
    return (
        cid >> (CHUNK_BITS + GEN_BITS),
        (cid >> CHUNK_BITS) & ((1 << GEN_BITS) - 1),
        cid & ((1 << CHUNK_BITS) - 1),
    )


class VectorIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.index = faiss.IndexIDMap(faiss.IndexFlatIP(dim))
        self.n_chunks: dict[int, int] = {}  # live article → passages
        self.gen: dict[int, int] = {}  # live article → generation of its passages
        self._dead: list[int] = []  # ids still in FAISS but no longer live
        self._dead_gens: dict[int, set[int]] = {}
        self._last_gen: dict[int, int] = {}  # survives removal, so a re-add never reuses unpurged ids

    def __len__(self) -> int:
        return len(self.n_chunks)

    def __contains__(self, article_id: int) -> bool:
        return article_id in self.n_chunks

    @property
    def dead(self) -> int:
        return len(self._dead)

    def _ids(self, article_id: int, n: int, gen: int) -> np.ndarray:
        return np.asarray([chunk_id(article_id, i, gen) for i in range(n)], np.int64)

    def add(self, article_id: int, vectors: np.ndarray) -> None:
        self.remove(article_id)
        n = min(len(vectors), 1 << CHUNK_BITS)
        if n == 0:
            return
        gen = (self._last_gen.get(article_id, -1) + 1) % (1 << GEN_BITS)
        if gen in self._dead_gens.get(article_id, ()):
            self.purge()  # that generation's ids are still physically present
        self.index.add_with_ids(np.ascontiguousarray(vectors[:n], np.float32), self._ids(article_id, n, gen))
        self.n_chunks[article_id] = n
        self.gen[article_id] = self._last_gen[article_id] = gen

    def add_many(self, items: list[tuple[int, np.ndarray]]) -> None:
        """Bulk add of articles not in the index (rebuilds, evaluation, benchmarks)."""
        items = [(a, v[: 1 << CHUNK_BITS]) for a, v in items if len(v)]
        if not items:
            return
        ids = np.concatenate([self._ids(a, len(v), 0) for a, v in items])
        self.index.add_with_ids(np.ascontiguousarray(np.vstack([v for _, v in items]), np.float32), ids)
        for a, v in items:
            self.n_chunks[a] = len(v)
            self.gen[a] = self._last_gen[a] = 0

    def remove(self, article_id: int) -> bool:
        n = self.n_chunks.pop(article_id, None)
        if n is None:
            return False
        gen = self.gen.pop(article_id)
        self._dead.extend(self._ids(article_id, n, gen).tolist())
        self._dead_gens.setdefault(article_id, set()).add(gen)
        if len(self._dead) >= PURGE_AT:
            self.purge()
        return True

    def purge(self) -> int:
        """Physically drop dead passages (one pass over the index)."""
        if not self._dead:
            return 0
        n = self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(self._dead, np.int64)))
        self._dead, self._dead_gens = [], {}
        return int(n)

    def _live(self, cid: int) -> tuple[int, int] | None:
        a, g, c = decode(cid)
        return (a, c) if self.gen.get(a) == g else None

    def search(
        self, query: np.ndarray, k: int, allowed: set[int] | None = None
    ) -> list[tuple[int, int, float]]:
        """(article id, passage number, cosine) of the k nearest live passages."""
        if self.index.ntotal == 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), np.float32)
        if allowed is not None:
            ids = [
                chunk_id(a, i, self.gen[a])
                for a in allowed
                if a in self.n_chunks
                for i in range(self.n_chunks[a])
            ]
            if not ids:
                return []
            sel = faiss.IDSelectorBatch(np.asarray(ids, np.int64))
            scores, labels = self.index.search(q, min(k, len(ids)), params=faiss.SearchParameters(sel=sel))
        else:
            scores, labels = self.index.search(q, min(k + len(self._dead), self.index.ntotal))
        out = []
        for cid, s in zip(labels[0].tolist(), scores[0].tolist(), strict=True):
            live = self._live(cid) if cid >= 0 else None
            if live is not None:
                out.append((live[0], live[1], float(s)))
                if len(out) == k:
                    break
        return out

    def save(self, path: Path) -> None:
        self.purge()
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
        for cid in ids.tolist():
            a, g, _c = decode(cid)
            vi.n_chunks[a] = vi.n_chunks.get(a, 0) + 1
            vi.gen[a] = vi._last_gen[a] = g
        return vi
