"""Call centre: skill groups, agents' skills and states, IVR menus, hours, blacklist, 专席 rules,
call records (CDR), recordings, voicemails, abandoned and missed calls.

Writers: `switch.store` (the only module that writes these tables; the API and the controller call it).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, utcnow


class Disposition(enum.StrEnum):
    """How a call ended (the CDR outcome)."""

    in_progress = "in_progress"
    answered = "answered"  # an agent talked to the caller
    abandoned = "abandoned"  # caller hung up in the queue or while an agent rang (漏话)
    ivr_hangup = "ivr_hangup"  # caller hung up in the menu
    self_service = "self_service"  # served by the IVR self-service branch
    voicemail = "voicemail"  # left (or was sent to) voicemail
    blacklisted = "blacklisted"  # rejected by the blacklist
    closed = "closed"  # after hours without voicemail
    transferred = "transferred"  # sent to an external number from the IVR
    failed = "failed"  # could not be routed


DISPOSITION_LABELS = {
    Disposition.in_progress: "通话中",
    Disposition.answered: "已接听",
    Disposition.abandoned: "放弃",
    Disposition.ivr_hangup: "导航中挂机",
    Disposition.self_service: "自助服务",
    Disposition.voicemail: "留言",
    Disposition.blacklisted: "黑名单拒接",
    Disposition.closed: "非工作时间",
    Disposition.transferred: "转外线",
    Disposition.failed: "失败",
}


class CallDirection(enum.StrEnum):
    inbound = "inbound"
    outbound = "outbound"  # callback / revisit
    internal = "internal"


class AfterHoursAction(enum.StrEnum):
    voicemail = "voicemail"
    hangup = "hangup"


class MissedKind(enum.StrEnum):
    abandoned = "abandoned"  # 放弃：caller hung up before an agent answered
    missed = "missed"  # 未接：an agent rang and did not answer


class CallbackStatus(enum.StrEnum):
    pending = "pending"
    done = "done"
    not_needed = "not_needed"


class VoicemailStatus(enum.StrEnum):
    new = "new"
    handled = "handled"


class ConfigVersion(Base):
    """One row: bumped by every configuration change, polled by the controller to reload."""

    __tablename__ = "cc_config_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillGroup(Base):
    """技能组 with its queue settings. `code` is unique across tenants (overflow may cross tenants)."""

    __tablename__ = "skill_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    strategy: Mapped[str] = mapped_column(String(32), default="skill_then_idle")
    overflow_group_id: Mapped[int | None] = mapped_column(ForeignKey("skill_groups.id", ondelete="SET NULL"))
    overflow_after_s: Mapped[int] = mapped_column(Integer, default=60)
    voicemail_after_s: Mapped[int | None] = mapped_column(Integer, default=300)
    announce_every_s: Mapped[int] = mapped_column(Integer, default=30)
    ring_timeout_s: Mapped[int] = mapped_column(Integer, default=20)
    wrap_up_s: Mapped[int] = mapped_column(Integer, default=15)
    avg_handle_s: Mapped[int] = mapped_column(Integer, default=180)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    overflow_group: Mapped[SkillGroup | None] = relationship(remote_side=[id])


class AgentSkill(Base):
    """An agent (a user with an agent number) in a skill group at a level 1 (basic) … 5 (expert)."""

    __tablename__ = "agent_skills"
    __table_args__ = (UniqueConstraint("user_id", "skill_group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_group_id: Mapped[int] = mapped_column(ForeignKey("skill_groups.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=3)

    skill_group: Mapped[SkillGroup] = relationship()


class AgentStatus(Base):
    """An agent's current state as last reported by the controller (live monitor; restart recovery)."""

    __tablename__ = "agent_status"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_number: Mapped[str] = mapped_column(String(16))
    extension: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="logged_out")
    reason: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    idle_since: Mapped[datetime | None] = mapped_column()
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentStateLog(Base):
    """Every agent state change, stamped (reports: login time, ready/not-ready time, occupancy)."""

    __tablename__ = "agent_state_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_number: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    previous_duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IvrMenu(Base):
    """A menu tree (JSON, validated by `routing.ivr.parse_menu`)."""

    __tablename__ = "ivr_menus"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    tree: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CallSettings(Base):
    """Per tenant: which menu (none: straight to the default queue), hours, after-hours action, prompts."""

    __tablename__ = "call_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    ivr_menu_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_menus.id", ondelete="SET NULL"))
    default_group_id: Mapped[int | None] = mapped_column(ForeignKey("skill_groups.id", ondelete="SET NULL"))
    always_open: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # [{"weekdays": [1,2,3,4,5], "start": "08:00", "end": "12:00"}, ...]
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    after_hours: Mapped[str] = mapped_column(String(16), default=AfterHoursAction.voicemail)
    prompts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # the satisfaction survey after the agent hangs up (满意度评价)
    survey_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Holiday(Base):
    """A closed day (holiday) or a weekend day worked as a weekday (调休上班, kind=workday)."""

    __tablename__ = "call_holidays"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16), default="holiday")


class BlacklistEntry(Base):
    """A blocked number (exact, or prefix ending in *) for a tenant and its sub-tenants."""

    __tablename__ = "blacklist"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(255), default="")
    expires_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlacklistAttempt(Base):
    """A call rejected by the blacklist."""

    __tablename__ = "blacklist_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("blacklist.id", ondelete="SET NULL"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    caller: Mapped[str] = mapped_column(String(32), index=True)
    called: Mapped[str] = mapped_column(String(32))
    call_uuid: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SpecialSeatRule(Base):
    """专席: calls from/to matching numbers go to a skill group (optionally only named agents)."""

    __tablename__ = "special_seat_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    match_on: Mapped[str] = mapped_column(String(16), default="calling")  # calling | called
    pattern: Mapped[str] = mapped_column(String(32))
    skill_group_id: Mapped[int] = mapped_column(ForeignKey("skill_groups.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer, default=5)
    agent_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    order: Mapped[int] = mapped_column(Integer, default=100)
    bypass_ivr: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    skill_group: Mapped[SkillGroup] = relationship()


class Call(Base):
    """The call record (CDR): one row per call leg the centre handled, upserted by call UUID."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16), default=CallDirection.inbound)
    caller: Mapped[str] = mapped_column(String(32), index=True)
    called: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column()  # by the platform (IVR answer)
    ivr_path: Mapped[str] = mapped_column(String(500), default="")
    skill_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_groups.id", ondelete="SET NULL"), index=True
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    special_seat_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("special_seat_rules.id", ondelete="SET NULL")
    )
    overflowed_to: Mapped[str | None] = mapped_column(String(32))
    queue_entered_at: Mapped[datetime | None] = mapped_column()
    queue_left_at: Mapped[datetime | None] = mapped_column()
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    agent_number: Mapped[str | None] = mapped_column(String(16), index=True)
    extension: Mapped[str | None] = mapped_column(String(16))
    ring_started_at: Mapped[datetime | None] = mapped_column()
    agent_answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    wait_s: Mapped[float | None] = mapped_column(Float)  # queue entry → agent answer / abandon
    ring_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    # each hold as [start, end] in epoch seconds (QA turns them into offsets into the recording)
    holds: Mapped[list[list[float]] | None] = mapped_column(JSON)
    wrap_up_s: Mapped[float | None] = mapped_column(Float)
    abandon_stage: Mapped[str | None] = mapped_column(String(16))  # ivr | queue | ringing
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    hangup_by: Mapped[str | None] = mapped_column(String(16))  # caller | agent | system
    disposition: Mapped[str] = mapped_column(String(32), default=Disposition.in_progress, index=True)
    transferred_to: Mapped[str | None] = mapped_column(String(64))
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # survey DTMF rating
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    skill_group: Mapped[SkillGroup | None] = relationship()


class Recording(Base):
    """A stereo recording (agent and caller on separate channels) of a call."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), index=True)
    call_uuid: Mapped[str] = mapped_column(String(64), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    channels: Mapped[int] = mapped_column(Integer, default=2)
    duration_s: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    delete_reason: Mapped[str | None] = mapped_column(String(255))


class RecordingAccess(Base):
    """Audit log: who played, downloaded or deleted which recording."""

    __tablename__ = "recording_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # play | download | delete
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Voicemail(Base):
    """留言: a message recorded after hours or when the queue overflowed."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    call_uuid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str] = mapped_column(String(32), index=True)
    called: Mapped[str] = mapped_column(String(32))
    skill_group_id: Mapped[int | None] = mapped_column(ForeignKey("skill_groups.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(16), default="after_hours")  # after_hours | overflow | ivr
    path: Mapped[str | None] = mapped_column(String(500))
    duration_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=VoicemailStatus.new, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MissedCall(Base):
    """Abandoned (caller gave up) and missed (agent did not answer) calls, with their callback status."""

    __tablename__ = "missed_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    call_uuid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # abandoned | missed
    caller: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # ivr | queue | ringing
    skill_group_id: Mapped[int | None] = mapped_column(ForeignKey("skill_groups.id", ondelete="SET NULL"))
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    waited_s: Mapped[float] = mapped_column(Float, default=0.0)
    position: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    callback_status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.pending, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column()
