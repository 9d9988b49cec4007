"""Every ticket change reaches the regional platform: a real Celery worker posts the outbox
to a loopback HTTP server; failures leave rows unsent for the next run."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.db import make_engine
from models.tickets import TicketOutbox
from tickets import outbox


class Regional:
    """A stand-in for the regional platform's receiving endpoint."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail = False
        parent = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if parent.fail else 200
                if not parent.fail:
                    parent.received.extend(body["changes"])
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/changes"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def regional():
    r = Regional()
    yield r
    r.close()


def _unsent(engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count()).where(TicketOutbox.sent_at.is_(None)))


def test_failed_delivery_keeps_rows(pg_url, regional):
    engine = make_engine(pg_url)
    before = _unsent(engine)
    assert before > 0  # the demo tickets' changes
    regional.fail = True
    with Session(engine) as db:
        assert outbox.deliver(db, regional.url, limit=5) == 0
        db.commit()
        assert _unsent(engine) == before
        failed = db.scalars(select(TicketOutbox).where(TicketOutbox.attempts > 0)).all()
        assert failed and all("500" in r.last_error for r in failed)
    engine.dispose()


def test_celery_worker_delivers_every_change_in_order(pg_url, celery_worker, regional):
    from tickets.tasks import deliver_outbox

    engine = make_engine(pg_url)
    total = _unsent(engine)
    sent = deliver_outbox.delay(url=regional.url).get(timeout=120)
    assert sent >= total
    assert _unsent(engine) == 0
    ids = [c["id"] for c in regional.received]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == sent
    first = regional.received[0]
    assert {"number", "action", "state", "at"} <= set(first)
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(TicketOutbox)) == len(ids)  # nothing left behind
    engine.dispose()


def test_celery_worker_runs_the_sla_sweep(pg_url, celery_worker):
    from api.worker import BEAT_SCHEDULE
    from tickets.tasks import sweep_sla

    assert BEAT_SCHEDULE["tickets-sla-sweep"]["task"] == sweep_sla.name
    counts = sweep_sla.delay().get(timeout=120)
    assert set(counts) == {"yellow", "red"}
    engine = make_engine(pg_url)
    with Session(engine) as db:  # the demo has overdue tickets; the worker recorded them
        from models.tickets import Ticket

        assert db.scalar(select(func.count()).where(Ticket.warning == "red")) >= 1
    engine.dispose()
