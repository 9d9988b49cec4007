"""Agents for the API: agent number, extension and skills; state log and time-in-state summary."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from models.calls import (
    AgentSkill,
    AgentStateLog,
    AgentStatus,
    SkillGroup,
)
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound
from models.org import User
from models.scope import Scope
from switch.store.common import (
    _lineage_ids,
    _paged,
    bump_config_version,
)

log = logging.getLogger("hotline.calls")


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


def list_agents(
    db: Session,
    scope: Scope,
    *,
    skill_group_id: int | None = None,
    state: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = 50,
) -> tuple[list[AgentView], int]:
    """Agents in scope; filters: member of a skill group, current state (logged_out counts agents
    never seen by the controller), agent number / extension / name containing `q`."""
    stmt = _agent_query(scope)
    if skill_group_id is not None:
        members = select(AgentSkill.user_id).where(AgentSkill.skill_group_id == skill_group_id)
        stmt = stmt.where(User.id.in_(members))
    if state is not None:
        current = select(AgentStatus.user_id).where(AgentStatus.state == state)
        if state == "logged_out":
            seen = select(AgentStatus.user_id)
            stmt = stmt.where(or_(User.id.in_(current), User.id.not_in(seen)))
        else:
            stmt = stmt.where(User.id.in_(current))
    if q:
        stmt = stmt.where(
            or_(
                User.agent_number.contains(q, autoescape=True),
                User.extension.contains(q, autoescape=True),
                User.full_name.contains(q, autoescape=True),
            )
        )
    users, total = _paged(db, stmt, page, size)
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
    db: Session,
    scope: Scope,
    user_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
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
