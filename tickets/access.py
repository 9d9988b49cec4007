"""Who sees which tickets (分权分域) and which citizen details.

Centre and workstation users see the tickets of their tenant subtree; unit users see tickets on
which their unit (or a sub-unit) holds an active assignment. Unit users see the citizen's name
and phone masked; on a confidential (保密) ticket they see neither.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, ColumnElement, Integer, literal, select
from sqlalchemy.orm import Session

from models.scope import Scope
from models.tickets import Ticket, TicketAssignment

CONFIDENTIAL = "（保密）"


def visible(scope: Scope, db: Session | None = None) -> ColumnElement[bool]:
    """A WHERE clause: the tickets `scope` may read.

    A unit user's tickets: on PostgreSQL the GIN-indexed `tickets.unit_ids` (kept in step with the
    active assignments by the service), elsewhere the assignments themselves.
    """
    if scope.is_unit_user:
        units = scope.unit_ids or frozenset({-1})
        if db is not None and db.get_bind().dialect.name == "postgresql":
            return Ticket.unit_ids.op("&&")(literal(sorted(units), ARRAY(Integer)))
        held = select(TicketAssignment.ticket_id).where(
            TicketAssignment.unit_id.in_(units), TicketAssignment.active.is_(True)
        )
        return Ticket.id.in_(held)
    return Ticket.tenant_id.in_(scope.tenant_ids or frozenset({-1}))


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    keep = 3 if len(phone) >= 7 else 1
    return phone[:keep] + "*" * (len(phone) - keep - 4) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def citizen_for(ticket: Ticket, scope: Scope) -> tuple[str | None, str | None]:
    """(name, phone) as `scope` may see them."""
    if not scope.is_unit_user:
        return ticket.citizen_name, ticket.citizen_phone
    if ticket.confidential:
        return CONFIDENTIAL, None
    return mask_name(ticket.citizen_name), mask_phone(ticket.citizen_phone)
