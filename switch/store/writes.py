"""What the controller records: agent state changes, call records (CDR) upserted by call UUID,
blacklist attempts, abandoned and missed calls, voicemails, recordings, satisfaction, and the
answer to the IVR ticket-progress lookup."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import (
    AgentStateLog,
    AgentStatus,
    BlacklistAttempt,
    Call,
    CallbackStatus,
    Disposition,
    MissedCall,
    MissedKind,
    Recording,
    SkillGroup,
    Voicemail,
)
from models.db import utcnow
from models.errors import Invalid, NotFound
from routing.agents import StateChange
from routing.config import (
    normalise_number,
)

log = logging.getLogger("hotline.calls")


CALLS_FINISHED = Counter("hotline_calls_finished_total", "Call records closed", ["disposition"])
BLACKLIST_ATTEMPTS = Counter("hotline_blacklist_attempts_total", "Calls rejected by the blacklist")
AGENT_CHANGES = Counter("hotline_agent_state_changes_total", "Agent state changes recorded", ["to_state"])
MISSED_CALLS = Counter("hotline_missed_calls_total", "Abandoned and missed calls recorded", ["kind"])


# ====================================================================== controller writes


def skill_group_id(db: Session, code: str | None) -> int | None:
    if not code:
        return None
    return db.scalar(select(SkillGroup.id).where(SkillGroup.code == code))


def record_agent_change(db: Session, change: StateChange, *, extension: str | None = None) -> AgentStateLog:
    """Append the stamped change and update the agent's current state (`agent_status`)."""
    entry = AgentStateLog(
        user_id=change.user_id,
        tenant_id=change.tenant_id,
        agent_number=change.agent_number,
        event=str(change.event),
        from_state=str(change.from_state),
        to_state=str(change.to_state),
        reason=change.reason,
        call_uuid=change.call_id,
        previous_duration_s=change.previous_duration_s,
        at=change.at,
    )
    db.add(entry)
    status = db.get(AgentStatus, change.user_id)
    if status is None:
        status = AgentStatus(
            user_id=change.user_id,
            tenant_id=change.tenant_id,
            agent_number=change.agent_number,
        )
        db.add(status)
    status.state = str(change.to_state)
    status.reason = change.reason if str(change.to_state) == "not_ready" else None
    status.since = change.at
    status.call_uuid = change.call_id if str(change.to_state) in ("ringing", "in_call", "wrap_up") else None
    if str(change.to_state) == "ready" and str(change.event) != "cancel":
        status.idle_since = change.at
    if extension is not None:
        status.extension = extension
    status.updated_at = utcnow()
    db.flush()
    AGENT_CHANGES.labels(str(change.to_state)).inc()
    return entry


def agent_states(db: Session) -> list[AgentStatus]:
    """Current agent states as last recorded (the controller restores its ACD from these after a restart)."""
    return list(db.scalars(select(AgentStatus).where(AgentStatus.state != "logged_out")))


CALL_FIELDS = frozenset(c.name for c in Call.__table__.columns) - {
    "id",
    "uuid",
    "updated_at",
}


def upsert_call(db: Session, uuid: str, *, skill_group: str | None = None, **fields: Any) -> Call:
    """Create or update the CDR of call `uuid`. `skill_group` is a code (mapped to the id).

    Call it at each milestone (arrival, IVR done, queued, offered, answered, hold, hangup) with the
    fields known by then; it is idempotent, so replaying events after a controller restart is safe.
    """
    unknown = set(fields) - CALL_FIELDS
    if unknown:
        raise Invalid(f"未知的通话字段：{', '.join(sorted(unknown))}", field="fields")
    if "disposition" in fields:
        try:
            fields["disposition"] = str(Disposition(fields["disposition"]))
        except ValueError:
            allowed = "、".join(d.value for d in Disposition)
            raise Invalid(f"通话结果应为：{allowed}", field="disposition") from None
    call = db.scalar(select(Call).where(Call.uuid == uuid))
    if call is None:
        call = Call(uuid=uuid, caller=fields.pop("caller", ""), called=fields.pop("called", ""))
        db.add(call)
    if skill_group is not None:
        call.skill_group_id = skill_group_id(db, skill_group)
    for key, value in fields.items():
        setattr(call, key, value)
    db.flush()
    return call


def finish_call(
    db: Session,
    uuid: str,
    *,
    ended_at: datetime,
    hangup_cause: str | None = None,
    disposition: Disposition | str | None = None,
    **fields: Any,
) -> Call:
    """Close the CDR: set the end, derive wait/ring/talk durations from the stamps, pick the disposition
    (answered if an agent answered, abandoned if it was queued, ivr_hangup otherwise) unless given."""
    call = upsert_call(db, uuid, ended_at=ended_at, hangup_cause=hangup_cause, **fields)
    if call.queue_entered_at is not None and call.wait_s is None:
        until = call.agent_answered_at or call.queue_left_at or ended_at
        call.wait_s = max(0.0, (until - call.queue_entered_at).total_seconds())
    if call.ring_started_at is not None and call.ring_s is None:
        until = call.agent_answered_at or ended_at
        call.ring_s = max(0.0, (until - call.ring_started_at).total_seconds())
    if call.agent_answered_at is not None and call.talk_s is None:
        call.talk_s = max(0.0, (ended_at - call.agent_answered_at).total_seconds())
    if disposition is None and call.disposition == Disposition.in_progress:
        if call.agent_answered_at is not None:
            disposition = Disposition.answered
        elif call.queue_entered_at is not None:
            disposition = Disposition.abandoned
            call.abandon_stage = call.abandon_stage or ("ringing" if call.ring_started_at else "queue")
        else:
            disposition = Disposition.ivr_hangup
            call.abandon_stage = call.abandon_stage or "ivr"
    if disposition is not None:
        call.disposition = str(Disposition(disposition))
    db.flush()
    CALLS_FINISHED.labels(call.disposition).inc()
    return call


def set_satisfaction(db: Session, uuid: str, rating: int) -> Call:
    if not 1 <= rating <= 5:
        raise Invalid("满意度评价应为 1–5", field="rating")
    return upsert_call(db, uuid, satisfaction=rating)


def log_blacklist_attempt(
    db: Session,
    *,
    entry_id: int | None,
    caller: str,
    called: str,
    tenant_id: int | None = None,
    call_uuid: str | None = None,
    at: datetime | None = None,
) -> BlacklistAttempt:
    attempt = BlacklistAttempt(
        entry_id=entry_id,
        tenant_id=tenant_id,
        caller=caller,
        called=called,
        call_uuid=call_uuid,
        at=at or utcnow(),
    )
    db.add(attempt)
    db.flush()
    BLACKLIST_ATTEMPTS.inc()
    log.info(
        "blacklisted call rejected",
        extra={"caller": caller, "entry_id": entry_id, "call_uuid": call_uuid},
    )
    return attempt


def _record_missed(db: Session, **fields: Any) -> MissedCall:
    """Missing tenant / skill group are taken from the call's CDR (so the row shows up in tenant lists)."""
    if fields.get("tenant_id") is None or fields.get("skill_group_id") is None:
        call = db.scalar(select(Call).where(Call.uuid == fields["call_uuid"]))
        if call is not None:
            fields["tenant_id"] = fields.get("tenant_id") or call.tenant_id
            fields["skill_group_id"] = fields.get("skill_group_id") or call.skill_group_id
    row = MissedCall(**fields)
    db.add(row)
    db.flush()
    MISSED_CALLS.labels(str(row.kind)).inc()
    return row


def record_abandoned(
    db: Session,
    *,
    call_uuid: str,
    caller: str,
    stage: str,
    tenant_id: int | None = None,
    skill_group: str | None = None,
    waited_s: float = 0.0,
    position: int | None = None,
    agent_user_id: int | None = None,
    at: datetime | None = None,
) -> MissedCall:
    """放弃: the caller hung up in the IVR, the queue or while an agent rang (from `routing.acd.Abandoned`)."""
    return _record_missed(
        db,
        kind=MissedKind.abandoned,
        call_uuid=call_uuid,
        caller=caller,
        stage=stage,
        tenant_id=tenant_id,
        skill_group_id=skill_group_id(db, skill_group),
        waited_s=waited_s,
        position=position,
        agent_user_id=agent_user_id,
        at=at or utcnow(),
    )


def record_missed(
    db: Session,
    *,
    call_uuid: str,
    caller: str,
    agent_user_id: int,
    ring_s: float,
    tenant_id: int | None = None,
    skill_group: str | None = None,
    at: datetime | None = None,
) -> MissedCall:
    """未接: an agent was rung and did not answer (from `routing.acd.Missed`); the call went back to the queue."""
    return _record_missed(
        db,
        kind=MissedKind.missed,
        call_uuid=call_uuid,
        caller=caller,
        stage="ringing",
        tenant_id=tenant_id,
        skill_group_id=skill_group_id(db, skill_group),
        waited_s=ring_s,
        agent_user_id=agent_user_id,
        callback_status=CallbackStatus.not_needed,
        at=at or utcnow(),
    )


def add_voicemail(
    db: Session,
    *,
    call_uuid: str,
    caller: str,
    called: str,
    tenant_id: int | None,
    reason: str,
    path: str | None = None,
    duration_s: float | None = None,
    skill_group: str | None = None,
) -> Voicemail:
    """Register a voicemail (留言); calling again for the same call updates path/duration."""
    vm = db.scalar(select(Voicemail).where(Voicemail.call_uuid == call_uuid))
    if vm is None:
        vm = Voicemail(
            call_uuid=call_uuid,
            caller=caller,
            called=called,
            tenant_id=tenant_id,
            reason=reason,
        )
        db.add(vm)
    vm.skill_group_id = skill_group_id(db, skill_group) or vm.skill_group_id
    if path is not None:
        vm.path = path
    if duration_s is not None:
        vm.duration_s = duration_s
    db.flush()
    return vm


def add_recording(
    db: Session,
    *,
    call_uuid: str,
    path: str,
    started_at: datetime | None = None,
    channels: int = 2,
    agent_user_id: int | None = None,
) -> Recording:
    """Register a recording when RECORD_START arrives (linked to the CDR of `call_uuid` if it exists)."""
    existing = db.scalar(select(Recording).where(Recording.path == path))
    if existing is not None:
        return existing
    call = db.scalar(select(Call).where(Call.uuid == call_uuid))
    rec = Recording(
        call_id=call.id if call else None,
        call_uuid=call_uuid,
        tenant_id=call.tenant_id if call else None,
        agent_user_id=agent_user_id or (call.agent_user_id if call else None),
        path=path,
        channels=channels,
        started_at=started_at or utcnow(),
    )
    db.add(rec)
    db.flush()
    return rec


def finish_recording(
    db: Session,
    *,
    path: str,
    ended_at: datetime,
    duration_s: float | None = None,
    size_bytes: int | None = None,
) -> Recording:
    rec = db.scalar(select(Recording).where(Recording.path == path))
    if rec is None:
        raise NotFound("录音不存在", field="path")
    rec.ended_at = ended_at
    rec.duration_s = duration_s if duration_s is not None else (ended_at - rec.started_at).total_seconds()
    if size_bytes is None and Path(path).is_file():
        size_bytes = Path(path).stat().st_size
    rec.size_bytes = size_bytes
    if rec.call_id is None:
        call = db.scalar(select(Call).where(Call.uuid == rec.call_uuid))
        if call is not None:
            rec.call_id, rec.tenant_id = call.id, call.tenant_id
            rec.agent_user_id = rec.agent_user_id or call.agent_user_id
    db.flush()
    return rec


def ticket_progress_prompt(db: Session, digits: str, *, caller: str) -> str:
    """The answer to the IVR self-service "ticket progress" lookup (`SelfService(kind="ticket_progress")`):
    a `say:` prompt for `IvrSession.on_self_service`. Callers key the digits of the ticket number
    (`NN20261127000123` → `20261127000123`); the status is read out only to the phone number the ticket
    was registered with (privacy), others are asked to call from that number or hold for an agent."""
    from models.tickets import Ticket  # read-only; the tickets package owns the table

    digits = "".join(ch for ch in digits if ch.isdigit())
    if len(digits) < 6:
        return "say:工单编号有误，请核对后重新查询。"
    rows = list(db.scalars(select(Ticket).where(Ticket.number.endswith(digits)).limit(2)))
    if not rows:
        return "say:未查询到该工单，请核对工单编号，或按0转人工服务。"
    if len(rows) > 1:
        return "say:查询到多张工单，请转人工服务查询。"
    ticket = rows[0]
    if normalise_number(ticket.citizen_phone or "") != normalise_number(caller):
        return "say:为保护您的隐私，请使用登记工单时的电话号码查询，或按0转人工服务。"
    try:
        from tickets.enums import STATE_LABELS, TicketState

        label = STATE_LABELS[TicketState(ticket.state)]
    except (ImportError, ValueError, KeyError):
        label = ticket.state
    text = f"say:您查询的工单{digits[-6:]}当前状态为{label}。"
    if ticket.due_at is not None and ticket.state not in ("closed", "withdrawn"):
        local = ticket.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
        text += f"办理时限为{local.month}月{local.day}日。"
    return text
