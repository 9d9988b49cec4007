"""工单 API: accept, read, every workflow action, inboxes, search, export, attachments, calendar."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import DB, CurrentScope, IdempotencyKey, Paging, require_roles
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page, Problem
from kb import citations as kb_citations
from models.db import utcnow
from models.errors import DomainError, Invalid, NotFound
from models.org import Role
from models.scope import Scope
from models.tickets import SlaRule, Ticket, TicketAttachment, TicketEvent
from tickets import access, calendar, deadlines, export, queries, service
from tickets.enums import (
    ACTION_LABELS,
    AppealType,
    Channel,
    Urgency,
    WarningColour,
)
from tickets.payloads import BatchAnswerIn, TicketIn
from tickets.transitions import TABLE

router = APIRouter(prefix="/api", tags=["工单"], responses=PROBLEM_RESPONSES)
Admin = Annotated[Scope, require_roles(Role.admin)]
MAX_UPLOAD = 20 * 1024 * 1024


class AssignmentOut(ORMModel):
    id: int
    unit_id: int
    kind: str
    deadline: datetime | None
    instructions: str | None
    active: bool
    signed_at: datetime | None
    answered_at: datetime | None
    answer: str | None


class TicketSummary(BaseModel):
    id: int
    number: str
    tenant_id: int
    channel: str
    appeal_type: str
    urgency: str
    title: str
    district: str | None
    category: str | None
    state: str
    lead_unit_id: int | None
    citizen_name: str | None
    citizen_phone: str | None
    confidential: bool
    difficult: bool
    supervised: bool
    reopen_count: int
    created_at: datetime
    due_at: datetime | None
    warning: WarningColour = Field(description="红黄灯：none / yellow / red")


class TicketOut(TicketSummary):
    call_id: str | None
    external_id: str | None
    content: str
    address: str | None
    workstation_id: int | None
    held_state: str | None
    unsatisfied_count: int
    urge_count: int
    return_count: int
    reply: str | None
    answer: str | None
    satisfaction: str | None
    requested_until: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    dispatch_deadline: datetime | None
    sign_deadline: datetime | None
    handling_deadline: datetime | None
    version: int
    assignments: list[AssignmentOut]
    article_ids: list[int]
    following: bool
    allowed_actions: list[str] = Field(description="当前用户此刻可执行的操作")


class EventOut(ORMModel):
    id: int
    action: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_label: str
    actor_role: str | None
    actor_unit_id: int | None
    unit_id: int | None
    on_time: bool | None
    note: str | None
    attachment_ids: list[int]
    payload: dict
    created_at: datetime


class ActionProblem(Problem):
    """409 for an action the ticket's state does not allow."""

    state: str | None = Field(default=None, description="工单当前状态")
    allowed_actions: list[str] = Field(default_factory=list, description="当前用户此刻可执行的操作")


class AttachmentOut(ORMModel):
    id: int
    ticket_id: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class HistoryOut(BaseModel):
    items: list[TicketSummary]
    prefill: dict[str, Any] = Field(description="上一张工单的诉求人、地址、分类等，可带入新工单")


class BatchItem(BaseModel):
    ticket_id: int
    ok: bool
    state: str | None = None
    status: int | None = None
    detail: str | None = None


class CalendarDayOut(ORMModel):
    day: date
    working: bool
    name: str | None
    source: str


class CalendarDayIn(BaseModel):
    working: bool = Field(description="true 调休上班 / false 放假")
    name: str | None = Field(default=None, max_length=64)


class SlaRuleOut(ORMModel):
    category: str
    handling_days: int
    urgent_handling_days: int
    yellow_pct: float


class SlaRuleIn(BaseModel):
    handling_days: int = Field(ge=1, le=365, description="办理时限（工作日）")
    urgent_handling_days: int = Field(default=1, ge=1, le=365)
    yellow_pct: float = Field(default=0.8, gt=0, lt=1, description="时限过去该比例时黄灯")


def _summary(t: Ticket, scope: Scope, now: datetime) -> dict[str, Any]:
    name, phone = access.citizen_for(t, scope)
    data = {k: getattr(t, k) for k in TicketSummary.model_fields if hasattr(t, k)}
    data.update(citizen_name=name, citizen_phone=phone, warning=deadlines.ticket_colour(t, now))
    return data


def _out(db: Session, t: Ticket, scope: Scope) -> dict[str, Any]:
    data = {k: getattr(t, k) for k in TicketOut.model_fields if hasattr(t, k)}
    data.update(_summary(t, scope, utcnow()))
    data.update(
        assignments=t.assignments,
        article_ids=service.citations(db, t.id),
        following=service.is_following(db, scope, t.id),
        allowed_actions=service.actions_for(t, scope),
    )
    return data


def _filters(
    inbox: Annotated[queries.Inbox | None, Query(description="收件箱")] = None,
    state: Annotated[list[str] | None, Query(description="状态，可多选")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="全文检索：标题、内容、地址、编号、电话")
    ] = None,
    channel: Channel | None = None,
    appeal_type: AppealType | None = None,
    urgency: Urgency | None = None,
    district: str | None = None,
    category: str | None = None,
    lead_unit_id: int | None = None,
    warning: WarningColour | None = None,
    phone: str | None = None,
    difficult: bool | None = None,
    supervised: bool | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> queries.Filters:
    return queries.Filters(
        inbox=inbox,
        state=state,
        q=q,
        channel=channel,
        appeal_type=appeal_type,
        urgency=urgency,
        district=district,
        category=category,
        lead_unit_id=lead_unit_id,
        warning=warning,
        phone=phone,
        difficult=difficult,
        supervised=supervised,
        created_from=created_from,
        created_to=created_to,
    )


Filters = Annotated[queries.Filters, Depends(_filters)]


def _cite(db: Session, scope: Scope, ticket: Ticket, article_ids: list[int]) -> None:
    """Knowledge cited in an acceptance or a direct reply counts for the article's heat (kb)."""
    if article_ids:
        kb_citations.record(db, article_ids=article_ids, ticket_id=ticket.id, scope=scope)


# ---------------------------------------------------------------------------- static routes first


@router.post("/tickets", response_model=TicketOut, status_code=201, summary="受理工单")
def create_ticket(
    body: TicketIn,
    db: DB,
    scope: CurrentScope,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    ticket = service.accept(db, scope, idempotency_key=idempotency_key, **body.model_dump(exclude_unset=True))
    _cite(db, scope, ticket, body.article_ids)
    db.commit()
    _dispatch_soon(ticket)
    return _out(db, ticket, scope)


def _dispatch_soon(ticket: Ticket) -> None:
    """After the commit (the worker must find the row): suggest / auto-dispatch now, not at the next poll."""
    if ticket.state in ("accepted", "to_dispatch"):
        from api.worker import celery_app
        from assist.dispatch.tasks import enqueue_accepted

        enqueue_accepted(celery_app, ticket.id, ticket.number)


@router.post(
    "/tickets/regional",
    response_model=TicketOut,
    status_code=201,
    summary="自治区平台转派工单（入站）",
    description="自治区 12345 平台转派给本市的工单，进入待签收，签收时限可由自治区指定。",
)
def regional_inbound(
    body: TicketIn,
    db: DB,
    scope: Annotated[Scope, require_roles(Role.dispatcher)],
    idempotency_key: IdempotencyKey = None,
) -> dict:
    fields = body.model_dump(exclude_unset=True)
    fields["channel"] = Channel.regional
    ticket = service.accept(db, scope, idempotency_key=idempotency_key or body.external_id, **fields)
    db.commit()
    return _out(db, ticket, scope)


@router.get(
    "/tickets",
    response_model=Page[TicketSummary],
    summary="工单列表：收件箱、筛选、全文检索",
    description=f"按受理时间倒序。全文检索时 total 最多统计到 {queries.SEARCH_COUNT_CAP}。",
)
def list_tickets(db: DB, scope: CurrentScope, paging: Paging, filters: Filters) -> dict:
    now = utcnow()
    rows, total = queries.list_tickets(db, scope, filters, offset=paging.offset, limit=paging.size, now=now)
    return {
        "items": [_summary(t, scope, now) for t in rows],
        "total": total,
        "page": paging.page,
        "size": paging.size,
    }


@router.get(
    "/tickets/export",
    summary="导出工单（xlsx）",
    response_class=StreamingResponse,
    responses={200: {"content": {export.XLSX: {}}}},
)
def export_tickets(
    db: DB, scope: CurrentScope, filters: Filters, limit: Annotated[int, Query(ge=1, le=50000)] = 10000
) -> StreamingResponse:
    data = export.tickets_xlsx(db, scope, filters, limit=limit)
    name = f"tickets-{utcnow():%Y%m%d%H%M}.xlsx"
    return StreamingResponse(
        io.BytesIO(data),
        media_type=export.XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/tickets/history", response_model=HistoryOut, summary="来电人历史工单（可带入新工单）")
def caller_history(
    db: DB, scope: CurrentScope, phone: Annotated[str, Query(min_length=3, max_length=32)]
) -> dict:
    rows, prefill = queries.caller_history(db, scope, phone)
    now = utcnow()
    if scope.is_unit_user:
        prefill = {}
    return {"items": [_summary(t, scope, now) for t in rows], "prefill": prefill}


@router.get("/tickets/actions", summary="工单流转表（状态、操作、角色）")
def transition_table() -> list[dict[str, Any]]:
    return [
        {
            "action": str(t.action),
            "label": ACTION_LABELS[t.action],
            "from": sorted(str(s) for s in t.sources),
            "to": str(t.target),
            "outcomes": {k: str(v) for k, v in t.outcomes.items()},
            "roles": sorted(str(r) for r in t.roles),
            "summary": t.summary,
        }
        for t in TABLE
    ]


@router.post("/tickets/attachments", response_model=AttachmentOut, status_code=201, summary="上传附件")
async def upload_attachment(
    request: Request, db: DB, scope: CurrentScope, file: UploadFile = File(...)
) -> object:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Invalid("附件不能超过 20 MB", field="file")
    if not content:
        raise Invalid("附件为空", field="file")
    row = service.store_attachment(
        db,
        scope,
        data_dir=Path(request.app.state.settings.data_dir),
        filename=file.filename or "file",
        content_type=file.content_type or "application/octet-stream",
        content=content,
    )
    db.commit()
    return row


@router.post("/tickets/batch/answer", response_model=list[BatchItem], summary="批量答复（本单位）")
def batch_answer(
    body: BatchAnswerIn, db: DB, scope: Annotated[Scope, require_roles(Role.unit_handler, Role.unit_leader)]
) -> list[dict]:
    fields = body.model_dump(exclude={"ticket_ids"})
    results = []
    for ticket_id in dict.fromkeys(body.ticket_ids):
        savepoint = db.begin_nested()
        try:
            ticket = service.apply_action(db, scope, ticket_id, "answer", **fields)
        except DomainError as exc:
            savepoint.rollback()
            results.append({"ticket_id": ticket_id, "ok": False, "status": exc.status, "detail": exc.detail})
            continue
        savepoint.commit()
        results.append({"ticket_id": ticket_id, "ok": True, "state": ticket.state})
    db.commit()
    return results


@router.get("/tickets/calendar", response_model=list[CalendarDayOut], summary="工作日历：节假日与调休")
def list_calendar(db: DB, scope: CurrentScope, year: Annotated[int, Query(ge=2000, le=2100)]) -> list:
    return calendar.list_days(db, year)


@router.post("/tickets/calendar/{year}/seed", summary="按国务院安排导入某年节假日（chinese-calendar）")
def seed_calendar(year: int, db: DB, scope: Admin) -> dict[str, int]:
    written = calendar.seed_year(db, year)
    db.commit()
    return {"year": year, "days": written}


@router.put("/tickets/calendar/{day}", response_model=CalendarDayOut, summary="设置某天放假或调休上班")
def put_calendar_day(day: date, body: CalendarDayIn, db: DB, scope: Admin) -> object:
    row = calendar.set_day(db, day=day, working=body.working, name=body.name)
    db.commit()
    return row


@router.delete("/tickets/calendar/{day}", status_code=204, summary="删除某天的特殊安排")
def delete_calendar_day(day: date, db: DB, scope: Admin) -> Response:
    calendar.delete_day(db, day)
    db.commit()
    return Response(status_code=204)


@router.get("/tickets/sla-rules", response_model=list[SlaRuleOut], summary="办理时限规则（按分类）")
def list_sla_rules(db: DB, scope: CurrentScope) -> list:
    return list(db.scalars(select(SlaRule).order_by(SlaRule.category)))


@router.put(
    "/tickets/sla-rules/{category:path}", response_model=SlaRuleOut, summary="设置分类的办理时限与黄灯比例"
)
def put_sla_rule(category: str, body: SlaRuleIn, db: DB, scope: Admin) -> object:
    row = deadlines.set_rule(db, category=category, **body.model_dump())
    db.commit()
    return row


# ---------------------------------------------------------------------------- one ticket


@router.get("/tickets/{ticket_id}", response_model=TicketOut, summary="工单详情")
def get_ticket(ticket_id: int, db: DB, scope: CurrentScope) -> dict:
    return _out(db, service.get(db, scope, ticket_id), scope)


@router.get("/tickets/{ticket_id}/timeline", response_model=list[EventOut], summary="工单流转记录（只追加）")
def get_timeline(ticket_id: int, db: DB, scope: CurrentScope) -> list[TicketEvent]:
    return service.timeline(db, scope, ticket_id)


@router.get("/tickets/{ticket_id}/attachments", response_model=list[AttachmentOut], summary="工单附件")
def list_attachments(ticket_id: int, db: DB, scope: CurrentScope) -> list:
    return service.attachments(db, scope, ticket_id)


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}", summary="下载附件", response_class=FileResponse
)
def download_attachment(
    ticket_id: int, attachment_id: int, request: Request, db: DB, scope: CurrentScope
) -> FileResponse:
    service.get(db, scope, ticket_id)
    row = db.get(TicketAttachment, attachment_id)
    if row is None or row.ticket_id != ticket_id:
        raise NotFound("附件不存在")
    path = Path(request.app.state.settings.data_dir) / row.path
    return FileResponse(path, media_type=row.content_type, filename=row.filename)


def _action_endpoint(action: str, model: type[BaseModel]):
    def endpoint(ticket_id: int, body, db: DB, scope: CurrentScope) -> dict:
        payload = body.model_dump(exclude_unset=True)
        ticket = service.apply_action(db, scope, ticket_id, action, **payload)
        if action in ("revisit", "close"):  # merged tickets (并案) follow, in this transaction
            from assist.hotspot.service import follow_primary

            follow_primary(db, scope, ticket_id, action, payload)
        _cite(db, scope, ticket, payload.get("article_ids", []))
        db.commit()
        return _out(db, ticket, scope)

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": model}
    endpoint.__name__ = f"ticket_{action.replace('-', '_')}"
    return endpoint


for _t in TABLE:
    router.add_api_route(
        f"/tickets/{{ticket_id}}/{_t.action}",
        _action_endpoint(str(_t.action), _t.payload),
        methods=["POST"],
        response_model=TicketOut,
        responses={409: {"model": ActionProblem, "description": "当前状态不允许该操作"}},
        summary=f"{ACTION_LABELS[_t.action]}（{_t.action}）",
        description=f"{_t.summary}。可执行状态：{'、'.join(sorted(str(s) for s in _t.sources))}；"
        f"角色：{'、'.join(sorted(str(r) for r in _t.roles))}。状态不允许时返回 409 及 allowed_actions。",
    )
