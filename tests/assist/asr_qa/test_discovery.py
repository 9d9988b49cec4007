"""Finished recordings of answered calls become transcription jobs once (the sweep's first step)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from assist.asr import service
from models.calls import Call, Recording
from models.db import utcnow
from models.qa import Transcript
from tests.assist.asr_qa.helpers import user


def test_finished_recordings_become_jobs_once(db):
    agent = user(db, "agent06")
    now = utcnow()
    call = Call(
        uuid=str(uuid.uuid4()),
        tenant_id=agent.tenant_id,
        caller="13800001111",
        called="12345",
        agent_user_id=agent.id,
        started_at=now - timedelta(minutes=5),
        agent_answered_at=now - timedelta(minutes=4),
    )
    db.add(call)
    db.flush()
    finished = Recording(
        call_id=call.id,
        call_uuid=call.uuid,
        tenant_id=agent.tenant_id,
        agent_user_id=agent.id,
        path=f"/rec/{call.uuid}.wav",
        started_at=now - timedelta(minutes=4),
        ended_at=now,
    )
    recording = Recording(
        call_id=call.id,
        call_uuid=call.uuid,
        tenant_id=agent.tenant_id,
        agent_user_id=agent.id,
        path=f"/rec/{call.uuid}-b.wav",
        started_at=now,
    )  # still recording
    deleted = Recording(
        call_id=call.id,
        call_uuid=call.uuid,
        tenant_id=agent.tenant_id,
        path=f"/rec/{call.uuid}-c.wav",
        started_at=now - timedelta(minutes=4),
        ended_at=now,
        deleted_at=now,
    )
    db.add_all([finished, recording, deleted])
    db.commit()

    created = service.discover_recordings(db)
    db.commit()
    mine = [t for t in created if t.call_id == call.id]
    assert [t.recording_id for t in mine] == [finished.id]
    t = mine[0]
    assert (t.status, t.agent_id, t.recording_path) == ("queued", agent.id, finished.path)
    assert t.call_started_at == call.agent_answered_at
    assert not [x for x in service.discover_recordings(db) if x.call_id == call.id]  # only once
    assert db.scalar(select(Transcript).where(Transcript.recording_id == finished.id)).id == t.id
