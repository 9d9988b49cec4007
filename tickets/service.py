"""The only writers of tickets: accept, apply an action from the transition table, read one.

Functions take a Session and plain values and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import idempotency
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.org import Role, Tenant, Unit
from models.scope import Scope
from models.tickets import (
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCitation,
    TicketCounter,
    TicketEvent,
    TicketFollow,
    TicketOutbox,
)
from tickets import access, deadlines, search
from tickets.calendar import WorkingCalendar
from tickets.enums import Action, AssignmentKind, Channel, RevisitResult, TicketState
from tickets.payloads import TicketIn
from tickets.transitions import Transition, allowed_actions, resolve_target, role_may, transition_for

log = logging.getLogger("hotline.tickets")
ACTIONS = Counter("hotline_ticket_actions_total", "Ticket workflow actions applied", ["action"])
CREATED = Counter("hotline_tickets_created_total", "Tickets accepted", ["channel"])

S = TicketState
SYSTEM_USER_ID = 0


# ---------------------------------------------------------------------------- actors


def system_scope(db: Session, label: str = "system") -> Scope:
    """A scope for automatic actors (auto-dispatch, SLA sweep): the whole centre, no user.

    The timeline records such actions with `actor_id = NULL` and `actor_label = label`.
    """
    root = db.scalar(select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
    if root is None:
        raise NotFound("没有中心租户")
    tenant_ids = frozenset(db.scalars(select(Tenant.id).where(Tenant.path.startswith(root.path))))
    return Scope(
        user_id=SYSTEM_USER_ID,
        username=label,
        full_name=label,
        tenant_id=root.id,
        tenant_ids=tenant_ids,
        unit_id=None,
        roles=frozenset({str(Role.dispatcher)}),
    )


def _actor_role(scope: Scope, transition: Transition | None) -> str | None:
    if scope.has(Role.admin):
        return str(Role.admin)
    for role in sorted(scope.roles):
        if transition is None or Role(role) in transition.roles:
            return role
    return None


# ---------------------------------------------------------------------------- reading


def get(db: Session, scope: Scope, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket if `scope` may read it, else NotFound (no hint that it exists)."""
    stmt = select(Ticket).where(Ticket.id == ticket_id, access.visible(scope, db))
    if lock:
        stmt = stmt.with_for_update(of=Ticket).execution_options(populate_existing=True)
    ticket = db.scalar(stmt)
    if ticket is None:
        raise NotFound(f"工单 {ticket_id} 不存在或不在数据权限范围内")
    return ticket


def timeline(db: Session, scope: Scope, ticket_id: int) -> list[TicketEvent]:
    get(db, scope, ticket_id)
    return list(
        db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
    )


def attachments(db: Session, scope: Scope, ticket_id: int) -> list[TicketAttachment]:
    get(db, scope, ticket_id)
    return list(
        db.scalars(
            select(TicketAttachment)
            .where(TicketAttachment.ticket_id == ticket_id)
            .order_by(TicketAttachment.id)
        )
    )


def citations(db: Session, ticket_id: int) -> list[int]:
    return list(
        db.scalars(
            select(TicketCitation.article_id)
            .where(TicketCitation.ticket_id == ticket_id)
            .order_by(TicketCitation.id)
        )
    )


def is_following(db: Session, scope: Scope, ticket_id: int) -> bool:
    return db.get(TicketFollow, (ticket_id, scope.user_id)) is not None


def actions_for(ticket: Ticket, scope: Scope) -> list[str]:
    return allowed_actions(TicketState(ticket.state), scope.roles)


# ---------------------------------------------------------------------------- accepting


def _validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ())) or None
        raise Invalid(f"字段 {where}：{err.get('msg')}", field=where) from exc


def next_number(db: Session, prefix: str) -> str:
    """NN20261127000123: the centre code, the local date, a per-day sequence."""
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(TicketCounter)
        .values(prefix=prefix, value=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"value": TicketCounter.value + 1})
        .returning(TicketCounter.value)
    )
    value = db.execute(stmt).scalar_one()
    return f"{prefix}{value:06d}"


def _root_code(db: Session, tenant: Tenant) -> str:
    root_id = int(tenant.path.strip("/").split("/")[0])
    return db.get(Tenant, root_id).code if root_id != tenant.id else tenant.code


def accept(
    db: Session,
    scope: Scope,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    actor_label: str | None = None,
    **fields: Any,
) -> Ticket:
    """Accept (受理) an appeal as a ticket. With `idempotency_key` (models.idempotency), a repeat returns
    the first ticket and the same key with another body is refused (409)."""
    now = now or utcnow()
    data: TicketIn = _validate(TicketIn, fields)  # type: ignore[assignment]
    if data.channel == Channel.phone and not data.call_id:
        raise Invalid("电话渠道必须关联通话 id", field="call_id")
    if data.channel == Channel.regional and not data.external_id:
        raise Invalid("自治区转派工单必须提供自治区工单编号", field="external_id")
    if data.channel != Channel.regional and data.sign_deadline is not None:
        raise Invalid("只有自治区转派工单可以指定签收时限", field="sign_deadline")
    if not scope.has(Role.admin, Role.agent, Role.dispatcher, Role.workstation):
        raise PermissionDenied("只有话务员、工单员、工作站可以受理工单")
    creator_id = scope.user_id or None
    replay = idempotency.claim(db, scope, idempotency_key, "ticket", data.model_dump(mode="json"))
    if replay is not None:
        return db.get(Ticket, replay)
    tenant_id = data.tenant_id or scope.tenant_id
    if not scope.can_see_tenant(tenant_id):
        raise Invalid("受理租户不在本人数据范围内", field="tenant_id")
    tenant = db.get(Tenant, tenant_id)
    cal = WorkingCalendar.load(db)
    policy = deadlines.policy_for(db, data.category)
    local = now.astimezone(cal.tz)
    ticket = Ticket(
        number=next_number(db, f"{_root_code(db, tenant)}{local:%Y%m%d}"),
        tenant_id=tenant_id,
        channel=str(data.channel),
        call_id=data.call_id,
        external_id=data.external_id,
        citizen_name=data.citizen_name,
        citizen_phone=data.citizen_phone,
        appeal_type=str(data.appeal_type),
        urgency=str(data.urgency),
        title=data.title,
        content=data.content,
        address=data.address,
        district=data.district,
        category=data.category,
        confidential=data.confidential,
        created_by_id=creator_id,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )
    _index(db, ticket)
    if data.channel == Channel.regional:
        # arrives to be signed by the centre, in the regional platform's window
        ticket.sign_deadline = data.sign_deadline or deadlines.sign_deadline(cal, ticket.urgency, now)
        state = S.to_sign
    else:
        state = S.accepted
    deadlines.enter_state(ticket, state, None, now=now, cal=cal, policy=policy)
    ticket.state = str(state)
    db.add(ticket)
    db.flush()
    idempotency.settle(db, scope, idempotency_key, ticket.id)
    _link_attachments(db, ticket, data.attachment_ids)
    _cite(db, ticket, data.article_ids, scope)
    event = _record(
        db,
        ticket,
        scope,
        action="accept",
        from_state=None,
        role=_actor_role(scope, None),
        label=actor_label,
        now=now,
        note=None,
        attachment_ids=data.attachment_ids,
        payload={"channel": ticket.channel, "call_id": ticket.call_id, "article_ids": data.article_ids},
    )
    _outbox(db, ticket, event, "accept")
    CREATED.labels(ticket.channel).inc()
    log.info("ticket accepted", extra={"ticket": ticket.number, "channel": ticket.channel})
    return ticket


def _index(db: Session, ticket: Ticket) -> None:
    if db.get_bind().dialect.name != "postgresql":
        return
    doc = search.document(ticket.title, ticket.content, ticket.address)
    ticket.search_vector = func.strip(func.to_tsvector("simple", doc))  # type: ignore[assignment]


def store_attachment(
    db: Session, scope: Scope, *, data_dir: Path, filename: str, content_type: str, content: bytes
) -> TicketAttachment:
    """Keep an uploaded file under data_dir/attachments; link it to a ticket with `attachment_ids`."""
    now = utcnow()
    rel = Path("attachments") / f"{now:%Y/%m}" / uuid.uuid4().hex
    target = data_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    row = TicketAttachment(
        filename=filename[:255],
        content_type=content_type[:100],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        path=str(rel),
        uploaded_by_id=scope.user_id or None,
        created_at=now,
    )
    db.add(row)
    db.flush()
    return row


def _link_attachments(db: Session, ticket: Ticket, ids: list[int]) -> None:
    if not ids:
        return
    rows = list(db.scalars(select(TicketAttachment).where(TicketAttachment.id.in_(ids))))
    if len(rows) != len(set(ids)) or any(r.ticket_id not in (None, ticket.id) for r in rows):
        raise Invalid("附件不存在或属于其他工单", field="attachment_ids")
    for row in rows:
        row.ticket_id = ticket.id


def _cite(db: Session, ticket: Ticket, article_ids: list[int], scope: Scope) -> None:
    known = set(citations(db, ticket.id)) if ticket.id else set()
    for article_id in dict.fromkeys(article_ids):
        if article_id not in known:
            db.add(
                TicketCitation(ticket_id=ticket.id, article_id=article_id, cited_by_id=scope.user_id or None)
            )


# ---------------------------------------------------------------------------- actions


@dataclass
class Ctx:
    """What an effect sees and may add to the timeline row."""

    db: Session
    scope: Scope
    ticket: Ticket
    data: Any
    now: datetime
    cal: WorkingCalendar
    policy: deadlines.Policy
    unit_id: int | None = None  # the unit the action concerns (KPIs)
    on_time: bool | None = None
    record: dict[str, Any] = field(default_factory=dict)


def apply_action(
    db: Session,
    scope: Scope,
    ticket_id: int,
    action: Action | str,
    *,
    actor_label: str | None = None,
    now: datetime | None = None,
    **payload: Any,
) -> Ticket:
    """Apply one workflow action; raises Conflict (409, with `allowed_actions`) if the state forbids it."""
    try:
        action = Action(action)
    except ValueError as exc:
        raise NotFound(f"未知的工单操作 {action}", field="action") from exc
    now = now or utcnow()
    transition = transition_for(action)
    ticket = get(db, scope, ticket_id, lock=True)
    state = TicketState(ticket.state)
    if state not in transition.sources:
        raise Conflict(
            f"工单当前状态为「{state}」，不能执行「{action}」",
            field="action",
            state=str(state),
            allowed_actions=allowed_actions(state, scope.roles),
        )
    if not role_may(transition, scope.roles):
        raise PermissionDenied(f"当前角色不能执行「{action}」", field="action")
    data = _validate(transition.payload, payload)
    cal = WorkingCalendar.load(db)
    policy = deadlines.policy_for(db, ticket.category)
    ctx = Ctx(db, scope, ticket, data, now, cal, policy, unit_id=ticket.lead_unit_id)
    if transition.unit_bound and scope.is_unit_user:
        _require_assignment(ctx, lead=action != Action.answer)
    try:  # any flush below may find the row changed under us
        held = TicketState(ticket.held_state) if ticket.held_state else None
        outcome = EFFECTS[action](ctx)
        new_state = resolve_target(transition, state, outcome, held)
        if new_state != state:
            deadlines.enter_state(ticket, new_state, state, now=now, cal=cal, policy=policy)
            ticket.state = str(new_state)
        ticket.updated_at = now
        attachment_ids = list(getattr(data, "attachment_ids", []))
        _link_attachments(db, ticket, attachment_ids)
        recorded = data.model_dump(mode="json", exclude={"note", "attachment_ids"}, exclude_none=True)
        recorded.update(ctx.record)
        if outcome:
            recorded["outcome"] = outcome
        event = _record(
            db,
            ticket,
            scope,
            action=str(action),
            from_state=str(state),
            role=_actor_role(scope, transition),
            label=actor_label,
            now=now,
            note=getattr(data, "note", None),
            attachment_ids=attachment_ids,
            payload=recorded,
            unit_id=ctx.unit_id,
            on_time=ctx.on_time,
        )
        if transition.exported:
            _outbox(db, ticket, event, str(action))
        db.flush()
    except StaleDataError as exc:  # another transaction changed the ticket first (version column)
        raise Conflict("工单已被他人处理，请刷新后重试", field="version", allowed_actions=[]) from exc
    ACTIONS.labels(str(action)).inc()
    log.info(
        "ticket action",
        extra={"ticket": ticket.number, "action": str(action), "from": str(state), "to": ticket.state},
    )
    return ticket


def _record(
    db: Session,
    ticket: Ticket,
    scope: Scope,
    *,
    action: str,
    from_state: str | None,
    role: str | None,
    label: str | None,
    now: datetime,
    note: str | None,
    attachment_ids: list[int],
    payload: dict[str, Any],
    unit_id: int | None = None,
    on_time: bool | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        action=action,
        from_state=from_state,
        to_state=ticket.state,
        actor_id=scope.user_id or None,
        actor_label=label or scope.full_name,
        actor_role=role,
        actor_unit_id=scope.unit_id,
        unit_id=unit_id,
        on_time=on_time,
        note=note,
        attachment_ids=attachment_ids,
        payload=payload,
        created_at=now,
    )
    db.add(event)
    db.flush()
    return event


def _outbox(db: Session, ticket: Ticket, event: TicketEvent, kind: str) -> None:
    db.add(
        TicketOutbox(
            ticket_id=ticket.id,
            event_id=event.id,
            kind=kind,
            created_at=event.created_at,
            payload={
                "number": ticket.number,
                "external_id": ticket.external_id,
                "action": kind,
                "from_state": event.from_state,
                "state": ticket.state,
                "at": event.created_at.astimezone(UTC).isoformat(),
                "actor": event.actor_label,
                "note": event.note,
                "lead_unit_id": ticket.lead_unit_id,
                "due_at": ticket.due_at.astimezone(UTC).isoformat() if ticket.due_at else None,
                "event": event.payload,
            },
        )
    )


def record_system_event(
    db: Session, ticket: Ticket, *, action: str, label: str, now: datetime, payload: dict[str, Any]
) -> TicketEvent:
    """A timeline row written by the platform itself (e.g. an SLA warning); exported too."""
    event = TicketEvent(
        ticket_id=ticket.id,
        action=action,
        from_state=ticket.state,
        to_state=ticket.state,
        actor_id=None,
        actor_label=label,
        actor_role=None,
        unit_id=ticket.lead_unit_id,
        payload=payload,
        attachment_ids=[],
        created_at=now,
    )
    db.add(event)
    db.flush()
    _outbox(db, ticket, event, action)
    return event


# ---------------------------------------------------------------------------- effects


def _active(ticket: Ticket, kind: AssignmentKind | None = None) -> list[TicketAssignment]:
    return [a for a in ticket.assignments if a.active and (kind is None or a.kind == kind)]


def _lead(ticket: Ticket) -> TicketAssignment | None:
    found = _active(ticket, AssignmentKind.lead)
    return found[0] if found else None


def _require_assignment(ctx: Ctx, *, lead: bool) -> TicketAssignment:
    mine = [a for a in _active(ctx.ticket) if a.unit_id in ctx.scope.unit_ids]
    if lead:
        mine = [a for a in mine if a.kind == AssignmentKind.lead]
    if not mine:
        raise PermissionDenied("本单位不是该工单的主办单位" if lead else "本单位没有承办该工单")
    mine.sort(key=lambda a: a.kind != AssignmentKind.lead)
    return mine[0]


def _unit(ctx: Ctx, unit_id: int, field_name: str) -> Unit:
    unit = ctx.db.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise Invalid(f"单位 {unit_id} 不存在或已停用", field=field_name)
    if not ctx.scope.is_unit_user and not ctx.scope.can_see_tenant(unit.tenant_id):
        raise Invalid(f"单位 {unit.name} 不在本中心（工作站）的交办范围内", field=field_name)
    return unit


def _future(ctx: Ctx, when: datetime | None, field_name: str) -> datetime | None:
    if when is None:
        return None
    if when.tzinfo is None:
        raise Invalid("时间必须带时区", field=field_name)
    if when <= ctx.now:
        raise Invalid("时间必须晚于当前时间", field=field_name)
    return when


def _assign(ctx: Ctx, unit_id: int, kind: AssignmentKind, **extra: Any) -> TicketAssignment:
    row = TicketAssignment(
        ticket_id=ctx.ticket.id,
        unit_id=unit_id,
        kind=str(kind),
        assigned_by_unit_id=ctx.scope.unit_id,
        active=True,
        created_at=ctx.now,
        **extra,
    )
    ctx.db.add(row)
    ctx.ticket.assignments.append(row)
    _sync_units(ctx.ticket)
    return row


def _deactivate(ticket: Ticket, *kinds: AssignmentKind) -> None:
    for a in _active(ticket):
        if not kinds or a.kind in kinds:
            a.active = False
    _sync_units(ticket)


def _sync_units(ticket: Ticket) -> None:
    """tickets.unit_ids mirrors the active assignments (the read path filters on it)."""
    ticket.unit_ids = sorted({a.unit_id for a in _active(ticket)})


def _open_unit_windows(ctx: Ctx, handling: datetime | None = None) -> None:
    t = ctx.ticket
    t.dispatched_at = ctx.now
    t.signed_at = None
    t.sign_deadline = deadlines.sign_deadline(ctx.cal, t.urgency, ctx.now)
    t.handling_deadline = handling or deadlines.handling_deadline(ctx.cal, ctx.policy, t.urgency, ctx.now)


def _reply(ctx: Ctx) -> None:
    ctx.ticket.reply = ctx.data.reply
    _cite(ctx.db, ctx.ticket, ctx.data.article_ids, ctx.scope)


def _noop(ctx: Ctx) -> None:
    return None


def _dispatch(ctx: Ctx) -> None:
    t, d = ctx.ticket, ctx.data
    if (d.lead_unit_id is None) == (d.workstation_id is None):
        raise Invalid("主办单位与工作站必须且只能指定一个", field="lead_unit_id")
    ctx.on_time = t.dispatch_deadline is None or ctx.now <= t.dispatch_deadline
    handling = _future(ctx, d.deadline, "deadline")
    _deactivate(t)
    if d.workstation_id is not None:
        ws = ctx.db.get(Tenant, d.workstation_id)
        if ws is None or ws.id == ctx.scope.tenant_id or not ctx.scope.can_see_tenant(ws.id):
            raise Invalid("工作站不存在或不在下级范围内", field="workstation_id")
        if d.assist_unit_ids:
            raise Invalid("交办工作站时由工作站指定协办单位", field="assist_unit_ids")
        t.workstation_id, t.tenant_id, t.lead_unit_id = ws.id, ws.id, None
        ctx.unit_id = None
        ctx.record["workstation"] = ws.name
    else:
        lead = _unit(ctx, d.lead_unit_id, "lead_unit_id")
        if lead.id in d.assist_unit_ids:
            raise Invalid("主办单位不能同时是协办单位", field="assist_unit_ids")
        assists = [_unit(ctx, uid, "assist_unit_ids") for uid in dict.fromkeys(d.assist_unit_ids)]
        t.lead_unit_id = lead.id
        ctx.unit_id = lead.id
        ctx.record["lead_unit"] = lead.name
        ctx.record["assist_units"] = [u.name for u in assists]
    _open_unit_windows(ctx, handling)
    if t.lead_unit_id is not None:
        _assign(
            ctx,
            t.lead_unit_id,
            AssignmentKind.lead,
            deadline=t.handling_deadline,
            instructions=d.instructions,
        )
        for uid in dict.fromkeys(d.assist_unit_ids):
            _assign(
                ctx, uid, AssignmentKind.assist, deadline=t.handling_deadline, instructions=d.instructions
            )
    ctx.record["sign_deadline"] = t.sign_deadline.isoformat()
    ctx.record["handling_deadline"] = t.handling_deadline.isoformat()


def _sign(ctx: Ctx) -> str:
    t, scope = ctx.ticket, ctx.scope
    ctx.on_time = t.sign_deadline is None or ctx.now <= t.sign_deadline
    if t.lead_unit_id is not None:
        if not scope.is_unit_user and not scope.has(Role.admin):
            raise PermissionDenied("应由主办单位签收", field="action")
        lead = _lead(t)
        if lead is not None:
            lead.signed_at = ctx.now
        t.signed_at = ctx.now
        return "unit"
    if t.workstation_id is not None and t.tenant_id == t.workstation_id:
        if not (
            scope.has(Role.admin) or (scope.has(Role.workstation) and scope.tenant_id == t.workstation_id)
        ):
            raise PermissionDenied("应由承办工作站签收", field="action")
        t.signed_at = ctx.now
        return "workstation"
    if scope.is_unit_user or not scope.has(Role.admin, Role.dispatcher):
        raise PermissionDenied("应由中心工单员签收", field="action")
    t.signed_at = ctx.now
    return "centre"


def _return_request(ctx: Ctx) -> None:
    t = ctx.ticket
    if ctx.scope.has(Role.workstation) and not ctx.scope.is_unit_user and t.lead_unit_id is not None:
        raise PermissionDenied("工作站只能退回交办给本工作站的工单", field="action")
    t.held_state = t.state
    ctx.on_time = t.sign_deadline is None or ctx.now <= t.sign_deadline


def _return_approve(ctx: Ctx) -> None:
    t = ctx.ticket
    _deactivate(t)
    if t.lead_unit_id is None and t.workstation_id is not None and t.tenant_id == t.workstation_id:
        # the workstation itself returned it: back to the centre that dispatched it
        ws = ctx.db.get(Tenant, t.workstation_id)
        t.tenant_id = ws.parent_id or ws.id
        t.workstation_id = None
    t.lead_unit_id = None
    t.held_state = None
    t.return_count += 1
    t.signed_at = None


def _clear_held(ctx: Ctx) -> None:
    ctx.ticket.held_state = None


def _extension_request(ctx: Ctx) -> None:
    t = ctx.ticket
    until = _future(ctx, ctx.data.until, "until")
    if t.handling_deadline and until <= t.handling_deadline:
        raise Invalid("申请延期的时间必须晚于当前办理时限", field="until")
    t.requested_until = until


def _extension_approve(ctx: Ctx) -> None:
    t = ctx.ticket
    until = _future(ctx, ctx.data.until, "until") or t.requested_until
    if until is None or until <= ctx.now:
        raise Invalid("延期时间必须晚于当前时间", field="until")
    t.requested_until = None
    deadlines.set_handling_deadline(t, ctx.cal, ctx.policy, until, now=ctx.now)
    ctx.record["handling_deadline"] = until.isoformat()


def _extension_reject(ctx: Ctx) -> None:
    ctx.ticket.requested_until = None


def _forward(ctx: Ctx) -> None:
    t = ctx.ticket
    unit = _unit(ctx, ctx.data.unit_id, "unit_id")
    if unit.id == t.lead_unit_id:
        raise Invalid("不能转交给当前主办单位", field="unit_id")
    _deactivate(t, AssignmentKind.lead)
    t.lead_unit_id = unit.id
    handling = t.handling_deadline
    _open_unit_windows(ctx, handling if handling and handling > ctx.now else None)
    _assign(ctx, unit.id, AssignmentKind.lead, deadline=t.handling_deadline)
    ctx.unit_id = unit.id
    ctx.record["unit"] = unit.name
    ctx.record["sign_deadline"] = t.sign_deadline.isoformat()


def _collaborate(ctx: Ctx) -> None:
    t, d, scope = ctx.ticket, ctx.data, ctx.scope
    deadline = _future(ctx, d.deadline, "deadline")
    names = []
    held = {a.unit_id for a in _active(t)}
    for uid in dict.fromkeys(d.unit_ids):
        unit = _unit(ctx, uid, "unit_ids")
        if scope.is_unit_user and (uid not in scope.unit_ids or uid == scope.unit_id):
            raise Invalid(f"{unit.name} 不是本单位的下级单位", field="unit_ids")
        if uid in held:
            raise Invalid(f"{unit.name} 已在办理该工单", field="unit_ids")
        _assign(ctx, uid, AssignmentKind.collaborator, deadline=deadline, instructions=d.instructions)
        names.append(unit.name)
    ctx.record["units"] = names


def _answer(ctx: Ctx) -> str:
    t, d = ctx.ticket, ctx.data
    mine = _require_assignment(ctx, lead=False) if ctx.scope.is_unit_user else _lead(t)
    if mine is None:
        raise Invalid("工单没有主办单位", field="action")
    mine.answered_at, mine.answer = ctx.now, d.content
    ctx.unit_id = mine.unit_id
    if mine.kind != AssignmentKind.lead:
        ctx.record["part"] = mine.kind
        return "partial"
    t.answer, t.answered_at = d.content, ctx.now
    ctx.on_time = t.handling_deadline is None or ctx.now <= t.handling_deadline
    return "lead"


def _review_answer(ctx: Ctx) -> str:
    if ctx.data.result == "send_back" and not ctx.data.note:
        raise Invalid("退回重办必须填写理由", field="note")
    return ctx.data.result


def _revisit(ctx: Ctx) -> str:
    t, d = ctx.ticket, ctx.data
    t.satisfaction = str(d.result)
    if d.result != RevisitResult.unsatisfied:
        return "satisfied"
    t.unsatisfied_count += 1
    t.reopen_count += 1
    if t.unsatisfied_count >= 2:
        t.difficult = True
    ctx.record["reopen_count"] = t.reopen_count
    ctx.record["difficult"] = t.difficult
    if t.lead_unit_id is None:
        return "redispatch"
    # 重办: back to the same units, flagged, with fresh windows
    _open_unit_windows(ctx)
    for a in _active(t):
        a.signed_at = a.answered_at = None
        a.deadline = t.handling_deadline
    t.answered_at = None
    ctx.record["sign_deadline"] = t.sign_deadline.isoformat()
    return "reopen"


def _close(ctx: Ctx) -> None:
    ctx.ticket.closed_at = ctx.now


def _urge(ctx: Ctx) -> None:
    ctx.ticket.urge_count += 1


def _supplement(ctx: Ctx) -> None:
    t = ctx.ticket
    stamp = ctx.now.astimezone(ctx.cal.tz).strftime("%Y-%m-%d %H:%M")
    t.content = f"{t.content}\n【补充 {stamp}】{ctx.data.content}"
    _index(ctx.db, t)


def _withdraw(ctx: Ctx) -> None:
    ctx.ticket.closed_at = ctx.now


def _follow(ctx: Ctx) -> None:
    if ctx.scope.user_id and ctx.db.get(TicketFollow, (ctx.ticket.id, ctx.scope.user_id)) is None:
        ctx.db.add(TicketFollow(ticket_id=ctx.ticket.id, user_id=ctx.scope.user_id, created_at=ctx.now))


def _unfollow(ctx: Ctx) -> None:
    row = ctx.db.get(TicketFollow, (ctx.ticket.id, ctx.scope.user_id))
    if row is not None:
        ctx.db.delete(row)


def _supervise(ctx: Ctx) -> None:
    t = ctx.ticket
    deadline = _future(ctx, ctx.data.deadline, "deadline")
    t.supervised = True
    deadlines.set_handling_deadline(t, ctx.cal, ctx.policy, deadline, now=ctx.now)
    for a in _active(t):
        a.deadline = deadline


EFFECTS: dict[Action, Callable[[Ctx], str | None]] = {
    Action.reply: _reply,
    Action.submit_review: _noop,
    Action.approve: _noop,
    Action.reject: _noop,
    Action.dispatch: _dispatch,
    Action.sign: _sign,
    Action.return_request: _return_request,
    Action.return_approve: _return_approve,
    Action.return_reject: _clear_held,
    Action.extension_request: _extension_request,
    Action.extension_approve: _extension_approve,
    Action.extension_reject: _extension_reject,
    Action.forward: _forward,
    Action.collaborate: _collaborate,
    Action.answer: _answer,
    Action.review_answer: _review_answer,
    Action.revisit: _revisit,
    Action.close: _close,
    Action.urge: _urge,
    Action.supplement: _supplement,
    Action.withdraw: _withdraw,
    Action.follow: _follow,
    Action.unfollow: _unfollow,
    Action.supervise: _supervise,
}
