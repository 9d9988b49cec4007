"""Celery tasks of the knowledge base (queue "kb")."""

from __future__ import annotations

import logging
from functools import lru_cache

from celery import shared_task

from kb import flows, service
from models.db import make_engine, make_sessionmaker, session_scope
from models.settings import get_settings

log = logging.getLogger("hotline.kb")


@lru_cache(maxsize=1)
def _sessionmaker():
    return make_sessionmaker(make_engine(get_settings().resolved_database_url()))


@shared_task(name="kb.embed_articles", queue="kb", acks_late=True)
def embed_articles_task(article_ids: list[int]) -> int:
    """Passage vectors for long articles, chunked and cached; the API's index picks them up by stamp."""
    from kb.search.embedders import get_embedder

    embedder = get_embedder(get_settings().embedder)
    done = 0
    for aid in article_ids:  # one transaction per article: progress survives a crash
        with session_scope(_sessionmaker()) as db:
            done += flows.embed_articles(db, embedder, [aid])
    return done


@shared_task(name="kb.sweep_validity", queue="kb")
def sweep_validity_task() -> dict[str, int]:
    """Unpublish expired articles and mark those expiring within a week for review."""
    with session_scope(_sessionmaker()) as db:
        expired = service.expire_due(db)
        reminded = service.remind_reviews(db)
    if expired or reminded:
        log.info("kb validity sweep", extra={"expired": len(expired), "reminded": len(reminded)})
    return {"expired": len(expired), "reminded": len(reminded)}
