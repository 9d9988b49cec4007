"""Where every ticket deadline comes from, and its warning colour.

- dispatch: within 24 h of working time after acceptance (or after a return / a workstation signs);
- sign: 30 min wall-clock for urgent tickets (the centre runs 7×24), 24 h of working time for normal;
  the regional platform may set its own sign deadline;
- handling: per category (`sla_rules`, "*" the default), in working days from dispatch; urgent
  tickets use the rule's urgent limit; extensions and supervision replace it;
- yellow when the rule's share (default 80 %) of the window has elapsed, red when overdue.

`enter_state` sets `due_at` / `warn_at` (the deadline in force for the new state) whenever a
ticket changes state; `colour` reads them. The periodic sweep and every read use `colour`,
so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.tickets import SlaRule, Ticket
from tickets.calendar import WorkingCalendar
from tickets.enums import TicketState, Urgency, WarningColour

S = TicketState
SIGN_URGENT = timedelta(minutes=30)
SIGN_NORMAL = timedelta(hours=24)
DISPATCH_WINDOW = timedelta(hours=24)
DEFAULT_HANDLING_DAYS = 5
DEFAULT_URGENT_HANDLING_DAYS = 1
DEFAULT_YELLOW_PCT = 0.8

AT_CENTRE = frozenset({S.accepted, S.pending_review, S.to_dispatch})
AT_UNIT = frozenset({S.handling, S.return_requested, S.extension_requested})
NO_DEADLINE = frozenset({S.answered, S.to_revisit, S.to_close, S.closed, S.withdrawn})


@dataclass(frozen=True)
class Policy:
    handling_days: int = DEFAULT_HANDLING_DAYS
    urgent_handling_days: int = DEFAULT_URGENT_HANDLING_DAYS
    yellow_pct: float = DEFAULT_YELLOW_PCT


def policy_for(db: Session, category: str | None) -> Policy:
    keys = [category, "*"] if category else ["*"]
    rows = {r.category: r for r in db.scalars(select(SlaRule).where(SlaRule.category.in_(keys)))}
    rule = rows.get(category or "*") or rows.get("*")
    if rule is None:
        return Policy()
    return Policy(rule.handling_days, rule.urgent_handling_days, rule.yellow_pct)


def set_rule(
    db: Session, *, category: str, handling_days: int, urgent_handling_days: int, yellow_pct: float
) -> SlaRule:
    """Create or change the handling rule of a category ("*": the default)."""
    row = db.get(SlaRule, category)
    if row is None:
        row = SlaRule(category=category)
        db.add(row)
    row.handling_days, row.urgent_handling_days, row.yellow_pct = (
        handling_days,
        urgent_handling_days,
        yellow_pct,
    )
    row.updated_at = utcnow()
    db.flush()
    return row


def sign_deadline(cal: WorkingCalendar, urgency: str, start: datetime) -> datetime:
    if urgency == Urgency.urgent:
        return start + SIGN_URGENT
    return cal.add(start, SIGN_NORMAL)


def dispatch_deadline(cal: WorkingCalendar, start: datetime) -> datetime:
    return cal.add(start, DISPATCH_WINDOW)


def handling_deadline(cal: WorkingCalendar, policy: Policy, urgency: str, start: datetime) -> datetime:
    days = policy.urgent_handling_days if urgency == Urgency.urgent else policy.handling_days
    return cal.add_days(start, days)


def warn_time(cal: WorkingCalendar, start: datetime, due: datetime, pct: float) -> datetime:
    """The instant `pct` of the window [start, due] has elapsed (working time if the window has any)."""
    working = cal.working_between(start, due)
    if working > timedelta(0) and working != due - start:
        return cal.add(start, working * pct)
    return start + (due - start) * pct


def govern(
    ticket: Ticket, cal: WorkingCalendar, policy: Policy, start: datetime, due: datetime | None
) -> None:
    """Make `due` the deadline in force, its window opening at `start`."""
    ticket.due_at = due
    ticket.warn_at = warn_time(cal, start, due, policy.yellow_pct) if due else None
    ticket.warning = WarningColour.none


def enter_state(
    ticket: Ticket,
    new: TicketState,
    old: TicketState | None,
    *,
    now: datetime,
    cal: WorkingCalendar,
    policy: Policy,
) -> None:
    """Set the deadline in force when `ticket` moves from `old` to `new` (before its state changes).

    Deadlines (sign, handling) are set by the service when a unit receives the ticket; this picks
    the one that governs and keeps a running clock running through pending requests.
    """
    if new in NO_DEADLINE:
        govern(ticket, cal, policy, now, None)
    elif new in AT_CENTRE:
        if old is None or old not in AT_CENTRE:  # a fresh window: accepted, returned, signed by a workstation
            ticket.dispatch_deadline = dispatch_deadline(cal, now)
            govern(ticket, cal, policy, now, ticket.dispatch_deadline)
    elif new == S.to_sign:
        govern(ticket, cal, policy, now, ticket.sign_deadline)
    elif new in AT_UNIT:
        if old == S.to_sign:  # signed: the handling window opened at dispatch
            govern(ticket, cal, policy, ticket.dispatched_at or now, ticket.handling_deadline)
        elif old not in AT_UNIT:  # sent back after an answer
            govern(ticket, cal, policy, now, ticket.handling_deadline)


def set_handling_deadline(
    ticket: Ticket, cal: WorkingCalendar, policy: Policy, deadline: datetime, *, now: datetime
) -> None:
    """A new handling deadline (extension, supervision) opens a new window now."""
    ticket.handling_deadline = deadline
    if TicketState(ticket.state) in AT_UNIT:
        govern(ticket, cal, policy, now, deadline)


def colour(due_at: datetime | None, warn_at: datetime | None, now: datetime) -> WarningColour:
    if due_at is None:
        return WarningColour.none
    if now >= due_at:
        return WarningColour.red
    if warn_at is not None and now >= warn_at:
        return WarningColour.yellow
    return WarningColour.none


def ticket_colour(ticket: Ticket, now: datetime) -> WarningColour:
    return colour(ticket.due_at, ticket.warn_at, now)
