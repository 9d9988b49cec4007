"""话务 API: skill groups, agents' skills, IVR menus, hours and prompts, blacklist, 专席 rules (admin
configures; changes apply to running controllers through the config version), and call records,
recordings, voicemails, abandoned and missed calls (scoped to the user's tenants; agents see their own).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.deps import DB, IdempotencyKey, Paging, require_roles
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page
from models import idempotency
from models.calls import DISPOSITION_LABELS, Disposition
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.org import Role
from models.scope import Scope
from routing.agents import STATE_LABELS, AgentState
from routing.config import AcdStrategy, MatchOn
from switch import store
from switch.demo_data import CENTRE_MENU

router = APIRouter(prefix="/api", tags=["话务"], responses=PROBLEM_RESPONSES)

Admin = Annotated[Scope, require_roles(Role.admin)]
Staff = Annotated[Scope, require_roles(Role.supervisor, Role.workstation, Role.qa_reviewer)]
Viewer = Annotated[Scope, require_roles(Role.agent, Role.supervisor, Role.workstation, Role.qa_reviewer)]
Listener = Annotated[Scope, require_roles(Role.agent, Role.supervisor, Role.qa_reviewer)]


def _commit(db: Session, request: Request) -> None:
    """Commit; a unique-constraint race (two identical creates at once) becomes a 409. A configuration
    change is announced on the bus (`calls:config`) so controllers and admin pages reload at once."""
    version = db.info.pop(store.CONFIG_BUMPED, None)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("数据已被并发修改或已存在，请刷新后重试") from None
    if version is not None:
        store.announce_config(request.app.state.settings, version)


def _page(items: list[Any], total: int, paging: Any) -> dict[str, Any]:
    return {"items": items, "total": total, "page": paging.page, "size": paging.size}


# ====================================================================== skill groups


class SkillGroupIn(BaseModel):
    tenant_id: int
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    strategy: AcdStrategy = AcdStrategy.skill_then_idle
    overflow_group_id: int | None = None
    overflow_after_s: int = Field(default=60, ge=5, le=3600)
    voicemail_after_s: int | None = Field(default=300, ge=10, le=7200)
    announce_every_s: int = Field(default=30, ge=0, le=600)
    ring_timeout_s: int = Field(default=20, ge=5, le=120)
    wrap_up_s: int = Field(default=15, ge=0, le=600)
    avg_handle_s: int = Field(default=180, ge=10, le=3600)


class SkillGroupPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    strategy: AcdStrategy | None = None
    overflow_group_id: int | None = None
    overflow_after_s: int | None = Field(default=None, ge=5, le=3600)
    voicemail_after_s: int | None = Field(default=None, ge=10, le=7200)
    announce_every_s: int | None = Field(default=None, ge=0, le=600)
    ring_timeout_s: int | None = Field(default=None, ge=5, le=120)
    wrap_up_s: int | None = Field(default=None, ge=0, le=600)
    avg_handle_s: int | None = Field(default=None, ge=10, le=3600)
    active: bool | None = None


class SkillGroupOut(ORMModel):
    id: int
    tenant_id: int
    code: str
    name: str
    description: str
    strategy: str
    overflow_group_id: int | None
    overflow_after_s: int
    voicemail_after_s: int | None
    announce_every_s: int
    ring_timeout_s: int
    wrap_up_s: int
    avg_handle_s: int
    active: bool


class MemberOut(BaseModel):
    user_id: int
    level: int


class SkillGroupDetail(SkillGroupOut):
    members: list[MemberOut] = []


@router.get("/skill-groups", response_model=list[SkillGroupOut], summary="技能组列表（话务员转技能组时也用）")
def list_skill_groups(db: DB, scope: Viewer, tenant_id: int | None = None) -> object:
    return store.list_skill_groups(db, scope, tenant_id=tenant_id)


@router.post("/skill-groups", response_model=SkillGroupOut, status_code=201, summary="新建技能组")
def create_skill_group(
    body: SkillGroupIn, db: DB, request: Request, scope: Admin, idempotency_key: IdempotencyKey = None
) -> object:
    if (done := idempotency.claim(db, scope, idempotency_key, "skill_group", body.model_dump())) is not None:
        return store.get_skill_group(db, scope, done)
    group = store.create_skill_group(db, scope, **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, group.id)
    _commit(db, request)
    return group


@router.get(
    "/skill-groups/{group_id}", response_model=SkillGroupDetail, summary="技能组详情（含成员技能等级）"
)
def get_skill_group(group_id: int, db: DB, scope: Staff) -> object:
    group = store.get_skill_group(db, scope, group_id)
    out = SkillGroupDetail.model_validate(group)
    out.members = [MemberOut(user_id=m.user_id, level=m.level) for m in store.group_members(db, group.id)]
    return out


@router.patch("/skill-groups/{group_id}", response_model=SkillGroupOut, summary="修改技能组")
def patch_skill_group(group_id: int, body: SkillGroupPatch, db: DB, request: Request, scope: Admin) -> object:
    group = store.update_skill_group(db, scope, group_id, **body.model_dump(exclude_unset=True))
    _commit(db, request)
    return group


class MemberIn(BaseModel):
    user_id: int
    level: int = Field(default=3, ge=1, le=5)


@router.put(
    "/skill-groups/{group_id}/members",
    response_model=list[MemberOut],
    summary="设置技能组成员及技能等级（整体替换）",
)
def put_members(group_id: int, body: list[MemberIn], db: DB, request: Request, scope: Admin) -> object:
    rows = store.set_group_members(db, scope, group_id, [(m.user_id, m.level) for m in body])
    _commit(db, request)
    return [MemberOut(user_id=r.user_id, level=r.level) for r in rows]


@router.delete("/skill-groups/{group_id}", status_code=204, summary="删除技能组")
def delete_skill_group(group_id: int, db: DB, request: Request, scope: Admin) -> Response:
    store.delete_skill_group(db, scope, group_id)
    _commit(db, request)
    return Response(status_code=204)


# ====================================================================== agents


class SkillIn(BaseModel):
    skill_group_id: int
    level: int = Field(default=3, ge=1, le=5)


class AgentIn(BaseModel):
    agent_number: str | None = Field(default=None, min_length=2, max_length=16, pattern=r"^[0-9A-Za-z]+$")
    extension: str | None = Field(default=None, min_length=2, max_length=16, pattern=r"^[0-9]+$")
    skills: list[SkillIn] | None = None


class AgentSkillOut(BaseModel):
    skill_group_id: int
    code: str
    name: str
    level: int


class AgentOut(BaseModel):
    user_id: int
    username: str
    full_name: str
    tenant_id: int
    agent_number: str | None
    extension: str | None
    skills: list[AgentSkillOut]
    state: str
    state_label: str
    reason: str | None
    since: datetime | None


def _agent_out(view: store.AgentView) -> AgentOut:
    state = view.status.state if view.status else AgentState.logged_out
    return AgentOut(
        user_id=view.user.id,
        username=view.user.username,
        full_name=view.user.full_name,
        tenant_id=view.user.tenant_id,
        agent_number=view.user.agent_number,
        extension=(view.status.extension if view.status and view.status.extension else view.user.extension),
        skills=[
            AgentSkillOut(
                skill_group_id=s.skill_group_id,
                code=s.skill_group.code,
                name=s.skill_group.name,
                level=s.level,
            )
            for s in view.skills
        ],
        state=str(state),
        state_label=STATE_LABELS[AgentState(state)],
        reason=view.status.reason if view.status else None,
        since=view.status.since if view.status else None,
    )


class StateLogOut(ORMModel):
    event: str
    from_state: str
    to_state: str
    reason: str | None
    call_uuid: str | None
    previous_duration_s: float
    at: datetime


@router.get("/agents", response_model=Page[AgentOut], summary="坐席列表（工号、分机、技能、当前状态）")
def list_agents(
    db: DB,
    scope: Staff,
    paging: Paging,
    skill_group_id: int | None = None,
    state: AgentState | None = None,
    q: Annotated[str | None, Query(max_length=64, description="工号、分机或姓名")] = None,
) -> object:
    views, total = store.list_agents(
        db, scope, skill_group_id=skill_group_id, state=state, q=q, page=paging.page, size=paging.size
    )
    return _page([_agent_out(v) for v in views], total, paging)


class AgentTimesOut(BaseModel):
    user_id: int
    agent_number: str
    seconds: dict[str, float]
    not_ready_by_reason: dict[str, float]
    answered: int


@router.get(
    "/agents/time-summary",
    response_model=list[AgentTimesOut],
    summary="坐席各状态时长统计（签入、置闲、置忙原因、通话、话后）",
)
def agent_time_summary(db: DB, scope: Staff, start: datetime, end: datetime) -> object:
    return store.agent_time_summary(db, scope, start=start, end=end)


@router.get("/agents/{user_id}", response_model=AgentOut, summary="坐席详情")
def get_agent(user_id: int, db: DB, scope: Staff) -> object:
    return _agent_out(store.get_agent(db, scope, user_id))


@router.put("/agents/{user_id}", response_model=AgentOut, summary="设置工号、分机和技能（技能整体替换）")
def put_agent(user_id: int, body: AgentIn, db: DB, request: Request, scope: Admin) -> object:
    skills = [(s.skill_group_id, s.level) for s in body.skills] if body.skills is not None else None
    view = store.update_agent(
        db, scope, user_id, agent_number=body.agent_number, extension=body.extension, skills=skills
    )
    _commit(db, request)
    return _agent_out(view)


@router.get("/agents/{user_id}/state-log", response_model=list[StateLogOut], summary="坐席状态变更记录")
def agent_state_log(
    user_id: int, db: DB, scope: Staff, start: datetime | None = None, end: datetime | None = None
) -> object:
    return store.agent_state_log(db, scope, user_id, start=start, end=end)


# ====================================================================== IVR menus


class MenuIn(BaseModel):
    """A menu tree: named nodes (`menu`: keys → targets; `input`: collect a number for self-service)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"tenant_id": 1, "name": "市中心主菜单", "tree": CENTRE_MENU}]}
    )

    tenant_id: int
    name: str = Field(min_length=1, max_length=100)
    tree: dict[str, Any] = Field(
        description="菜单树，格式见 routing.ivr 模块说明；保存前校验，错误指出字段路径"
    )


class MenuPut(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    tree: dict[str, Any] | None = None
    revision: int | None = Field(default=None, description="读取时的版本号；不一致表示他人已修改（409）")


class MenuOut(ORMModel):
    id: int
    tenant_id: int
    name: str
    tree: dict[str, Any]
    revision: int
    updated_at: datetime
    updated_by_id: int | None


class MenuCheck(BaseModel):
    tenant_id: int
    tree: dict[str, Any]


@router.get("/ivr-menus", response_model=list[MenuOut], summary="语音导航菜单列表")
def list_menus(db: DB, scope: Staff, tenant_id: int | None = None) -> object:
    return store.list_menus(db, scope, tenant_id=tenant_id)


@router.post("/ivr-menus", response_model=MenuOut, status_code=201, summary="新建语音导航菜单（校验后保存）")
def create_menu(
    body: MenuIn, db: DB, request: Request, scope: Admin, idempotency_key: IdempotencyKey = None
) -> object:
    if (done := idempotency.claim(db, scope, idempotency_key, "ivr_menu", body.model_dump())) is not None:
        return store.get_menu(db, scope, done)
    menu = store.create_menu(db, scope, tenant_id=body.tenant_id, name=body.name, tree=body.tree)
    idempotency.settle(db, scope, idempotency_key, menu.id)
    _commit(db, request)
    return menu


@router.post("/ivr-menus/validate", summary="校验菜单树（不保存）")
def validate_menu(body: MenuCheck, db: DB, scope: Admin) -> dict[str, Any]:
    store.check_tenant(db, scope, body.tenant_id)
    menu = store.validate_menu(db, body.tenant_id, body.tree)
    return {"valid": True, "start": menu.start, "nodes": sorted(menu.nodes)}


@router.get("/ivr-menus/{menu_id}", response_model=MenuOut, summary="菜单详情")
def get_menu(menu_id: int, db: DB, scope: Staff) -> object:
    return store.get_menu(db, scope, menu_id)


@router.put("/ivr-menus/{menu_id}", response_model=MenuOut, summary="修改菜单（立即生效，无需重启）")
def put_menu(menu_id: int, body: MenuPut, db: DB, request: Request, scope: Admin) -> object:
    menu = store.update_menu(db, scope, menu_id, name=body.name, tree=body.tree, revision=body.revision)
    _commit(db, request)
    return menu


@router.delete("/ivr-menus/{menu_id}", status_code=204, summary="删除菜单")
def delete_menu(menu_id: int, db: DB, request: Request, scope: Admin) -> Response:
    store.delete_menu(db, scope, menu_id)
    _commit(db, request)
    return Response(status_code=204)


# ====================================================================== per-tenant settings, holidays


class WindowIn(BaseModel):
    weekdays: list[int] = Field(min_length=1, description="1=周一 … 7=周日")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


class SettingsIn(BaseModel):
    ivr_menu_id: int | None = Field(default=None, description="为空：欢迎语后直接进入默认队列（不设菜单）")
    default_group_id: int | None = None
    always_open: bool = True
    timezone: str = "Asia/Shanghai"
    windows: list[WindowIn] = []
    after_hours: Literal["voicemail", "hangup"] = "voicemail"
    prompts: dict[str, str] = Field(default_factory=dict, description="提示音：welcome、closed、holiday、…")
    survey_enabled: bool = Field(default=True, description="坐席挂机后是否转满意度评价")


class SettingsOut(ORMModel):
    tenant_id: int
    ivr_menu_id: int | None
    default_group_id: int | None
    always_open: bool
    timezone: str
    windows: list[dict[str, Any]]
    after_hours: str
    prompts: dict[str, str]
    survey_enabled: bool


class HolidayIn(BaseModel):
    tenant_id: int
    day: date
    name: str = Field(min_length=1, max_length=50)
    kind: Literal["holiday", "workday"] = "holiday"


class HolidayOut(ORMModel):
    id: int
    tenant_id: int
    day: date
    name: str
    kind: str


@router.get(
    "/call-settings/{tenant_id}", response_model=SettingsOut, summary="租户话务设置（菜单、服务时间、提示音）"
)
def get_settings(tenant_id: int, db: DB, scope: Staff) -> object:
    return store.get_settings(db, scope, tenant_id)


@router.put("/call-settings/{tenant_id}", response_model=SettingsOut, summary="修改租户话务设置")
def put_settings(tenant_id: int, body: SettingsIn, db: DB, request: Request, scope: Admin) -> object:
    data = body.model_dump()
    s = store.put_settings(db, scope, tenant_id, **data)
    _commit(db, request)
    return s


@router.get("/holidays", response_model=list[HolidayOut], summary="节假日与调休")
def list_holidays(db: DB, scope: Staff, tenant_id: int, year: int | None = None) -> object:
    return store.list_holidays(db, scope, tenant_id, year=year)


@router.post("/holidays", response_model=HolidayOut, status_code=201, summary="新增节假日或调休上班日")
def add_holiday(
    body: HolidayIn, db: DB, request: Request, scope: Admin, idempotency_key: IdempotencyKey = None
) -> object:
    if (done := idempotency.claim(db, scope, idempotency_key, "holiday", body.model_dump())) is not None:
        return store.get_holiday(db, scope, done)
    h = store.add_holiday(db, scope, **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, h.id)
    _commit(db, request)
    return h


@router.delete("/holidays/{holiday_id}", status_code=204, summary="删除节假日")
def delete_holiday(holiday_id: int, db: DB, request: Request, scope: Admin) -> Response:
    store.delete_holiday(db, scope, holiday_id)
    _commit(db, request)
    return Response(status_code=204)


@router.get("/call-config/version", summary="话务配置版本号（控制器据此热加载）")
def call_config_version(db: DB, scope: Staff) -> dict[str, int]:
    return {"version": store.config_version(db)}


class RoutePreviewIn(BaseModel):
    caller: str = Field(min_length=1, max_length=32, description="主叫号码")
    called: str = Field(default="12345", min_length=1, max_length=32, description="被叫号码")
    at: datetime | None = Field(default=None, description="来电时间（默认现在）")
    digits: list[str] = Field(default_factory=list, max_length=20, description="依次按键（空字符串表示超时）")


class RoutePreviewOut(BaseModel):
    outcome: str
    tenant_id: int | None
    tenant_name: str | None
    blacklist_id: int | None
    special_seat_id: int | None
    hours: str | None
    actions: list[dict[str, Any]]
    ivr_path: list[str]


def _action(a: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {"type": type(a).__name__, **asdict(a)}


@router.post(
    "/call-config/preview",
    response_model=RoutePreviewOut,
    summary="路由预演：按当前配置模拟一通来电（不拨打）",
)
def preview_route(body: RoutePreviewIn, db: DB, scope: Staff) -> RoutePreviewOut:
    from routing.inbound import inbound_route
    from routing.ivr import IvrSession

    cfg = store.load_config(db)
    when = body.at or datetime.now(tz=UTC)
    if when.tzinfo is None:
        raise Invalid("时间需带时区，例如 2026-03-02T10:00:00+08:00", field="at")
    decision = inbound_route(cfg, caller=body.caller, called=body.called, now=when)
    if decision.tenant is not None and not scope.can_see_tenant(decision.tenant.tenant_id):
        raise PermissionDenied("该号码的租户超出数据权限范围")
    actions = list(decision.actions)
    session: IvrSession | None = decision.session
    for digits in body.digits:
        if session is None or session.finished:
            break
        step = session.on_digits(digits) if digits else session.on_timeout()
        if step and type(step[0]).__name__ == "SelfService":
            step = step + session.on_self_service("say:（自助查询结果）")
        actions += step
    return RoutePreviewOut(
        outcome=str(decision.outcome),
        tenant_id=decision.tenant.tenant_id if decision.tenant else None,
        tenant_name=decision.tenant.name if decision.tenant else None,
        blacklist_id=decision.blacklist.id if decision.blacklist else None,
        special_seat_id=decision.special_seat.id if decision.special_seat else None,
        hours=str(decision.hours) if decision.hours else None,
        actions=[_action(a) for a in actions],
        ivr_path=[f"{node}:{key}" for node, key in (session.path if session else [])],
    )


# ====================================================================== blacklist


class BlacklistIn(BaseModel):
    tenant_id: int
    number: str = Field(min_length=3, max_length=32, description="完整号码，或以 * 结尾的前缀")
    reason: str = Field(default="", max_length=255)
    expires_at: datetime | None = None


class BlacklistPatch(BaseModel):
    reason: str | None = Field(default=None, max_length=255)
    expires_at: datetime | None = None
    active: bool | None = None


class BlacklistOut(ORMModel):
    id: int
    tenant_id: int
    number: str
    reason: str
    expires_at: datetime | None
    active: bool
    created_by_id: int | None
    created_at: datetime


class AttemptOut(ORMModel):
    id: int
    entry_id: int | None
    tenant_id: int | None
    caller: str
    called: str
    call_uuid: str | None
    at: datetime


@router.get("/blacklist", response_model=Page[BlacklistOut], summary="黑名单")
def list_blacklist(db: DB, scope: Staff, paging: Paging, number: str | None = None) -> object:
    items, total = store.list_blacklist(db, scope, number=number, page=paging.page, size=paging.size)
    return _page(items, total, paging)


@router.get("/blacklist/attempts", response_model=Page[AttemptOut], summary="黑名单拦截记录")
def list_blacklist_attempts(db: DB, scope: Staff, paging: Paging, entry_id: int | None = None) -> object:
    items, total = store.list_blacklist_attempts(
        db, scope, entry_id=entry_id, page=paging.page, size=paging.size
    )
    return _page(items, total, paging)


@router.post("/blacklist", response_model=BlacklistOut, status_code=201, summary="加入黑名单")
def add_blacklist(
    body: BlacklistIn, db: DB, request: Request, scope: Admin, idempotency_key: IdempotencyKey = None
) -> object:
    if (done := idempotency.claim(db, scope, idempotency_key, "blacklist", body.model_dump())) is not None:
        return store.get_blacklist_entry(db, scope, done)
    entry = store.add_blacklist(db, scope, **body.model_dump())
    idempotency.settle(db, scope, idempotency_key, entry.id)
    _commit(db, request)
    return entry


@router.patch(
    "/blacklist/{entry_id}", response_model=BlacklistOut, summary="修改黑名单（原因、有效期、停用）"
)
def patch_blacklist(entry_id: int, body: BlacklistPatch, db: DB, request: Request, scope: Admin) -> object:
    entry = store.update_blacklist(db, scope, entry_id, **body.model_dump(exclude_unset=True))
    _commit(db, request)
    return entry


@router.delete("/blacklist/{entry_id}", status_code=204, summary="移出黑名单")
def delete_blacklist(entry_id: int, db: DB, request: Request, scope: Admin) -> Response:
    store.delete_blacklist(db, scope, entry_id)
    _commit(db, request)
    return Response(status_code=204)


# ====================================================================== 专席 rules


class SeatIn(BaseModel):
    tenant_id: int
    name: str = Field(min_length=1, max_length=100)
    match_on: MatchOn = MatchOn.calling
    pattern: str = Field(min_length=3, max_length=32)
    skill_group_id: int
    priority: int = Field(default=5, ge=0, le=9)
    agent_numbers: list[str] = []
    order: int = Field(default=100, ge=0, le=10000)
    bypass_ivr: bool = Field(default=True, description="true：跳过语音导航直达专席；false：仅提高优先级")


class SeatPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    match_on: MatchOn | None = None
    pattern: str | None = Field(default=None, min_length=3, max_length=32)
    skill_group_id: int | None = None
    priority: int | None = Field(default=None, ge=0, le=9)
    agent_numbers: list[str] | None = None
    order: int | None = Field(default=None, ge=0, le=10000)
    bypass_ivr: bool | None = None
    active: bool | None = None


class SeatOut(ORMModel):
    id: int
    tenant_id: int
    name: str
    match_on: str
    pattern: str
    skill_group_id: int
    priority: int
    agent_numbers: list[str]
    order: int
    bypass_ivr: bool
    active: bool


@router.get("/special-seats", response_model=list[SeatOut], summary="专席规则（按主叫/被叫号码）")
def list_special_seats(db: DB, scope: Staff) -> object:
    return store.list_special_seats(db, scope)


@router.post("/special-seats", response_model=SeatOut, status_code=201, summary="新建专席规则")
def create_special_seat(
    body: SeatIn, db: DB, request: Request, scope: Admin, idempotency_key: IdempotencyKey = None
) -> object:
    if (done := idempotency.claim(db, scope, idempotency_key, "special_seat", body.model_dump())) is not None:
        return store.get_special_seat(db, scope, done)
    data = body.model_dump()
    rule = store.create_special_seat(db, scope, tenant_id=data.pop("tenant_id"), **data)
    idempotency.settle(db, scope, idempotency_key, rule.id)
    _commit(db, request)
    return rule


@router.patch("/special-seats/{rule_id}", response_model=SeatOut, summary="修改专席规则")
def patch_special_seat(rule_id: int, body: SeatPatch, db: DB, request: Request, scope: Admin) -> object:
    rule = store.update_special_seat(db, scope, rule_id, **body.model_dump(exclude_unset=True))
    _commit(db, request)
    return rule


@router.delete("/special-seats/{rule_id}", status_code=204, summary="删除专席规则")
def delete_special_seat(rule_id: int, db: DB, request: Request, scope: Admin) -> Response:
    store.delete_special_seat(db, scope, rule_id)
    _commit(db, request)
    return Response(status_code=204)


# ====================================================================== call records


class CallOut(ORMModel):
    id: int
    uuid: str
    tenant_id: int | None
    direction: str
    caller: str
    called: str
    started_at: datetime
    answered_at: datetime | None
    ivr_path: str
    skill_group_id: int | None
    priority: int
    overflowed_to: str | None
    queue_entered_at: datetime | None
    agent_user_id: int | None
    agent_number: str | None
    extension: str | None
    agent_answered_at: datetime | None
    ended_at: datetime | None
    wait_s: float | None
    ring_s: float | None
    talk_s: float | None
    hold_s: float
    wrap_up_s: float | None
    abandon_stage: str | None
    hangup_cause: str | None
    hangup_by: str | None
    disposition: str
    disposition_label: str = ""
    transferred_to: str | None
    satisfaction: int | None
    ticket_number: str | None


def _call_out(call: Any) -> CallOut:
    out = CallOut.model_validate(call)
    out.disposition_label = DISPOSITION_LABELS.get(call.disposition, call.disposition)
    return out


@router.get("/cdrs", response_model=Page[CallOut], summary="通话记录查询（号码、工号、时间、结果）")
def search_cdrs(
    db: DB,
    scope: Viewer,
    paging: Paging,
    number: Annotated[str | None, Query(max_length=32, description="主叫或被叫号码（包含）")] = None,
    agent_number: str | None = None,
    disposition: Disposition | None = None,
    skill_group_id: int | None = None,
    tenant_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> object:
    items, total = store.search_calls(
        db,
        scope,
        number=number,
        agent_number=agent_number,
        disposition=disposition,
        skill_group_id=skill_group_id,
        tenant_id=tenant_id,
        start=start,
        end=end,
        page=paging.page,
        size=paging.size,
    )
    return _page([_call_out(c) for c in items], total, paging)


@router.get("/cdrs/stats", summary="话务指标：接通率、放弃率、20秒接通率、平均等待/通话时长、满意度参评率")
def cdr_stats(
    db: DB,
    scope: Staff,
    start: datetime,
    end: datetime,
    tenant_id: int | None = None,
    skill_group_id: int | None = None,
) -> dict[str, Any]:
    return store.call_stats(
        db, scope, start=start, end=end, tenant_id=tenant_id, skill_group_id=skill_group_id
    )


@router.get("/cdrs/{call_id}", response_model=CallOut, summary="通话记录详情")
def get_cdr(call_id: int, db: DB, scope: Viewer) -> object:
    return _call_out(store.get_call(db, scope, call_id))


# ====================================================================== recordings


class RecordingOut(ORMModel):
    id: int
    call_id: int | None
    call_uuid: str
    tenant_id: int | None
    agent_user_id: int | None
    channels: int
    duration_s: float | None
    size_bytes: int | None
    started_at: datetime
    ended_at: datetime | None


class AccessOut(ORMModel):
    id: int
    user_id: int | None
    action: str
    detail: str
    at: datetime


@router.get("/recordings", response_model=Page[RecordingOut], summary="录音列表")
def list_recordings(
    db: DB,
    scope: Listener,
    paging: Paging,
    call_uuid: str | None = None,
    agent_user_id: int | None = None,
    number: Annotated[str | None, Query(max_length=32, description="主叫或被叫号码（包含）")] = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> object:
    items, total = store.list_recordings(
        db,
        scope,
        call_uuid=call_uuid,
        agent_user_id=agent_user_id,
        number=number,
        start=start,
        end=end,
        page=paging.page,
        size=paging.size,
    )
    return _page(items, total, paging)


@router.get("/recordings/{recording_id}", response_model=RecordingOut, summary="录音详情")
def get_recording(recording_id: int, db: DB, scope: Listener) -> object:
    return store.get_recording(db, scope, recording_id)


def _audio(path: str, *, download: bool) -> FileResponse:
    name = Path(path).name
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=name if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


@router.get(
    "/recordings/{recording_id}/audio", summary="播放录音（支持 Range 分段）", response_class=FileResponse
)
def play_recording(recording_id: int, request: Request, db: DB, scope: Listener) -> FileResponse:
    rng = request.headers.get("range", "")
    if not rng or rng.replace(" ", "").startswith("bytes=0-"):
        rec = store.open_recording(db, scope, recording_id, action="play")  # logged once per playback
        _commit(db, request)
    else:
        rec = store.get_recording(db, scope, recording_id)
        if not Path(rec.path).is_file():
            raise NotFound("录音文件不存在")
    return _audio(rec.path, download=False)


@router.get("/recordings/{recording_id}/download", summary="下载录音", response_class=FileResponse)
def download_recording(recording_id: int, db: DB, request: Request, scope: Listener) -> FileResponse:
    rec = store.open_recording(db, scope, recording_id, action="download")
    _commit(db, request)
    return _audio(rec.path, download=True)


@router.delete(
    "/recordings/{recording_id}", status_code=204, summary="删除录音（仅管理员，需填写原因，记入日志）"
)
def delete_recording(
    recording_id: int,
    db: DB,
    request: Request,
    scope: Admin,
    reason: Annotated[str, Query(min_length=2, max_length=255, description="删除原因")],
) -> Response:
    store.delete_recording(db, scope, recording_id, reason=reason)
    _commit(db, request)
    return Response(status_code=204)


@router.get("/recordings/{recording_id}/access-log", response_model=list[AccessOut], summary="录音访问日志")
def recording_access_log(recording_id: int, db: DB, scope: Admin) -> object:
    return store.recording_access_log(db, scope, recording_id)


# ====================================================================== voicemails, abandoned / missed calls


class VoicemailOut(ORMModel):
    id: int
    tenant_id: int | None
    call_uuid: str
    caller: str
    called: str
    skill_group_id: int | None
    reason: str
    duration_s: float | None
    status: str
    handled_by_id: int | None
    handled_at: datetime | None
    note: str
    created_at: datetime


class HandleIn(BaseModel):
    note: str = Field(default="", max_length=500)


class MissedOut(ORMModel):
    id: int
    tenant_id: int | None
    call_uuid: str
    kind: str
    caller: str
    stage: str
    skill_group_id: int | None
    agent_user_id: int | None
    waited_s: float
    position: int | None
    at: datetime
    callback_status: str
    handled_by_id: int | None
    handled_at: datetime | None


class CallbackIn(BaseModel):
    status: Literal["done", "not_needed"] = "done"


@router.get("/voicemails", response_model=Page[VoicemailOut], summary="留言列表")
def list_voicemails(
    db: DB, scope: Viewer, paging: Paging, status: Literal["new", "handled"] | None = None
) -> object:
    items, total = store.list_voicemails(db, scope, status=status, page=paging.page, size=paging.size)
    return _page(items, total, paging)


@router.get("/voicemails/{voicemail_id}/audio", summary="收听留言", response_class=FileResponse)
def play_voicemail(voicemail_id: int, db: DB, scope: Viewer) -> FileResponse:
    vm = store.get_voicemail(db, scope, voicemail_id)
    if not vm.path or not Path(vm.path).is_file():
        raise NotFound("留言录音文件不存在")
    return _audio(vm.path, download=False)


@router.post("/voicemails/{voicemail_id}/handle", response_model=VoicemailOut, summary="标记留言已处理")
def handle_voicemail(voicemail_id: int, body: HandleIn, db: DB, request: Request, scope: Viewer) -> object:
    vm = store.handle_voicemail(db, scope, voicemail_id, note=body.note)
    _commit(db, request)
    return vm


@router.get("/missed-calls", response_model=Page[MissedOut], summary="放弃与未接来电")
def list_missed_calls(
    db: DB,
    scope: Viewer,
    paging: Paging,
    kind: Literal["abandoned", "missed"] | None = None,
    callback_status: Literal["pending", "done", "not_needed"] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> object:
    items, total = store.list_missed_calls(
        db,
        scope,
        kind=kind,
        callback_status=callback_status,
        start=start,
        end=end,
        page=paging.page,
        size=paging.size,
    )
    return _page(items, total, paging)


@router.post("/missed-calls/{missed_id}/callback", response_model=MissedOut, summary="标记已回拨 / 无需回拨")
def mark_called_back(missed_id: int, body: CallbackIn, db: DB, request: Request, scope: Viewer) -> object:
    row = store.mark_called_back(db, scope, missed_id, status=body.status)
    _commit(db, request)
    return row
