"""Agent states (坐席状态) as a transition table; every change is stamped for reports.

    logged_out ─login→ not_ready ─ready→ ready ─offer→ ringing ─answer→ in_call ─hangup→ wrap_up ─┐
         ▲                 ▲  ◄─not_ready─┘            │ no_answer → not_ready (未接)            │
         └──logout─────────┘                           │ cancel → ready (caller gave up)          │
                                                       wrap_up_done / ready ───────────────────────┘

`apply(agent, event, now, ...)` changes the agent and returns the `StateChange` the controller writes
with `switch.store.record_agent_change`. An event the table does not allow raises `IllegalTransition`
(a 409 through the API) listing the events allowed in the current state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from models.errors import Conflict


class AgentState(StrEnum):
    logged_out = "logged_out"
    ready = "ready"
    not_ready = "not_ready"
    ringing = "ringing"
    in_call = "in_call"
    wrap_up = "wrap_up"


class AgentEvent(StrEnum):
    login = "login"  # 签入
    logout = "logout"  # 签出
    ready = "ready"  # 置闲
    not_ready = "not_ready"  # 置忙 (with a reason)
    offer = "offer"  # ACD rings the agent
    answer = "answer"
    no_answer = "no_answer"  # ring timeout or rejected
    cancel = "cancel"  # the caller hung up while ringing
    dial = "dial"  # the agent places a call (callback, consult)
    hangup = "hangup"
    wrap_up_done = "wrap_up_done"  # the wrap-up timer ran out
    force_logout = "force_logout"  # supervisor, or the endpoint unregistered


STATE_LABELS = {
    AgentState.logged_out: "签出",
    AgentState.ready: "空闲",
    AgentState.not_ready: "置忙",
    AgentState.ringing: "振铃",
    AgentState.in_call: "通话中",
    AgentState.wrap_up: "话后处理",
}
EVENT_LABELS = {
    AgentEvent.login: "签入",
    AgentEvent.logout: "签出",
    AgentEvent.ready: "置闲",
    AgentEvent.not_ready: "置忙",
    AgentEvent.offer: "分配来电",
    AgentEvent.answer: "接听",
    AgentEvent.no_answer: "未接",
    AgentEvent.cancel: "来电取消",
    AgentEvent.dial: "外呼",
    AgentEvent.hangup: "挂机",
    AgentEvent.wrap_up_done: "话后处理结束",
    AgentEvent.force_logout: "强制签出",
}

S, E = AgentState, AgentEvent
TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (S.logged_out, E.login): S.not_ready,
    (S.not_ready, E.ready): S.ready,
    (S.not_ready, E.not_ready): S.not_ready,  # change of reason
    (S.not_ready, E.logout): S.logged_out,
    (S.not_ready, E.dial): S.in_call,
    (S.ready, E.not_ready): S.not_ready,
    (S.ready, E.offer): S.ringing,
    (S.ready, E.logout): S.logged_out,
    (S.ready, E.dial): S.in_call,
    (S.ringing, E.answer): S.in_call,
    (S.ringing, E.no_answer): S.not_ready,
    (S.ringing, E.cancel): S.ready,
    (S.in_call, E.hangup): S.wrap_up,
    (S.wrap_up, E.wrap_up_done): S.ready,
    (S.wrap_up, E.ready): S.ready,
    (S.wrap_up, E.not_ready): S.not_ready,
    (S.wrap_up, E.logout): S.logged_out,
    (S.wrap_up, E.dial): S.in_call,
}
for _state in AgentState:
    if _state is not S.logged_out:
        TRANSITIONS[(_state, E.force_logout)] = S.logged_out

DEFAULT_REASONS = {E.login: "签入", E.no_answer: "未接"}
NOT_READY_REASONS = ("小休", "就餐", "培训", "会议", "话后整理", "签入", "未接", "其他")


def allowed_events(state: AgentState) -> list[AgentEvent]:
    return [e for (s, e) in TRANSITIONS if s is state]


class IllegalTransition(Conflict):
    def __init__(self, agent_number: str, state: AgentState, event: AgentEvent) -> None:
        allowed = allowed_events(state)
        names = "、".join(EVENT_LABELS[e] for e in allowed) or "无"
        super().__init__(
            f"坐席 {agent_number} 当前状态为{STATE_LABELS[state]}，不能{EVENT_LABELS[event]}；允许的操作：{names}",
            field="event",
            state=str(state),
            allowed=[str(e) for e in allowed],
        )
        self.state = state
        self.event = event
        self.allowed = allowed


@dataclass(slots=True)
class Agent:
    """An agent's live state (held by the ACD; rebuilt from `switch.store` after a restart)."""

    agent_number: str
    user_id: int
    tenant_id: int
    extension: str
    skills: dict[str, int] = field(default_factory=dict)
    name: str = ""
    state: AgentState = AgentState.logged_out
    reason: str | None = None
    since: datetime | None = None
    idle_since: datetime | None = None  # when the agent last became ready: the ACD's longest-idle key
    wrap_up_until: datetime | None = None
    call_id: str | None = None
    wrap_up_s: int | None = None


@dataclass(frozen=True, slots=True)
class StateChange:
    agent_number: str
    user_id: int
    tenant_id: int
    event: AgentEvent
    from_state: AgentState
    to_state: AgentState
    at: datetime
    reason: str | None = None
    call_id: str | None = None
    previous_duration_s: float = 0.0  # how long the agent was in `from_state`


def apply(
    agent: Agent,
    event: AgentEvent,
    now: datetime,
    *,
    reason: str | None = None,
    call_id: str | None = None,
    wrap_up_s: int = 0,
) -> StateChange:
    """Move `agent` through the transition table. `wrap_up_s` is used on hangup (0: no wrap-up timer
    — the agent stays in wrap_up until `ready`; the ACD passes the group's wrap-up time)."""
    event = AgentEvent(event)
    new = TRANSITIONS.get((agent.state, event))
    if new is None:
        raise IllegalTransition(agent.agent_number, agent.state, event)
    if event is AgentEvent.not_ready and not reason:
        reason = "其他"
    old = agent.state
    change = StateChange(
        agent_number=agent.agent_number,
        user_id=agent.user_id,
        tenant_id=agent.tenant_id,
        event=event,
        from_state=old,
        to_state=new,
        at=now,
        reason=reason or DEFAULT_REASONS.get(event),
        call_id=call_id or agent.call_id,
        previous_duration_s=(now - agent.since).total_seconds() if agent.since else 0.0,
    )
    agent.state = new
    agent.since = now
    agent.reason = change.reason if new is AgentState.not_ready else None
    if (
        new is AgentState.ready
        and event is not AgentEvent.cancel
        or new is AgentState.ready
        and agent.idle_since is None
    ):
        agent.idle_since = now
    if new in (AgentState.ringing, AgentState.in_call):
        agent.call_id = call_id or agent.call_id
    elif new is not AgentState.wrap_up:
        agent.call_id = None
    agent.wrap_up_until = (
        now + timedelta(seconds=wrap_up_s) if new is AgentState.wrap_up and wrap_up_s else None
    )
    return change
