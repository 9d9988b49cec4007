"""质检 API: rules, transcripts (search, beside the player), scores, review, appeals, alerts, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import DB, CurrentScope, IdempotencyKey, Paging, get_settings_dep, require_roles
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page
from assist.asr import service as asr_service
from assist.asr import tasks as asr_tasks
from assist.asr.config import get_asr_settings, recording_roots
from assist.qa import service
from assist.qa.access import visible
from models import idempotency
from models.errors import Invalid
from models.org import Role, User
from models.qa import QaScore, Transcript, TranscriptStatus
from models.scope import Scope
from models.settings import Settings

router = APIRouter(prefix="/api/qa", tags=["质检"], responses=PROBLEM_RESPONSES)

Reviewer = require_roles(Role.qa_reviewer)
Watcher = require_roles(Role.qa_reviewer, Role.supervisor)
Staff = require_roles(Role.qa_reviewer, Role.supervisor, Role.agent)


# ---- schemas ---------------------------------------------------------------------------------


class RuleOut(ORMModel):
    id: int
    tenant_id: int
    code: str
    name: str
    kind: str
    params: dict[str, Any]
    deduction: float
    weight: float
    max_deduction: float
    enabled: bool
    version: int


class RuleCreate(BaseModel):
    code: str = Field(min_length=1, max_length=50, description="规则编码，租户内唯一")
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(
        description="greeting / closing / keywords / dead_air / interruption / speaking_rate / "
        "confirm_info / emotion / ticket_consistency"
    )
    params: dict[str, Any] = Field(default_factory=dict)
    deduction: float = Field(5.0, description="每次命中扣分")
    weight: float = Field(1.0, description="权重（扣分乘数）")
    max_deduction: float = Field(0.0, description="单通扣分上限，0 为不限")
    enabled: bool = True


class RuleUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    params: dict[str, Any] | None = None
    deduction: float | None = None
    weight: float | None = None
    max_deduction: float | None = None
    enabled: bool | None = None
    version: int | None = Field(None, description="读取时的版本号；不一致返回 409")


class PolicyOut(ORMModel):
    tenant_id: int
    sample_rate: float
    review_threshold: float


class PolicyUpdate(BaseModel):
    sample_rate: float | None = Field(None, description="抽检比例，0.05–1")
    review_threshold: float | None = Field(None, description="低于此分数的通话全部复核")


class TranscriptIn(BaseModel):
    recording_path: str = Field(min_length=1, max_length=500)
    recording_id: int | None = None
    call_id: int | None = None
    agent_id: int | None = None
    team: str | None = None
    call_started_at: datetime | None = None
    ticket_text: str | None = None
    priority: bool = False


class SegmentOut(ORMModel):
    id: int
    idx: int
    speaker: str
    channel: int
    start: float
    end: float
    text: str


class TranscriptSummary(ORMModel):
    id: int
    tenant_id: int
    call_id: int | None
    recording_id: int | None
    agent_id: int | None
    team: str | None
    call_started_at: datetime
    status: str
    priority: bool
    attempts: int
    error: str | None
    duration_s: float | None
    elapsed_s: float | None
    created_at: datetime
    finished_at: datetime | None


class TranscriptOut(TranscriptSummary):
    recording_url: str
    segments: list[SegmentOut]
    score_id: int | None = None


class SearchHit(BaseModel):
    transcript_id: int
    segment_id: int
    speaker: str
    start: float
    end: float
    text: str
    call_id: int | None
    agent_id: int | None
    call_started_at: datetime


class DeductionOut(ORMModel):
    id: int
    rule_code: str
    rule_name: str
    points: float
    final_points: float
    status: str
    detail: str
    speaker: str | None
    start: float | None
    end: float | None
    words: str
    segment_id: int | None
    review_note: str | None


class ScoreSummary(ORMModel):
    id: int
    transcript_id: int
    tenant_id: int
    agent_id: int | None
    team: str | None
    call_id: int | None
    call_started_at: datetime
    auto_score: float
    score: float
    status: str
    review_reasons: list[str]
    reviewer_id: int | None
    reviewed_at: datetime | None
    version: int
    superseded_by_id: int | None = None
    superseded_at: datetime | None = None


class ScoreOut(ScoreSummary):
    review_note: str | None
    deductions: list[DeductionOut]


class DeductionReview(BaseModel):
    action: Literal["confirm", "adjust", "reject"]
    points: float | None = Field(None, description="adjust 时的扣分")
    note: str | None = None


class ReviewDone(BaseModel):
    note: str | None = None


class AppealIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    deduction_id: int | None = Field(None, description="申诉的扣分项；不填为整通")


class AppealOut(ORMModel):
    id: int
    score_id: int
    deduction_id: int | None
    agent_id: int
    reason: str
    status: str
    resolver_id: int | None
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None


class AppealResolve(BaseModel):
    accept: bool
    points: float | None = Field(None, description="接受申诉后该项扣分，默认 0")
    note: str | None = None


class AlertOut(ORMModel):
    id: int
    tenant_id: int
    transcript_id: int
    call_id: int | None
    agent_id: int | None
    category: str
    severity: str
    detail: str
    words: str
    start: float | None
    end: float | None
    status: str
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None
    created_at: datetime


# ---- helpers ---------------------------------------------------------------------------------


def _tenant(scope: Scope, tenant_id: int | None) -> int:
    if tenant_id is None:
        return scope.tenant_id
    scope.check_tenant(tenant_id)
    return tenant_id


def _transcript_out(db: DB, transcript: Transcript) -> TranscriptOut:
    score = service.score_for_transcript(db, transcript.id)
    data = TranscriptSummary.model_validate(transcript).model_dump()
    return TranscriptOut(
        **data,
        recording_url=f"/api/qa/transcripts/{transcript.id}/recording",
        segments=[SegmentOut.model_validate(s) for s in transcript.segments],
        score_id=score.id if score else None,
    )


# ---- rules and policy ------------------------------------------------------------------------


@router.get("/rules", summary="质检规则列表", response_model=list[RuleOut])
def list_rules(db: DB, scope: Annotated[Scope, Watcher], tenant_id: int | None = None) -> list:
    rules = service.list_rules(db, _tenant(scope, tenant_id))
    db.commit()  # default rules seeded on first use
    return rules


@router.post("/rules", summary="新建质检规则", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(
    body: RuleCreate,
    db: DB,
    scope: Annotated[Scope, Reviewer],
    tenant_id: int | None = None,
    idempotency_key: IdempotencyKey = None,
):
    if (
        done := idempotency.claim(db, scope, idempotency_key, "qa_rule", [tenant_id, body.model_dump()])
    ) is not None:
        return service.get_rule(db, scope, done)
    rule = service.create_rule(db, tenant_id=_tenant(scope, tenant_id), **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, rule.id)
    db.commit()
    return rule


@router.get("/rules/{rule_id}", summary="质检规则详情", response_model=RuleOut)
def get_rule(rule_id: int, db: DB, scope: Annotated[Scope, Watcher]):
    return service.get_rule(db, scope, rule_id)


@router.patch("/rules/{rule_id}", summary="修改质检规则", response_model=RuleOut)
def update_rule(rule_id: int, body: RuleUpdate, db: DB, scope: Annotated[Scope, Reviewer]):
    rule = service.get_rule(db, scope, rule_id)
    service.update_rule(db, rule, **body.model_dump())
    db.commit()
    return rule


@router.delete("/rules/{rule_id}", summary="删除质检规则", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: int, db: DB, scope: Annotated[Scope, Reviewer]) -> None:
    service.delete_rule(db, service.get_rule(db, scope, rule_id))
    db.commit()


@router.get("/policy", summary="抽检策略", response_model=PolicyOut)
def get_policy(db: DB, scope: Annotated[Scope, Watcher], tenant_id: int | None = None):
    policy = service.get_policy(db, _tenant(scope, tenant_id))
    db.commit()
    return policy


@router.put("/policy", summary="修改抽检策略（抽检比例、复核分数线）", response_model=PolicyOut)
def set_policy(body: PolicyUpdate, db: DB, scope: Annotated[Scope, Reviewer], tenant_id: int | None = None):
    policy = service.set_policy(db, _tenant(scope, tenant_id), **body.model_dump())
    db.commit()
    return policy


# ---- transcripts -----------------------------------------------------------------------------


@router.post(
    "/transcripts",
    summary="提交录音转写（通话结束后）",
    response_model=TranscriptSummary,
    status_code=status.HTTP_202_ACCEPTED,
)
def submit_transcript(
    body: TranscriptIn,
    db: DB,
    scope: Annotated[Scope, Reviewer],
    settings: Annotated[Settings, Depends(get_settings_dep)],
    tenant_id: int | None = None,
    idempotency_key: IdempotencyKey = None,
):
    if (
        done := idempotency.claim(db, scope, idempotency_key, "qa_transcript", [tenant_id, body.model_dump()])
    ) is not None:
        return asr_service.get_transcript(db, done, scope)
    if body.agent_id is not None and db.get(User, body.agent_id) is None:
        raise Invalid(f"坐席 {body.agent_id} 不存在", field="agent_id")
    if not asr_service.within_roots(
        body.recording_path, recording_roots(get_asr_settings(), settings.data_dir)
    ):
        raise Invalid("录音文件不在允许的录音目录中", field="recording_path")
    transcript = asr_tasks.submit_recording(db, tenant_id=_tenant(scope, tenant_id), **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, transcript.id)
    db.commit()  # the task is sent after the commit
    return transcript


@router.get("/transcripts", summary="转写列表", response_model=Page[TranscriptSummary])
def list_transcripts(
    db: DB,
    scope: Annotated[Scope, Staff],
    paging: Paging,
    status_: Annotated[TranscriptStatus | None, Query(alias="status")] = None,
    agent_id: int | None = None,
):
    from sqlalchemy import func, select

    stmt = visible(select(Transcript), scope, Transcript.tenant_id, Transcript.agent_id)
    if status_:
        stmt = stmt.where(Transcript.status == status_)
    if agent_id is not None:
        stmt = stmt.where(Transcript.agent_id == agent_id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Transcript.id.desc()).limit(paging.size).offset(paging.offset))
    return Page(items=list(rows), total=total, page=paging.page, size=paging.size)


@router.get("/transcripts/search", summary="转写全文检索", response_model=Page[SearchHit])
def search_transcripts(
    db: DB,
    scope: Annotated[Scope, Staff],
    paging: Paging,
    q: Annotated[str, Query(min_length=1, max_length=100, description="检索词")],
    agent_id: int | None = None,
):
    rows, total = asr_service.search_segments(
        db, scope, q, agent_id=agent_id, limit=paging.size, offset=paging.offset
    )
    items = [
        SearchHit(
            transcript_id=t.id,
            segment_id=s.id,
            speaker=s.speaker,
            start=s.start,
            end=s.end,
            text=s.text,
            call_id=t.call_id,
            agent_id=t.agent_id,
            call_started_at=t.call_started_at,
        )
        for s, t in rows
    ]
    return Page(items=items, total=total, page=paging.page, size=paging.size)


@router.get(
    "/transcripts/{transcript_id}",
    summary="转写详情（分段、说话人、时间，配合播放器）",
    response_model=TranscriptOut,
)
def get_transcript(transcript_id: int, db: DB, scope: Annotated[Scope, Staff]):
    transcript = asr_service.get_transcript(db, transcript_id, scope)
    if scope.has(Role.qa_reviewer) and transcript.status in (
        TranscriptStatus.queued,
        TranscriptStatus.failed,
    ):
        # a reviewer opened a call that is still waiting: move it to the front of the queue
        if asr_service.mark_priority(db, transcript):
            asr_tasks.enqueue_after_commit(db, transcript, urgent=True)
        db.commit()
    return _transcript_out(db, transcript)


@router.post(
    "/transcripts/{transcript_id}/transcribe-now",
    summary="立即转写（优先）",
    response_model=TranscriptSummary,
    status_code=status.HTTP_202_ACCEPTED,
)
def transcribe_now(transcript_id: int, db: DB, scope: Annotated[Scope, Reviewer]):
    transcript = asr_service.get_transcript(db, transcript_id, scope)
    if asr_service.mark_priority(db, transcript):
        asr_tasks.enqueue_after_commit(db, transcript, urgent=True)
    db.commit()
    return transcript


@router.post(
    "/transcripts/{transcript_id}/rescore", summary="按当前规则重新自动评分", response_model=ScoreOut
)
def rescore(
    transcript_id: int,
    db: DB,
    scope: Annotated[Scope, Reviewer],
    force: Annotated[
        bool, Query(description="评分已在复核中或已复核时仍重新评分（原评分及复核记录保留为已取代版本）")
    ] = False,
) -> QaScore:
    transcript = asr_service.get_transcript(db, transcript_id, scope)
    score = service.score_transcript(db, transcript, force=force, actor=scope)
    db.commit()
    return score


@router.get(
    "/transcripts/{transcript_id}/scores",
    summary="评分的全部版本（含被强制重新评分取代的）",
    response_model=list[ScoreSummary],
)
def score_versions(transcript_id: int, db: DB, scope: Annotated[Scope, Watcher]) -> list[QaScore]:
    transcript = asr_service.get_transcript(db, transcript_id, scope)
    return service.versions(db, transcript.id)


@router.get("/transcripts/{transcript_id}/recording", summary="录音文件（播放）")
def get_recording(
    transcript_id: int,
    db: DB,
    scope: Annotated[Scope, Staff],
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> FileResponse:
    transcript = asr_service.get_transcript(db, transcript_id, scope)
    roots = recording_roots(get_asr_settings(), settings.data_dir)
    return FileResponse(asr_service.recording_file(transcript, roots), media_type="audio/wav")


@router.get("/backlog", summary="转写积压（队列监控）")
def backlog(db: DB, scope: Annotated[Scope, Watcher]) -> dict:
    figures = asr_service.backlog(
        db, tenant_ids=scope.tenant_ids, max_attempts=get_asr_settings().max_attempts
    )
    for state in ("queued", "running", "retrying", "failed"):
        asr_tasks.BACKLOG.labels(state).set(getattr(figures, state))
    return figures.as_dict()


# ---- scores and review -----------------------------------------------------------------------


@router.get("/scores", summary="质检结果列表", response_model=Page[ScoreSummary])
def list_scores(
    db: DB,
    scope: Annotated[Scope, Staff],
    paging: Paging,
    status_: Annotated[str | None, Query(alias="status")] = None,
    agent_id: int | None = None,
    below: float | None = None,
):
    rows, total = service.list_scores(
        db, scope, status=status_, agent_id=agent_id, below=below, limit=paging.size, offset=paging.offset
    )
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.get("/reviews", summary="待复核列表（抽检、低分、预警）", response_model=Page[ScoreSummary])
def review_list(db: DB, scope: Annotated[Scope, Reviewer], paging: Paging):
    rows, total = service.list_scores(
        db, scope, status="pending_review", limit=paging.size, offset=paging.offset
    )
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.get("/scores/{score_id}", summary="质检结果详情（扣分项及证据）", response_model=ScoreOut)
def get_score(score_id: int, db: DB, scope: Annotated[Scope, Staff]) -> QaScore:
    return service.get_score(db, scope, score_id)


class ActionOut(ORMModel):
    id: int
    deduction_id: int | None
    actor_id: int | None
    action: str
    points_before: float | None
    points_after: float | None
    note: str | None
    created_at: datetime


@router.get("/scores/{score_id}/history", summary="复核与申诉记录", response_model=list[ActionOut])
def score_history(score_id: int, db: DB, scope: Annotated[Scope, Staff]) -> list:
    return service.history(db, service.get_score(db, scope, score_id))


@router.post("/scores/{score_id}/request-review", summary="提交人工复核", response_model=ScoreOut)
def request_review(score_id: int, body: ReviewDone, db: DB, scope: Annotated[Scope, Watcher]):
    score = service.request_review(db, scope, service.get_score(db, scope, score_id), body.note)
    db.commit()
    return score


@router.post(
    "/scores/{score_id}/deductions/{deduction_id}/review",
    summary="复核扣分项：确认、调整或驳回",
    response_model=ScoreOut,
)
def review_deduction(
    score_id: int, deduction_id: int, body: DeductionReview, db: DB, scope: Annotated[Scope, Reviewer]
):
    score = service.get_score(db, scope, score_id)
    service.review_deduction(
        db, scope, score, deduction_id, action=body.action, points=body.points, note=body.note
    )
    db.commit()
    return score


@router.post("/scores/{score_id}/complete-review", summary="完成复核", response_model=ScoreOut)
def complete_review(score_id: int, body: ReviewDone, db: DB, scope: Annotated[Scope, Reviewer]):
    score = service.complete_review(db, scope, service.get_score(db, scope, score_id), body.note)
    db.commit()
    return score


# ---- appeals ---------------------------------------------------------------------------------


@router.post(
    "/scores/{score_id}/appeals",
    summary="坐席申诉",
    response_model=AppealOut,
    status_code=status.HTTP_201_CREATED,
)
def file_appeal(
    score_id: int, body: AppealIn, db: DB, scope: CurrentScope, idempotency_key: IdempotencyKey = None
):
    if (
        done := idempotency.claim(db, scope, idempotency_key, "qa_appeal", [score_id, body.model_dump()])
    ) is not None:
        return service.get_appeal(db, scope, done)
    appeal = service.file_appeal(
        db, scope, service.get_score(db, scope, score_id), reason=body.reason, deduction_id=body.deduction_id
    )
    idempotency.settle(db, scope, idempotency_key, appeal.id)
    db.commit()
    return appeal


@router.get("/appeals", summary="申诉列表", response_model=list[AppealOut])
def list_appeals(
    db: DB, scope: Annotated[Scope, Staff], status_: Annotated[str | None, Query(alias="status")] = None
):
    return service.list_appeals(db, scope, status=status_)


@router.post("/appeals/{appeal_id}/resolve", summary="处理申诉", response_model=AppealOut)
def resolve_appeal(appeal_id: int, body: AppealResolve, db: DB, scope: Annotated[Scope, Reviewer]):
    appeal = service.resolve_appeal(
        db,
        scope,
        service.get_appeal(db, scope, appeal_id),
        accept=body.accept,
        points=body.points,
        note=body.note,
    )
    db.commit()
    return appeal


# ---- alerts and statistics -------------------------------------------------------------------


@router.get("/alerts", summary="群众情绪预警（愤怒、威胁、自伤）", response_model=list[AlertOut])
def list_alerts(
    db: DB, scope: Annotated[Scope, Watcher], status_: Annotated[str | None, Query(alias="status")] = None
):
    return service.list_alerts(db, scope, status=status_)


@router.post("/alerts/{alert_id}/acknowledge", summary="确认预警", response_model=AlertOut)
def acknowledge_alert(alert_id: int, db: DB, scope: Annotated[Scope, Watcher]):
    alert = service.acknowledge_alert(db, scope, alert_id)
    db.commit()
    return alert


@router.get("/stats", summary="质检统计（按坐席或班组、按日/周/月）")
def stats(
    db: DB,
    scope: Annotated[Scope, Staff],
    settings: Annotated[Settings, Depends(get_settings_dep)],
    group_by: Literal["agent", "team"] = "agent",
    period: Literal["day", "week", "month"] = "week",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict]:
    return service.stats(
        db, scope, group_by=group_by, period=period, since=since, until=until, timezone=settings.timezone
    )
