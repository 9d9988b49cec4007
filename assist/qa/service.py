"""QA in the database: rules per tenant, scoring, review selection, review, appeals, alerts, statistics.

Functions take a session and plain values and do not commit: the caller owns the transaction.
Score states move only along `TRANSITIONS`; a concurrent second action on the same score or
appeal fails with Conflict (optimistic version columns).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assist.qa.access import can_see_agent_row, visible
from assist.qa.defaults import DEFAULT_RULES, KINDS
from assist.qa.engine import CHECKS, Call, RuleIn, ScoreResult, SegmentIn, score_call
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.org import Tenant, User
from models.qa import (
    SCORE_STATUS_LABELS,
    AlertStatus,
    AppealStatus,
    DeductionStatus,
    QaAlert,
    QaAppeal,
    QaDeduction,
    QaPolicy,
    QaReviewAction,
    QaRule,
    QaScore,
    ReviewReason,
    ScoreStatus,
    Transcript,
    TranscriptStatus,
)
from models.scope import Scope

log = logging.getLogger("hotline.qa")
P = ParamSpec("P")
R = TypeVar("R")

MIN_SAMPLE_RATE = 0.05  # the centre's contract: at least 5 % of answered calls reviewed

# (state, action) → new state
TRANSITIONS: dict[tuple[str, str], str] = {
    (ScoreStatus.scored, "request_review"): ScoreStatus.pending_review,
    (ScoreStatus.pending_review, "review_deduction"): ScoreStatus.pending_review,
    (ScoreStatus.pending_review, "complete_review"): ScoreStatus.reviewed,
    (ScoreStatus.scored, "appeal"): ScoreStatus.appealed,
    (ScoreStatus.reviewed, "appeal"): ScoreStatus.appealed,
    (ScoreStatus.appealed, "resolve_appeal"): ScoreStatus.final,
}
ACTION_LABELS = {
    "request_review": "提交复核",
    "review_deduction": "复核扣分项",
    "complete_review": "完成复核",
    "appeal": "申诉",
    "resolve_appeal": "处理申诉",
}
# a re-score of a score in these states would throw away review work: refused unless forced
REVIEW_STATES = frozenset(
    {ScoreStatus.pending_review, ScoreStatus.reviewed, ScoreStatus.appealed, ScoreStatus.final}
)
FORCE_ROLES = ("qa_reviewer", "admin")
DEDUCTION_ACTIONS = {
    "confirm": DeductionStatus.confirmed,
    "adjust": DeductionStatus.adjusted,
    "reject": DeductionStatus.rejected,
}

# what each rule kind needs in params: key → type
PARAM_SCHEMA: dict[str, dict[str, type]] = {
    "greeting": {"phrases": list},
    "closing": {"phrases": list},
    "keywords": {"words": list},
    "dead_air": {},
    "interruption": {},
    "speaking_rate": {},
    "confirm_info": {"items": dict},
    "emotion": {"categories": dict},
    "ticket_consistency": {},
}


def _advance(score: QaScore, action: str) -> None:
    new = TRANSITIONS.get((score.status, action))
    if new is None:
        raise Conflict(f"当前状态（{score.status}）不能{ACTION_LABELS.get(action, action)}")
    score.status = new


def _flush(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict("该记录已被他人修改，请刷新后重试") from exc


def _one_wins(fn: Callable[P, R]) -> Callable[P, R]:
    """A concurrent change to the same row (seen at any flush, autoflush included) becomes Conflict."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except StaleDataError as exc:
            raise Conflict("该记录已被他人修改，请刷新后重试") from exc

    return wrapper


# ---- rules and policy --------------------------------------------------------------------------


def ensure_default_rules(db: Session, tenant_id: int) -> None:
    """A tenant without rules starts with a copy of its nearest ancestor's rules, else the defaults."""
    if db.scalar(select(func.count()).select_from(QaRule).where(QaRule.tenant_id == tenant_id)):
        return
    tenant = db.get(Tenant, tenant_id)
    parent_id = tenant.parent_id if tenant else None
    while parent_id is not None:
        inherited = list(db.scalars(select(QaRule).where(QaRule.tenant_id == parent_id).order_by(QaRule.id)))
        if inherited:
            for r in inherited:
                db.add(
                    QaRule(
                        tenant_id=tenant_id,
                        code=r.code,
                        name=r.name,
                        kind=r.kind,
                        params=r.params,
                        deduction=r.deduction,
                        weight=r.weight,
                        max_deduction=r.max_deduction,
                        enabled=r.enabled,
                    )
                )
            db.flush()
            return
        parent = db.get(Tenant, parent_id)
        parent_id = parent.parent_id if parent else None
    for code, name, kind, deduction, max_deduction, params in DEFAULT_RULES:
        db.add(
            QaRule(
                tenant_id=tenant_id,
                code=code,
                name=name,
                kind=kind,
                params=params,
                deduction=deduction,
                max_deduction=max_deduction,
                weight=1.0,
            )
        )
    db.flush()


def list_rules(db: Session, tenant_id: int) -> list[QaRule]:
    ensure_default_rules(db, tenant_id)
    return list(db.scalars(select(QaRule).where(QaRule.tenant_id == tenant_id).order_by(QaRule.id)))


def get_rule(db: Session, scope: Scope, rule_id: int) -> QaRule:
    rule = db.get(QaRule, rule_id)
    if rule is None or not scope.can_see_tenant(rule.tenant_id):
        raise NotFound(f"质检规则 {rule_id} 不存在")
    return rule


def _validate_rule(kind: str, params: dict, deduction: float, weight: float, max_deduction: float) -> None:
    if kind not in CHECKS:
        raise Invalid(
            f"未知规则类型 {kind}，可选：{'、'.join(f'{k}（{v}）' for k, v in KINDS.items())}", field="kind"
        )
    if not isinstance(params, dict):
        raise Invalid("params 必须是对象", field="params")
    for key, typ in PARAM_SCHEMA[kind].items():
        value = params.get(key)
        if not isinstance(value, typ) or not value:
            raise Invalid(f"{kind} 规则需要非空的 params.{key}", field=f"params.{key}")
    if deduction < 0 or deduction > 100:
        raise Invalid("扣分须在 0–100 之间", field="deduction")
    if weight < 0 or weight > 10:
        raise Invalid("权重须在 0–10 之间", field="weight")
    if max_deduction < 0 or max_deduction > 100:
        raise Invalid("单项扣分上限须在 0–100 之间", field="max_deduction")


def create_rule(
    db: Session,
    *,
    tenant_id: int,
    code: str,
    name: str,
    kind: str,
    params: dict[str, Any],
    deduction: float = 5.0,
    weight: float = 1.0,
    max_deduction: float = 0.0,
    enabled: bool = True,
) -> QaRule:
    ensure_default_rules(db, tenant_id)
    if not code.strip():
        raise Invalid("规则编码不能为空", field="code")
    _validate_rule(kind, params, deduction, weight, max_deduction)
    if db.scalar(select(QaRule.id).where(QaRule.tenant_id == tenant_id, QaRule.code == code)):
        raise Conflict(f"规则编码 {code} 已存在", field="code")
    rule = QaRule(
        tenant_id=tenant_id,
        code=code,
        name=name,
        kind=kind,
        params=params,
        deduction=deduction,
        weight=weight,
        max_deduction=max_deduction,
        enabled=enabled,
    )
    db.add(rule)
    _flush(db)
    return rule


@_one_wins
def update_rule(db: Session, rule: QaRule, *, version: int | None = None, **changes: Any) -> QaRule:
    if version is not None and version != rule.version:
        raise Conflict("规则已被他人修改，请刷新后重试", field="version")
    merged = {
        "kind": rule.kind,
        "params": rule.params,
        "deduction": rule.deduction,
        "weight": rule.weight,
        "max_deduction": rule.max_deduction,
    }
    merged.update({k: v for k, v in changes.items() if k in merged and v is not None})
    _validate_rule(**merged)
    for key, value in changes.items():
        if value is not None:
            setattr(rule, key, value)
    _flush(db)
    return rule


def delete_rule(db: Session, rule: QaRule) -> None:
    db.delete(rule)
    _flush(db)


def get_policy(db: Session, tenant_id: int) -> QaPolicy:
    policy = db.get(QaPolicy, tenant_id)
    if policy is None:
        policy = QaPolicy(tenant_id=tenant_id, sample_rate=MIN_SAMPLE_RATE, review_threshold=80.0)
        db.add(policy)
        db.flush()
    return policy


def set_policy(
    db: Session, tenant_id: int, *, sample_rate: float | None = None, review_threshold: float | None = None
) -> QaPolicy:
    policy = get_policy(db, tenant_id)
    if sample_rate is not None:
        if not MIN_SAMPLE_RATE <= sample_rate <= 1:
            raise Invalid("抽检比例须在 5%–100% 之间（0.05–1）", field="sample_rate")
        policy.sample_rate = sample_rate
    if review_threshold is not None:
        if not 0 <= review_threshold <= 100:
            raise Invalid("复核分数线须在 0–100 之间", field="review_threshold")
        policy.review_threshold = review_threshold
    db.flush()
    return policy


# ---- scoring ---------------------------------------------------------------------------------


def rules_for_engine(rules: list[QaRule]) -> list[RuleIn]:
    return [
        RuleIn(r.code, r.name, r.kind, r.params or {}, r.deduction, r.weight, r.max_deduction, r.id)
        for r in rules
        if r.enabled
    ]


def default_rules_for_engine() -> list[RuleIn]:
    return [RuleIn(c, n, k, p, d, 1.0, m) for c, n, k, d, m, p in DEFAULT_RULES]


def in_sample(transcript_id: int, rate: float) -> bool:
    """Deterministic pseudo-random draw: re-scoring a call does not change whether it is sampled."""
    digest = hashlib.sha256(f"qa-sample:{transcript_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def score_transcript(
    db: Session,
    transcript: Transcript,
    *,
    holds: list[tuple[float, float]] | None = None,
    force: bool = False,
    actor: Scope | None = None,
) -> QaScore:
    """Apply the tenant's rules; store the score, deductions with evidence, alerts; pick for review.

    `holds`: the call's hold periods in seconds from the recording's start (silence in them is not
    dead air). The CDR (`calls.hold_s`) keeps only the total, so callers that know the intervals pass them.

    A current score that is automatic only (`scored`) is replaced. One in review or past it is refused
    (Conflict naming its state) unless `force` by a qa_reviewer / admin `actor`: then the old score,
    its deductions and review history stay as a `superseded` version pointing at the new one.
    """
    if transcript.status != TranscriptStatus.done:
        raise Conflict("转写尚未完成，不能质检")
    existing = score_for_transcript(db, transcript.id)
    supersede = existing is not None and existing.status in REVIEW_STATES
    if supersede:
        label = SCORE_STATUS_LABELS[ScoreStatus(existing.status)]
        if not force:
            raise Conflict(
                f"该通话的质检结果处于「{label}」状态，重新评分会覆盖复核记录；确需重新评分请由质检员强制执行",
                field="force",
                state=existing.status,
                score_id=existing.id,
            )
        if actor is None or not actor.has(*FORCE_ROLES):
            raise PermissionDenied("只有质检员或管理员可以强制重新评分", field="force")
    segments = list(transcript.segments)
    call = Call(
        [SegmentIn(s.idx, s.speaker, s.start, s.end, s.text, s.words or []) for s in segments],
        duration=transcript.duration_s,
        ticket_text=transcript.ticket_text,
        holds=holds,
    )
    result = score_call(call, rules_for_engine(list_rules(db, transcript.tenant_id)))
    by_index = {s.idx: s.id for s in segments}

    kept_alerts: set[tuple] = set()
    if supersede:
        # free the current slot first (unique current_transcript_id); the version check makes a
        # concurrent review action or second forced re-score lose with Conflict
        previous_status = existing.status
        existing.status = ScoreStatus.superseded
        existing.current_transcript_id = None
        existing.superseded_at = utcnow()
        _flush(db)
        # alerts belong to the call, not the score version: acknowledged ones keep their history
        kept_alerts = {
            (a.category, a.start, a.words)
            for a in db.scalars(select(QaAlert).where(QaAlert.transcript_id == transcript.id))
        }
    elif existing is not None:
        db.delete(existing)
        for alert in db.scalars(select(QaAlert).where(QaAlert.transcript_id == transcript.id)):
            db.delete(alert)
        _flush(db)
    score = QaScore(
        transcript_id=transcript.id,
        current_transcript_id=transcript.id,
        tenant_id=transcript.tenant_id,
        agent_id=transcript.agent_id,
        team=transcript.team,
        call_id=transcript.call_id,
        call_started_at=transcript.call_started_at,
        auto_score=result.score,
        score=result.score,
        status=ScoreStatus.scored,
    )
    for d in result.deductions:
        f = d.finding
        score.deductions.append(
            QaDeduction(
                rule_id=d.rule.rule_id,
                rule_code=d.rule.code,
                rule_name=d.rule.name,
                points=d.points,
                final_points=d.points,
                status=DeductionStatus.pending,
                detail=f.detail,
                speaker=f.speaker,
                start=f.start,
                end=f.end,
                words=f.words,
                segment_id=by_index.get(f.segment) if f.segment is not None else None,
            )
        )
    db.add(score)
    for a in result.alerts:
        if (a.category, a.finding.start, a.finding.words) in kept_alerts:
            continue
        alert = QaAlert(
            tenant_id=transcript.tenant_id,
            transcript_id=transcript.id,
            call_id=transcript.call_id,
            agent_id=transcript.agent_id,
            category=a.category,
            severity=a.severity,
            detail=a.finding.detail,
            words=a.finding.words,
            start=a.finding.start,
            end=a.finding.end,
        )
        db.add(alert)
        log.warning(
            "citizen alert",
            extra={
                "transcript_id": transcript.id,
                "category": a.category,
                "severity": a.severity,
                "words": a.finding.words,
            },
        )
    reasons = review_reasons(db, transcript, result)
    if reasons:
        score.status = ScoreStatus.pending_review
        score.review_reasons = reasons
    db.flush()
    if supersede:
        existing.superseded_by_id = score.id
        note = (
            f"强制重新评分：原状态「{SCORE_STATUS_LABELS[ScoreStatus(previous_status)]}」，新评分 #{score.id}"
        )
        _log(
            db,
            existing,
            actor,
            "supersede",
            points_before=existing.score,
            points_after=score.score,
            note=note,
        )
        _log(db, score, actor, "forced_rescore", note=f"取代评分 #{existing.id}")
        _flush(db)
        log.info(
            "score superseded",
            extra={"transcript_id": transcript.id, "old_score_id": existing.id, "score_id": score.id},
        )
    return score


def versions(db: Session, transcript_id: int) -> list[QaScore]:
    """Every score of a transcript, the superseded ones included, oldest first."""
    return list(
        db.scalars(select(QaScore).where(QaScore.transcript_id == transcript_id).order_by(QaScore.id))
    )


def unscored(db: Session, *, finished_before: datetime, limit: int = 500) -> list[int]:
    """Transcribed calls still without a score (scoring failed and its retry was lost)."""
    has_score = select(QaScore.id).where(QaScore.transcript_id == Transcript.id).exists()
    return list(
        db.scalars(
            select(Transcript.id)
            .where(
                Transcript.status == TranscriptStatus.done,
                Transcript.finished_at <= finished_before,
                ~has_score,
            )
            .order_by(Transcript.id)
            .limit(limit)
        )
    )


def review_reasons(db: Session, transcript: Transcript, result: ScoreResult) -> list[str]:
    policy = get_policy(db, transcript.tenant_id)
    reasons = []
    if result.alerts:
        reasons.append(ReviewReason.alert)
    if result.score < policy.review_threshold:
        reasons.append(ReviewReason.low_score)
    if in_sample(transcript.id, policy.sample_rate):
        reasons.append(ReviewReason.sample)
    return [str(r) for r in reasons]


# ---- reading ---------------------------------------------------------------------------------


def get_score(db: Session, scope: Scope, score_id: int) -> QaScore:
    score = db.get(QaScore, score_id)
    if score is None or not can_see_agent_row(scope, score.tenant_id, score.agent_id):
        raise NotFound(f"质检结果 {score_id} 不存在")
    return score


def score_for_transcript(db: Session, transcript_id: int) -> QaScore | None:
    return db.scalar(select(QaScore).where(QaScore.current_transcript_id == transcript_id))


def list_scores(
    db: Session,
    scope: Scope,
    *,
    status: str | None = None,
    agent_id: int | None = None,
    below: float | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[QaScore], int]:
    stmt = visible(select(QaScore), scope, QaScore.tenant_id, QaScore.agent_id)
    if status:
        stmt = stmt.where(QaScore.status == status)
    else:
        stmt = stmt.where(QaScore.status != ScoreStatus.superseded)
    if agent_id is not None:
        stmt = stmt.where(QaScore.agent_id == agent_id)
    if below is not None:
        stmt = stmt.where(QaScore.score < below)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(QaScore.call_started_at.desc(), QaScore.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


# ---- review ----------------------------------------------------------------------------------


def history(db: Session, score: QaScore) -> list[QaReviewAction]:
    return list(
        db.scalars(
            select(QaReviewAction).where(QaReviewAction.score_id == score.id).order_by(QaReviewAction.id)
        )
    )


def _log(db: Session, score: QaScore, actor: Scope, action: str, **kw: Any) -> None:
    db.add(QaReviewAction(score_id=score.id, actor_id=actor.user_id, action=action, **kw))


def _recompute(score: QaScore) -> None:
    lost = sum(d.final_points for d in score.deductions if d.status != DeductionStatus.rejected)
    score.score = max(0.0, round(100.0 - lost, 2))


@_one_wins
def request_review(db: Session, scope: Scope, score: QaScore, note: str | None = None) -> QaScore:
    _advance(score, "request_review")
    score.review_reasons = [*score.review_reasons, str(ReviewReason.manual)]
    _log(db, score, scope, "request_review", note=note)
    _flush(db)
    return score


@_one_wins
def review_deduction(
    db: Session,
    scope: Scope,
    score: QaScore,
    deduction_id: int,
    *,
    action: str,
    points: float | None = None,
    note: str | None = None,
) -> QaScore:
    if action not in DEDUCTION_ACTIONS:
        raise Invalid("action 须为 confirm / adjust / reject", field="action")
    deduction = next((d for d in score.deductions if d.id == deduction_id), None)
    if deduction is None:
        raise NotFound(f"扣分项 {deduction_id} 不存在")
    _advance(score, "review_deduction")
    before = deduction.final_points
    if action == "adjust":
        if points is None or not 0 <= points <= 100:
            raise Invalid("调整后的扣分须在 0–100 之间", field="points")
        deduction.final_points = points
    elif action == "confirm":
        deduction.final_points = deduction.points if deduction.status == DeductionStatus.rejected else before
    deduction.status = DEDUCTION_ACTIONS[action]
    deduction.review_note = note
    _recompute(score)
    score.reviewer_id = scope.user_id
    _log(
        db,
        score,
        scope,
        f"deduction_{action}",
        deduction_id=deduction.id,
        points_before=before,
        points_after=0.0 if action == "reject" else deduction.final_points,
        note=note,
    )
    _flush(db)
    return score


@_one_wins
def complete_review(db: Session, scope: Scope, score: QaScore, note: str | None = None) -> QaScore:
    _advance(score, "complete_review")
    for d in score.deductions:
        if d.status == DeductionStatus.pending:
            d.status = DeductionStatus.confirmed
    _recompute(score)
    score.reviewer_id = scope.user_id
    score.reviewed_at = utcnow()
    score.review_note = note
    _log(db, score, scope, "complete_review", points_after=score.score, note=note)
    _flush(db)
    return score


# ---- appeals ---------------------------------------------------------------------------------


@_one_wins
def file_appeal(
    db: Session, scope: Scope, score: QaScore, *, reason: str, deduction_id: int | None = None
) -> QaAppeal:
    if score.agent_id != scope.user_id:
        raise PermissionDenied("只能对本人的质检结果申诉")
    if not reason.strip():
        raise Invalid("申诉理由不能为空", field="reason")
    if deduction_id is not None and all(d.id != deduction_id for d in score.deductions):
        raise Invalid(f"扣分项 {deduction_id} 不属于该质检结果", field="deduction_id")
    _advance(score, "appeal")
    appeal = QaAppeal(
        score_id=score.id,
        deduction_id=deduction_id,
        tenant_id=score.tenant_id,
        agent_id=scope.user_id,
        reason=reason,
        status=AppealStatus.open,
    )
    db.add(appeal)
    _log(db, score, scope, "appeal", deduction_id=deduction_id, note=reason)
    _flush(db)
    return appeal


def get_appeal(db: Session, scope: Scope, appeal_id: int) -> QaAppeal:
    appeal = db.get(QaAppeal, appeal_id)
    if appeal is None or not can_see_agent_row(scope, appeal.tenant_id, appeal.agent_id):
        raise NotFound(f"申诉 {appeal_id} 不存在")
    return appeal


def list_appeals(db: Session, scope: Scope, *, status: str | None = None) -> list[QaAppeal]:
    stmt = visible(select(QaAppeal), scope, QaAppeal.tenant_id, QaAppeal.agent_id)
    if status:
        stmt = stmt.where(QaAppeal.status == status)
    return list(db.scalars(stmt.order_by(QaAppeal.id.desc()).limit(500)))


@_one_wins
def resolve_appeal(
    db: Session,
    scope: Scope,
    appeal: QaAppeal,
    *,
    accept: bool,
    points: float | None = None,
    note: str | None = None,
) -> QaAppeal:
    """Accepted: the appealed deduction drops to `points` (default 0), or every deduction if none named."""
    if appeal.status != AppealStatus.open:
        raise Conflict("该申诉已处理")
    score = db.get(QaScore, appeal.score_id)
    _advance(score, "resolve_appeal")
    if accept:
        if points is not None and not 0 <= points <= 100:
            raise Invalid("调整后的扣分须在 0–100 之间", field="points")
        targets = [d for d in score.deductions if appeal.deduction_id in (None, d.id)]
        for d in targets:
            d.final_points = points or 0.0
            d.status = DeductionStatus.adjusted if points else DeductionStatus.rejected
        _recompute(score)
    appeal.status = AppealStatus.accepted if accept else AppealStatus.rejected
    appeal.resolver_id = scope.user_id
    appeal.resolution = note
    appeal.resolved_at = utcnow()
    _log(
        db,
        score,
        scope,
        "resolve_appeal",
        deduction_id=appeal.deduction_id,
        points_after=score.score,
        note=note,
    )
    _flush(db)
    return appeal


# ---- alerts ----------------------------------------------------------------------------------


def list_alerts(db: Session, scope: Scope, *, status: str | None = None, limit: int = 100) -> list[QaAlert]:
    stmt = select(QaAlert).where(QaAlert.tenant_id.in_(scope.tenant_ids))
    if status:
        stmt = stmt.where(QaAlert.status == status)
    return list(db.scalars(stmt.order_by(QaAlert.created_at.desc(), QaAlert.id.desc()).limit(limit)))


@_one_wins
def acknowledge_alert(db: Session, scope: Scope, alert_id: int) -> QaAlert:
    alert = db.get(QaAlert, alert_id)
    if alert is None or not scope.can_see_tenant(alert.tenant_id):
        raise NotFound(f"预警 {alert_id} 不存在")
    if alert.status != AlertStatus.open:
        raise Conflict("该预警已被处理")
    alert.status = AlertStatus.acknowledged
    alert.acknowledged_by_id = scope.user_id
    alert.acknowledged_at = utcnow()
    _flush(db)
    return alert


# ---- statistics ------------------------------------------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _bucket(when: datetime, period: str, tz: ZoneInfo) -> str:
    day = when.astimezone(tz).date()  # the centre's calendar day, not UTC's
    if period == "day":
        return day.isoformat()
    if period == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{day.year}-{day.month:02d}"


def stats(
    db: Session,
    scope: Scope,
    *,
    group_by: str = "agent",
    period: str = "week",
    since: datetime | None = None,
    until: datetime | None = None,
    timezone: str = "Asia/Shanghai",
) -> list[dict]:
    """Per agent (or team) and period: calls scored, average/min score, reviewed, appeals, top deductions."""
    if group_by not in ("agent", "team"):
        raise Invalid("group_by 须为 agent 或 team", field="group_by")
    if period not in ("day", "week", "month"):
        raise Invalid("period 须为 day、week 或 month", field="period")
    until = _aware(until) or utcnow()
    since = _aware(since) or until - timedelta(days=30)
    if since > until:
        raise Invalid("起始时间不能晚于结束时间", field="since")
    stmt = select(QaScore).where(
        QaScore.status != ScoreStatus.superseded,
        QaScore.tenant_id.in_(scope.tenant_ids),
        QaScore.call_started_at >= since,
        QaScore.call_started_at <= until,
    )
    if not scope.has("admin", "qa_reviewer", "supervisor"):
        stmt = stmt.where(QaScore.agent_id == scope.user_id)
    scores = list(db.scalars(stmt))
    deductions: dict[int, Counter] = defaultdict(Counter)
    if scores:
        rows = db.execute(
            select(QaDeduction.score_id, QaDeduction.rule_name).where(
                QaDeduction.score_id.in_([s.id for s in scores]),
                QaDeduction.status != DeductionStatus.rejected,
            )
        )
        for score_id, rule_name in rows:
            deductions[score_id][rule_name] += 1
    tz = ZoneInfo(timezone)
    names = dict(
        db.execute(select(User.id, User.full_name).where(User.id.in_({s.agent_id for s in scores}))).all()
    )
    groups: dict[tuple, list[QaScore]] = defaultdict(list)
    for s in scores:
        key = s.agent_id if group_by == "agent" else (s.team or "未分组")
        groups[(key, _bucket(s.call_started_at, period, tz))].append(s)
    out = []
    for (key, bucket), items in sorted(groups.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))):
        rules: Counter = Counter()
        for s in items:
            rules.update(deductions[s.id])
        out.append(
            {
                group_by: key,
                **({"name": names.get(key)} if group_by == "agent" else {}),
                "period": bucket,
                "calls": len(items),
                "average_score": round(sum(s.score for s in items) / len(items), 2),
                "min_score": min(s.score for s in items),
                "reviewed": sum(s.status in (ScoreStatus.reviewed, ScoreStatus.final) for s in items),
                "appealed": sum(s.status in (ScoreStatus.appealed, ScoreStatus.final) for s in items),
                "top_deductions": [{"rule": r, "count": c} for r, c in rules.most_common(5)],
            }
        )
    return out


def alerts_for_transcript(db: Session, transcript_id: int) -> list[QaAlert]:
    return list(db.scalars(select(QaAlert).where(QaAlert.transcript_id == transcript_id)))
