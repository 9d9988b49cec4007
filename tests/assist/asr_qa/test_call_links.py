"""Scores and alerts point at their call record; deleting the call keeps them with call_id NULL."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from assist.qa import service
from models.calls import Call
from models.migrate import upgrade
from models.qa import QaAlert, QaScore
from tests.assist.asr_qa.helpers import ANGRY, scored_call


def test_call_deleted_sets_score_and_alert_call_id_null(db):
    call = Call(uuid=f"qa-link-{uuid.uuid4()}", caller="13800000000", called="12345")
    db.add(call)
    db.flush()
    transcript, score = scored_call(db, ANGRY, call_id=call.id)  # the score and alerts copy call_id
    alerts = service.alerts_for_transcript(db, transcript.id)
    assert score.call_id == call.id and alerts and all(a.call_id == call.id for a in alerts)

    db.delete(call)
    db.commit()
    db.expire_all()
    assert db.get(QaScore, score.id).call_id is None
    assert all(db.get(QaAlert, a.id).call_id is None for a in alerts)
    assert db.get(QaScore, score.id).transcript.call_id is None


def test_migration_clears_dangling_call_ids(tmp_path):
    url = f"sqlite:///{tmp_path / 'qa.db'}"
    upgrade(url, "0401")
    engine = create_engine(url)
    with engine.begin() as conn:
        # plain SQLite connection: foreign keys are not enforced, like data written before the constraint
        conn.execute(
            text(
                "INSERT INTO qa_transcripts (id, tenant_id, recording_path, call_started_at, status, "
                "priority, attempts, text, created_at) "
                "VALUES (1, 1, '/r.wav', '2026-01-01', 'done', 0, 0, '', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO qa_scores (id, transcript_id, tenant_id, call_id, call_started_at, auto_score, "
                "score, status, review_reasons, scored_at, version) "
                "VALUES (1, 1, 1, 999, '2026-01-01', 90, 90, 'scored', '[]', '2026-01-01', 1)"
            )
        )
    upgrade(url, "heads")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT call_id FROM qa_scores WHERE id = 1")).scalar() is None
    engine.dispose()
