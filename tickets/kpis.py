"""Unit and centre KPIs computed from the timeline, and the real-time monitor.

Every timeline row that has a deadline records `on_time` and the unit it concerns, so the
rates are plain counts over `ticket_events`:
- timely sign rate: signs before the sign deadline / signs;
- timely return rate: return requests made within the sign window / return requests;
- on-time completion rate: lead answers before the handling deadline / lead answers;
- satisfaction rate: revisits satisfied or basically satisfied / revisits;
- dispatch timeliness (centre): dispatches before the dispatch deadline / dispatches;
- direct reply rate (centre): consultations answered directly / consultations accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.org import Unit
from models.scope import Scope
from models.tickets import Ticket, TicketEvent
from tickets import access
from tickets.enums import STATE_LABELS, AppealType, RevisitResult, TicketState, WarningColour

GOOD = [str(RevisitResult.satisfied), str(RevisitResult.basically_satisfied)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def unit_kpis(db: Session, scope: Scope, *, start: datetime, end: datetime) -> dict[str, Any]:
    E = TicketEvent
    result = E.payload["result"].as_string()
    on_time = func.sum(case((E.on_time.is_(True), 1), else_=0))
    rows = db.execute(
        select(
            E.unit_id,
            E.action,
            func.count(E.id),
            on_time,
            func.sum(case((result.in_(GOOD), 1), else_=0)),
        )
        .join(Ticket, Ticket.id == E.ticket_id)
        .where(
            access.visible(scope, db),
            E.created_at >= start,
            E.created_at < end,
            E.unit_id.is_not(None),
            E.action.in_(["sign", "return-request", "answer", "revisit"]),
            # partial answers (assist / collaborating units) carry no deadline verdict
            (E.action != "answer") | E.on_time.is_not(None),
        )
        .group_by(E.unit_id, E.action)
    ).all()
    per: dict[int, dict[str, int]] = {}
    for unit_id, action, total, timely, good in rows:
        d = per.setdefault(unit_id, {})
        d[action] = int(total)
        d[f"{action}:on_time"] = int(timely or 0)
        d[f"{action}:good"] = int(good or 0)
    names = dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(per))).all()) if per else {}
    units = []
    for unit_id, d in sorted(per.items(), key=lambda kv: names.get(kv[0], "")):
        units.append(
            {
                "unit_id": unit_id,
                "unit_name": names.get(unit_id),
                "signed": d.get("sign", 0),
                "signed_on_time": d.get("sign:on_time", 0),
                "timely_sign_rate": _rate(d.get("sign:on_time", 0), d.get("sign", 0)),
                "returns": d.get("return-request", 0),
                "returns_on_time": d.get("return-request:on_time", 0),
                "timely_return_rate": _rate(d.get("return-request:on_time", 0), d.get("return-request", 0)),
                "answered": d.get("answer", 0),
                "answered_on_time": d.get("answer:on_time", 0),
                "on_time_completion_rate": _rate(d.get("answer:on_time", 0), d.get("answer", 0)),
                "revisits": d.get("revisit", 0),
                "satisfied": d.get("revisit:good", 0),
                "satisfaction_rate": _rate(d.get("revisit:good", 0), d.get("revisit", 0)),
            }
        )
    return {"units": units, "centre": centre_kpis(db, scope, start=start, end=end)}


def centre_kpis(db: Session, scope: Scope, *, start: datetime, end: datetime) -> dict[str, Any]:
    E = TicketEvent
    dispatched, dispatched_on_time = db.execute(
        select(func.count(E.id), func.sum(case((E.on_time.is_(True), 1), else_=0)))
        .join(Ticket, Ticket.id == E.ticket_id)
        .where(access.visible(scope, db), E.action == "dispatch", E.created_at >= start, E.created_at < end)
    ).one()
    consult = (
        Ticket.appeal_type == AppealType.consultation,
        Ticket.created_at >= start,
        Ticket.created_at < end,
        access.visible(scope, db),
    )
    consultations = db.scalar(select(func.count(Ticket.id)).where(*consult)) or 0
    replied = (
        db.scalar(
            select(func.count(func.distinct(Ticket.id)))
            .join(E, E.ticket_id == Ticket.id)
            .where(*consult, E.action == "reply")
        )
        or 0
    )
    return {
        "dispatched": int(dispatched or 0),
        "dispatched_on_time": int(dispatched_on_time or 0),
        "dispatch_timeliness": _rate(int(dispatched_on_time or 0), int(dispatched or 0)),
        "consultations": consultations,
        "direct_replies": replied,
        "direct_reply_rate": _rate(replied, consultations),
    }


def monitor(db: Session, scope: Scope, *, now: datetime | None = None) -> dict[str, Any]:
    """Tickets by state and warning colour right now (same rule as deadlines.colour)."""
    now = now or utcnow()
    colour = case(
        (Ticket.due_at.is_(None), str(WarningColour.none)),
        (Ticket.due_at <= now, str(WarningColour.red)),
        (Ticket.warn_at <= now, str(WarningColour.yellow)),
        else_=str(WarningColour.none),
    )
    rows = db.execute(
        select(Ticket.state, colour.label("colour"), func.count(Ticket.id))
        .where(access.visible(scope, db))
        .group_by(Ticket.state, colour)
    ).all()
    by_state: dict[str, dict[str, Any]] = {}
    for state, c, n in rows:
        entry = by_state.setdefault(
            state,
            {
                "state": state,
                "label": STATE_LABELS.get(TicketState(state), state),
                "none": 0,
                "yellow": 0,
                "red": 0,
            },
        )
        entry[c] += int(n)
    items = []
    for s in TicketState:
        e = by_state.get(
            str(s), {"state": str(s), "label": STATE_LABELS[s], "none": 0, "yellow": 0, "red": 0}
        )
        e["total"] = e["none"] + e["yellow"] + e["red"]
        items.append(e)
    totals = {k: sum(e[k] for e in items) for k in ("none", "yellow", "red", "total")}
    return {"at": now.isoformat(), "by_state": items, "totals": totals}
