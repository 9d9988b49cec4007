"""报表 API: ticket KPIs and the real-time ticket monitor."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import DB, CurrentScope
from api.schemas import PROBLEM_RESPONSES
from models.db import utcnow
from models.errors import Invalid
from tickets import kpis

router = APIRouter(prefix="/api", tags=["报表"], responses=PROBLEM_RESPONSES)


class UnitKpi(BaseModel):
    unit_id: int
    unit_name: str | None
    signed: int
    signed_on_time: int
    timely_sign_rate: float | None = Field(description="及时签收率")
    returns: int
    returns_on_time: int
    timely_return_rate: float | None = Field(description="及时退回率")
    answered: int
    answered_on_time: int
    on_time_completion_rate: float | None = Field(description="按时办结率")
    revisits: int
    satisfied: int
    satisfaction_rate: float | None = Field(description="满意率（满意+基本满意）")


class CentreKpi(BaseModel):
    dispatched: int
    dispatched_on_time: int
    dispatch_timeliness: float | None = Field(description="及时交办率")
    consultations: int
    direct_replies: int
    direct_reply_rate: float | None = Field(description="咨询类直接答复率")


class TicketKpis(BaseModel):
    start: datetime
    end: datetime
    units: list[UnitKpi]
    centre: CentreKpi


class MonitorRow(BaseModel):
    state: str
    label: str
    none: int
    yellow: int
    red: int
    total: int


class Monitor(BaseModel):
    at: datetime
    by_state: list[MonitorRow]
    totals: dict[str, int]


@router.get("/reports/ticket-kpis", response_model=TicketKpis, summary="单位考核指标（由工单流转记录计算）")
def ticket_kpis(
    db: DB,
    scope: CurrentScope,
    start: Annotated[datetime | None, Query(description="起始时间（含），默认 30 天前")] = None,
    end: Annotated[datetime | None, Query(description="结束时间（不含），默认现在")] = None,
) -> dict[str, Any]:
    end = end or utcnow()
    start = start or end - timedelta(days=30)
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("时间必须带时区", field="start" if start.tzinfo is None else "end")
    if start >= end:
        raise Invalid("起始时间必须早于结束时间", field="start")
    return {"start": start, "end": end, **kpis.unit_kpis(db, scope, start=start, end=end)}


@router.get("/reports/ticket-monitor", response_model=Monitor, summary="工单实时监控：按状态与红黄灯")
def ticket_monitor(db: DB, scope: CurrentScope) -> dict[str, Any]:
    return kpis.monitor(db, scope)
