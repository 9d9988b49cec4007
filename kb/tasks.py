"""Celery tasks of the knowledge base (queue "kb")."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from celery import shared_task

from kb import flows, notices, service
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


def sweep_validity(sessionmaker, settings, *, now: datetime | None = None) -> dict[str, int]:
    """Unpublish expired articles, mark those expiring within a week for review, and announce the
    reminders on the bus once the transaction has committed."""
    with session_scope(sessionmaker) as db:
        expired = service.expire_due(db, now=now)
        reminded = service.remind_reviews(db, now=now)
        messages = [notices.review_due_message(db, a) for a in reminded]
    published = notices.publish(settings, messages)  # after the commit of session_scope
    if expired or reminded:
        log.info(
            "kb validity sweep",
            extra={"expired": len(expired), "reminded": len(reminded), "announced": published},
        )
    return {"expired": len(expired), "reminded": len(reminded)}


@shared_task(name="kb.sweep_validity", queue="kb")
def sweep_validity_task() -> dict[str, int]:
    """Unpublish expired articles and mark those expiring within a week for review."""
    return sweep_validity(_sessionmaker(), get_settings())
