"""The SLA sweep and the read path agree on colours; the sweep records each change once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.db import utcnow
from models.org import Unit, User
from models.scope import scope_for
from models.tickets import Ticket, TicketEvent
from tests.tickets.conftest import ticket_body
from tickets import deadlines, kpis, queries, service, warnings
from tickets.enums import WarningColour


def _scope(db, username):
    return scope_for(db, db.scalar(select(User).where(User.username == username)))


def test_sweep_and_read_path_agree(db, client, auth):
    now = utcnow()
    agent, dispatcher = _scope(db, "agent01"), _scope(db, "dispatcher")
    police = db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
    fresh = service.accept(db, agent, now=now - timedelta(minutes=1), **ticket_body())
    stale = service.accept(db, agent, now=now - timedelta(days=30), **ticket_body())
    urgent = service.accept(db, agent, now=now - timedelta(minutes=27), **ticket_body(urgency="urgent"))
    service.apply_action(
        db, dispatcher, urgent.id, "dispatch", now=now - timedelta(minutes=26), lead_unit_id=police
    )
    db.commit()
    ids = {"fresh": fresh.id, "stale": stale.id, "urgent": urgent.id}
    expected = {"fresh": "none", "stale": "red", "urgent": "yellow"}

    counts = warnings.sweep(db, now=now)
    db.commit()
    assert counts["red"] >= 1 and counts["yellow"] >= 1
    stored = {k: db.get(Ticket, v).warning for k, v in ids.items()}
    assert stored == expected
    # the read path: the same function, the SQL filter, the monitor, the API
    assert {k: str(deadlines.ticket_colour(db.get(Ticket, v), now)) for k, v in ids.items()} == expected
    for colour in WarningColour:
        rows, _ = queries.list_tickets(db, dispatcher, queries.Filters(warning=colour), limit=10000, now=now)
        found = {t.id for t in rows} & set(ids.values())
        assert found == {ids[k] for k, c in expected.items() if c == colour}
    api = {
        k: client.get(f"/api/tickets/{v}", headers=auth("dispatcher")).json()["warning"]
        for k, v in ids.items()
    }
    assert api == expected
    mon = kpis.monitor(db, dispatcher, now=now)
    assert mon["totals"]["red"] >= 1 and mon["totals"]["yellow"] >= 1
    r = client.get("/api/reports/ticket-monitor", headers=auth("supervisor"))
    assert r.status_code == 200 and {row["state"] for row in r.json()["by_state"]} >= {"to_sign", "handling"}
    # each change is recorded once: a second sweep at the same instant writes nothing
    warns = select(TicketEvent).where(TicketEvent.ticket_id.in_(ids.values()), TicketEvent.action == "warn")
    before = len(db.scalars(warns).all())
    assert before == 2
    warnings.sweep(db, now=now)
    db.commit()
    assert len(db.scalars(warns).all()) == before
    event = db.scalar(warns.where(TicketEvent.ticket_id == urgent.id))
    assert event.actor_id is None and event.actor_label == "sla-sweep" and event.payload["colour"] == "yellow"


def test_yellow_turns_red_later(db):
    now = utcnow()
    agent, dispatcher = _scope(db, "agent01"), _scope(db, "dispatcher")
    police = db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
    t = service.accept(db, agent, now=now, **ticket_body(urgency="urgent"))
    service.apply_action(db, dispatcher, t.id, "dispatch", now=now, lead_unit_id=police)
    db.commit()
    warnings.sweep(db, now=now + timedelta(minutes=25))
    assert db.get(Ticket, t.id).warning == "yellow"
    warnings.sweep(db, now=now + timedelta(minutes=31))
    assert db.get(Ticket, t.id).warning == "red"
    db.commit()
    # signing opens the handling window: the colour resets
    police_scope = _scope(db, "police_handler")
    service.apply_action(db, police_scope, t.id, "sign", now=now + timedelta(minutes=32))
    db.commit()
    t = db.get(Ticket, t.id)
    assert t.warning == "none" and t.due_at == t.handling_deadline
    sign = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "sign"))
    assert sign.on_time is False


def test_system_actor_auto_dispatch(db):
    agent = _scope(db, "agent01")
    police = db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
    t = service.accept(db, agent, **ticket_body())
    robot = service.system_scope(db, "auto-dispatch")
    service.apply_action(
        db, robot, t.id, "dispatch", actor_label="auto-dispatch", lead_unit_id=police,
        model_version="dispatch-2026.11.1", confidence=0.97,
    )  # fmt: skip
    db.commit()
    event = db.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "dispatch")
    )
    assert event.actor_id is None and event.actor_label == "auto-dispatch"
    assert event.payload["model_version"] == "dispatch-2026.11.1" and event.payload["confidence"] == 0.97
