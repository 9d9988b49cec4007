"""Celery tasks: one transcription per finished recording on queue "asr", then its QA score.

A failure is written on the transcript (status failed + reason) and retried with exponential
backoff; the periodic sweep re-sends anything whose message was lost, so nothing is dropped.
Priority (a reviewer opened the call) maps onto the broker's own priority scale.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from celery import shared_task
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from assist.asr import service
from assist.asr.config import get_asr_settings
from assist.asr.model import load_model, model_dir
from assist.asr.transcribe import UndecodableAudio, transcribe_call
from models.db import make_engine, make_sessionmaker, session_scope, utcnow
from models.qa import Transcript
from models.settings import get_settings

log = logging.getLogger("hotline.asr")

QUEUE = "asr"
STALE_AFTER = timedelta(hours=2)  # queued or running that long: the message was lost

TRANSCRIBED = Counter("hotline_asr_transcribed_total", "Recordings transcribed")
FAILED = Counter("hotline_asr_failed_total", "Transcription attempts that failed", ["reason"])
RTF = Histogram(
    "hotline_asr_rtf", "Wall seconds per second of call audio", buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 1, 2)
)
BACKLOG = Gauge("hotline_asr_backlog", "Transcriptions waiting", ["state"])
BACKLOG_AUDIO = Gauge("hotline_asr_backlog_audio_seconds", "Seconds of call audio waiting to be transcribed")
TRANSCRIPTION_SECONDS = Counter("hotline_asr_transcription_seconds_total", "Wall seconds spent transcribing")
AUDIO_SECONDS = Counter("hotline_asr_audio_seconds_total", "Seconds of call audio transcribed")


@lru_cache
def _sessionmaker(url: str) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(url))


def sessions() -> sessionmaker[Session]:
    return _sessionmaker(get_settings().resolved_database_url())


def broker_priority(urgent: bool, broker_url: str | None) -> int:
    """RabbitMQ: higher is sooner (queues declared with x-max-priority). Redis: 0 is sooner."""
    if (broker_url or "").startswith(("amqp", "pyamqp")):
        return 9 if urgent else 1
    return 0 if urgent else 6


def backoff_seconds(attempt: int) -> float:
    s = get_asr_settings()
    return float(min(s.retry_backoff_seconds * 2 ** max(attempt - 1, 0), s.retry_backoff_max_seconds))


def enqueue(
    transcript_id: int, recording_path: str, *, urgent: bool = False, countdown: float | None = None
) -> None:
    transcribe.apply_async(
        args=[transcript_id, recording_path],
        queue=QUEUE,
        priority=broker_priority(urgent, transcribe.app.conf.broker_url),
        countdown=countdown,
    )


def enqueue_after_commit(db: Session, transcript: Transcript, *, urgent: bool = False) -> None:
    """Send the task once the caller's transaction commits (a worker must find the row)."""
    transcript_id, path = transcript.id, transcript.recording_path
    event.listen(db, "after_commit", lambda _s: enqueue(transcript_id, path, urgent=urgent), once=True)


def submit_recording(db: Session, **fields) -> Transcript:
    """For the call-centre side: a finished recording → a transcript row + a task after commit."""
    transcript = service.create_transcript(db, **fields)
    if transcript.attempts == 0 and transcript.status == "queued":
        enqueue_after_commit(db, transcript, urgent=transcript.priority)
    return transcript


@shared_task(name="assist.asr.transcribe", bind=True, acks_late=True, max_retries=None)
def transcribe(self, transcript_id: int, recording_path: str | None = None) -> dict:
    asr = get_asr_settings()
    settings = get_settings()
    factory = sessions()
    with session_scope(factory) as db:
        transcript = service.claim(db, transcript_id, recording_path)
        if transcript is None:
            return {"transcript_id": transcript_id, "skipped": True}
        path, attempts = transcript.recording_path, transcript.attempts
    try:
        model = load_model(model_dir(settings.data_dir, asr.model_dir), threads=settings.whisper_threads)
        result = transcribe_call(Path(path), model, settings=asr)
    except Exception as exc:  # every failure is recorded on the row, never lost
        kind = "undecodable" if isinstance(exc, UndecodableAudio) else type(exc).__name__
        reason = str(exc) if isinstance(exc, UndecodableAudio) else f"{type(exc).__name__}: {exc}"
        retry_in = backoff_seconds(attempts) if attempts < asr.max_attempts else None
        with session_scope(factory) as db:
            service.record_failure(db, db.get(Transcript, transcript_id), reason, retry_in=retry_in)
        FAILED.labels(kind).inc()
        if retry_in is None:
            return {"transcript_id": transcript_id, "status": "failed", "error": reason}
        raise self.retry(countdown=retry_in, exc=exc) from exc
    with session_scope(factory) as db:
        service.store_result(db, db.get(Transcript, transcript_id), result)
    TRANSCRIBED.inc()
    RTF.observe(result.rtf)
    TRANSCRIPTION_SECONDS.inc(result.elapsed)
    AUDIO_SECONDS.inc(result.duration)
    _score(transcript_id)
    return {
        "transcript_id": transcript_id,
        "status": "done",
        "segments": len(result.segments),
        "rtf": result.rtf,
    }


def _score(transcript_id: int) -> None:
    """Score right away; if that fails the transcript stays, and the QA task retries the scoring."""
    from assist.qa.tasks import score_transcript_now, score_transcript_task

    try:
        score_transcript_now(transcript_id)
    except Exception:
        log.exception("scoring failed, queued for retry", extra={"transcript_id": transcript_id})
        score_transcript_task.apply_async(args=[transcript_id], countdown=30)


@shared_task(name="assist.asr.sweep")
def sweep() -> dict:
    """Periodic: pick up newly finished recordings, re-send due retries and lost messages (transcription
    and scoring), publish the backlog."""
    from assist.qa import service as qa_service
    from assist.qa.tasks import score_transcript_task

    asr = get_asr_settings()
    with session_scope(sessions()) as db:
        new = [(t.id, t.recording_path) for t in service.discover_recordings(db)]
    with session_scope(sessions()) as db:
        due = service.due_for_retry(db, now=utcnow(), max_attempts=asr.max_attempts, stale_after=STALE_AFTER)
        for transcript_id, _path in due:
            service.requeue_stale(db, transcript_id)
        figures = service.backlog(db, max_attempts=asr.max_attempts)
        lost_scores = qa_service.unscored(db, finished_before=utcnow() - timedelta(minutes=10))
    for transcript_id, path in [*new, *due]:
        enqueue(transcript_id, path)
    for transcript_id in lost_scores:
        score_transcript_task.apply_async(args=[transcript_id])
    for state in ("queued", "running", "retrying", "failed"):
        BACKLOG.labels(state).set(getattr(figures, state))
    BACKLOG_AUDIO.set(figures.audio_seconds_waiting)
    return {"discovered": len(new), "requeued": len(due), "rescored": len(lost_scores), **figures.as_dict()}
