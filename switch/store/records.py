"""Call records for the API: CDR search and statistics, recordings (permission-bound, logged),
voicemails, abandoned and missed calls."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from models.calls import (
    Call,
    CallbackStatus,
    Disposition,
    MissedCall,
    MissedKind,
    Recording,
    RecordingAccess,
    Voicemail,
    VoicemailStatus,
)
from models.db import utcnow
from models.errors import Invalid, NotFound, PermissionDenied
from models.org import Role
from models.scope import Scope
from switch.store.common import (
    _claim,
    _get,
    _paged,
)

log = logging.getLogger("hotline.calls")


# ====================================================================== call records (CDR)


def _own_only(scope: Scope) -> bool:
    """Agents (without a supervising role) see only their own calls."""
    return not scope.has(Role.admin, Role.supervisor, Role.qa_reviewer, Role.workstation)


def search_calls(
    db: Session,
    scope: Scope,
    *,
    number: str | None = None,
    agent_number: str | None = None,
    disposition: str | None = None,
    skill_group_id: int | None = None,
    tenant_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[Call], int]:
    """CDRs in the user's tenant subtree (agents: their own), newest first.
    `number` matches caller or called (substring); `start`/`end` bound `started_at` ([start, end))."""
    stmt = select(Call).where(Call.tenant_id.in_(scope.tenant_ids))
    if _own_only(scope):
        stmt = stmt.where(Call.agent_user_id == scope.user_id)
    if number:
        stmt = stmt.where(
            or_(Call.caller.contains(number, autoescape=True), Call.called.contains(number, autoescape=True))
        )
    if agent_number:
        stmt = stmt.where(Call.agent_number == agent_number)
    if disposition:
        stmt = stmt.where(Call.disposition == disposition)
    if skill_group_id is not None:
        stmt = stmt.where(Call.skill_group_id == skill_group_id)
    if tenant_id is not None:
        stmt = stmt.where(Call.tenant_id == tenant_id)
    if start is not None:
        stmt = stmt.where(Call.started_at >= start)
    if end is not None:
        stmt = stmt.where(Call.started_at < end)
    return _paged(db, stmt.order_by(Call.started_at.desc(), Call.id.desc()), page, size)


SERVICE_LEVEL_S = 20  # 20秒接通率


def call_stats(
    db: Session,
    scope: Scope,
    *,
    start: datetime,
    end: datetime,
    tenant_id: int | None = None,
    skill_group_id: int | None = None,
) -> dict[str, Any]:
    """Call-centre figures over CDRs started in [start, end): offered (queued) calls, answered, abandoned,
    service level (answered within 20 s of queueing ÷ offered), average wait / talk / hold / wrap-up,
    satisfaction rating rate and average, and counts by disposition."""
    if end <= start:
        raise Invalid("结束时间应晚于开始时间", field="end")
    conds = [
        Call.tenant_id.in_(scope.tenant_ids),
        Call.started_at >= start,
        Call.started_at < end,
    ]
    if tenant_id is not None:
        conds.append(Call.tenant_id == tenant_id)
    if skill_group_id is not None:
        conds.append(Call.skill_group_id == skill_group_id)
    answered = Call.disposition == Disposition.answered
    queued = Call.queue_entered_at.is_not(None)

    def count(*where: Any) -> Any:
        return func.count(case((and_(*where), 1)))

    row = db.execute(
        select(
            count(queued),
            count(queued, answered),
            count(queued, Call.disposition == Disposition.abandoned),
            count(queued, answered, Call.wait_s <= SERVICE_LEVEL_S),
            func.avg(case((queued, Call.wait_s))),
            func.avg(case((answered, Call.talk_s))),
            func.avg(case((answered, Call.hold_s))),
            func.avg(case((answered, Call.wrap_up_s))),
            count(answered, Call.satisfaction.is_not(None)),
            func.avg(case((answered, Call.satisfaction))),
        ).where(*conds)
    ).one()
    offered, n_answered, abandoned, in_sl, wait, talk, hold, wrap, rated, rating = row
    by_disposition = dict(
        db.execute(select(Call.disposition, func.count()).where(*conds).group_by(Call.disposition)).all()
    )

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    def avg(v: Any) -> float | None:
        return round(float(v), 1) if v is not None else None

    return {
        "calls": sum(by_disposition.values()),
        "offered": offered,
        "answered": n_answered,
        "abandoned": abandoned,
        "answer_rate": ratio(n_answered, offered),
        "abandon_rate": ratio(abandoned, offered),
        "service_level_20s": ratio(in_sl, offered),
        "avg_wait_s": avg(wait),
        "avg_talk_s": avg(talk),
        "avg_hold_s": avg(hold),
        "avg_wrap_up_s": avg(wrap),
        "rated": rated,
        "rating_rate": ratio(rated, n_answered),
        "avg_satisfaction": round(float(rating), 2) if rating is not None else None,
        "by_disposition": by_disposition,
    }


def get_call(db: Session, scope: Scope, call_id: int) -> Call:
    call = _get(db, Call, scope, call_id, "通话记录")
    if _own_only(scope) and call.agent_user_id != scope.user_id:
        raise NotFound("通话记录不存在")
    return call


# ====================================================================== recordings


def _recording_query(scope: Scope) -> Select:
    stmt = select(Recording).where(Recording.tenant_id.in_(scope.tenant_ids), Recording.deleted_at.is_(None))
    if _own_only(scope):
        stmt = stmt.where(Recording.agent_user_id == scope.user_id)
    return stmt


def list_recordings(
    db: Session,
    scope: Scope,
    *,
    call_uuid: str | None = None,
    agent_user_id: int | None = None,
    number: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[Recording], int]:
    """Recordings in scope (agents: their own), newest first; `number` matches the call's caller or called."""
    stmt = _recording_query(scope)
    if number:
        calls = select(Call.id).where(
            or_(Call.caller.contains(number, autoescape=True), Call.called.contains(number, autoescape=True))
        )
        stmt = stmt.where(Recording.call_id.in_(calls))
    if call_uuid:
        stmt = stmt.where(Recording.call_uuid == call_uuid)
    if agent_user_id is not None:
        stmt = stmt.where(Recording.agent_user_id == agent_user_id)
    if start is not None:
        stmt = stmt.where(Recording.started_at >= start)
    if end is not None:
        stmt = stmt.where(Recording.started_at < end)
    return _paged(db, stmt.order_by(Recording.started_at.desc(), Recording.id.desc()), page, size)


def get_recording(db: Session, scope: Scope, recording_id: int) -> Recording:
    rec = db.scalar(_recording_query(scope).where(Recording.id == recording_id))
    if rec is None:
        raise NotFound("录音不存在")
    return rec


def log_recording_access(
    db: Session, scope: Scope, recording: Recording, action: str, detail: str = ""
) -> None:
    db.add(
        RecordingAccess(
            recording_id=recording.id,
            user_id=scope.user_id,
            action=action,
            detail=detail,
        )
    )
    db.flush()


def open_recording(db: Session, scope: Scope, recording_id: int, *, action: str = "play") -> Recording:
    """Fetch a recording to play or download (logged). Raises NotFound if the file is gone."""
    rec = get_recording(db, scope, recording_id)
    if not Path(rec.path).is_file():
        raise NotFound("录音文件不存在")
    log_recording_access(db, scope, rec, action)
    return rec


def delete_recording(db: Session, scope: Scope, recording_id: int, *, reason: str) -> Recording:
    """Delete the audio file and mark the recording deleted (admin only; logged with the reason)."""
    if not scope.has(Role.admin):
        raise PermissionDenied("只有管理员可以删除录音")
    if not reason.strip():
        raise Invalid("请填写删除原因", field="reason")
    rec = get_recording(db, scope, recording_id)
    _claim(
        db,
        Recording,
        rec.id,
        Recording.deleted_at,
        None,
        "录音已被删除",
        "id",
        deleted_at=utcnow(),
        deleted_by_id=scope.user_id,
        delete_reason=reason,
    )
    db.refresh(rec)
    log_recording_access(db, scope, rec, "delete", reason)
    db.flush()
    Path(rec.path).unlink(missing_ok=True)
    log.info(
        "recording deleted",
        extra={"recording_id": rec.id, "user": scope.username, "reason": reason},
    )
    return rec


def recording_access_log(db: Session, scope: Scope, recording_id: int) -> list[RecordingAccess]:
    rec = db.get(Recording, recording_id)
    if rec is None or not scope.can_see_tenant(rec.tenant_id or -1):
        raise NotFound("录音不存在")
    stmt = select(RecordingAccess).where(RecordingAccess.recording_id == recording_id)
    return list(db.scalars(stmt.order_by(RecordingAccess.at.desc())))


# ====================================================================== voicemails, abandoned and missed calls


def list_voicemails(
    db: Session,
    scope: Scope,
    *,
    status: str | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[Voicemail], int]:
    stmt = select(Voicemail).where(Voicemail.tenant_id.in_(scope.tenant_ids))
    if status:
        stmt = stmt.where(Voicemail.status == status)
    return _paged(db, stmt.order_by(Voicemail.created_at.desc(), Voicemail.id.desc()), page, size)


def get_voicemail(db: Session, scope: Scope, voicemail_id: int) -> Voicemail:
    return _get(db, Voicemail, scope, voicemail_id, "留言")


def handle_voicemail(db: Session, scope: Scope, voicemail_id: int, *, note: str = "") -> Voicemail:
    vm = get_voicemail(db, scope, voicemail_id)
    _claim(
        db,
        Voicemail,
        vm.id,
        Voicemail.status,
        VoicemailStatus.new,
        "留言已处理",
        "status",
        status=VoicemailStatus.handled,
        handled_by_id=scope.user_id,
        handled_at=utcnow(),
        note=note,
    )
    db.refresh(vm)
    return vm


def list_missed_calls(
    db: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    callback_status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[MissedCall], int]:
    stmt = select(MissedCall).where(MissedCall.tenant_id.in_(scope.tenant_ids))
    if _own_only(scope):
        # agents: calls they missed, and the tenant's abandoned calls (anyone may call those back)
        stmt = stmt.where(
            or_(MissedCall.agent_user_id == scope.user_id, MissedCall.kind == MissedKind.abandoned)
        )
    if kind:
        stmt = stmt.where(MissedCall.kind == kind)
    if callback_status:
        stmt = stmt.where(MissedCall.callback_status == callback_status)
    if start is not None:
        stmt = stmt.where(MissedCall.at >= start)
    if end is not None:
        stmt = stmt.where(MissedCall.at < end)
    return _paged(db, stmt.order_by(MissedCall.at.desc(), MissedCall.id.desc()), page, size)


def mark_called_back(db: Session, scope: Scope, missed_id: int, *, status: str = "done") -> MissedCall:
    row = _get(db, MissedCall, scope, missed_id, "漏话记录")
    _claim(
        db,
        MissedCall,
        row.id,
        MissedCall.callback_status,
        CallbackStatus.pending,
        "该记录已处理",
        "callback_status",
        callback_status=str(CallbackStatus(status)),
        handled_by_id=scope.user_id,
        handled_at=utcnow(),
    )
    db.refresh(row)
    return row
