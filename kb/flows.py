"""Orchestration with side effects: passage vectors for published articles (inline or Celery)."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kb.search.embedders import Embedder, HashEmbedder
from kb.search.index import article_passages
from kb.search.store import embed_passages
from models.db import utcnow
from models.kb import Article

log = logging.getLogger("hotline.kb")

# Up to this many passages are embedded inside the request; longer articles go to the "kb" queue.
INLINE_PASSAGES = 4


def embed_articles(db: Session, embedder: Embedder, article_ids: list[int]) -> int:
    """Compute (or take from the cache) every passage vector of these articles and stamp them so the
    search indexes pick them up. Returns the number of articles done."""
    done = 0
    for a in db.scalars(select(Article).where(Article.id.in_(article_ids))):
        embed_passages(db, embedder, article_passages(a.title, a.body, a.body_format))
        db.execute(update(Article).where(Article.id == a.id).values(search_stamp=utcnow()))
        done += 1
    db.flush()
    return done


def ensure_embeddings(
    db: Session, embedder: Embedder, article_ids: set[int], requested: set[int]
) -> list[int]:
    """Embed short articles now; queue the rest on Celery (once per process). Returns the queued ids."""
    todo = sorted(set(article_ids) - requested)
    if not todo:
        return []
    inline, queued = [], []
    for a in db.scalars(select(Article).where(Article.id.in_(todo))):
        n = len(article_passages(a.title, a.body, a.body_format))
        (
            inline
            if isinstance(embedder, HashEmbedder) or n <= INLINE_PASSAGES and len(todo) <= 3
            else queued
        ).append(a.id)
    if inline:
        embed_articles(db, embedder, inline)
    if queued:
        try:
            from kb.tasks import embed_articles_task

            embed_articles_task.apply_async(args=[queued], queue="kb")
            requested.update(queued)
        except Exception:  # no broker: search stays lexical for these until `hotline kb rebuild`
            log.warning("kb embedding task not queued", extra={"articles": len(queued)}, exc_info=True)
    return queued
