"""The controller's DB writer: submission order, group commit, one bad job does not sink its batch, drain."""

from __future__ import annotations

from sqlalchemy import select

from models.calls import Call
from models.db import make_engine, make_sessionmaker
from models.errors import Invalid
from switch import store
from switch.dbwriter import DbWriter, read


def test_writes_in_order_isolate_a_bad_job_and_drain(pg_url: str) -> None:
    sessions = make_sessionmaker(make_engine(pg_url))
    writer = DbWriter(sessions)
    uuid = "dbwriter-test-0001"
    writer.submit(lambda db: store.upsert_call(db, uuid, caller="13877740001", called="12345"))
    for i in range(300):  # later writes of the same call win: the order of submission is kept
        writer.submit(lambda db, i=i: store.upsert_call(db, uuid, hold_s=float(i)))

    def bad(db) -> None:
        store.upsert_call(db, uuid, ivr_path="never")
        raise Invalid("boom")

    writer.submit(bad)
    writer.submit(lambda db: store.upsert_call(db, uuid, ivr_path="1 > 2"))
    assert writer.flush(30)
    assert writer.failed == 1 and writer.done == writer.submitted == 303
    assert writer.transactions < 303  # grouped
    call = read(sessions, lambda db: db.scalar(select(Call).where(Call.uuid == uuid)))
    assert call.hold_s == 299.0 and call.ivr_path == "1 > 2"  # the bad job's own change rolled back
    writer.submit(lambda db: store.upsert_call(db, uuid, ivr_path="3"))
    writer.close()  # drains before stopping
    assert not writer.thread.is_alive()
    with sessions() as db:
        assert db.scalar(select(Call.ivr_path).where(Call.uuid == uuid)) == "3"
