"""models.idempotency: one `Idempotency-Key` mechanism for every create endpoint, on both backends."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from models import idempotency
from models.db import make_engine, make_sessionmaker
from models.errors import Conflict, Invalid
from models.idempotency import IdempotencyKey
from models.org import User
from models.scope import scope_for


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _scope(db, username: str):
    return scope_for(db, db.scalar(select(User).where(User.username == username)))


def _count(factory, key: str) -> int:
    with factory() as db:
        return db.scalar(select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == key))


def test_replay_conflicts_and_validation(factory):
    key, body = f"k-{uuid.uuid4().hex[:8]}", {"title": "停水", "n": 1}
    with factory() as db:
        agent = _scope(db, "agent01")
        assert idempotency.claim(db, agent, key, "thing", body) is None
        idempotency.settle(db, agent, key, 4711)
        db.commit()
    with factory() as db:
        agent = _scope(db, "agent01")
        assert idempotency.claim(db, agent, key, "thing", {"n": 1, "title": "停水"}) == 4711  # key order
        with pytest.raises(Conflict, match="内容不同") as exc:
            idempotency.claim(db, agent, key, "thing", {**body, "n": 2})
        assert exc.value.field == "Idempotency-Key"
        with pytest.raises(Conflict, match="其他类型"):
            idempotency.claim(db, agent, key, "other_thing", body)
        assert idempotency.claim(db, _scope(db, "agent02"), key, "thing", body) is None  # keys are per user
        assert idempotency.claim(db, agent, None, "thing", body) is None  # no key: always create
        for bad in ("   ", "x" * 65):
            with pytest.raises(Invalid) as exc:
                idempotency.claim(db, agent, bad, "thing", body)
            assert exc.value.field == "Idempotency-Key"
        db.rollback()
    assert _count(factory, key) == 1  # agent02's claim went with the rollback


def test_rolled_back_claim_frees_the_key(factory):
    key = f"k-{uuid.uuid4().hex[:8]}"
    with factory() as db:
        assert idempotency.claim(db, _scope(db, "agent01"), key, "thing", {}) is None
        db.rollback()  # the create failed
    with factory() as db:
        scope = _scope(db, "agent01")
        assert idempotency.claim(db, scope, key, "thing", {}) is None
        idempotency.settle(db, scope, key, 5)
        db.commit()
    assert _count(factory, key) == 1


def _race(factory, key: str, first_commits: bool) -> list:
    """Two requests with one key; the first claims and holds its transaction open a moment."""
    claimed, results = threading.Event(), {}

    def first() -> None:
        with factory() as db:
            scope = _scope(db, "agent01")
            results["first"] = idempotency.claim(db, scope, key, "thing", {"a": 1})
            idempotency.settle(db, scope, key, 101)
            claimed.set()
            time.sleep(0.5)
            db.commit() if first_commits else db.rollback()

    def second() -> None:
        with factory() as db:
            scope = _scope(db, "agent01")
            claimed.wait(10)
            results["second"] = idempotency.claim(db, scope, key, "thing", {"a": 1})
            if results["second"] is None:
                idempotency.settle(db, scope, key, 202)
            db.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return [results.get("first", "missing"), results.get("second", "missing")]


def test_concurrent_claims_one_wins_the_other_replays(factory):
    key = f"race-{uuid.uuid4().hex[:8]}"
    assert _race(factory, key, first_commits=True) == [None, 101]  # waited for the first, then replayed
    assert _count(factory, key) == 1


def test_concurrent_claim_goes_ahead_when_the_first_rolls_back(factory):
    key = f"race-{uuid.uuid4().hex[:8]}"
    assert _race(factory, key, first_commits=False) == [None, None]
    with factory() as db:
        row = db.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
        assert row.object_id == 202
