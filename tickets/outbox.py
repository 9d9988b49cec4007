"""Export every ticket change to the regional (自治区) platform: the outbox, delivered in order.

Rows are written in the same transaction as the change (service._outbox), so none is lost;
`deliver` posts unsent rows in id order and marks them sent only after a 2xx answer.
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tickets import TicketOutbox

log = logging.getLogger("hotline.tickets")
SENT = Counter("hotline_ticket_outbox_sent_total", "Outbox rows delivered to the regional platform")
FAILED = Counter("hotline_ticket_outbox_failures_total", "Failed outbox deliveries")


def pending(db: Session, limit: int = 100) -> list[TicketOutbox]:
    return list(
        db.scalars(
            select(TicketOutbox)
            .where(TicketOutbox.sent_at.is_(None))
            .order_by(TicketOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def deliver(
    db: Session, url: str, *, limit: int = 100, timeout: float = 10.0, now: datetime | None = None
) -> int:
    """POST one batch of unsent rows as JSON to `url`; returns how many were marked sent."""
    rows = pending(db, limit)
    if not rows:
        return 0
    body = {"changes": [{"id": r.id, "ticket_id": r.ticket_id, "kind": r.kind, **r.payload} for r in rows]}
    try:
        resp = httpx.post(url, json=body, timeout=timeout)
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        for r in rows:
            r.attempts += 1
            r.last_error = str(exc)[:500]
        FAILED.inc()
        log.warning("outbox delivery failed", extra={"url": url, "rows": len(rows), "error": str(exc)})
        db.flush()
        return 0
    sent_at = now or utcnow()
    for r in rows:
        r.sent_at = sent_at
        r.attempts += 1
        r.last_error = None
    db.flush()
    SENT.inc(len(rows))
    return len(rows)
