"""Work orders (工单): tickets, timeline, assignments, attachments, outbox, working calendar, SLA rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, utcnow

# On PostgreSQL a tsvector of character bigrams (GIN-indexed full-text search over Chinese);
# on SQLite the column stays empty and search falls back to LIKE.
SearchVector = Text().with_variant(postgresql.TSVECTOR(), "postgresql")
# Units holding an active assignment (who may read the ticket): int[] with a GIN index on PostgreSQL,
# so "my unit's tickets" combines with search and state filters in one bitmap; JSON on SQLite.
UnitIds = JSON().with_variant(postgresql.ARRAY(Integer), "postgresql")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("created_by_id", "idempotency_key"),
        Index("ix_tickets_tenant_state_created", "tenant_id", "state", "created_at"),
        Index("ix_tickets_lead_state_created", "lead_unit_id", "state", "created_at"),
        Index("ix_tickets_state_due", "state", "due_at"),
        Index("ix_tickets_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_tickets_unit_ids", "unit_ids", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # NN20261127000123
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))  # who owns / handles it now
    channel: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)  # regional platform id
    citizen_name: Mapped[str | None] = mapped_column(String(64))
    citizen_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    appeal_type: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(255))
    district: Mapped[str | None] = mapped_column(String(50))
    category: Mapped[str | None] = mapped_column(String(100))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)

    state: Mapped[str] = mapped_column(String(32))
    held_state: Mapped[str | None] = mapped_column(String(32))  # state to go back to after a request
    difficult: Mapped[bool] = mapped_column(Boolean, default=False)  # 疑难工单
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)  # 督办
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)  # 重办次数
    unsatisfied_count: Mapped[int] = mapped_column(Integer, default=0)
    urge_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    workstation_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id")
    )  # dispatched to a workstation
    reply: Mapped[str | None] = mapped_column(Text)  # direct reply
    answer: Mapped[str | None] = mapped_column(Text)  # the lead unit's last answer
    satisfaction: Mapped[str | None] = mapped_column(String(32))  # last revisit result
    requested_until: Mapped[datetime | None] = mapped_column()  # pending extension request

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    signed_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    # deadlines (tickets.deadlines computes them) and the deadline in force for the current state
    dispatch_deadline: Mapped[datetime | None] = mapped_column()
    sign_deadline: Mapped[datetime | None] = mapped_column()
    handling_deadline: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # NULL once nothing is due: a small index
    warn_at: Mapped[datetime | None] = mapped_column()
    warning: Mapped[str] = mapped_column(String(8), default="none")  # as last recorded by the sweep

    search_vector: Mapped[str | None] = mapped_column(SearchVector, deferred=True)
    unit_ids: Mapped[list[int] | None] = mapped_column(UnitIds)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    assignments: Mapped[list[TicketAssignment]] = relationship(
        back_populates="ticket", order_by="TicketAssignment.id"
    )


class TicketAssignment(Base):
    """A unit's part in a ticket: lead (主办), assist (协办) or collaborator (协同)."""

    __tablename__ = "ticket_assignments"
    __table_args__ = (Index("ix_ticket_assignments_unit_active", "unit_id", "active", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    assigned_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[datetime | None] = mapped_column()
    instructions: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")


class TicketEvent(Base):
    """The append-only timeline: one row per action (or system event) on a ticket."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: a system actor
    actor_label: Mapped[str] = mapped_column(String(64))  # person's name or e.g. "auto-dispatch"
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the unit the action concerns
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # against the deadline in force (KPIs)
    note: Mapped[str | None] = mapped_column(Text)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (Index("ix_ticket_events_action_unit_created", "action", "unit_id", "created_at"),)


class TicketAttachment(Base):
    """File metadata; the bytes live under settings.data_dir/attachments."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # relative to data_dir
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketCitation(Base):
    """Knowledge articles cited when a ticket was accepted or replied."""

    __tablename__ = "ticket_citations"
    __table_args__ = (UniqueConstraint("ticket_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    cited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketFollow(Base):
    __tablename__ = "ticket_follows"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketOutbox(Base):
    """Every ticket change, queued for export to the regional (自治区) platform."""

    __tablename__ = "ticket_outbox"
    __table_args__ = (Index("ix_ticket_outbox_sent_id", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class TicketCounter(Base):
    """Per-day sequence behind human-readable ticket numbers."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class CalendarDay(Base):
    """A day that is not what its weekday says: public holiday or make-up working day (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="manual")  # seed | manual


class SlaRule(Base):
    """Handling time limit per category; category "*" holds the defaults."""

    __tablename__ = "sla_rules"

    category: Mapped[str] = mapped_column(String(100), primary_key=True)
    handling_days: Mapped[int] = mapped_column(Integer)  # working days from dispatch
    urgent_handling_days: Mapped[int] = mapped_column(Integer, default=1)
    yellow_pct: Mapped[float] = mapped_column(Float, default=0.8)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _timeline_is_append_only(_mapper, _conn, target: TicketEvent) -> None:
    raise RuntimeError(f"ticket timeline rows are append-only (event {target.id})")
