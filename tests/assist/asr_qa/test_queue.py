"""The transcription queue: retries with backoff, lost messages re-sent, backlog, transcribe-now priority."""

from __future__ import annotations

from datetime import timedelta

from assist.asr import service
from assist.asr.tasks import backoff_seconds
from models.db import utcnow
from models.qa import Transcript, TranscriptStatus
from tests.assist.asr_qa.helpers import GOOD, scored_call, user


def _job(db, **fields) -> Transcript:
    agent = user(db, "agent07")
    t = service.create_transcript(
        db, tenant_id=agent.tenant_id, recording_path="/rec/q.wav", agent_id=agent.id
    )
    for key, value in fields.items():
        setattr(t, key, value)
    db.flush()
    return t


def test_backoff_grows_and_is_capped():
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff_seconds(20) == 3600


def test_due_retries_and_lost_messages_are_found_not_dropped(db):
    now = utcnow()
    due = _job(db, status=TranscriptStatus.failed, attempts=1, next_attempt_at=now - timedelta(seconds=1))
    waiting = _job(db, status=TranscriptStatus.failed, attempts=1, next_attempt_at=now + timedelta(minutes=5))
    exhausted = _job(db, status=TranscriptStatus.failed, attempts=5, next_attempt_at=None)
    lost_queued = _job(db, created_at=now - timedelta(hours=3))
    lost_running = _job(db, status=TranscriptStatus.running, attempts=1, started_at=now - timedelta(hours=3))
    fresh = _job(db)
    db.commit()
    found = {i for i, _ in service.due_for_retry(db, now=now, max_attempts=5, stale_after=timedelta(hours=2))}
    assert {due.id, lost_queued.id, lost_running.id} <= found
    assert not {waiting.id, exhausted.id, fresh.id} & found
    service.requeue_stale(db, lost_running.id)
    db.commit()
    db.refresh(lost_running)
    assert lost_running.status == TranscriptStatus.queued
    # a worker claims a job once; a message for another file is ignored
    assert service.claim(db, fresh.id, "/rec/other.wav") is None
    assert service.claim(db, fresh.id, "/rec/q.wav").status == TranscriptStatus.running
    assert service.claim(db, fresh.id) is None
    db.commit()
    figures = service.backlog(db, tenant_ids=frozenset({fresh.tenant_id}), max_attempts=5)
    assert figures.failed >= 1 and figures.retrying >= 2 and figures.running >= 1 and figures.queued >= 2
    assert figures.oldest_waiting_s >= 3 * 3600 - 60


def test_transcribe_now_and_reviewer_opening_a_waiting_call(client, auth, db, celery_worker):
    """Sent through the real broker (the worker's database differs, so the worker ignores them)."""
    qa = auth("qa")
    waiting = _job(db)
    db.commit()
    r = client.post(f"/api/qa/transcripts/{waiting.id}/transcribe-now", headers=qa)
    assert r.status_code == 202 and r.json()["priority"] is True and r.json()["status"] == "queued"

    opened = _job(db, status=TranscriptStatus.failed, attempts=5, error="无法解码音频")
    db.commit()
    assert client.get(f"/api/qa/transcripts/{opened.id}", headers=qa).json()["priority"] is True
    db.refresh(opened)
    assert opened.status == TranscriptStatus.queued  # one more attempt, at the front

    running = _job(db, status=TranscriptStatus.running)
    db.commit()
    assert client.post(f"/api/qa/transcripts/{running.id}/transcribe-now", headers=qa).status_code == 409
    done, _ = scored_call(db, GOOD)
    r = client.post(f"/api/qa/transcripts/{done.id}/transcribe-now", headers=qa)
    assert r.status_code == 202 and r.json()["status"] == "done" and r.json()["priority"] is False
    assert (
        client.post(f"/api/qa/transcripts/{waiting.id}/transcribe-now", headers=auth("agent07")).status_code
        == 403
    )


def test_transcripts_left_unscored_are_found_for_the_sweep(db):
    from assist.qa import service as qa_service

    hour_ago = utcnow() - timedelta(hours=1)
    lost = _job(db, status=TranscriptStatus.done, finished_at=hour_ago)
    just_now = _job(db, status=TranscriptStatus.done, finished_at=utcnow())
    scored, _ = scored_call(db, GOOD)
    found = qa_service.unscored(db, finished_before=utcnow() - timedelta(minutes=10))
    assert lost.id in found and just_now.id not in found and scored.id not in found
