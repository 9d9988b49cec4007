"""Configuration CRUD for the API and the demo data: skill groups and members, IVR menus,
per-tenant settings (menu, hours, prompts), holidays, blacklist, 专席 rules. Every change bumps the
configuration version."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.calls import (
    AfterHoursAction,
    AgentSkill,
    BlacklistAttempt,
    BlacklistEntry,
    CallSettings,
    Holiday,
    IvrMenu,
    SkillGroup,
    SpecialSeatRule,
)
from models.db import utcnow
from models.errors import Conflict, Invalid
from models.org import Tenant, User
from models.scope import Scope
from routing.config import (
    AcdStrategy,
    MatchOn,
    Prompts,
)
from routing.ivr import IvrMenu as MenuConfig
from routing.ivr import check_prompt, parse_menu
from switch.store.common import (
    _get,
    _lineage_ids,
    _paged,
    bump_config_version,
    check_tenant,
)
from switch.store.loading import _parse_hhmm

log = logging.getLogger("hotline.calls")


PROMPT_KEYS = tuple(Prompts.__dataclass_fields__)


# ====================================================================== skill groups


def _changed(db: Session, obj: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Set the editable `fields` on a configuration row and bump the version (unknown field → 422)."""
    columns = type(obj).__table__.columns
    for key, value in fields.items():
        if key not in allowed:
            raise Invalid("不可修改的字段", field=key)
        if value is None and not columns[key].nullable:
            raise Invalid("不能为空", field=key)
    for key, value in fields.items():
        setattr(obj, key, value)
    db.flush()
    bump_config_version(db)


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
        tenant_id=tenant_id,
        code=code,
        **{k: v for k, v in fields.items() if k in GROUP_FIELDS},
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
    if fields.get("strategy") is not None:
        fields["strategy"] = str(AcdStrategy(fields["strategy"]))
    _changed(db, group, fields, GROUP_FIELDS)
    return group


def _menu_groups(tree: Any) -> set[str]:
    """Skill-group codes a stored menu tree queues to."""
    found: set[str] = set()
    for node in (tree or {}).get("nodes", {}).values():
        if not isinstance(node, dict):
            continue
        targets = list((node.get("options") or {}).values()) + [
            node.get("on_failure"),
            node.get("then"),
        ]
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
            survey_enabled=True,
        )
    return s


def put_settings(db: Session, scope: Scope, tenant_id: int, **fields: Any) -> CallSettings:
    """Replace a tenant's settings: ivr_menu_id (None: no menu), default_group_id, always_open, timezone,
    windows [{weekdays, start "HH:MM", end "HH:MM"}], after_hours, prompts {key: prompt},
    survey_enabled (the satisfaction survey after the agent hangs up)."""
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
            raise Invalid(
                "weekdays 应为 1（周一）到 7（周日）的列表",
                field=f"windows.{i}.weekdays",
            )
        start = _parse_hhmm(w.get("start", ""), f"windows.{i}.start")
        if _parse_hhmm(w.get("end") or "", f"windows.{i}.end") == start:
            raise Invalid("结束时间不能等于开始时间（结束早于开始表示跨夜时段）", field=f"windows.{i}.end")
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
    s.survey_enabled = bool(fields.get("survey_enabled", True))
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
    db: Session,
    scope: Scope,
    *,
    tenant_id: int,
    day: date,
    name: str,
    kind: str = "holiday",
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
    db: Session,
    scope: Scope,
    *,
    number: str | None = None,
    page: int = 1,
    size: int = 20,
) -> tuple[list[BlacklistEntry], int]:
    stmt = select(BlacklistEntry).where(BlacklistEntry.tenant_id.in_(scope.tenant_ids))
    if number:
        stmt = stmt.where(BlacklistEntry.number.contains(number, autoescape=True))
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
        tenant_id=tenant_id,
        number=number,
        reason=reason,
        expires_at=expires_at,
        created_by_id=scope.user_id,
    )
    db.add(entry)
    db.flush()
    bump_config_version(db)
    return entry


def get_blacklist_entry(db: Session, scope: Scope, entry_id: int) -> BlacklistEntry:
    return _get(db, BlacklistEntry, scope, entry_id, "黑名单")


def update_blacklist(db: Session, scope: Scope, entry_id: int, **fields: Any) -> BlacklistEntry:
    entry = get_blacklist_entry(db, scope, entry_id)
    _changed(db, entry, fields, ("reason", "expires_at", "active"))
    return entry


def delete_blacklist(db: Session, scope: Scope, entry_id: int) -> None:
    db.delete(get_blacklist_entry(db, scope, entry_id))
    db.flush()
    bump_config_version(db)


def list_blacklist_attempts(
    db: Session,
    scope: Scope,
    *,
    entry_id: int | None = None,
    page: int = 1,
    size: int = 20,
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
    _changed(db, rule, fields, SEAT_FIELDS)
    return rule


def delete_special_seat(db: Session, scope: Scope, rule_id: int) -> None:
    db.delete(get_special_seat(db, scope, rule_id))
    db.flush()
    bump_config_version(db)
