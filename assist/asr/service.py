"""Transcripts in the database: enqueue, record results and failures, search, backlog.

Functions take a session and plain values and do not commit: the caller owns the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from assist.asr.transcribe import Transcription
from assist.qa.access import can_see_agent_row, visible
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound
from models.qa import Transcript, TranscriptSegment, TranscriptStatus
from models.scope import Scope

log = logging.getLogger("hotline.asr")

PENDING = (TranscriptStatus.queued, TranscriptStatus.running, TranscriptStatus.failed)


def bigrams(text: str) -> str:
    """Space-separated character bigrams (and single characters of 1-char runs): a CJK search key."""
    out: list[str] = []
    for run in "".join(c if c.isalnum() else " " for c in text.lower()).split():
        out.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    return " ".join(out)


def create_transcript(
    db: Session,
    *,
    tenant_id: int,
    recording_path: str,
    recording_id: int | None = None,
    call_id: int | None = None,
    agent_id: int | None = None,
    team: str | None = None,
    call_started_at: datetime | None = None,
    ticket_text: str | None = None,
    priority: bool = False,
) -> Transcript:
    """A transcription job for one finished recording (one per recording: a repeat returns the first)."""
    if not recording_path.strip():
        raise Invalid("录音路径不能为空", field="recording_path")
    if recording_id is not None:
        existing = db.scalar(select(Transcript).where(Transcript.recording_id == recording_id))
        if existing is not None:
            return existing
    transcript = Transcript(
        tenant_id=tenant_id,
        recording_path=recording_path,
        recording_id=recording_id,
        call_id=call_id,
        agent_id=agent_id,
        team=team,
        call_started_at=call_started_at or utcnow(),
        ticket_text=ticket_text,
        priority=priority,
        status=TranscriptStatus.queued,
        attempts=0,
    )
    db.add(transcript)
    db.flush()
    return transcript


def get_transcript(db: Session, transcript_id: int, scope: Scope | None = None) -> Transcript:
    """`scope`: None for workers; an agent sees only their own calls."""
    transcript = db.get(Transcript, transcript_id)
    if transcript is None or (
        scope is not None and not can_see_agent_row(scope, transcript.tenant_id, transcript.agent_id)
    ):
        raise NotFound(f"转写记录 {transcript_id} 不存在")
    return transcript


def claim(db: Session, transcript_id: int, recording_path: str | None = None) -> Transcript | None:
    """Mark the job running, unless another worker has it or it is finished (then None).

    With `recording_path`, only if the row is for that file: a message meant for another database
    (a broker shared by mistake) is ignored rather than run on the wrong row.
    """
    where = [
        Transcript.id == transcript_id,
        Transcript.status.in_([TranscriptStatus.queued, TranscriptStatus.failed]),
    ]
    if recording_path is not None:
        where.append(Transcript.recording_path == recording_path)
    result = db.execute(
        update(Transcript)
        .where(*where)
        .values(status=TranscriptStatus.running, started_at=utcnow(), attempts=Transcript.attempts + 1)
    )
    if result.rowcount != 1:
        return None
    transcript = db.get(Transcript, transcript_id)
    db.refresh(transcript)
    return transcript


def store_result(db: Session, transcript: Transcript, result: Transcription) -> Transcript:
    transcript.segments.clear()
    db.flush()
    for i, seg in enumerate(result.segments):
        transcript.segments.append(
            TranscriptSegment(
                idx=i,
                speaker=seg.speaker,
                channel=seg.channel,
                start=seg.start,
                end=seg.end,
                text=seg.text,
                words=[[w.start, w.end, w.text] for w in seg.words],
                search_tokens=bigrams(seg.text),
            )
        )
    transcript.text = "\n".join(f"{s.speaker}: {s.text}" for s in result.segments)
    transcript.duration_s = round(result.duration, 2)
    transcript.elapsed_s = round(result.elapsed, 3)
    transcript.channels = result.channels
    transcript.status = TranscriptStatus.done
    transcript.error = None
    transcript.next_attempt_at = None
    transcript.finished_at = utcnow()
    db.flush()
    return transcript


def record_failure(db: Session, transcript: Transcript, reason: str, *, retry_in: float | None) -> None:
    """Failed with the reason; `retry_in` seconds until the next attempt (None: no more attempts)."""
    transcript.status = TranscriptStatus.failed
    transcript.error = reason[:2000]
    transcript.finished_at = utcnow()
    transcript.next_attempt_at = utcnow() + timedelta(seconds=retry_in) if retry_in is not None else None
    db.flush()
    log.warning(
        "transcription failed",
        extra={
            "transcript_id": transcript.id,
            "reason": reason,
            "attempts": transcript.attempts,
            "retry_in": retry_in,
        },
    )


def mark_priority(db: Session, transcript: Transcript) -> bool:
    """A reviewer wants it now. True when it still has to be (re)queued."""
    if transcript.status == TranscriptStatus.done:
        return False
    if transcript.status == TranscriptStatus.running:
        raise Conflict("正在转写中，请稍候")
    transcript.priority = True
    transcript.status = TranscriptStatus.queued
    transcript.next_attempt_at = None
    db.flush()
    return True


def due_for_retry(
    db: Session, *, now: datetime, max_attempts: int, stale_after: timedelta
) -> list[tuple[int, str]]:
    """Jobs to put back on the queue: failed ones whose backoff expired, and queued/running ones whose
    message was lost (worker killed, broker restarted) — nothing is dropped silently."""
    rows = db.execute(
        select(Transcript.id, Transcript.recording_path).where(
            or_(
                (Transcript.status == TranscriptStatus.failed)
                & (Transcript.attempts < max_attempts)
                & (Transcript.next_attempt_at <= now),
                (Transcript.status == TranscriptStatus.queued) & (Transcript.created_at <= now - stale_after),
                (Transcript.status == TranscriptStatus.running)
                & (Transcript.started_at <= now - stale_after),
            )
        )
    )
    return [(row.id, row.recording_path) for row in rows]


def requeue_stale(db: Session, transcript_id: int) -> None:
    db.execute(
        update(Transcript)
        .where(Transcript.id == transcript_id, Transcript.status == TranscriptStatus.running)
        .values(status=TranscriptStatus.queued)
    )


@dataclass
class Backlog:
    queued: int
    running: int
    retrying: int  # failed, will be retried
    failed: int  # failed for good (attempts exhausted)
    audio_seconds_waiting: float  # unknown durations counted as 180 s (a typical call)
    oldest_waiting_s: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def backlog(db: Session, *, tenant_ids: frozenset[int] | None = None, max_attempts: int = 5) -> Backlog:
    def q(*where):
        stmt = select(
            func.count(),
            func.sum(func.coalesce(Transcript.duration_s, 180.0)),
            func.min(Transcript.created_at),
        )
        stmt = stmt.where(*where)
        if tenant_ids is not None:
            stmt = stmt.where(Transcript.tenant_id.in_(tenant_ids))
        return db.execute(stmt).one()

    queued = q(Transcript.status == TranscriptStatus.queued)
    running = q(Transcript.status == TranscriptStatus.running)
    retrying = q(Transcript.status == TranscriptStatus.failed, Transcript.attempts < max_attempts)
    failed = q(Transcript.status == TranscriptStatus.failed, Transcript.attempts >= max_attempts)
    oldest = [r[2] for r in (queued, retrying) if r[2] is not None]
    waiting = (utcnow() - min(oldest)).total_seconds() if oldest else 0.0
    return Backlog(
        queued=queued[0],
        running=running[0],
        retrying=retrying[0],
        failed=failed[0],
        audio_seconds_waiting=float((queued[1] or 0) + (retrying[1] or 0)),
        oldest_waiting_s=round(waiting, 1),
    )


def search_segments(
    db: Session, scope: Scope, query: str, *, agent_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[TranscriptSegment, Transcript]], int]:
    """Segments whose text contains the query (full-text on PostgreSQL, LIKE on SQLite)."""
    query = query.strip()
    if not query:
        raise Invalid("检索词不能为空", field="q")
    stmt = select(TranscriptSegment, Transcript).join(
        Transcript, TranscriptSegment.transcript_id == Transcript.id
    )
    tokens = [t for t in bigrams(query).split() if len(t) == 2]
    if db.get_bind().dialect.name == "postgresql" and tokens:
        simple = literal_column("'simple'")  # a literal, so the planner matches the GIN index expression
        tsquery = func.to_tsquery(simple, " & ".join(tokens))
        stmt = stmt.where(func.to_tsvector(simple, TranscriptSegment.search_tokens).op("@@")(tsquery))
    # the index narrows the rows; bigrams match in any order, so confirm the phrase itself
    stmt = stmt.where(TranscriptSegment.text.contains(query, autoescape=True))
    stmt = visible(stmt, scope, Transcript.tenant_id, Transcript.agent_id)
    if agent_id is not None:
        stmt = stmt.where(Transcript.agent_id == agent_id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.execute(
        stmt.order_by(Transcript.call_started_at.desc(), TranscriptSegment.start).limit(limit).offset(offset)
    )
    return [(seg, tr) for seg, tr in rows], total


def within_roots(path: str | Path, roots: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def recording_file(transcript: Transcript, roots: list[Path]) -> Path:
    """The file to play; only under the configured recording directories (never an arbitrary path)."""
    path = Path(transcript.recording_path)
    if not within_roots(path, roots) or not path.is_file():
        raise NotFound("录音文件不存在")
    return path


def discover_recordings(db: Session, *, limit: int = 500) -> list[Transcript]:
    """Finished recordings of answered calls that have no transcript yet → new transcription jobs.

    The periodic sweep calls this, so the call-centre side only has to finish its recordings.
    """
    from models.calls import Call, Recording, SkillGroup
    from models.tickets import Ticket

    has_transcript = select(Transcript.id).where(Transcript.recording_id == Recording.id).exists()
    rows = db.execute(
        select(Recording, Call, SkillGroup.name)
        .outerjoin(Call, Recording.call_id == Call.id)
        .outerjoin(SkillGroup, Call.skill_group_id == SkillGroup.id)
        .where(
            Recording.ended_at.is_not(None),
            Recording.deleted_at.is_(None),
            Recording.tenant_id.is_not(None),
            ~has_transcript,
        )
        .order_by(Recording.id)
        .limit(limit)
    ).all()
    created = []
    for recording, call, team in rows:
        ticket = db.scalar(select(Ticket).where(Ticket.call_id == recording.call_uuid).limit(1))
        created.append(
            create_transcript(
                db,
                tenant_id=recording.tenant_id,
                recording_path=recording.path,
                recording_id=recording.id,
                call_id=recording.call_id,
                agent_id=recording.agent_user_id,
                team=team,
                call_started_at=(call.agent_answered_at or call.started_at) if call else recording.started_at,
                ticket_text=f"{ticket.title}\n{ticket.content}" if ticket else None,
            )
        )
    return created
