"""Celery tasks: merged tickets follow their primary; the daily hot-issue list and surge alerts."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from assist.hotspot import notify, service
from models.db import make_engine, make_sessionmaker, session_scope
from models.org import Tenant
from models.settings import get_settings


def _factory(url: str | None = None):
    return make_sessionmaker(make_engine(url or get_settings().resolved_database_url()))


@shared_task(name="assist.hotspot.sync_merges")
def sync_merges_task(url: str | None = None) -> int:
    with session_scope(_factory(url)) as db:
        return service.sync_merges(db)


@shared_task(name="assist.hotspot.daily_report")
def daily_report_task(url: str | None = None) -> int:
    """Rebuild today's hot-issue list (hourly, so a surge alerts the same day)."""
    created: list = []
    with session_scope(_factory(url)) as db:
        root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
        count = len(service.build_report(db, tenant_id=root, created=created).items)
        db.flush()
        messages = [notify.surge_message(a) for a in created]
    notify.publish(get_settings(), messages)
    return count
