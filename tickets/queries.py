"""Reading many tickets: role inboxes, filters, full-text search, the caller's history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from models.db import utcnow
from models.org import Tenant
from models.scope import Scope
from models.tickets import Ticket, TicketFollow
from tickets import access, search
from tickets.enums import TicketState, WarningColour

S = TicketState


class Inbox(enum.StrEnum):
    to_sign = "to_sign"  # 待签收
    to_dispatch = "to_dispatch"  # 待交办（中心、工作站）
    in_progress = "in_progress"  # 办理中
    answered = "answered"  # 已答复
    followed = "followed"  # 我关注的
    overdue = "overdue"  # 已超期


IN_PROGRESS = (S.handling, S.return_requested, S.extension_requested)
ANSWERED = (S.answered, S.to_revisit, S.to_close, S.closed)
AT_CENTRE = (S.accepted, S.pending_review, S.to_dispatch)


@dataclass
class Filters:
    inbox: Inbox | None = None
    state: list[str] | None = None
    q: str | None = None
    channel: str | None = None
    appeal_type: str | None = None
    urgency: str | None = None
    district: str | None = None
    category: str | None = None
    lead_unit_id: int | None = None
    warning: WarningColour | None = None
    phone: str | None = None
    difficult: bool | None = None
    supervised: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _inbox(scope: Scope, inbox: Inbox, now: datetime) -> list[ColumnElement[bool]]:
    units = scope.unit_ids or frozenset({-1})
    if inbox == Inbox.to_sign:
        if scope.is_unit_user:
            return [Ticket.state == S.to_sign, Ticket.lead_unit_id.in_(units)]
        return [Ticket.state == S.to_sign, Ticket.lead_unit_id.is_(None)]
    if inbox == Inbox.to_dispatch:
        return [Ticket.state.in_([str(s) for s in AT_CENTRE])]
    if inbox == Inbox.in_progress:
        return [Ticket.state.in_([str(s) for s in IN_PROGRESS])]
    if inbox == Inbox.answered:
        return [Ticket.state.in_([str(s) for s in ANSWERED])]
    if inbox == Inbox.followed:
        followed = select(TicketFollow.ticket_id).where(TicketFollow.user_id == scope.user_id)
        return [Ticket.id.in_(followed)]
    # due_at is NULL in every state without a deadline (deadlines.enter_state), so no state test:
    # the count is an index-only scan of the small due_at index
    return [Ticket.due_at < now]


def search_clause(db: Session, q: str, t: Any = Ticket) -> ColumnElement[bool]:
    """`t`: the Ticket entity or an alias of it (a subquery of tickets)."""
    q = q.strip()
    exact = [t.number == q, t.citizen_phone == q, t.external_id == q]
    terms = _index_terms(db, q)
    if terms:
        # plainto: every lexeme required, never a phrase (<->), which the position-less vectors can't match
        # (the parser splits a term like "1e5ab" in two)
        tsquery = func.plainto_tsquery("simple", " ".join(terms))
        return or_(t.search_vector.op("@@")(tsquery), *exact)
    like = f"%{q}%"
    return or_(t.title.like(like), t.content.like(like), t.address.like(like), *exact)


def _index_terms(db: Session, q: str) -> list[str]:
    """The terms the GIN index is searched for (none: not PostgreSQL, or nothing indexable in `q`)."""
    if db.get_bind().dialect.name != "postgresql":
        return []
    return [w for w in search.query_terms(q.strip()) if len(w) > 1 or w.isascii()]


def _sees_everything(db: Session, scope: Scope) -> bool:
    """A centre user's subtree is every tenant: no tenant condition (it only misleads the planner)."""
    if scope.is_unit_user:
        return False
    tenant = db.get(Tenant, scope.tenant_id)
    return tenant is not None and tenant.parent_id is None


def where(
    db: Session, scope: Scope, f: Filters, now: datetime, *, search: bool = True
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [] if _sees_everything(db, scope) else [access.visible(scope, db)]
    if f.inbox:
        conds += _inbox(scope, f.inbox, now)
    if f.state:
        conds.append(Ticket.state.in_(f.state))
    for name in ("channel", "appeal_type", "urgency", "district", "category", "lead_unit_id", "difficult",
                 "supervised"):  # fmt: skip
        value = getattr(f, name)
        if value is not None:
            conds.append(getattr(Ticket, name) == value)
    if f.phone:
        conds.append(Ticket.citizen_phone == f.phone)
    if f.created_from:
        conds.append(Ticket.created_at >= f.created_from)
    if f.created_to:
        conds.append(Ticket.created_at < f.created_to)
    if f.warning is not None:
        conds.append(warning_clause(f.warning, now))
    if f.q and search:
        conds.append(search_clause(db, f.q))
    return conds


def warning_clause(colour: WarningColour, now: datetime) -> ColumnElement[bool]:
    """The same rule as deadlines.colour, as SQL."""
    if colour == WarningColour.red:
        return Ticket.due_at <= now
    if colour == WarningColour.yellow:
        return and_(Ticket.due_at > now, Ticket.warn_at <= now)
    return or_(
        Ticket.due_at.is_(None),
        and_(Ticket.due_at > now, or_(Ticket.warn_at.is_(None), Ticket.warn_at > now)),
    )


def _order(f: Filters, t: Any = Ticket) -> list[Any]:
    """Newest first; the overdue inbox most overdue first (`id` last: a total order)."""
    if f.inbox == Inbox.overdue:
        return [t.due_at.asc(), t.id.asc()]
    return [t.created_at.desc(), t.id.desc()]


def select_tickets(db: Session, scope: Scope, f: Filters, now: datetime | None = None) -> Select[Any]:
    now = now or utcnow()
    return select(Ticket).where(*where(db, scope, f, now)).order_by(*_order(f))


def list_tickets(
    db: Session, scope: Scope, f: Filters, *, offset: int = 0, limit: int = 20, now: datetime | None = None
) -> tuple[list[Ticket], int]:
    now = now or utcnow()
    conds = where(db, scope, f, now)
    counted = select(Ticket.id).where(*conds)
    if f.q:  # a broad search matches 100,000s of rows: count up to the cap
        counted = counted.limit(SEARCH_COUNT_CAP)
    total = db.scalar(select(func.count()).select_from(counted.subquery())) or 0
    rows = None
    if total >= SEARCH_COUNT_CAP and len(_index_terms(db, f.q or "")) > 1:
        rows = _page_from_recent(db, scope, f, now, offset, limit)
    if rows is None:
        rows = list(db.scalars(select(Ticket).where(*conds).order_by(*_order(f)).offset(offset).limit(limit)))
    return rows, total


SEARCH_COUNT_CAP = 10000
SEARCH_WINDOW = 5000  # the newest listed tickets a broad phrase search tries before the index search


def _page_from_recent(
    db: Session, scope: Scope, f: Filters, now: datetime, offset: int, limit: int
) -> list[Ticket] | None:
    """A search page taken from the newest SEARCH_WINDOW tickets of the list (the same filters without
    the search), tested in list order and only until the page is full.

    For a phrase (several bigrams) PostgreSQL multiplies the terms' frequencies as if independent,
    expects a handful of hits and plans to fetch and sort every hit from the GIN index: 0.2–0.5 s at
    30,000 hits in a million tickets. When the count shows the hits are that many, walking the list
    newest first finds a page within a few hundred rows. A full page is the exact answer, since every
    ticket outside the window comes after all inside it in the list order; otherwise (hits old or
    few, deep pages) None, and the index search answers.
    """
    if offset + limit > SEARCH_WINDOW // 10:
        return None
    window = select(Ticket).where(*where(db, scope, f, now, search=False)).order_by(*_order(f))
    recent = aliased(Ticket, window.limit(SEARCH_WINDOW).subquery("recent"))
    page = select(recent).where(search_clause(db, f.q, recent)).order_by(*_order(f, recent))
    rows = list(db.scalars(page.offset(offset).limit(limit)))
    return rows if len(rows) == limit else None


PREFILL_FIELDS = ("citizen_name", "citizen_phone", "address", "district", "category", "appeal_type")


def caller_history(db: Session, scope: Scope, phone: str, *, limit: int = 20) -> tuple[list[Ticket], dict]:
    """The caller's past tickets (newest first) and the fields of the last one to reuse in a new one."""
    rows = list(
        db.scalars(
            select(Ticket)
            .where(access.visible(scope, db), Ticket.citizen_phone == phone)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )
    prefill = {k: getattr(rows[0], k) for k in PREFILL_FIELDS} if rows else {}
    return rows, prefill
