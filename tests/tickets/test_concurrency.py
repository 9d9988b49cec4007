"""Two simultaneous actions on one ticket with real threads (PostgreSQL; signs on SQLite too): one wins."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.db import make_engine, make_sessionmaker
from models.errors import Conflict
from models.org import Unit, User
from models.scope import scope_for
from models.tickets import Ticket, TicketEvent, TicketOutbox
from tests.tickets.conftest import ticket_body
from tickets import service


def _race(factory, ticket_id: int, attempts: list[tuple[str, str, dict]]) -> list[str]:
    barrier = threading.Barrier(len(attempts))
    results: list[str] = [""] * len(attempts)

    def run(i: int, username: str, action: str, payload: dict) -> None:
        with factory() as db:
            scope = scope_for(db, db.scalar(select(User).where(User.username == username)))
            barrier.wait()
            try:
                service.apply_action(db, scope, ticket_id, action, **payload)
                time.sleep(0.2)  # hold the row while the other thread tries
                db.commit()
                results[i] = "ok"
            except Conflict as exc:
                db.rollback()
                results[i] = f"409:{exc.extra.get('allowed_actions')}"

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_simultaneous_signs(db_url):
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as db:
        agent = scope_for(db, db.scalar(select(User).where(User.username == "agent01")))
        dispatcher = scope_for(db, db.scalar(select(User).where(User.username == "dispatcher")))
        police = db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
        ticket = service.accept(db, agent, **ticket_body())
        service.apply_action(db, dispatcher, ticket.id, "dispatch", lead_unit_id=police)
        db.commit()
        ticket_id = ticket.id
    results = _race(factory, ticket_id, [("police_handler", "sign", {}), ("police_leader", "sign", {})])
    assert sorted(r[:3] for r in results) == ["409", "ok"], results
    with Session(engine) as db:
        t = db.get(Ticket, ticket_id)
        assert t.state == "handling"
        signs = db.scalar(
            select(func.count()).where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == "sign")
        )
        assert signs == 1
        assert db.scalar(select(func.count()).where(TicketOutbox.ticket_id == ticket_id)) == 3
    engine.dispose()


def test_two_simultaneous_withdrawals(pg_url):
    engine = make_engine(pg_url)
    factory = make_sessionmaker(engine)
    with factory() as db:
        agent = scope_for(db, db.scalar(select(User).where(User.username == "agent01")))
        dispatcher = scope_for(db, db.scalar(select(User).where(User.username == "dispatcher")))
        police = db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
        ticket = service.accept(db, agent, **ticket_body())
        service.apply_action(db, dispatcher, ticket.id, "dispatch", lead_unit_id=police)
        db.commit()
        ticket_id, version = ticket.id, ticket.version
    results = _race(
        factory,
        ticket_id,
        [("agent01", "withdraw", {"note": "撤回"}), ("dispatcher", "withdraw", {"note": "撤回"})],
    )
    assert sorted(r[:3] for r in results) == ["409", "ok"], results
    with Session(engine) as db:
        t = db.get(Ticket, ticket_id)
        assert t.state == "withdrawn" and t.version == version + 1
    engine.dispose()


def test_simultaneous_creates_with_one_idempotency_key(pg_url):
    engine = make_engine(pg_url)
    factory = make_sessionmaker(engine)
    body = ticket_body()
    barrier = threading.Barrier(2)
    got: list[int] = []

    def create() -> None:
        with factory() as db:
            scope = scope_for(db, db.scalar(select(User).where(User.username == "agent07")))
            barrier.wait()
            ticket = service.accept(db, scope, idempotency_key="double-click-1", **body)
            time.sleep(0.2)
            db.commit()
            got.append(ticket.id)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 2 and got[0] == got[1]
    with Session(engine) as db:
        assert db.scalar(select(func.count()).where(Ticket.idempotency_key == "double-click-1")) == 1
    engine.dispose()
