"""A real Celery worker (subprocess, RabbitMQ broker, PostgreSQL) transcribes and scores a recording;
an undecodable file is marked failed with the reason and scheduled for a retry; Redis priorities."""

from __future__ import annotations

import shutil
import time
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.asr import tasks as asr_tasks
from models.db import make_engine, session_scope
from models.org import User
from models.qa import QaAlert, QaScore, Transcript, TranscriptStatus
from tests.assist.asr_qa.conftest import AUDIO
from tests.conftest import REDIS_TEST_URL


def _wait(engine, transcript_id: int, statuses: set[str], timeout: float = 180) -> Transcript:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as db:
            t = db.get(Transcript, transcript_id)
            if t.status in statuses:
                db.expunge(t)
                return t
        time.sleep(0.5)
    raise AssertionError(f"transcript {transcript_id} still {t.status}")


def _score(engine, transcript_id: int, timeout: float = 60) -> QaScore:
    """The score follows the transcript in its own transaction: wait for it too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as db:
            score = db.scalar(select(QaScore).where(QaScore.transcript_id == transcript_id))
            if score is not None:
                _ = list(score.deductions)  # load before the session closes
                db.expunge_all()
                return score
        time.sleep(0.5)
    raise AssertionError(f"transcript {transcript_id} not scored")


def _submit(engine, path: str) -> int:
    from sqlalchemy.orm import sessionmaker

    with session_scope(sessionmaker(engine)) as db:
        agent = db.scalar(select(User).where(User.username == "agent05"))
        t = asr_tasks.submit_recording(
            db, tenant_id=agent.tenant_id, recording_path=path, agent_id=agent.id, team="二班"
        )
        return t.id  # the task goes out when this block commits


def test_worker_transcribes_and_scores_end_to_end(celery_worker, pg_url, tmp_path):
    recording = tmp_path / "angry.wav"
    shutil.copy(AUDIO / "call_angry.wav", recording)
    engine = make_engine(pg_url)
    bus = _alert_subscription(celery_worker)
    transcript_id = _submit(engine, str(recording))
    t = _wait(engine, transcript_id, {TranscriptStatus.done, TranscriptStatus.failed})
    assert t.status == TranscriptStatus.done, (t.error, celery_worker.log_path.read_text()[-3000:])
    assert t.attempts == 1 and 23 < t.duration_s < 25 and t.elapsed_s > 0
    with Session(engine) as db:
        t = db.get(Transcript, transcript_id)
        speakers = {s.speaker for s in t.segments}
        assert speakers == {"agent", "citizen"}
        assert any("不想活" in s.text for s in t.segments if s.speaker == "citizen")
        score = _score(engine, transcript_id)
        assert score.status == "pending_review" and "alert" in score.review_reasons
        alerts = db.scalars(select(QaAlert).where(QaAlert.transcript_id == transcript_id)).all()
        assert "self_harm" in {a.category for a in alerts}
    engine.dispose()
    if bus is not None:  # supervisors hear of it at once on the bus
        published = _messages(bus, transcript_id)
        assert {m["category"] for m in published} == {a.category for a in alerts}
        assert next(m for m in published if m["category"] == "self_harm")["severity"] == "critical"


def _alert_subscription(worker):
    """Subscribe to the worker's alert channel when the platform has a bus (models/bus.py)."""
    import importlib.util

    if importlib.util.find_spec("models.bus") is None:
        return None
    from assist.qa.notify import CHANNEL
    from models.bus import Bus

    pubsub = Bus(worker.backend_url).subscribe(CHANNEL)
    pubsub.get_message(timeout=1)
    return pubsub


def _messages(pubsub, transcript_id: int) -> list[dict]:
    from models.bus import decode

    found, deadline = [], time.monotonic() + 10
    while time.monotonic() < deadline:
        message = decode(pubsub.get_message(timeout=1))
        if message and message["transcript_id"] == transcript_id:
            found.append(message)
        elif found:
            break
    pubsub.close()
    return found


def test_undecodable_recording_marked_failed_with_reason(celery_worker, pg_url, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEthis is not audio" * 10)
    engine = make_engine(pg_url)
    transcript_id = _submit(engine, str(broken))
    t = _wait(engine, transcript_id, {TranscriptStatus.failed, TranscriptStatus.done}, timeout=60)
    assert t.status == TranscriptStatus.failed
    assert "无法解码" in t.error
    assert t.attempts == 1 and t.next_attempt_at is not None  # a retry is scheduled, not dropped
    missing = _submit(engine, str(tmp_path / "gone.wav"))
    t = _wait(engine, missing, {TranscriptStatus.failed, TranscriptStatus.done}, timeout=60)
    assert t.status == TranscriptStatus.failed and "不存在" in t.error
    engine.dispose()


def test_urgent_transcription_overtakes_the_queue_on_redis():
    """On Redis, the broker priority the task uses puts a reviewer's call before earlier ones."""
    from celery import Celery

    # not the current app: shared tasks elsewhere in the session must keep the project's app
    app = Celery("prio-test", broker=REDIS_TEST_URL, set_as_current=False)
    queue = f"asr-prio-{uuid.uuid4().hex[:8]}"
    try:
        for transcript_id in (1, 2, 3):
            app.send_task(
                "assist.asr.transcribe",
                args=[transcript_id],
                queue=queue,
                priority=asr_tasks.broker_priority(False, REDIS_TEST_URL),
            )
        app.send_task(
            "assist.asr.transcribe",
            args=[99],
            queue=queue,
            priority=asr_tasks.broker_priority(True, REDIS_TEST_URL),
        )
        with app.connection() as conn:
            simple = conn.SimpleQueue(queue)
            order = []
            for _ in range(4):
                message = simple.get(timeout=5)
                order.append(message.payload[0][0])
                message.ack()
            simple.close()
        assert order == [99, 1, 2, 3]
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_TEST_URL)
        for key in client.keys(f"{queue}*"):
            client.delete(key)


def test_sweep_transcribes_a_recording_the_switch_finished(celery_worker, pg_url, tmp_path):
    """The call-centre side only writes `recordings`; the periodic sweep does the rest."""
    from datetime import timedelta

    from models.calls import Call, Recording
    from models.db import utcnow

    recording_file = tmp_path / "finished.wav"
    shutil.copy(AUDIO / "call_no_greeting.wav", recording_file)
    engine = make_engine(pg_url)
    with Session(engine) as db:
        agent = db.scalar(select(User).where(User.username == "agent09"))
        now = utcnow()
        call = Call(
            uuid=str(uuid.uuid4()),
            tenant_id=agent.tenant_id,
            caller="13900002222",
            called="12345",
            agent_user_id=agent.id,
            started_at=now - timedelta(minutes=1),
        )
        db.add(call)
        db.flush()
        rec = Recording(
            call_id=call.id,
            call_uuid=call.uuid,
            tenant_id=agent.tenant_id,
            agent_user_id=agent.id,
            path=str(recording_file),
            started_at=now - timedelta(seconds=30),
            ended_at=now,
        )
        db.add(rec)
        db.commit()
        recording_id = rec.id
    summary = celery_worker.app.send_task("assist.asr.sweep").get(timeout=60)
    assert summary["discovered"] >= 1
    with Session(engine) as db:
        transcript_id = db.scalar(select(Transcript.id).where(Transcript.recording_id == recording_id))
    assert transcript_id is not None
    t = _wait(engine, transcript_id, {TranscriptStatus.done, TranscriptStatus.failed})
    assert t.status == TranscriptStatus.done, t.error
    score = _score(engine, transcript_id)
    assert [d.rule_code for d in score.deductions] == ["greeting"]
    assert score.agent_id == t.agent_id and t.call_id is not None
    engine.dispose()
