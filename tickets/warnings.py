"""The SLA sweep: record yellow / red warnings as they happen (红黄灯预警).

Colours come from `deadlines.colour` over `due_at` / `warn_at`, exactly as on every read; the
sweep only writes down a change (ticket.warning, a timeline row, an outbox row) so that
supervisors are alerted and the regional platform hears about it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prometheus_client import Counter
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tickets import Ticket
from tickets import deadlines, service
from tickets.enums import OPEN_STATES, WarningColour

log = logging.getLogger("hotline.tickets")
WARNINGS = Counter("hotline_ticket_warnings_total", "SLA warnings raised by the sweep", ["colour"])
SWEEP_LABEL = "sla-sweep"


def sweep(db: Session, *, now: datetime | None = None, batch: int = 1000) -> dict[str, int]:
    """Raise the warnings that became due; returns counts by colour. The caller commits."""
    now = now or utcnow()
    stale = and_(
        Ticket.state.in_([str(s) for s in OPEN_STATES]),
        Ticket.due_at.is_not(None),
        or_(
            and_(Ticket.due_at <= now, Ticket.warning != WarningColour.red),
            and_(Ticket.due_at > now, Ticket.warn_at <= now, Ticket.warning == WarningColour.none),
        ),
    )
    counts = {str(WarningColour.yellow): 0, str(WarningColour.red): 0}
    while True:
        rows = list(
            db.scalars(
                select(Ticket).where(stale).order_by(Ticket.id).limit(batch).with_for_update(skip_locked=True)
            )
        )
        if not rows:
            break
        for ticket in rows:
            colour = deadlines.ticket_colour(ticket, now)
            ticket.warning = str(colour)
            service.record_system_event(
                db,
                ticket,
                action="warn",
                label=SWEEP_LABEL,
                now=now,
                payload={"colour": str(colour), "due_at": ticket.due_at.isoformat()},
            )
            counts[str(colour)] += 1
            WARNINGS.labels(str(colour)).inc()
        db.flush()
        if len(rows) < batch:
            break
    if any(counts.values()):
        log.info("sla sweep", extra=counts)
    return counts
