"""Call-centre persistence: the only writer of the tables in `models.calls`.

Two audiences:

- the controller: `config_version`/`load_config` (reload when the version changes; every change is
  also announced on the bus channel `calls:config`, see `announce_config`),
  `agent_states` (rebuild the ACD after a restart), `record_agent_change`, `upsert_call`/`finish_call`
  (the CDR, upserted by call UUID at every milestone so a restart loses nothing),
  `log_blacklist_attempt`, `record_abandoned`/`record_missed`, `add_voicemail`,
  `add_recording`/`finish_recording`, `set_satisfaction`, `skill_group_id`, and
  `ticket_progress_prompt` (the answer to the IVR self-service lookup, for `IvrSession.on_self_service`);
- the API (`api/routers/calls.py`) and the demo data: configuration CRUD (skill groups, agents' skills,
  IVR menus, per-tenant settings, holidays, blacklist, 专席 rules) and the record queries.

Every function takes a `Session` and plain values and never commits: the caller owns the transaction.
Every configuration change calls `bump_config_version` so running controllers reload without restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter
from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from models.calls import (
    AfterHoursAction,
    AgentSkill,
    AgentStateLog,
    AgentStatus,
    BlacklistAttempt,
    BlacklistEntry,
    Call,
    CallbackStatus,
    CallIdempotency,
    CallSettings,
    ConfigVersion,
    Disposition,
    Holiday,
    IvrMenu,
    MissedCall,
    MissedKind,
    Recording,
    RecordingAccess,
    SkillGroup,
    SpecialSeatRule,
    Voicemail,
    VoicemailStatus,
)
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.org import Role, Tenant, User
from models.scope import Scope
from routing.agents import StateChange
from routing.config import (
    AcdStrategy,
    AfterHours,
    AgentConfig,
    BlacklistRule,
    BusinessHours,
    CentreConfig,
    MatchOn,
    Prompts,
    SkillGroupConfig,
    TenantConfig,
    TimeWindow,
    normalise_number,
)
from routing.config import SpecialSeatRule as SeatRuleConfig
from routing.ivr import IvrMenu as MenuConfig
from routing.ivr import check_prompt, parse_menu

log = logging.getLogger("hotline.calls")

CALLS_FINISHED = Counter("hotline_calls_finished_total", "Call records closed", ["disposition"])
BLACKLIST_ATTEMPTS = Counter("hotline_blacklist_attempts_total", "Calls rejected by the blacklist")
AGENT_CHANGES = Counter("hotline_agent_state_changes_total", "Agent state changes recorded", ["to_state"])
MISSED_CALLS = Counter("hotline_missed_calls_total", "Abandoned and missed calls recorded", ["kind"])

PROMPT_KEYS = tuple(Prompts.__dataclass_fields__)


# ====================================================================== configuration version


def config_version(db: Session) -> int:
    """The configuration version; the controller reloads (`load_config`) when it differs from its own."""
    return db.scalar(select(ConfigVersion.version).where(ConfigVersion.id == 1)) or 0


CONFIG_CHANNEL = "calls:config"  # models.bus channel: {"type": "config_changed", "version": n}
CONFIG_BUMPED = "calls.config_bumped"  # Session.info key: the version this transaction bumped to


def bump_config_version(db: Session) -> int:
    """Called by every configuration writer. The caller announces the new version after its commit
    (`announce_config`); the API router does, through `Session.info[CONFIG_BUMPED]`."""
    row = db.get(ConfigVersion, 1)
    if row is None:
        row = ConfigVersion(id=1, version=1)
        db.add(row)
    else:
        row.version += 1
        row.changed_at = utcnow()
    db.flush()
    db.info[CONFIG_BUMPED] = row.version
    return row.version


def announce_config(settings: Any, version: int) -> None:
    """Publish `config_changed` on the bus so controllers reload now instead of at their next poll.
    Best effort: without Redis the controllers still see the version when they poll `config_version`."""
    try:
        from models.bus import Bus

        Bus.from_settings(settings).publish(CONFIG_CHANNEL, {"type": "config_changed", "version": version})
    except Exception as exc:  # Redis unreachable or not configured: polling covers it
        log.warning("config change not announced", extra={"version": version, "error": str(exc)})


# ====================================================================== load for routing


END_OF_DAY = time(23, 59, 59, 999999)


def _parse_hhmm(value: str, field: str) -> time:
    """Parse "HH:MM" ("24:00" is the end of the day)."""
    if value == "24:00":
        return END_OF_DAY
    try:
        hh, mm = value.split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError):
        raise Invalid("时间格式应为 HH:MM", field=field) from None


def _windows(raw: list[dict[str, Any]]) -> tuple[TimeWindow, ...]:
    out = []
    for i, w in enumerate(raw or []):
        start = _parse_hhmm(w.get("start", ""), f"windows.{i}.start")
        end = _parse_hhmm(w.get("end", ""), f"windows.{i}.end")
        out.append(TimeWindow(frozenset(int(d) for d in w.get("weekdays", [])), start, end))
    return tuple(out)


def load_config(db: Session) -> CentreConfig:
    """Everything routing needs, as immutable values. Broken IVR trees are skipped (logged), not fatal."""
    version = config_version(db)
    groups = list(db.scalars(select(SkillGroup).where(SkillGroup.active.is_(True))))
    code_by_id = {g.id: g.code for g in groups}
    settings = {s.tenant_id: s for s in db.scalars(select(CallSettings))}
    menus = {m.id: m for m in db.scalars(select(IvrMenu))}
    holidays: dict[int, list[Holiday]] = {}
    for h in db.scalars(select(Holiday)):
        holidays.setdefault(h.tenant_id, []).append(h)
    tenants: list[TenantConfig] = []
    for t in db.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)):
        s = settings.get(t.id)
        menu: MenuConfig | None = None
        if s is not None and s.ivr_menu_id in menus:
            try:
                menu = parse_menu(menus[s.ivr_menu_id].tree)
            except Invalid as exc:
                log.error("ivr menu skipped", extra={"menu_id": s.ivr_menu_id, "error": exc.detail})
        days = holidays.get(t.id, [])
        hours = BusinessHours(
            timezone=s.timezone if s else "Asia/Shanghai",
            always_open=s.always_open if s else True,
            windows=_windows(s.windows) if s else (),
            holidays=frozenset(h.day for h in days if h.kind == "holiday"),
            workdays=frozenset(h.day for h in days if h.kind == "workday"),
        )
        tenants.append(
            TenantConfig(
                tenant_id=t.id,
                code=t.code,
                name=t.name,
                called_numbers=tuple(t.called_numbers or ()),
                parent_id=t.parent_id,
                path=t.path,
                hours=hours,
                prompts=Prompts.from_dict(s.prompts if s else None),
                ivr_menu=menu,
                default_group=code_by_id.get(s.default_group_id) if s and s.default_group_id else None,
                after_hours=AfterHours(s.after_hours) if s else AfterHours.voicemail,
            )
        )
    group_cfgs = tuple(
        SkillGroupConfig(
            code=g.code,
            name=g.name,
            tenant_id=g.tenant_id,
            strategy=AcdStrategy(g.strategy),
            overflow_group=code_by_id.get(g.overflow_group_id) if g.overflow_group_id else None,
            overflow_after_s=g.overflow_after_s,
            voicemail_after_s=g.voicemail_after_s,
            announce_every_s=g.announce_every_s,
            ring_timeout_s=g.ring_timeout_s,
            wrap_up_s=g.wrap_up_s,
            avg_handle_s=g.avg_handle_s,
        )
        for g in groups
    )
    skills: dict[int, dict[str, int]] = {}
    for s in db.scalars(select(AgentSkill)):
        if s.skill_group_id in code_by_id:
            skills.setdefault(s.user_id, {})[code_by_id[s.skill_group_id]] = s.level
    agents = tuple(
        AgentConfig(
            user_id=u.id,
            agent_number=u.agent_number or "",
            extension=u.extension or "",
            tenant_id=u.tenant_id,
            name=u.full_name,
            skills=skills.get(u.id, {}),
        )
        for u in db.scalars(
            select(User).where(User.active.is_(True), User.agent_number.is_not(None)).order_by(User.id)
        )
    )
    now = utcnow()
    blacklist = tuple(
        BlacklistRule(
            id=b.id, number=b.number, tenant_id=b.tenant_id, reason=b.reason, expires_at=b.expires_at
        )
        for b in db.scalars(select(BlacklistEntry).where(BlacklistEntry.active.is_(True)))
        if b.expires_at is None or b.expires_at > now
    )
    seats = tuple(
        SeatRuleConfig(
            id=r.id,
            tenant_id=r.tenant_id,
            match_on=MatchOn(r.match_on),
            pattern=r.pattern,
            skill_group=code_by_id[r.skill_group_id],
            priority=r.priority,
            agent_numbers=tuple(r.agent_numbers or ()),
            order=r.order,
            bypass_ivr=r.bypass_ivr,
        )
        for r in db.scalars(select(SpecialSeatRule).where(SpecialSeatRule.active.is_(True)))
        if r.skill_group_id in code_by_id
    )
    return CentreConfig(
        version=version,
        tenants=tuple(tenants),
        groups=group_cfgs,
        agents=agents,
        blacklist=blacklist,
        special_seats=seats,
    )


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
            user_id=change.user_id, tenant_id=change.tenant_id, agent_number=change.agent_number
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


CALL_FIELDS = frozenset(c.name for c in Call.__table__.columns) - {"id", "uuid", "updated_at"}


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
        "blacklisted call rejected", extra={"caller": caller, "entry_id": entry_id, "call_uuid": call_uuid}
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
        vm = Voicemail(call_uuid=call_uuid, caller=caller, called=called, tenant_id=tenant_id, reason=reason)
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


def remembered(db: Session, scope: Scope, key: str | None, kind: str) -> int | None:
    """The object a create with this `Idempotency-Key` made before (None: first time or no key)."""
    if not key:
        return None
    row = db.scalar(
        select(CallIdempotency).where(CallIdempotency.user_id == scope.user_id, CallIdempotency.key == key)
    )
    if row is None:
        return None
    if row.kind != kind:
        raise Conflict("该 Idempotency-Key 已用于其他类型的请求", field="Idempotency-Key")
    return row.object_id


def remember(db: Session, scope: Scope, key: str | None, kind: str, object_id: int) -> None:
    if key:
        db.add(CallIdempotency(user_id=scope.user_id, key=key, kind=kind, object_id=object_id))
        db.flush()


# ====================================================================== scope helpers


def _visible(scope: Scope, tenant_id: int | None, what: str) -> None:
    if tenant_id is None or not scope.can_see_tenant(tenant_id):
        raise NotFound(f"{what}不存在")


def _get(db: Session, model: type, scope: Scope, item_id: int, what: str) -> Any:
    obj = db.get(model, item_id)
    if obj is None:
        raise NotFound(f"{what}不存在")
    _visible(scope, obj.tenant_id, what)
    return obj


def check_tenant(db: Session, scope: Scope, tenant_id: int) -> Tenant:
    """The tenant, if it exists and the user may configure it (else 422 on `tenant_id`)."""
    tenant = db.get(Tenant, tenant_id)
    if tenant is None or not scope.can_see_tenant(tenant_id):
        raise Invalid("租户不存在或超出数据权限范围", field="tenant_id")
    return tenant


def _lineage_ids(db: Session, tenant_id: int) -> set[int]:
    ids, t = set(), db.get(Tenant, tenant_id)
    while t is not None and t.id not in ids:
        ids.add(t.id)
        t = db.get(Tenant, t.parent_id) if t.parent_id else None
    return ids


def _claim(
    db: Session, model: type, row_id: int, column: Any, expected: Any, taken: str, field: str, **values: Any
) -> None:
    """Compare-and-set: update the row only if `column` still holds `expected`. Of concurrent requests on
    one row exactly one wins; the others get 409 (`taken`)."""
    cond = column.is_(None) if expected is None else column == expected
    stmt = update(model).where(model.id == row_id, cond).values(**values)
    if not db.execute(stmt.execution_options(synchronize_session=False)).rowcount:
        raise Conflict(taken, field=field)


def _paged(db: Session, stmt: Select, page: int, size: int) -> tuple[list[Any], int]:
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.scalars(stmt.offset((page - 1) * size).limit(size)))
    return items, total


# ====================================================================== skill groups


GROUP_FIELDS = (
    "name",
    "description",
    "strategy",
    "overflow_after_s",
    "voicemail_after_s",
    "announce_every_s",
    "ring_timeout_s",
    "wrap_up_s",
    "avg_handle_s",
    "active",
)


def list_skill_groups(db: Session, scope: Scope, *, tenant_id: int | None = None) -> list[SkillGroup]:
    stmt = select(SkillGroup).where(SkillGroup.tenant_id.in_(scope.tenant_ids)).order_by(SkillGroup.id)
    if tenant_id is not None:
        stmt = stmt.where(SkillGroup.tenant_id == tenant_id)
    return list(db.scalars(stmt))


def get_skill_group(db: Session, scope: Scope, group_id: int) -> SkillGroup:
    return _get(db, SkillGroup, scope, group_id, "技能组")


def _overflow_target(
    db: Session, scope: Scope, group: SkillGroup | None, target_id: int | None
) -> int | None:
    if target_id is None:
        return None
    target = db.get(SkillGroup, target_id)
    # a workstation may overflow to its own groups or to an ancestor's (the centre's)
    allowed = scope.tenant_ids | (_lineage_ids(db, group.tenant_id) if group else set())
    if target is None or target.tenant_id not in allowed:
        raise Invalid("溢出技能组不存在", field="overflow_group_id")
    if group is not None and target.id == group.id:
        raise Invalid("溢出技能组不能是自身", field="overflow_group_id")
    return target.id


def create_skill_group(
    db: Session,
    scope: Scope,
    *,
    tenant_id: int,
    code: str,
    overflow_group_id: int | None = None,
    **fields: Any,
) -> SkillGroup:
    check_tenant(db, scope, tenant_id)
    if db.scalar(select(SkillGroup.id).where(SkillGroup.code == code)):
        raise Conflict(f"技能组编码 {code} 已存在", field="code")
    if fields.get("strategy") is not None:
        fields["strategy"] = str(AcdStrategy(fields["strategy"]))
    group = SkillGroup(
        tenant_id=tenant_id, code=code, **{k: v for k, v in fields.items() if k in GROUP_FIELDS}
    )
    db.add(group)
    db.flush()
    if overflow_group_id is not None:
        group.overflow_group_id = _overflow_target(db, scope, group, overflow_group_id)
    bump_config_version(db)
    return group


def update_skill_group(db: Session, scope: Scope, group_id: int, **fields: Any) -> SkillGroup:
    group = get_skill_group(db, scope, group_id)
    if fields.get("active") is False and group.active:
        _check_unused(db, group)
    if "overflow_group_id" in fields:
        group.overflow_group_id = _overflow_target(db, scope, group, fields.pop("overflow_group_id"))
    for key, value in fields.items():
        if key not in GROUP_FIELDS:
            raise Invalid("不可修改的字段", field=key)
        setattr(group, key, str(AcdStrategy(value)) if key == "strategy" else value)
    db.flush()
    bump_config_version(db)
    return group


def _menu_groups(tree: Any) -> set[str]:
    """Skill-group codes a stored menu tree queues to."""
    found: set[str] = set()
    for node in (tree or {}).get("nodes", {}).values():
        if not isinstance(node, dict):
            continue
        targets = list((node.get("options") or {}).values()) + [node.get("on_failure"), node.get("then")]
        for t in targets:
            if isinstance(t, dict) and t.get("type") == "queue" and t.get("skill_group"):
                found.add(t["skill_group"])
    return found


def _check_unused(db: Session, group: SkillGroup) -> None:
    """A group a tenant's default queue or a menu still sends calls to cannot be removed or deactivated."""
    if db.scalar(select(CallSettings.tenant_id).where(CallSettings.default_group_id == group.id)):
        raise Conflict("该技能组是某租户的默认队列，请先修改话务设置", field="id")
    using = [m.name for m in db.scalars(select(IvrMenu)) if group.code in _menu_groups(m.tree)]
    if using:
        raise Conflict(f"语音导航菜单仍在使用该技能组：{'、'.join(using)}", field="id")


def delete_skill_group(db: Session, scope: Scope, group_id: int) -> None:
    group = get_skill_group(db, scope, group_id)
    _check_unused(db, group)
    db.delete(group)
    db.flush()
    bump_config_version(db)


def group_members(db: Session, group_id: int) -> list[AgentSkill]:
    stmt = select(AgentSkill).where(AgentSkill.skill_group_id == group_id).order_by(AgentSkill.user_id)
    return list(db.scalars(stmt))


def set_group_members(
    db: Session, scope: Scope, group_id: int, members: Iterable[tuple[int, int]]
) -> list[AgentSkill]:
    """Replace a group's members [(user_id, level 1–5)]; every user must be an agent the admin can see."""
    group = get_skill_group(db, scope, group_id)
    wanted: dict[int, int] = {}
    for i, (user_id, level) in enumerate(members):
        user = db.get(User, user_id)
        if user is None or user.agent_number is None or not scope.can_see_tenant(user.tenant_id):
            raise Invalid("坐席不存在或未设置工号", field=f"members.{i}.user_id")
        if not 1 <= level <= 5:
            raise Invalid("技能等级应为 1–5", field=f"members.{i}.level")
        if user_id in wanted:
            raise Invalid("坐席重复", field=f"members.{i}.user_id")
        wanted[user_id] = level
    for s in db.scalars(select(AgentSkill).where(AgentSkill.skill_group_id == group.id)):
        if s.user_id in wanted:
            s.level = wanted.pop(s.user_id)
        else:
            db.delete(s)
    for user_id, level in wanted.items():
        db.add(AgentSkill(user_id=user_id, skill_group_id=group.id, level=level))
    db.flush()
    bump_config_version(db)
    return group_members(db, group.id)


# ====================================================================== agents


@dataclass
class AgentView:
    user: User
    skills: list[AgentSkill]
    status: AgentStatus | None


def _agent_query(scope: Scope) -> Select:
    return (
        select(User)
        .where(User.tenant_id.in_(scope.tenant_ids), User.agent_number.is_not(None))
        .order_by(User.agent_number)
    )


def _agent_view(db: Session, user: User) -> AgentView:
    skills = list(db.scalars(select(AgentSkill).where(AgentSkill.user_id == user.id).order_by(AgentSkill.id)))
    return AgentView(user, skills, db.get(AgentStatus, user.id))


def list_agents(db: Session, scope: Scope, *, page: int = 1, size: int = 50) -> tuple[list[AgentView], int]:
    users, total = _paged(db, _agent_query(scope), page, size)
    ids = [u.id for u in users]
    skills: dict[int, list[AgentSkill]] = {}
    stmt = (
        select(AgentSkill)
        .options(joinedload(AgentSkill.skill_group))
        .where(AgentSkill.user_id.in_(ids))
        .order_by(AgentSkill.id)
    )
    for s in db.scalars(stmt):
        skills.setdefault(s.user_id, []).append(s)
    statuses = {st.user_id: st for st in db.scalars(select(AgentStatus).where(AgentStatus.user_id.in_(ids)))}
    return [AgentView(u, skills.get(u.id, []), statuses.get(u.id)) for u in users], total


def get_agent(db: Session, scope: Scope, user_id: int) -> AgentView:
    user = db.get(User, user_id)
    if user is None or not scope.can_see_tenant(user.tenant_id):
        raise NotFound("坐席不存在")
    return _agent_view(db, user)


def update_agent(
    db: Session,
    scope: Scope,
    user_id: int,
    *,
    agent_number: str | None = None,
    extension: str | None = None,
    skills: Iterable[tuple[int, int]] | None = None,
) -> AgentView:
    """Set an agent's number (工号), extension and skills [(skill_group_id, level 1–5)] (skills replaced)."""
    user = db.get(User, user_id)
    if user is None or not scope.can_see_tenant(user.tenant_id):
        raise NotFound("坐席不存在")
    if agent_number is not None:
        clash = db.scalar(select(User.id).where(User.agent_number == agent_number, User.id != user_id))
        if clash:
            raise Conflict(f"工号 {agent_number} 已被使用", field="agent_number")
        user.agent_number = agent_number
    if extension is not None:
        clash = db.scalar(select(User.agent_number).where(User.extension == extension, User.id != user_id))
        if clash:
            raise Conflict(f"分机 {extension} 已分配给工号 {clash}", field="extension")
        user.extension = extension
    if user.agent_number is None:
        raise Invalid("请先设置工号", field="agent_number")
    if skills is not None:
        wanted: dict[int, int] = {}
        for i, (group_id, level) in enumerate(skills):
            group = db.get(SkillGroup, group_id)
            if group is None or group.tenant_id not in (scope.tenant_ids | _lineage_ids(db, user.tenant_id)):
                raise Invalid("技能组不存在", field=f"skills.{i}.skill_group_id")
            if not 1 <= level <= 5:
                raise Invalid("技能等级应为 1–5", field=f"skills.{i}.level")
            wanted[group_id] = level
        for s in db.scalars(select(AgentSkill).where(AgentSkill.user_id == user_id)):
            if s.skill_group_id not in wanted:
                db.delete(s)
            else:
                s.level = wanted.pop(s.skill_group_id)
        for group_id, level in wanted.items():
            db.add(AgentSkill(user_id=user_id, skill_group_id=group_id, level=level))
    db.flush()
    bump_config_version(db)
    return _agent_view(db, user)


def agent_state_log(
    db: Session, scope: Scope, user_id: int, *, start: datetime | None = None, end: datetime | None = None
) -> list[AgentStateLog]:
    get_agent(db, scope, user_id)
    stmt = select(AgentStateLog).where(AgentStateLog.user_id == user_id)
    stmt = stmt.order_by(AgentStateLog.at.desc(), AgentStateLog.id.desc())
    if start:
        stmt = stmt.where(AgentStateLog.at >= start)
    if end:
        stmt = stmt.where(AgentStateLog.at < end)
    return list(db.scalars(stmt.limit(500)))


@dataclass
class AgentTimes:
    """Seconds an agent spent in each state within a period, not-ready time by reason, calls answered."""

    user_id: int
    agent_number: str
    seconds: dict[str, float]
    not_ready_by_reason: dict[str, float]
    answered: int


def agent_time_summary(db: Session, scope: Scope, *, start: datetime, end: datetime) -> list[AgentTimes]:
    """Per-agent time in state over [start, end), from the stamped state log (the agent's state before
    `start` comes from the last change before it; the state after the last change runs to `end`)."""
    if end <= start:
        raise Invalid("结束时间应晚于开始时间", field="end")
    end = min(end, utcnow())
    base = select(AgentStateLog).where(AgentStateLog.tenant_id.in_(scope.tenant_ids))
    rows = db.scalars(
        base.where(AgentStateLog.at >= start, AgentStateLog.at < end).order_by(
            AgentStateLog.user_id, AgentStateLog.at, AgentStateLog.id
        )
    )
    by_user: dict[int, list[AgentStateLog]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append(row)
    out = []
    for user_id, changes in sorted(by_user.items()):
        before = db.scalar(
            base.where(AgentStateLog.user_id == user_id, AgentStateLog.at < start)
            .order_by(AgentStateLog.at.desc(), AgentStateLog.id.desc())
            .limit(1)
        )
        state = before.to_state if before else changes[0].from_state
        reason = (before.reason if before else None) or "其他"
        since = start
        times = AgentTimes(user_id, changes[0].agent_number, {}, {}, 0)
        for change in [*changes, None]:
            at = change.at if change is not None else end
            spent = max(0.0, (at - since).total_seconds())
            times.seconds[state] = times.seconds.get(state, 0.0) + spent
            if state == "not_ready":
                times.not_ready_by_reason[reason] = times.not_ready_by_reason.get(reason, 0.0) + spent
            if change is None:
                break
            times.answered += change.event == "answer"
            state, reason, since = change.to_state, change.reason or "其他", at
        out.append(times)
    return out


# ====================================================================== IVR menus


def _group_codes_for(db: Session, tenant_id: int) -> set[str]:
    """Groups a tenant's menu may queue to: its own, its ancestors' and its sub-tenants'."""
    tenant = db.get(Tenant, tenant_id)
    ids = _lineage_ids(db, tenant_id)
    if tenant is not None:
        ids |= set(db.scalars(select(Tenant.id).where(Tenant.path.startswith(tenant.path))))
    return set(db.scalars(select(SkillGroup.code).where(SkillGroup.tenant_id.in_(ids))))


def validate_menu(db: Session, tenant_id: int, tree: Any) -> MenuConfig:
    return parse_menu(tree, groups=_group_codes_for(db, tenant_id))


def list_menus(db: Session, scope: Scope, *, tenant_id: int | None = None) -> list[IvrMenu]:
    stmt = select(IvrMenu).where(IvrMenu.tenant_id.in_(scope.tenant_ids)).order_by(IvrMenu.id)
    if tenant_id is not None:
        stmt = stmt.where(IvrMenu.tenant_id == tenant_id)
    return list(db.scalars(stmt))


def get_menu(db: Session, scope: Scope, menu_id: int) -> IvrMenu:
    return _get(db, IvrMenu, scope, menu_id, "语音导航菜单")


def create_menu(db: Session, scope: Scope, *, tenant_id: int, name: str, tree: dict[str, Any]) -> IvrMenu:
    check_tenant(db, scope, tenant_id)
    validate_menu(db, tenant_id, tree)
    if db.scalar(select(IvrMenu.id).where(IvrMenu.tenant_id == tenant_id, IvrMenu.name == name)):
        raise Conflict(f"菜单 {name} 已存在", field="name")
    menu = IvrMenu(tenant_id=tenant_id, name=name, tree=tree, updated_by_id=scope.user_id)
    db.add(menu)
    db.flush()
    bump_config_version(db)
    return menu


def update_menu(
    db: Session,
    scope: Scope,
    menu_id: int,
    *,
    name: str | None = None,
    tree: dict[str, Any] | None = None,
    revision: int | None = None,
) -> IvrMenu:
    """Replace the tree (validated). `revision` (optional) must match the stored one: concurrent edits → 409."""
    menu = get_menu(db, scope, menu_id)
    if tree is not None:
        validate_menu(db, menu.tenant_id, tree)
    expected = menu.revision if revision is None else revision
    # compare-and-set on the revision: of two concurrent edits exactly one wins, the other gets 409
    won = db.execute(
        update(IvrMenu)
        .where(IvrMenu.id == menu.id, IvrMenu.revision == expected)
        .values(revision=expected + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise Conflict("菜单已被他人修改，请刷新后重试", field="revision")
    db.refresh(menu)
    if tree is not None:
        menu.tree = tree
    if name is not None:
        menu.name = name
    menu.updated_by_id = scope.user_id
    menu.updated_at = utcnow()
    db.flush()
    bump_config_version(db)
    return menu


def delete_menu(db: Session, scope: Scope, menu_id: int) -> None:
    menu = get_menu(db, scope, menu_id)
    if db.scalar(select(CallSettings.tenant_id).where(CallSettings.ivr_menu_id == menu.id)):
        raise Conflict("菜单正在使用中，请先在话务设置中取消", field="id")
    db.delete(menu)
    db.flush()
    bump_config_version(db)


# ====================================================================== per-tenant settings and holidays


def get_settings(db: Session, scope: Scope, tenant_id: int) -> CallSettings:
    check_tenant(db, scope, tenant_id)
    s = db.get(CallSettings, tenant_id)
    if s is None:  # defaults, not stored until changed
        s = CallSettings(
            tenant_id=tenant_id,
            always_open=True,
            timezone="Asia/Shanghai",
            windows=[],
            after_hours=AfterHoursAction.voicemail,
            prompts={},
        )
    return s


def put_settings(db: Session, scope: Scope, tenant_id: int, **fields: Any) -> CallSettings:
    """Replace a tenant's settings: ivr_menu_id (None: no menu), default_group_id, always_open, timezone,
    windows [{weekdays, start "HH:MM", end "HH:MM"}], after_hours, prompts {key: prompt}."""
    check_tenant(db, scope, tenant_id)
    s = db.get(CallSettings, tenant_id)
    if s is None:
        s = CallSettings(tenant_id=tenant_id)
        db.add(s)
    menu_id = fields.get("ivr_menu_id")
    if menu_id is not None:
        menu = db.get(IvrMenu, menu_id)
        if menu is None or menu.tenant_id not in _lineage_ids(db, tenant_id):
            raise Invalid("菜单不存在", field="ivr_menu_id")
    group_id = fields.get("default_group_id")
    if group_id is not None:
        group = db.get(SkillGroup, group_id)
        allowed = _lineage_ids(db, tenant_id) | scope.tenant_ids
        if group is None or group.tenant_id not in allowed:
            raise Invalid("技能组不存在", field="default_group_id")
    windows = fields.get("windows") or []
    for i, w in enumerate(windows):
        days = w.get("weekdays") or []
        if not days or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
            raise Invalid("weekdays 应为 1（周一）到 7（周日）的列表", field=f"windows.{i}.weekdays")
        start = _parse_hhmm(w.get("start", ""), f"windows.{i}.start")
        if _parse_hhmm(w.get("end") or "", f"windows.{i}.end") <= start:
            raise Invalid("结束时间应晚于开始时间", field=f"windows.{i}.end")
    if not fields.get("always_open", True) and not windows:
        raise Invalid("非 7×24 服务时至少需要一个工作时段", field="windows")
    prompts = fields.get("prompts") or {}
    for key, value in prompts.items():
        if key not in PROMPT_KEYS:
            raise Invalid(f"未知的提示音：{key}", field=f"prompts.{key}")
        if not isinstance(value, str) or len(value) > 500:
            raise Invalid("提示音应为不超过 500 字的文本或文件路径", field=f"prompts.{key}")
        check_prompt(value, f"prompts.{key}")
    try:
        ZoneInfo(fields.get("timezone") or "Asia/Shanghai")
    except (KeyError, ValueError):
        raise Invalid("时区不存在", field="timezone") from None
    s.ivr_menu_id = menu_id
    s.default_group_id = group_id
    s.always_open = fields.get("always_open", True)
    s.timezone = fields.get("timezone") or "Asia/Shanghai"
    s.windows = windows
    s.after_hours = str(AfterHoursAction(fields.get("after_hours") or AfterHoursAction.voicemail))
    s.prompts = prompts
    s.updated_at = utcnow()
    db.flush()
    bump_config_version(db)
    return s


def list_holidays(db: Session, scope: Scope, tenant_id: int, *, year: int | None = None) -> list[Holiday]:
    check_tenant(db, scope, tenant_id)
    stmt = select(Holiday).where(Holiday.tenant_id == tenant_id).order_by(Holiday.day)
    if year:
        stmt = stmt.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(db.scalars(stmt))


def add_holiday(
    db: Session, scope: Scope, *, tenant_id: int, day: date, name: str, kind: str = "holiday"
) -> Holiday:
    check_tenant(db, scope, tenant_id)
    if kind not in ("holiday", "workday"):
        raise Invalid("kind 应为 holiday（休息）或 workday（调休上班）", field="kind")
    if db.scalar(select(Holiday.id).where(Holiday.tenant_id == tenant_id, Holiday.day == day)):
        raise Conflict(f"{day} 已设置", field="day")
    h = Holiday(tenant_id=tenant_id, day=day, name=name, kind=kind)
    db.add(h)
    db.flush()
    bump_config_version(db)
    return h


def get_holiday(db: Session, scope: Scope, holiday_id: int) -> Holiday:
    return _get(db, Holiday, scope, holiday_id, "节假日")


def delete_holiday(db: Session, scope: Scope, holiday_id: int) -> None:
    db.delete(get_holiday(db, scope, holiday_id))
    db.flush()
    bump_config_version(db)


# ====================================================================== blacklist


def _check_number_pattern(value: str, field: str) -> str:
    body = value[:-1] if value.endswith("*") else value
    if not body or not all(ch.isdigit() or ch in "+-" for ch in body) or len(body) < 3:
        raise Invalid("号码应为数字（前缀匹配以 * 结尾，至少 3 位）", field=field)
    return value


def list_blacklist(
    db: Session, scope: Scope, *, number: str | None = None, page: int = 1, size: int = 20
) -> tuple[list[BlacklistEntry], int]:
    stmt = select(BlacklistEntry).where(BlacklistEntry.tenant_id.in_(scope.tenant_ids))
    if number:
        stmt = stmt.where(BlacklistEntry.number.contains(number))
    return _paged(db, stmt.order_by(BlacklistEntry.id.desc()), page, size)


def add_blacklist(
    db: Session,
    scope: Scope,
    *,
    tenant_id: int,
    number: str,
    reason: str = "",
    expires_at: datetime | None = None,
) -> BlacklistEntry:
    check_tenant(db, scope, tenant_id)
    _check_number_pattern(number, "number")
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid("失效时间应晚于当前时间", field="expires_at")
    if db.scalar(
        select(BlacklistEntry.id).where(
            BlacklistEntry.tenant_id == tenant_id, BlacklistEntry.number == number
        )
    ):
        raise Conflict(f"号码 {number} 已在黑名单中", field="number")
    entry = BlacklistEntry(
        tenant_id=tenant_id, number=number, reason=reason, expires_at=expires_at, created_by_id=scope.user_id
    )
    db.add(entry)
    db.flush()
    bump_config_version(db)
    return entry


def get_blacklist_entry(db: Session, scope: Scope, entry_id: int) -> BlacklistEntry:
    return _get(db, BlacklistEntry, scope, entry_id, "黑名单")


def update_blacklist(db: Session, scope: Scope, entry_id: int, **fields: Any) -> BlacklistEntry:
    entry = get_blacklist_entry(db, scope, entry_id)
    for key, value in fields.items():
        if key not in ("reason", "expires_at", "active"):
            raise Invalid("不可修改的字段", field=key)
        setattr(entry, key, value)
    db.flush()
    bump_config_version(db)
    return entry


def delete_blacklist(db: Session, scope: Scope, entry_id: int) -> None:
    db.delete(get_blacklist_entry(db, scope, entry_id))
    db.flush()
    bump_config_version(db)


def list_blacklist_attempts(
    db: Session, scope: Scope, *, entry_id: int | None = None, page: int = 1, size: int = 20
) -> tuple[list[BlacklistAttempt], int]:
    stmt = select(BlacklistAttempt).where(BlacklistAttempt.tenant_id.in_(scope.tenant_ids))
    if entry_id is not None:
        stmt = stmt.where(BlacklistAttempt.entry_id == entry_id)
    return _paged(db, stmt.order_by(BlacklistAttempt.at.desc()), page, size)


# ====================================================================== 专席 rules


SEAT_FIELDS = (
    "name",
    "match_on",
    "pattern",
    "skill_group_id",
    "priority",
    "agent_numbers",
    "order",
    "bypass_ivr",
    "active",
)


def _check_seat(db: Session, scope: Scope, tenant_id: int, fields: dict[str, Any]) -> None:
    if "match_on" in fields:
        fields["match_on"] = str(MatchOn(fields["match_on"]))
    if "pattern" in fields:
        _check_number_pattern(fields["pattern"], "pattern")
    if "skill_group_id" in fields:
        group = db.get(SkillGroup, fields["skill_group_id"])
        if group is None or group.tenant_id not in (_lineage_ids(db, tenant_id) | scope.tenant_ids):
            raise Invalid("技能组不存在", field="skill_group_id")
    for i, n in enumerate(fields.get("agent_numbers") or []):
        if not db.scalar(select(User.id).where(User.agent_number == n)):
            raise Invalid(f"工号 {n} 不存在", field=f"agent_numbers.{i}")


def list_special_seats(db: Session, scope: Scope) -> list[SpecialSeatRule]:
    stmt = select(SpecialSeatRule).where(SpecialSeatRule.tenant_id.in_(scope.tenant_ids))
    return list(db.scalars(stmt.order_by(SpecialSeatRule.order, SpecialSeatRule.id)))


def create_special_seat(db: Session, scope: Scope, *, tenant_id: int, **fields: Any) -> SpecialSeatRule:
    check_tenant(db, scope, tenant_id)
    _check_seat(db, scope, tenant_id, fields)
    same = select(SpecialSeatRule.id).where(
        SpecialSeatRule.tenant_id == tenant_id,
        SpecialSeatRule.match_on == fields.get("match_on", "calling"),
        SpecialSeatRule.pattern == fields.get("pattern"),
    )
    if db.scalar(same):
        raise Conflict(f"号码 {fields.get('pattern')} 已有专席规则", field="pattern")
    rule = SpecialSeatRule(tenant_id=tenant_id, **{k: v for k, v in fields.items() if k in SEAT_FIELDS})
    db.add(rule)
    db.flush()
    bump_config_version(db)
    return rule


def get_special_seat(db: Session, scope: Scope, rule_id: int) -> SpecialSeatRule:
    return _get(db, SpecialSeatRule, scope, rule_id, "专席规则")


def update_special_seat(db: Session, scope: Scope, rule_id: int, **fields: Any) -> SpecialSeatRule:
    rule = get_special_seat(db, scope, rule_id)
    _check_seat(db, scope, rule.tenant_id, fields)
    for key, value in fields.items():
        if key not in SEAT_FIELDS:
            raise Invalid("不可修改的字段", field=key)
        setattr(rule, key, value)
    db.flush()
    bump_config_version(db)
    return rule


def delete_special_seat(db: Session, scope: Scope, rule_id: int) -> None:
    db.delete(get_special_seat(db, scope, rule_id))
    db.flush()
    bump_config_version(db)


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
        stmt = stmt.where(or_(Call.caller.contains(number), Call.called.contains(number)))
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
    conds = [Call.tenant_id.in_(scope.tenant_ids), Call.started_at >= start, Call.started_at < end]
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
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[Recording], int]:
    stmt = _recording_query(scope)
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
    db.add(RecordingAccess(recording_id=recording.id, user_id=scope.user_id, action=action, detail=detail))
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
    log.info("recording deleted", extra={"recording_id": rec.id, "user": scope.username, "reason": reason})
    return rec


def recording_access_log(db: Session, scope: Scope, recording_id: int) -> list[RecordingAccess]:
    rec = db.get(Recording, recording_id)
    if rec is None or not scope.can_see_tenant(rec.tenant_id or -1):
        raise NotFound("录音不存在")
    stmt = select(RecordingAccess).where(RecordingAccess.recording_id == recording_id)
    return list(db.scalars(stmt.order_by(RecordingAccess.at.desc())))


# ====================================================================== voicemails, abandoned and missed calls


def list_voicemails(
    db: Session, scope: Scope, *, status: str | None = None, page: int = 1, size: int = 20
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
        stmt = stmt.where(MissedCall.agent_user_id == scope.user_id)
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
