"""`load_config`: the database configuration as `routing.config` values for the controller."""

from __future__ import annotations

import logging
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import (
    AgentSkill,
    BlacklistEntry,
    CallSettings,
    Holiday,
    IvrMenu,
    SkillGroup,
    SpecialSeatRule,
)
from models.db import utcnow
from models.errors import Invalid
from models.org import Tenant, User
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
)
from routing.config import SpecialSeatRule as SeatRuleConfig
from routing.ivr import IvrMenu as MenuConfig
from routing.ivr import parse_menu
from switch.store.common import (
    config_version,
)

log = logging.getLogger("hotline.calls")


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
                log.error(
                    "ivr menu skipped",
                    extra={"menu_id": s.ivr_menu_id, "error": exc.detail},
                )
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
                survey=s.survey_enabled if s and s.survey_enabled is not None else True,
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
            id=b.id,
            number=b.number,
            tenant_id=b.tenant_id,
            reason=b.reason,
            expires_at=b.expires_at,
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
