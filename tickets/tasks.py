"""Celery tasks: the periodic SLA sweep and delivery of the outbox to the regional platform."""

from __future__ import annotations

import logging
from functools import lru_cache

from celery import shared_task
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_sessionmaker, session_scope
from models.settings import get_settings
from tickets import outbox, warnings

log = logging.getLogger("hotline.tickets")
OUTBOX_URL_KEY = "regional_outbox_url"  # HOTLINE_EXTRA='{"regional_outbox_url": "https://…"}'


@lru_cache
def _sessions(url: str) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(url))


def _factory() -> sessionmaker[Session]:
    return _sessions(get_settings().resolved_database_url())


@shared_task(name="tickets.sweep_sla")
def sweep_sla() -> dict[str, int]:
    """Record the yellow / red warnings that became due since the last run."""
    with session_scope(_factory()) as db:
        return warnings.sweep(db)


@shared_task(name="tickets.deliver_outbox")
def deliver_outbox(url: str | None = None, max_batches: int = 50) -> int:
    """Send unsent ticket changes to the regional platform, in order; returns rows sent."""
    url = url or get_settings().extra.get(OUTBOX_URL_KEY)
    if not url:
        return 0
    total = 0
    for _ in range(max_batches):
        with session_scope(_factory()) as db:
            sent = outbox.deliver(db, url)
        total += sent
        if sent == 0:
            break
    return total
