"""Transcripts and automatic quality inspection (质检).

A recording gets one `Transcript` (the ASR job and its result, segments per speaker with times);
scoring it gives one current `QaScore` with its `QaDeduction`s (each with evidence) and any `QaAlert`s;
a forced re-score of a reviewed score keeps the old one as `superseded` (with its review history).
Reviewers act on deductions (`QaReviewAction` is the append-only log); agents file `QaAppeal`s.

A transcript points at its `recordings` row and `calls` row (models/calls.py); scores and alerts
copy `call_id` for reporting (a foreign key, set to NULL when the call record is deleted).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, utcnow


class TranscriptStatus(enum.StrEnum):
    queued = "queued"  # waiting for a worker
    running = "running"
    done = "done"
    failed = "failed"  # see `error`; retried with backoff until `attempts` reaches the limit


class Speaker(enum.StrEnum):
    agent = "agent"
    citizen = "citizen"
    mixed = "mixed"  # mono recording


class ScoreStatus(enum.StrEnum):
    scored = "scored"  # automatic score, not selected for review
    pending_review = "pending_review"  # selected: sample, low score or alert
    reviewed = "reviewed"
    appealed = "appealed"  # the agent appealed a reviewed score
    final = "final"  # appeal resolved
    superseded = "superseded"  # replaced by a forced re-score; kept with its review history


SCORE_STATUS_LABELS = {
    ScoreStatus.scored: "已自动评分",
    ScoreStatus.pending_review: "待复核",
    ScoreStatus.reviewed: "已复核",
    ScoreStatus.appealed: "申诉中",
    ScoreStatus.final: "已终审",
    ScoreStatus.superseded: "已被重新评分取代",
}


class ReviewReason(enum.StrEnum):
    sample = "sample"
    low_score = "low_score"
    alert = "alert"
    manual = "manual"


class DeductionStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    adjusted = "adjusted"
    rejected = "rejected"


class AppealStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    rejected = "rejected"


class AlertStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"


class Transcript(Base):
    __tablename__ = "qa_transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"), unique=True
    )
    recording_path: Mapped[str] = mapped_column(String(500))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team: Mapped[str | None] = mapped_column(String(100), index=True)  # skill group / shift, for statistics
    call_started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ticket_text: Mapped[str | None] = mapped_column(Text)  # the ticket opened in the call, if any
    status: Mapped[str] = mapped_column(String(16), default=TranscriptStatus.queued, index=True)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    duration_s: Mapped[float | None] = mapped_column(Float)
    elapsed_s: Mapped[float | None] = mapped_column(Float)  # wall time of the last transcription
    channels: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="transcript", order_by="TranscriptSegment.start", cascade="all, delete-orphan"
    )


class TranscriptSegment(Base):
    __tablename__ = "qa_transcript_segments"
    __table_args__ = (
        # Full-text search on PostgreSQL: `search_tokens` holds the text as space-separated character
        # bigrams (Chinese has no spaces), indexed as a 'simple' tsvector. SQLite searches with LIKE.
        Index(
            "ix_qa_transcript_segments_search",
            text("to_tsvector('simple', search_tokens)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("qa_transcripts.id", ondelete="CASCADE"), index=True
    )
    idx: Mapped[int] = mapped_column(Integer)  # order in the transcript
    speaker: Mapped[str] = mapped_column(String(16))
    channel: Mapped[int] = mapped_column(Integer, default=0)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list] = mapped_column(JSON, default=list)  # [[start, end, text], ...]
    search_tokens: Mapped[str] = mapped_column(Text, default="")

    transcript: Mapped[Transcript] = relationship(back_populates="segments")


class QaPolicy(Base):
    """A tenant's review policy."""

    __tablename__ = "qa_policies"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    sample_rate: Mapped[float] = mapped_column(Float, default=0.05)  # share of answered calls reviewed
    review_threshold: Mapped[float] = mapped_column(Float, default=80.0)  # below: always reviewed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QaRule(Base):
    __tablename__ = "qa_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    deduction: Mapped[float] = mapped_column(Float, default=5.0)  # points per finding
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    max_deduction: Mapped[float] = mapped_column(Float, default=0.0)  # cap per call, 0: none
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class QaScore(Base):
    __tablename__ = "qa_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("qa_transcripts.id", ondelete="CASCADE"), index=True
    )
    # = transcript_id while this is the transcript's current score, NULL once superseded: the unique
    # constraint keeps one current score per transcript (NULLs do not collide, on PostgreSQL and SQLite)
    current_transcript_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("qa_scores.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None] = mapped_column()
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team: Mapped[str | None] = mapped_column(String(100), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    call_started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    auto_score: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)  # after review and appeals
    status: Mapped[str] = mapped_column(String(20), default=ScoreStatus.scored, index=True)
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    deductions: Mapped[list[QaDeduction]] = relationship(
        back_populates="score", order_by="QaDeduction.id", cascade="all, delete-orphan"
    )
    transcript: Mapped[Transcript] = relationship()

    __mapper_args__ = {"version_id_col": version}


class QaDeduction(Base):
    __tablename__ = "qa_deductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("qa_scores.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("qa_rules.id", ondelete="SET NULL"))
    rule_code: Mapped[str] = mapped_column(String(50), index=True)
    rule_name: Mapped[str] = mapped_column(String(100))
    points: Mapped[float] = mapped_column(Float)  # automatic
    final_points: Mapped[float] = mapped_column(Float)  # after review / appeal
    status: Mapped[str] = mapped_column(String(16), default=DeductionStatus.pending)
    detail: Mapped[str] = mapped_column(Text)
    # evidence
    speaker: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    words: Mapped[str] = mapped_column(Text, default="")
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("qa_transcript_segments.id", ondelete="SET NULL")
    )
    review_note: Mapped[str | None] = mapped_column(Text)

    score: Mapped[QaScore] = relationship(back_populates="deductions")


class QaReviewAction(Base):
    """Append-only log of everything done to a score: review, adjustment, appeal, resolution."""

    __tablename__ = "qa_review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("qa_scores.id", ondelete="CASCADE"), index=True)
    deduction_id: Mapped[int | None] = mapped_column(ForeignKey("qa_deductions.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    points_before: Mapped[float | None] = mapped_column(Float)
    points_after: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaAppeal(Base):
    __tablename__ = "qa_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("qa_scores.id", ondelete="CASCADE"), index=True)
    deduction_id: Mapped[int | None] = mapped_column(ForeignKey("qa_deductions.id", ondelete="SET NULL"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.open, index=True)
    resolver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class QaAlert(Base):
    """A citizen's words that need a supervisor now (anger, threats, self-harm)."""

    __tablename__ = "qa_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey("qa_transcripts.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(16))  # anger | threat | self_harm
    severity: Mapped[str] = mapped_column(String(16))  # medium | high | critical
    detail: Mapped[str] = mapped_column(Text)
    words: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[float | None] = mapped_column(Float)
    end: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.open, index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
