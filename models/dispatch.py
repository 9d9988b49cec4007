"""Dispatch models, duty catalogue, duplicates and hotspots.

Ticket ids are plain integers (no foreign key): this branch of migrations does not depend on the
tickets branch, and these rows outlive nothing but what they describe.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from models.db import Base, utcnow


class DutyItem(Base):
    """A unit's entry in the duty catalogue (权责清单): what it handles, keywords, exclusions."""

    __tablename__ = "dispatch_duties"
    __table_args__ = (UniqueConstraint("tenant_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    duty: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DispatchSettings(Base):
    """Per tenant: whether the current model may dispatch by itself (else shadow mode)."""

    __tablename__ = "dispatch_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), unique=True)
    auto_dispatch: Mapped[bool] = mapped_column(Boolean, default=False)
    target_precision: Mapped[float] = mapped_column(Float, default=0.97)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DispatchModel(Base):
    """A trained model version: the joblib blob, its thresholds and out-of-fold metrics."""

    __tablename__ = "dispatch_models"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="candidate")  # candidate | current | retired
    source: Mapped[str] = mapped_column(String(32), default="tickets")
    n_samples: Mapped[int] = mapped_column(Integer, default=0)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict)
    default_threshold: Mapped[float | None] = mapped_column(Float)
    target_precision: Mapped[float] = mapped_column(Float, default=0.97)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    blob: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None] = mapped_column()
    # thresholds edited by an admin after training (auto-dispatch reads `thresholds`, not the blob)
    thresholds_updated_at: Mapped[datetime | None] = mapped_column()
    thresholds_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TrainingJob(Base):
    """One training run in the background: its status, progress by stage, and the model it made."""

    __tablename__ = "dispatch_training_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    # the tenant while queued/running, NULL once finished: the unique index lets one job run per tenant
    active_tenant_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # a random token the task carries: a worker on another database does not find it
    token: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | succeeded | failed
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1 over all stages
    source: Mapped[str] = mapped_column(String(16), default="api")  # api | cli | nightly
    note: Mapped[str | None] = mapped_column(String(255))
    promote: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_models.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last progress report (heartbeat)
    finished_at: Mapped[datetime | None] = mapped_column()


class DispatchSuggestion(Base):
    """What a model suggested for a ticket, whether it dispatched, and what the humans chose."""

    __tablename__ = "dispatch_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    # NULL: considered while the tenant had no model (marks the ticket so the poll does not re-check it)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_models.id"), index=True)
    suggestions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    top_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    threshold: Mapped[float | None] = mapped_column(Float)
    would_auto: Mapped[bool] = mapped_column(Boolean, default=False)  # at/above the threshold
    auto: Mapped[bool] = mapped_column(Boolean, default=False)  # really auto-dispatched
    district: Mapped[str | None] = mapped_column(String(50))
    chosen_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    agreed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class DispatchFeedback(Base):
    """Learning-loop evidence besides ticket history: a dispatcher's correction or a unit's return."""

    __tablename__ = "dispatch_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))  # correct (this unit) | returned (not this unit)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DuplicateFlag(Base):
    """A new ticket probably repeating an open one (并案 candidate)."""

    __tablename__ = "dispatch_duplicates"
    __table_args__ = (UniqueConstraint("ticket_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    candidate_id: Mapped[int] = mapped_column(Integer, index=True)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | merged | dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketMerge(Base):
    """A ticket merged into a primary one: handled and answered together with it."""

    __tablename__ = "dispatch_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    primary_ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    merged_ticket_id: Mapped[int] = mapped_column(Integer, unique=True)
    note: Mapped[str | None] = mapped_column(String(255))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # the primary's answer was copied
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HotspotReport(Base):
    """The daily hot-issue list of a tenant."""

    __tablename__ = "dispatch_hotspot_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer, default=7)
    n_tickets: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[list[dict]] = mapped_column(JSON, default=list)
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HotspotAlert(Base):
    """A sudden surge, for supervisors to see and acknowledge."""

    __tablename__ = "dispatch_hotspot_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("dispatch_hotspot_reports.id"), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(50))
    recent: Mapped[int] = mapped_column(Integer)
    burst: Mapped[float] = mapped_column(Float)
    ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
