"""BM25 over jieba tokens, as a sparse term-frequency matrix that takes adds and removals.

The bulk lives in a CSC matrix (documents × terms) so a query touches only its terms' columns;
documents added later sit in a small delta list, removed ones are masked, and `compact()` folds
both back into the matrix. IDF and the average length are computed at query time from live counts,
so scores stay exact after any number of updates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy import sparse


class BM25Index:
    def __init__(self, k1: float = 1.2, b: float = 0.75, compact_every: int = 2000) -> None:
        self.k1, self.b = k1, b
        self.compact_every = compact_every
        self.vocab: dict[str, int] = {}
        self._main = sparse.csc_matrix((0, 0), dtype=np.float32)
        self._main_ids = np.zeros(0, np.int64)
        self._main_len = np.zeros(0, np.float32)
        self._alive = np.zeros(0, bool)
        self._row_of: dict[int, int] = {}  # doc id → row in main
        self._delta: dict[int, Counter] = {}
        self._delta_len: dict[int, int] = {}
        self._n = 0
        self._total_len = 0.0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, doc_id: int) -> bool:
        return doc_id in self._delta or (doc_id in self._row_of and self._alive[self._row_of[doc_id]])

    def _term(self, t: str) -> int:
        i = self.vocab.get(t)
        if i is None:
            i = self.vocab[t] = len(self.vocab)
        return i

    # -- building

    def build(self, docs: Iterable[tuple[int, list[str]]]) -> None:
        """Replace everything with these (doc id, tokens) pairs."""
        rows, cols, vals, ids, lens = [], [], [], [], []
        for r, (doc_id, tokens) in enumerate(docs):
            c = Counter(self._term(t) for t in tokens)
            rows.extend([r] * len(c))
            cols.extend(c.keys())
            vals.extend(c.values())
            ids.append(doc_id)
            lens.append(len(tokens))
        n = len(ids)
        self._main = sparse.csc_matrix(
            (np.asarray(vals, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(n, len(self.vocab)),
        )
        self._main_ids = np.asarray(ids, np.int64)
        self._main_len = np.asarray(lens, np.float32)
        self._alive = np.ones(n, bool)
        self._row_of = {d: r for r, d in enumerate(ids)}
        self._delta, self._delta_len = {}, {}
        self._n = n
        self._total_len = float(self._main_len.sum())

    def add(self, doc_id: int, tokens: list[str]) -> None:
        self.remove(doc_id)
        self._delta[doc_id] = Counter(self._term(t) for t in tokens)
        self._delta_len[doc_id] = len(tokens)
        self._n += 1
        self._total_len += len(tokens)
        if len(self._delta) >= self.compact_every:
            self.compact()

    def remove(self, doc_id: int) -> bool:
        if doc_id in self._delta:
            del self._delta[doc_id]
            self._total_len -= self._delta_len.pop(doc_id)
            self._n -= 1
            return True
        r = self._row_of.get(doc_id)
        if r is not None and self._alive[r]:
            self._alive[r] = False
            self._total_len -= float(self._main_len[r])
            self._n -= 1
            return True
        return False

    def compact(self) -> None:
        """Fold the delta and the removals into the matrix."""
        csr = self._main.tocsr()
        keep = np.flatnonzero(self._alive)
        docs: list[tuple[int, Counter]] = []
        for r in keep:
            s, e = csr.indptr[r], csr.indptr[r + 1]
            docs.append(
                (
                    int(self._main_ids[r]),
                    Counter(dict(zip(csr.indices[s:e].tolist(), csr.data[s:e].tolist(), strict=True))),
                )
            )
        docs.extend(self._delta.items())
        lens = [float(self._main_len[r]) for r in keep] + [float(self._delta_len[d]) for d in self._delta]
        rows, cols, vals = [], [], []
        for r, (_d, c) in enumerate(docs):
            rows.extend([r] * len(c))
            cols.extend(c.keys())
            vals.extend(c.values())
        n = len(docs)
        self._main = sparse.csc_matrix(
            (np.asarray(vals, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
            shape=(n, len(self.vocab)),
        )
        self._main_ids = np.asarray([d for d, _ in docs], np.int64)
        self._main_len = np.asarray(lens, np.float32)
        self._alive = np.ones(n, bool)
        self._row_of = {d: r for r, (d, _) in enumerate(docs)}
        self._delta, self._delta_len = {}, {}

    # -- querying

    def _accumulate(self, tokens: list[str]) -> tuple[np.ndarray, dict[int, float]]:
        """Scores of the matrix rows (array) and of the delta documents (dict)."""
        n_main = self._main.shape[0]
        acc = np.zeros(n_main, np.float32)
        out: dict[int, float] = {}
        if self._n == 0:
            return acc, out
        k1, b = self.k1, self.b
        avgdl = self._total_len / self._n
        ncols = self._main.shape[1]
        for t in (self.vocab[t] for t in dict.fromkeys(tokens) if t in self.vocab):
            rows = tfs = None
            df = 0
            if t < ncols:
                s, e = self._main.indptr[t], self._main.indptr[t + 1]
                rows, tfs = self._main.indices[s:e], self._main.data[s:e]
                live = self._alive[rows]
                rows, tfs = rows[live], tfs[live]
                df += len(rows)
            delta_hits = [(d, c[t]) for d, c in self._delta.items() if t in c]
            df += len(delta_hits)
            if df == 0:
                continue
            idf = float(np.log(1.0 + (self._n - df + 0.5) / (df + 0.5)))
            if rows is not None and len(rows):
                dl = self._main_len[rows]
                acc[rows] += idf * tfs * (k1 + 1) / (tfs + k1 * (1 - b + b * dl / avgdl))
            for d, tf in delta_hits:
                dl = self._delta_len[d]
                out[d] = out.get(d, 0.0) + idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
        return acc, out

    def idf_mass(self, tokens: list[str]) -> float:
        """Σ idf over the query's distinct known terms: what a document matching every term once, at
        average length, scores. A score divided by it is the share of the query a document covers."""
        if self._n == 0:
            return 0.0
        total = 0.0
        ncols = self._main.shape[1]
        for term in dict.fromkeys(tokens):
            t = self.vocab.get(term, -1)
            df = 0  # a term no document holds weighs as much as the rarest
            if 0 <= t < ncols:
                rows = self._main.indices[self._main.indptr[t] : self._main.indptr[t + 1]]
                df += int(self._alive[rows].sum())
            if t >= 0:
                df += sum(1 for c in self._delta.values() if t in c)
            total += float(np.log(1.0 + (self._n - df + 0.5) / (df + 0.5)))
        return total

    def top(self, tokens: list[str], k: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """The k best (doc id, score) pairs with a positive score, optionally only among `allowed`."""
        acc, delta = self._accumulate(tokens)
        if allowed is not None:
            if len(acc):
                acc[~np.isin(self._main_ids, np.fromiter(allowed, np.int64, len(allowed)))] = 0
            delta = {d: s for d, s in delta.items() if d in allowed}
        nz = np.flatnonzero(acc)
        if len(nz) > k:
            nz = nz[np.argpartition(-acc[nz], k)[:k]]
        pairs = [(int(self._main_ids[r]), float(acc[r])) for r in nz]
        pairs += [(d, float(s)) for d, s in delta.items() if s > 0]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return pairs[:k]

    # -- persistence (plain arrays: no pickle)

    def state(self) -> tuple[dict[str, np.ndarray], list[str]]:
        """Arrays and the vocabulary (term of each column), after folding updates in."""
        if self._delta or not self._alive.all():
            self.compact()
        m = self._main
        arrays = {
            "data": m.data,
            "indices": m.indices,
            "indptr": m.indptr,
            "shape": np.asarray(m.shape, np.int64),
            "ids": self._main_ids,
            "lens": self._main_len,
            "params": np.asarray([self.k1, self.b], np.float64),
        }
        vocab = [""] * len(self.vocab)
        for t, i in self.vocab.items():
            vocab[i] = t
        return arrays, vocab

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], vocab: list[str]) -> BM25Index:
        k1, b = (float(x) for x in arrays["params"])
        idx = cls(k1=k1, b=b)
        idx.vocab = {t: i for i, t in enumerate(vocab)}
        shape = tuple(int(x) for x in arrays["shape"])
        idx._main = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        idx._main_ids = np.asarray(arrays["ids"], np.int64)
        idx._main_len = np.asarray(arrays["lens"], np.float32)
        idx._alive = np.ones(len(idx._main_ids), bool)
        idx._row_of = {int(d): r for r, d in enumerate(idx._main_ids)}
        idx._n = len(idx._main_ids)
        idx._total_len = float(idx._main_len.sum())
        return idx
