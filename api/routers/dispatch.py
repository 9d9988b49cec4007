"""智能派单 API: suggestions, duty catalogue, model versions, shadow mode, duplicates/merge, hotspots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import DB, CurrentScope, Paging, require_roles
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page
from assist.dispatch import jobs, service
from assist.hotspot import notify as hotspot_notify
from assist.hotspot import service as hotspots
from assist.hotspot.report import hotspot_workbook
from models.errors import DomainError
from models.org import Role
from models.scope import Scope

router = APIRouter(prefix="/api", tags=["智能派单"], responses=PROBLEM_RESPONSES)

Centre = Annotated[Scope, require_roles(Role.dispatcher, Role.workstation, Role.agent)]
Dispatcher = Annotated[Scope, require_roles(Role.dispatcher, Role.workstation)]
Oversight = Annotated[Scope, require_roles(Role.dispatcher, Role.supervisor, Role.revisit_officer)]
Admin = Annotated[Scope, require_roles()]


class Unavailable(DomainError):
    status = 503
    title = "服务暂不可用"


def _root(db, scope: Scope) -> int:
    return service.root_tenant_id(db, scope.tenant_id)


def _ticket(db, scope: Scope, ticket_id: int):
    from tickets import service as tickets

    return tickets.get(db, scope, ticket_id)  # 404 / 403 outside the user's scope


# ------------------------------------------------------------------------------ suggestions
class SuggestIn(BaseModel):
    text: str = Field(min_length=2, max_length=20000, description="诉求内容（草稿）")
    address: str | None = Field(default=None, max_length=255, description="地址")
    district: str | None = Field(default=None, max_length=50, description="县区")


class SuggestionOut(BaseModel):
    label: str
    unit_id: int | None
    name: str
    confidence: float
    reasons: list[str]
    source: Literal["model", "catalogue"] = Field(
        description="model：模型排序（有置信度）；catalogue：模型未学习的单位，仅依据权责清单建议（不自动派单）"
    )


class DecisionOut(BaseModel):
    suggestions: list[SuggestionOut]
    auto: bool = Field(description="达到该类别自动派单阈值")
    threshold: float | None
    district: str | None
    place_reason: str
    model_version: int
    auto_dispatch_enabled: bool


def _decision(db, tenant_id: int, decision, row) -> DecisionOut:
    return DecisionOut(
        **decision.as_dict(),
        model_version=row.version,
        auto_dispatch_enabled=service.settings_for(db, tenant_id).auto_dispatch,
    )


@router.post("/dispatch/suggest", response_model=DecisionOut, summary="为诉求草稿推荐承办单位（前三）")
def suggest_text(body: SuggestIn, db: DB, scope: Centre) -> DecisionOut:
    root = _root(db, scope)
    decision, row = service.suggest(
        db, tenant_id=root, text=body.text, district=body.district, address=body.address
    )
    return _decision(db, root, decision, row)


@router.get("/dispatch/tickets/{ticket_id}/suggestions", response_model=DecisionOut, summary="工单的派单建议")
def suggest_ticket(ticket_id: int, db: DB, scope: Centre) -> DecisionOut:
    _ticket(db, scope, ticket_id)
    decision, row = service.suggest_for_ticket(db, ticket_id, record=False)
    return _decision(db, _root(db, scope), decision, row)


class FeedbackIn(BaseModel):
    unit_id: int = Field(description="单位")
    kind: str = Field(
        pattern="^(correct|returned)$", description="correct：应由该单位办理；returned：非该单位职责"
    )


class FeedbackOut(ORMModel):
    id: int
    ticket_id: int | None
    unit_id: int
    kind: str
    created_at: datetime


@router.post(
    "/dispatch/tickets/{ticket_id}/feedback",
    response_model=FeedbackOut,
    status_code=201,
    summary="纠正派单（学习）",
)
def feedback(ticket_id: int, body: FeedbackIn, db: DB, scope: Dispatcher) -> FeedbackOut:
    _ticket(db, scope, ticket_id)
    row = service.record_feedback(
        db,
        tenant_id=_root(db, scope),
        ticket_id=ticket_id,
        unit_id=body.unit_id,
        kind=body.kind,
        user_id=scope.user_id,
    )
    db.commit()
    return FeedbackOut.model_validate(row)


# ------------------------------------------------------------------------------ duty catalogue
class DutyIn(BaseModel):
    unit_id: int
    duty: str = Field(default="", max_length=4000, description="职责描述（展示给工单员）")
    keywords: list[str] = Field(default_factory=list, max_length=200, description="关键词")
    exclusions: list[str] = Field(default_factory=list, max_length=200, description="排除词（非本单位职责）")
    active: bool = True


class DutyOut(ORMModel):
    id: int
    unit_id: int
    duty: str
    keywords: list[str]
    exclusions: list[str]
    active: bool
    updated_at: datetime


@router.get("/dispatch/duties", response_model=Page[DutyOut], summary="权责清单")
def list_duties(db: DB, scope: Centre, paging: Paging, unit_id: int | None = None) -> Page[DutyOut]:
    rows = [r for r in service.list_duties(db, _root(db, scope)) if unit_id is None or r.unit_id == unit_id]
    items = rows[paging.offset : paging.offset + paging.size]
    return Page(
        items=[DutyOut.model_validate(r) for r in items], total=len(rows), page=paging.page, size=paging.size
    )


@router.put("/dispatch/duties", response_model=DutyOut, summary="新增或修改单位的权责清单条目")
def put_duty(body: DutyIn, db: DB, scope: Dispatcher) -> DutyOut:
    row = service.upsert_duty(db, tenant_id=_root(db, scope), user_id=scope.user_id, **body.model_dump())
    db.commit()
    return DutyOut.model_validate(row)


@router.delete("/dispatch/duties/{item_id}", status_code=204, summary="删除权责清单条目")
def delete_duty(item_id: int, db: DB, scope: Dispatcher) -> Response:
    service.delete_duty(db, tenant_id=_root(db, scope), item_id=item_id)
    db.commit()
    return Response(status_code=204)


# ------------------------------------------------------------------------------ models
class ModelOut(BaseModel):
    id: int
    version: int
    status: str
    source: str
    n_samples: int
    labels: int
    thresholds: dict
    default_threshold: float | None
    target_precision: float
    metrics: dict
    note: str | None
    created_at: datetime
    activated_at: datetime | None
    thresholds_updated_at: datetime | None = Field(description="阈值最近一次人工修改时间")
    thresholds_updated_by_id: int | None
    label_names: dict[str, str] = Field(description="类别对应的单位名称")


def _model_out(db, row) -> ModelOut:
    return ModelOut(**service.model_for_export(row), label_names=service.label_names(db, row.labels))


Threshold = Annotated[float | None, Field(ge=0, le=1)]


class ThresholdsIn(BaseModel):
    thresholds: dict[str, Threshold] = Field(
        default_factory=dict, description="类别 → 自动派单阈值（0~1；null：该类别不自动派单），只改列出的类别"
    )
    default_threshold: Threshold = Field(default=None, description="未单独设阈值的类别使用的默认阈值")
    set_default: bool = Field(default=False, description="同时修改默认阈值")


class TrainingJobOut(ORMModel):
    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    stage_text: str
    progress: float = Field(description="整体进度 0~1")
    source: str
    note: str | None
    error: str | None = Field(description="失败原因")
    model_id: int | None
    model_version: int | None
    created_at: datetime
    started_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None
    eta_seconds: float | None = Field(description="预计剩余秒数")


def _job_out(db, job) -> TrainingJobOut:
    model = jobs.job_model(db, job)
    return TrainingJobOut(
        id=job.id,
        status=job.status,
        stage=job.stage,
        stage_text=jobs.STAGE_TEXT.get(job.stage, job.stage),
        progress=job.progress,
        source=job.source,
        note=job.note,
        error=job.error,
        model_id=job.model_id,
        model_version=model.version if model else None,
        created_at=job.created_at,
        started_at=job.started_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        eta_seconds=jobs.eta_seconds(job),
    )


class SettingsIn(BaseModel):
    auto_dispatch: bool = Field(description="开启自动派单（否则影子模式：只建议、与人工对比）")
    force: bool = Field(default=False, description="跳过影子运行检查")


class SettingsOut(ORMModel):
    auto_dispatch: bool
    target_precision: float
    updated_at: datetime


@router.get("/dispatch/models", response_model=list[ModelOut], summary="模型版本及指标")
def list_models(db: DB, scope: Oversight) -> list[ModelOut]:
    return [_model_out(db, r) for r in service.list_models(db, _root(db, scope))]


@router.post(
    "/dispatch/models/train",
    response_model=TrainingJobOut,
    status_code=202,
    summary="用历史工单训练新版本（后台任务，返回任务编号）",
)
def train_model(
    request: Request,
    response: Response,
    db: DB,
    scope: Admin,
    promote: bool | None = None,
    note: Annotated[str | None, Query(max_length=255)] = None,
) -> TrainingJobOut:
    from assist.dispatch.tasks import enqueue_training

    job = jobs.start_job(db, tenant_id=_root(db, scope), user_id=scope.user_id, note=note, promote=promote)
    db.commit()
    if not enqueue_training(request.app.state.celery, job.id, job.token):
        jobs.discard(db, job)
        db.commit()
        raise Unavailable("后台任务队列不可用，训练未能提交，请稍后再试")
    response.headers["Location"] = f"/api/dispatch/models/train/{job.id}"
    return _job_out(db, job)


@router.get("/dispatch/models/train", response_model=list[TrainingJobOut], summary="最近的训练任务")
def list_training_jobs(
    db: DB, scope: Oversight, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[TrainingJobOut]:
    return [_job_out(db, j) for j in jobs.list_jobs(db, _root(db, scope), limit)]


@router.get("/dispatch/models/train/{job_id}", response_model=TrainingJobOut, summary="训练任务的状态与进度")
def get_training_job(job_id: int, db: DB, scope: Oversight) -> TrainingJobOut:
    return _job_out(db, jobs.get_job(db, _root(db, scope), job_id))


@router.put(
    "/dispatch/models/{version}/thresholds", response_model=ModelOut, summary="修改模型版本的分类别阈值"
)
def put_thresholds(version: int, body: ThresholdsIn, db: DB, scope: Admin) -> ModelOut:
    root = _root(db, scope)
    row = service.edit_thresholds(
        db, tenant_id=root, version=version, user_id=scope.user_id, **body.model_dump()
    )
    db.commit()
    return _model_out(db, row)


@router.post("/dispatch/models/{version}/activate", response_model=ModelOut, summary="启用指定版本")
def activate(version: int, db: DB, scope: Admin) -> ModelOut:
    row = service.activate(db, tenant_id=_root(db, scope), version=version)
    db.commit()
    return _model_out(db, row)


@router.post("/dispatch/models/rollback", response_model=ModelOut, summary="回滚到上一版本")
def rollback(db: DB, scope: Admin) -> ModelOut:
    row = service.rollback(db, tenant_id=_root(db, scope))
    db.commit()
    return _model_out(db, row)


@router.get("/dispatch/shadow", summary="影子运行统计（建议与人工选择对比）")
def shadow(db: DB, scope: Oversight, version: int | None = None) -> dict:
    root = _root(db, scope)
    row = service.get_model(db, root, version) if version else service.current_model(db, root)
    return {
        "version": row.version if row else None,
        **service.shadow_stats(db, root, row.id if row else None),
    }


@router.get("/dispatch/settings", response_model=SettingsOut, summary="自动派单开关")
def get_settings(db: DB, scope: Oversight) -> SettingsOut:
    row = service.settings_for(db, _root(db, scope))
    db.commit()
    return SettingsOut.model_validate(row)


@router.put("/dispatch/settings", response_model=SettingsOut, summary="开启/关闭自动派单")
def put_settings(body: SettingsIn, db: DB, scope: Admin) -> SettingsOut:
    row = service.set_auto_dispatch(
        db, tenant_id=_root(db, scope), enabled=body.auto_dispatch, force=body.force, user_id=scope.user_id
    )
    db.commit()
    return SettingsOut.model_validate(row)


# ------------------------------------------------------------------------------ duplicates & merge
class DuplicateOut(ORMModel):
    id: int
    ticket_id: int
    candidate_id: int
    score: float
    reason: str
    status: str
    created_at: datetime


class MergeIn(BaseModel):
    primary_ticket_id: int = Field(description="主单")
    merged_ticket_id: int = Field(description="并入主单的工单")
    note: str | None = Field(default=None, max_length=255)


class MergeOut(ORMModel):
    id: int
    primary_ticket_id: int
    merged_ticket_id: int
    note: str | None
    answered: bool
    created_at: datetime


@router.get(
    "/dispatch/tickets/{ticket_id}/duplicates", response_model=list[DuplicateOut], summary="疑似重复工单"
)
def duplicates(ticket_id: int, db: DB, scope: Centre, scan: bool = False) -> list[DuplicateOut]:
    _ticket(db, scope, ticket_id)
    if scan:
        hotspots.flag_duplicates(db, ticket_id)
        db.commit()
    return [DuplicateOut.model_validate(f) for f in hotspots.duplicates_of(db, ticket_id)]


@router.post("/dispatch/duplicates/{flag_id}/dismiss", response_model=DuplicateOut, summary="不是重复")
def dismiss(flag_id: int, db: DB, scope: Dispatcher) -> DuplicateOut:
    flag = hotspots.dismiss(db, flag_id)
    _ticket(db, scope, flag.ticket_id)
    db.commit()
    return DuplicateOut.model_validate(flag)


@router.post("/dispatch/merges", response_model=MergeOut, status_code=201, summary="并案")
def merge(body: MergeIn, db: DB, scope: Dispatcher) -> MergeOut:
    _ticket(db, scope, body.primary_ticket_id)
    _ticket(db, scope, body.merged_ticket_id)
    row = hotspots.merge(
        db, scope, primary_id=body.primary_ticket_id, merged_id=body.merged_ticket_id, note=body.note
    )
    db.commit()
    return MergeOut.model_validate(row)


@router.get("/dispatch/tickets/{ticket_id}/merges", response_model=list[MergeOut], summary="工单的并案关系")
def merges(ticket_id: int, db: DB, scope: CurrentScope) -> list[MergeOut]:
    _ticket(db, scope, ticket_id)
    return [MergeOut.model_validate(m) for m in hotspots.merges_of(db, ticket_id)]


# ------------------------------------------------------------------------------ hotspots
class AlertOut(ORMModel):
    id: int
    topic: str
    district: str | None
    recent: int
    burst: float
    ticket_ids: list[int]
    created_at: datetime
    acknowledged_at: datetime | None


class ReportOut(ORMModel):
    id: int
    day: date
    window_days: int
    n_tickets: int
    items: list[dict]
    generated_at: datetime


@router.get("/dispatch/hotspots", response_model=ReportOut, summary="热点问题日报")
def hotspot_report(db: DB, scope: Oversight, day: date | None = None) -> ReportOut:
    return ReportOut.model_validate(hotspots.latest_report(db, _root(db, scope), day))


@router.post(
    "/dispatch/hotspots/build", response_model=ReportOut, status_code=201, summary="生成热点问题日报"
)
def build_hotspots(request: Request, db: DB, scope: Oversight, day: date | None = None) -> ReportOut:
    created: list = []
    row = hotspots.build_report(db, tenant_id=_root(db, scope), day=day, created=created)
    db.commit()
    hotspot_notify.publish(request.app.state.settings, [hotspot_notify.surge_message(a) for a in created])
    return ReportOut.model_validate(row)


@router.get("/dispatch/hotspots/export", summary="导出热点问题日报（xlsx）")
def export_hotspots(db: DB, scope: Oversight, day: date | None = None) -> Response:
    report = hotspots.latest_report(db, _root(db, scope), day)
    data = hotspot_workbook(report.day, report.items)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="hotspots-{report.day.isoformat()}.xlsx"'},
    )


@router.get("/dispatch/hotspots/alerts", response_model=list[AlertOut], summary="突增预警")
def hotspot_alerts(
    db: DB, scope: Oversight, all: Annotated[bool, Query(description="含已确认")] = False
) -> list[AlertOut]:
    return [AlertOut.model_validate(a) for a in hotspots.alerts(db, _root(db, scope), open_only=not all)]


@router.post("/dispatch/hotspots/alerts/{alert_id}/ack", response_model=AlertOut, summary="确认突增预警")
def ack_alert(alert_id: int, db: DB, scope: Oversight) -> AlertOut:
    row = hotspots.acknowledge(db, tenant_id=_root(db, scope), alert_id=alert_id, user_id=scope.user_id)
    db.commit()
    return AlertOut.model_validate(row)
