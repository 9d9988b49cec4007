"""软电话 API: agent and supervisor actions, carried out by the switch controller over the bus.

Each request is a command on `switch:commands`; the controller replies (or refuses with the reason);
no controller answering within a few seconds is a 503. Agents act for themselves; supervisors and
admins may act for an agent of their tenants (`agent_number` in the body).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import DB, require_roles
from api.schemas import PROBLEM_RESPONSES
from models.bus import Bus
from models.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from models.org import Role, User
from models.scope import Scope

router = APIRouter(prefix="/api/softphone", tags=["话务"], responses=PROBLEM_RESPONSES)

AgentScope = Annotated[Scope, require_roles(Role.agent, Role.supervisor)]
SupervisorScope = Annotated[Scope, require_roles(Role.supervisor)]


class ControllerUnavailable(DomainError):
    status = 503
    title = "话务控制器不可用"


class ControllerFailed(DomainError):
    status = 502
    title = "话务控制器执行失败"


ERRORS: dict[int, type[DomainError]] = {404: NotFound, 409: Conflict, 422: Invalid, 403: PermissionDenied}


def _bus(request: Request) -> Bus:
    bus = getattr(request.app.state, "bus", None)
    if bus is None:
        settings = request.app.state.settings
        if not settings.redis_url:
            raise ControllerUnavailable("未配置 Redis，无法连接话务控制器")
        bus = request.app.state.bus = Bus.from_settings(settings)
    return bus


def _agent_number(db: DB, scope: Scope, requested: str | None) -> str:
    """The agent acted for: yourself, or (supervisor/admin) an agent of your tenants."""
    me = db.get(User, scope.user_id)
    if not requested or (me is not None and requested == me.agent_number):
        if me is None or not me.agent_number:
            raise Invalid("当前用户没有工号", field="agent_number")
        return me.agent_number
    if not scope.has(Role.supervisor):
        raise PermissionDenied("只能操作自己的坐席", field="agent_number")
    agent = db.scalar(select(User).where(User.agent_number == requested))
    if agent is None or not scope.can_see_tenant(agent.tenant_id):
        raise NotFound(f"工号 {requested} 不存在", field="agent_number")
    return requested


def _send(request: Request, action: str, **fields: Any) -> dict[str, Any]:
    reply = _bus(request).request(action, timeout=5, **fields)
    if reply is None:
        raise ControllerUnavailable("话务控制器未响应，请稍后重试")
    if not reply.pop("ok", False):
        error = ERRORS.get(int(reply.get("status", 0)), ControllerFailed)
        raise error(reply.get("detail") or "操作失败", field=reply.get("field"))
    return reply


class AgentRef(BaseModel):
    agent_number: str | None = Field(default=None, max_length=16, description="默认为当前用户的工号")


class LoginIn(AgentRef):
    extension: str = Field(min_length=2, max_length=16, pattern=r"^\d+$", description="分机号")
    ready: bool = False


class NotReadyIn(AgentRef):
    reason: str = Field(
        default="其他", min_length=1, max_length=32, description="置忙原因，如 小休、会议、培训"
    )


class TransferIn(AgentRef):
    target_type: Literal["agent", "group", "external", "city"]
    target: str = Field(min_length=1, max_length=32, description="工号 / 技能组编码 / 外线号码 / 外市区号")


class TargetIn(AgentRef):
    target: str = Field(min_length=1, max_length=32, description="工号或电话号码")


class ThreeWayIn(AgentRef):
    target: str | None = Field(default=None, max_length=32, description="第三方；咨询后可省略")


class MessageIn(AgentRef):
    to_agent: str = Field(min_length=1, max_length=16)
    text: str = Field(min_length=1, max_length=500)


class CallbackIn(AgentRef):
    number: str = Field(min_length=3, max_length=20, pattern=r"^\+?\d+$")


class SuperviseIn(BaseModel):
    agent_number: str = Field(min_length=1, max_length=16, description="被监听坐席的工号")
    extension: str = Field(min_length=2, max_length=16, pattern=r"^\d+$", description="班长分机")
    mode: Literal["listen", "whisper", "barge"] = "listen"


def _action(name: str, summary: str, body_model: type[AgentRef], path: str = ""):
    def endpoint(body: body_model, request: Request, db: DB, scope: AgentScope) -> dict[str, Any]:  # type: ignore[valid-type]
        fields = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        fields["agent_number"] = _agent_number(db, scope, fields.get("agent_number"))
        return _send(request, name, **fields)

    endpoint.__name__ = f"softphone_{name}"
    # postponed annotations are strings; give FastAPI the real types of this route's body
    endpoint.__annotations__ = {
        "body": body_model,
        "request": Request,
        "db": DB,
        "scope": AgentScope,
        "return": dict[str, Any],
    }
    router.add_api_route(path or f"/{name.replace('_', '-')}", endpoint, methods=["POST"], summary=summary)


for _name, _summary, _model in (
    ("login", "签入（工号 + 分机）", LoginIn),
    ("logout", "签出", AgentRef),
    ("ready", "置闲", AgentRef),
    ("not_ready", "置忙（带原因）", NotReadyIn),
    ("answer", "应答", AgentRef),
    ("hangup", "挂断", AgentRef),
    ("hold", "保持", AgentRef),
    ("retrieve", "拾回", AgentRef),
    ("transfer", "转接（坐席 / 技能组 / 外线 / 外市 12345）", TransferIn),
    ("consult", "咨询另一坐席", TargetIn),
    ("three_way", "三方通话", ThreeWayIn),
    ("message", "坐席间消息", MessageIn),
    ("callback", "回拨（主叫显示 0771-12345）", CallbackIn),
):
    _action(_name, _summary, _model)
_action("consult_complete", "完成咨询转接（来电转给被咨询坐席）", AgentRef, "/consult/complete")
_action("consult_cancel", "取消咨询（拾回来电）", AgentRef, "/consult/cancel")


@router.get("/me", summary="当前坐席状态（页面刷新或重连后恢复软电话）")
def softphone_me(
    request: Request,
    db: DB,
    scope: AgentScope,
    agent_number: Annotated[str | None, Query(max_length=16, description="班长可查看所辖坐席")] = None,
) -> dict[str, Any]:
    """State, reason, since, extension, the current call (caller, conference, on hold) and the wrap-up
    time left, as the controller holds them; 422 when the user has no agent number."""
    return _send(request, "status", agent_number=_agent_number(db, scope, agent_number))


@router.post("/supervise", summary="班长监听 / 耳语 / 插话")
def supervise(body: SuperviseIn, request: Request, db: DB, scope: SupervisorScope) -> dict[str, Any]:
    agent = db.scalar(select(User).where(User.agent_number == body.agent_number))
    if agent is None or not scope.can_see_tenant(agent.tenant_id):
        raise NotFound(f"工号 {body.agent_number} 不存在", field="agent_number")
    return _send(request, "eavesdrop", target=body.agent_number, extension=body.extension, mode=body.mode)
