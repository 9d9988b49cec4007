"""The embedding cache in the database: passage vectors keyed by (text hash, embedder name)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.search.embedders import Embedder
from kb.search.text import passage_hash
from models.kb import Embedding

log = logging.getLogger("hotline.kb")
LOOKUP_BATCH = 500


def cached_vectors(db: Session, hashes: list[str], embedder_name: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    uniq = list(dict.fromkeys(hashes))
    for i in range(0, len(uniq), LOOKUP_BATCH):
        part = uniq[i : i + LOOKUP_BATCH]
        rows = db.execute(
            select(Embedding.content_hash, Embedding.vector).where(
                Embedding.embedder == embedder_name, Embedding.content_hash.in_(part)
            )
        )
        for h, blob in rows:
            out[h] = np.frombuffer(blob, dtype="<f4").copy()
    return out


def save_vectors(db: Session, items: dict[str, np.ndarray], embedder_name: str) -> None:
    """Insert the vectors not cached yet; another process caching the same passage meanwhile is fine."""
    have = set(cached_vectors(db, list(items), embedder_name))
    rows = [
        Embedding(
            content_hash=h, embedder=embedder_name, dim=int(v.shape[0]), vector=np.asarray(v, "<f4").tobytes()
        )
        for h, v in items.items()
        if h not in have
    ]
    if not rows:
        return
    try:
        with db.begin_nested():
            db.add_all(rows)
    except IntegrityError:  # lost a race on some passage: insert the rest one by one
        for r in rows:
            try:
                with db.begin_nested():
                    db.add(
                        Embedding(
                            content_hash=r.content_hash, embedder=r.embedder, dim=r.dim, vector=r.vector
                        )
                    )
            except IntegrityError:
                continue


def embed_passages(
    db: Session,
    embedder: Embedder,
    texts: list[str],
    *,
    batch: int = 32,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[np.ndarray]:
    """Vectors for these passages: from the cache, the rest computed in batches and cached.

    `on_batch(done, total)` runs after each computed batch (the CLI commits there and shows progress).
    """
    hashes = [passage_hash(t) for t in texts]
    found = cached_vectors(db, hashes, embedder.name)
    todo = list(dict.fromkeys(h for h in hashes if h not in found))
    text_of = dict(zip(hashes, texts, strict=True))
    t0 = time.perf_counter()
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        vecs = embedder.embed_passages([text_of[h] for h in part])
        new = dict(zip(part, vecs, strict=True))
        save_vectors(db, new, embedder.name)
        found.update(new)
        if on_batch:
            on_batch(min(i + batch, len(todo)), len(todo))
    if todo:
        log.info(
            "embedded passages",
            extra={
                "count": len(todo),
                "embedder": embedder.name,
                "seconds": round(time.perf_counter() - t0, 2),
            },
        )
    return [found[h] for h in hashes]


def embed_queries_cached(db: Session, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Query vectors, cached like passages (under "<embedder>:query"): for repeated evaluations."""
    name = f"{embedder.name}:query"
    hashes = [passage_hash(t) for t in texts]
    found = cached_vectors(db, hashes, name)
    todo = [i for i, h in enumerate(hashes) if h not in found]
    if todo:
        vecs = embedder.embed_queries([texts[i] for i in todo])
        new = {hashes[i]: v for i, v in zip(todo, vecs, strict=True)}
        save_vectors(db, new, name)
        found.update(new)
    return np.vstack([found[h] for h in hashes]) if texts else np.zeros((0, embedder.dim), np.float32)
