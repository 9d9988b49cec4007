"""Celery tasks: score a transcript (after transcription, or again after the rules changed)."""

from __future__ import annotations

import logging
from datetime import UTC

from celery import shared_task
from prometheus_client import Counter
from sqlalchemy.orm import Session

from assist.qa import service
from assist.qa.notify import alert_message, publish_alerts
from models.calls import Call, Recording
from models.db import session_scope
from models.errors import Conflict
from models.qa import Transcript
from models.settings import get_settings

log = logging.getLogger("hotline.qa")

SCORED = Counter("hotline_qa_scored_total", "Calls scored automatically")
ALERTS = Counter("hotline_qa_alerts_total", "Citizen alerts raised", ["category"])


def call_holds(db: Session, transcript: Transcript) -> list[tuple[float, float]]:
    """The call's holds (`calls.holds`, epoch seconds) as offsets into the transcript's recording."""
    if transcript.call_id is None:
        return []
    call = db.get(Call, transcript.call_id)
    if call is None or not call.holds:
        return []
    recording = db.get(Recording, transcript.recording_id) if transcript.recording_id else None
    started = recording.started_at if recording is not None else call.agent_answered_at
    if started is None:
        return []
    if started.tzinfo is None:  # SQLite hands back naive UTC
        started = started.replace(tzinfo=UTC)
    t0 = started.timestamp()
    return [(max(0.0, a - t0), b - t0) for a, b in call.holds if b - t0 > 0]


def score_transcript_now(transcript_id: int) -> dict:
    from assist.asr.tasks import sessions

    with session_scope(sessions()) as db:
        transcript = db.get(Transcript, transcript_id)
        score = service.score_transcript(db, transcript, holds=call_holds(db, transcript))
        messages = [alert_message(a) for a in service.alerts_for_transcript(db, transcript_id)]
        out = {
            "transcript_id": transcript_id,
            "score_id": score.id,
            "score": score.score,
            "status": score.status,
        }
    SCORED.inc()
    for message in messages:
        ALERTS.labels(message["category"]).inc()
    out["alerts_published"] = publish_alerts(get_settings(), messages)  # after commit: the rows exist
    return out


@shared_task(name="assist.qa.score", bind=True, acks_late=True, max_retries=5)
def score_transcript_task(self, transcript_id: int) -> dict:
    try:
        return score_transcript_now(transcript_id)
    except Conflict as exc:
        # the score is under review (a re-transcription finished late): only a reviewer may force it
        log.info("re-score refused", extra={"transcript_id": transcript_id, "reason": exc.detail})
        return {"transcript_id": transcript_id, "refused": exc.detail, **exc.extra}
    except Exception as exc:
        raise self.retry(countdown=60 * 2**self.request.retries, exc=exc) from exc
