"""Skill-group queues and the ACD (automatic call distribution).

One `Acd` per controller holds every agent's live state and every waiting call. It never does I/O:
each method returns events for the controller to carry out and record.

Choosing an agent for a call: ready agents holding a skill in one of the call's groups (and, for a
专席 call, only the agents named on it); with the group strategy `skill_then_idle` the highest skill
level wins and the longest idle breaks ties, with `longest_idle` only idle time counts.
Choosing a call for an agent who turns ready: the highest caller priority (urgent 9 > VIP 5 > 0), then
the longest wait (an overflowed call keeps its original queue entry time).

How the controller drives it:

    acd = Acd(config, SystemClock())
    acd.login("1001", extension="8001")      → [AgentChanged]
    acd.set_ready("1001")                     → [AgentChanged, Offer?]
    acd.enqueue(call_id, skill_group=..., tenant_id=..., caller=..., priority=...)
                                              → [Offer] or [Waiting(position, estimated wait, prompt)]
    Offer    → originate to user/<extension> (ring_timeout_s), bridge on answer
    acd.answered(call_id)                     → [AgentChanged]            (agent picked up)
    acd.ring_failed(call_id)                  → [Missed, AgentChanged, Offer?]   (no answer / busy)
    acd.abandon(call_id)                      → [Abandoned, AgentChanged?]   (caller hung up before answer)
    acd.call_ended(call_id)                   → [AgentChanged(wrap_up)]    (agent leg hung up)
    acd.transfer_to_group(call_id, group)     → [AgentChanged(wrap_up), Offer | Waiting]  (转技能组)
    acd.transfer_to_agent(call_id, number)    → [AgentChanged(wrap_up), AgentChanged(offer), Offer]
    acd.tick()  once a second                 → [Overflowed, Offer, Waiting(announcement), VoicemailDue,
                                                 AgentChanged(wrap-up done → ready), ...]
    acd.reload(new_config)                    when switch.store.config_version changed
    acd.restore_agent(...), acd.adopt_connected(...)   after a controller restart

Every `AgentChanged` carries a `StateChange` to persist; `Abandoned`/`Missed`/`VoicemailDue` are the
facts for the abandoned-call, missed-call and voicemail records.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.errors import Conflict, NotFound
from routing.actions import Play, Voicemail
from routing.agents import Agent, AgentEvent, AgentState, StateChange, apply
from routing.clock import Clock
from routing.config import AcdStrategy, CentreConfig, Prompts, SkillGroupConfig

AHT_WEIGHT = 0.1  # exponential moving average weight of each finished call in the handle-time estimate
SERVICE_LEVEL_S = 20  # 20秒接通率: answered within this many seconds of entering the queue


class CallState(StrEnum):
    waiting = "waiting"
    offered = "offered"  # an agent is ringing
    connected = "connected"


@dataclass(slots=True)
class QueuedCall:
    call_id: str
    tenant_id: int | None
    caller: str
    called: str
    groups: list[str]  # the first is where it entered; overflow appends
    priority: int
    entered_at: datetime
    group_entered_at: datetime
    seq: int
    agent_numbers: tuple[str, ...] = ()
    state: CallState = CallState.waiting
    agent_number: str | None = None
    offered_at: datetime | None = None
    last_announce_at: datetime | None = None
    offers: int = 0
    sl_group: str | None = None  # the group whose service level counts this call (where it entered today)
    sl_day: date | None = None

    @property
    def group(self) -> str:
        return self.groups[-1]

    def sort_key(self) -> tuple[int, datetime, int]:
        return (-self.priority, self.entered_at, self.seq)


# ---------------------------------------------------------------- events out


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring `extension` for `call_id` (originate, then bridge on answer)."""

    call_id: str
    agent_number: str
    extension: str
    user_id: int
    skill_group: str
    ring_timeout_s: int
    waited_s: float


@dataclass(frozen=True, slots=True)
class Waiting:
    """The caller waits: play `actions` (queue position / estimated wait) over the hold music."""

    call_id: str
    position: int  # 1 = next to be served
    estimated_wait_s: int
    actions: tuple[Play, ...] = ()


@dataclass(frozen=True, slots=True)
class Overflowed:
    call_id: str
    from_group: str
    to_group: str


@dataclass(frozen=True, slots=True)
class VoicemailDue:
    """The call waited too long: take it out of the queue and run `action`."""

    call_id: str
    action: Voicemail
    waited_s: float


@dataclass(frozen=True, slots=True)
class Abandoned:
    """The caller hung up before an agent answered (漏话)."""

    call_id: str
    stage: str  # queue | ringing
    skill_group: str
    waited_s: float
    position: int
    agent_number: str | None = None


@dataclass(frozen=True, slots=True)
class Missed:
    """An agent was offered the call and did not answer (未接来电)."""

    call_id: str
    agent_number: str
    user_id: int
    ring_s: float


@dataclass(frozen=True, slots=True)
class AgentChanged:
    change: StateChange


AcdEvent = Offer | Waiting | Overflowed | VoicemailDue | Abandoned | Missed | AgentChanged


@dataclass(slots=True)
class _GroupStats:
    avg_handle_s: float
    handled: int = 0
    abandoned: int = 0
    offers: int = 0
    offered: int = 0  # calls that entered the queue today (local day)
    answered_20s: int = 0


@dataclass(slots=True)
class GroupSnapshot:
    code: str
    waiting: int
    longest_wait_s: float
    ready: int
    staffed: int
    avg_handle_s: float
    handled: int
    abandoned: int
    not_ready: int = 0
    busy: int = 0  # ringing, in call or wrap-up
    offers: int = 0  # offers made to agents (a call rung twice counts twice)
    offered: int = 0  # calls that entered this group's queue since local midnight (re-queues not counted)
    answered_20s: int = 0  # of those, answered within SERVICE_LEVEL_S of entering the queue
    service_level: float | None = None  # answered_20s / offered; None while offered is 0


@dataclass
class Acd:
    config: CentreConfig
    clock: Clock
    agents: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, QueuedCall] = field(default_factory=dict)
    _queues: dict[str, list[tuple[int, datetime, int, str]]] = field(default_factory=dict)
    _waiting: dict[str, set[str]] = field(default_factory=dict)  # group → waiting call ids
    _ready: dict[str, set[str]] = field(default_factory=dict)  # group → ready agent numbers
    _restricted: dict[str, set[str]] = field(default_factory=dict)  # agent number → 专席 calls for them
    _stats: dict[str, _GroupStats] = field(default_factory=dict)
    _seq: itertools.count = field(default_factory=itertools.count)
    timezone: str = "Asia/Shanghai"  # the day of the service-level figures starts at local midnight
    _sl_day: date | None = None

    def __post_init__(self) -> None:
        self.reload(self.config)

    # ------------------------------------------------------------ configuration

    def reload(self, config: CentreConfig) -> None:
        """Apply a new configuration without dropping agents' states or waiting calls. Offers the new
        skills make possible come with the next `tick` (reload itself returns no events)."""
        self.config = config
        for a in config.agents:
            agent = self.agents.get(a.agent_number)
            if agent is None:
                self.agents[a.agent_number] = Agent(
                    agent_number=a.agent_number,
                    user_id=a.user_id,
                    tenant_id=a.tenant_id,
                    extension=a.extension,
                    skills=dict(a.skills),
                    name=a.name,
                    wrap_up_s=a.wrap_up_s,
                )
            else:
                agent.skills, agent.name, agent.wrap_up_s = dict(a.skills), a.name, a.wrap_up_s
                agent.tenant_id, agent.user_id = a.tenant_id, a.user_id
                if agent.state is AgentState.logged_out:
                    agent.extension = a.extension
        for g in config.groups:
            self._stats.setdefault(g.code, _GroupStats(avg_handle_s=float(g.avg_handle_s)))
        self._ready = {}
        for agent in self.agents.values():
            if agent.state is AgentState.ready:
                self._index_ready(agent)
        # calls waiting only in groups that no longer exist move to their tenant's default group
        for call in self.calls.values():
            if call.state is not CallState.waiting or any(config.group(g) for g in call.groups):
                continue
            tenant = config.tenant(call.tenant_id) if call.tenant_id is not None else None
            if tenant is not None and tenant.default_group and config.group(tenant.default_group):
                self._unqueue(call)
                call.groups.append(tenant.default_group)
                call.group_entered_at = self.clock.now()
                self._push(call)

    def _group(self, code: str) -> SkillGroupConfig:
        g = self.config.group(code)
        if g is None:
            raise NotFound(f"技能组 {code} 不存在", field="skill_group")
        return g

    def _settings(self, code: str) -> SkillGroupConfig:
        """A queued call's group settings; defaults if the group was removed by a reload meanwhile."""
        g = self.config.group(code)
        if g is None:
            g = SkillGroupConfig(code=code, name=code, tenant_id=0)
            self._stats.setdefault(code, _GroupStats(avg_handle_s=float(g.avg_handle_s)))
        return g

    def _prompts(self, tenant_id: int | None) -> Prompts:
        t = self.config.tenant(tenant_id) if tenant_id is not None else None
        return t.prompts if t else Prompts()

    # ------------------------------------------------------------ agents

    def agent(self, agent_number: str) -> Agent:
        agent = self.agents.get(agent_number)
        if agent is None:
            raise NotFound(f"工号 {agent_number} 不存在", field="agent_number")
        return agent

    def _index_ready(self, agent: Agent) -> None:
        for code in agent.skills:
            self._ready.setdefault(code, set()).add(agent.agent_number)

    def _unindex_ready(self, agent: Agent) -> None:
        for code in agent.skills:
            s = self._ready.get(code)
            if s is not None:
                s.discard(agent.agent_number)

    def _change(
        self,
        agent: Agent,
        event: AgentEvent,
        *,
        reason: str | None = None,
        call_id: str | None = None,
        wrap_up_s: int = 0,
    ) -> list[AcdEvent]:
        was_ready = agent.state is AgentState.ready
        change = apply(agent, event, self.clock.now(), reason=reason, call_id=call_id, wrap_up_s=wrap_up_s)
        now_ready = agent.state is AgentState.ready
        if was_ready and not now_ready:
            self._unindex_ready(agent)
        elif now_ready and not was_ready:
            self._index_ready(agent)
        out: list[AcdEvent] = [AgentChanged(change)]
        if now_ready:
            out += self._offer_to_agent(agent)
        return out

    def login(
        self, agent_number: str, *, extension: str | None = None, ready: bool = False
    ) -> list[AcdEvent]:
        """签入 with the agent number and the extension the agent sits at (default: configured one)."""
        agent = self.agent(agent_number)
        if extension:
            owner = next(
                (
                    a
                    for a in self.agents.values()
                    if a.extension == extension and a is not agent and a.state is not AgentState.logged_out
                ),
                None,
            )
            if owner is not None:
                raise Conflict(f"分机 {extension} 已被工号 {owner.agent_number} 签入", field="extension")
        out = self._change(agent, AgentEvent.login)
        if extension:
            agent.extension = extension
        if ready:
            out += self._change(agent, AgentEvent.ready)
        return out

    def logout(self, agent_number: str, *, force: bool = False) -> list[AcdEvent]:
        return self._change(self.agent(agent_number), AgentEvent.force_logout if force else AgentEvent.logout)

    def set_ready(self, agent_number: str) -> list[AcdEvent]:
        return self._change(self.agent(agent_number), AgentEvent.ready)

    def set_not_ready(self, agent_number: str, reason: str = "其他") -> list[AcdEvent]:
        return self._change(self.agent(agent_number), AgentEvent.not_ready, reason=reason)

    def dial(self, agent_number: str, call_id: str) -> list[AcdEvent]:
        """The agent places a call (callback, consult): in_call, no ACD offers meanwhile."""
        return self._change(self.agent(agent_number), AgentEvent.dial, call_id=call_id)

    def agent_hangup(self, agent_number: str) -> list[AcdEvent]:
        """The agent's call ended outside the queue (an outbound call): start wrap-up."""
        agent = self.agent(agent_number)
        return self._change(agent, AgentEvent.hangup, wrap_up_s=self._wrap_up_s(agent, None))

    def _wrap_up_s(self, agent: Agent, group: str | None) -> int:
        if agent.wrap_up_s is not None:
            return agent.wrap_up_s
        g = self.config.group(group) if group else None
        return g.wrap_up_s if g else 0

    def restore_agent(
        self,
        agent_number: str,
        *,
        state: AgentState | str,
        since: datetime,
        reason: str | None = None,
        idle_since: datetime | None = None,
        extension: str | None = None,
        call_id: str | None = None,
    ) -> None:
        """After a controller restart: put an agent back as `switch.store.agent_states` recorded it (no event).
        An agent restored `in_call` needs its call adopted (`adopt_connected`) so `call_ended` works; a
        `ringing` agent comes back `ready` (the offer died with the old controller; the caller is re-queued)."""
        agent = self.agents.get(agent_number)
        if agent is None:
            return
        if AgentState(state) is AgentState.ringing:
            state, call_id = AgentState.ready, None
        if agent.state is AgentState.ready:
            self._unindex_ready(agent)
        agent.state, agent.since, agent.reason = AgentState(state), since, reason
        agent.idle_since, agent.call_id = idle_since or since, call_id
        if extension:
            agent.extension = extension
        if agent.state is AgentState.ready:
            self._index_ready(agent)

    def adopt_connected(
        self,
        call_id: str,
        *,
        agent_number: str,
        skill_group: str,
        tenant_id: int | None = None,
        caller: str = "",
        called: str = "",
        entered_at: datetime | None = None,
    ) -> None:
        """After a restart: register a call already bridged to `agent_number` (found in `show calls`)."""
        now = self.clock.now()
        self.calls[call_id] = QueuedCall(
            call_id=call_id,
            tenant_id=tenant_id,
            caller=caller,
            called=called,
            groups=[skill_group],
            priority=0,
            entered_at=entered_at or now,
            group_entered_at=entered_at or now,
            seq=next(self._seq),
            state=CallState.connected,
            agent_number=agent_number,
        )

    # ------------------------------------------------------------ calls

    def enqueue(
        self,
        call_id: str,
        *,
        skill_group: str,
        tenant_id: int | None = None,
        caller: str = "",
        called: str = "",
        priority: int = 0,
        agent_numbers: tuple[str, ...] = (),
        entered_at: datetime | None = None,
    ) -> list[AcdEvent]:
        """Queue a call; returns an `Offer` if an agent is free, else a `Waiting` with the first announcement.

        `entered_at` keeps the original queue time when a call is re-queued (transfer to a group,
        controller restart)."""
        if call_id in self.calls:
            raise Conflict(f"通话 {call_id} 已在队列中", field="call_id")
        if self.config.group(skill_group) is None and tenant_id is not None:
            # a menu may still name a group removed since the call entered it: keep the caller, use the default
            tenant = self.config.tenant(tenant_id)
            if tenant is not None and tenant.default_group and self.config.group(tenant.default_group):
                skill_group = tenant.default_group
        group = self._group(skill_group)
        now = self.clock.now()
        call = QueuedCall(
            call_id=call_id,
            tenant_id=tenant_id if tenant_id is not None else group.tenant_id,
            caller=caller,
            called=called,
            groups=[skill_group],
            priority=priority,
            entered_at=entered_at or now,
            group_entered_at=now,
            seq=next(self._seq),
            agent_numbers=tuple(agent_numbers),
        )
        self.calls[call_id] = call
        if entered_at is None:  # a fresh entry (a re-queue keeps its first count)
            call.sl_group, call.sl_day = skill_group, self._service_day()
            self._stats[skill_group].offered += 1
        self._push(call)
        offer = self._offer_call(call)
        if offer:
            return offer
        call.last_announce_at = now
        return [self._waiting_event(call, with_prompt=True)]

    def _push(self, call: QueuedCall) -> None:
        if call.agent_numbers:
            for n in call.agent_numbers:
                self._restricted.setdefault(n, set()).add(call.call_id)
        else:
            for code in call.groups:
                heapq.heappush(self._queues.setdefault(code, []), (*call.sort_key(), call.call_id))
        for code in call.groups:
            self._waiting.setdefault(code, set()).add(call.call_id)

    def _unqueue(self, call: QueuedCall) -> None:
        """Take a call off the waiting sets (heap entries are dropped lazily)."""
        for code in call.groups:
            s = self._waiting.get(code)
            if s is not None:
                s.discard(call.call_id)
        for n in call.agent_numbers:
            s = self._restricted.get(n)
            if s is not None:
                s.discard(call.call_id)

    def _eligible(self, agent: Agent, call: QueuedCall) -> bool:
        if call.agent_numbers and agent.agent_number not in call.agent_numbers:
            return False
        return any(code in agent.skills for code in call.groups)

    def pick_agent(self, call: QueuedCall) -> Agent | None:
        """The ready agent that should get `call` now (None: nobody free)."""
        by_level = self._settings(call.group).strategy is not AcdStrategy.longest_idle
        agents = self.agents
        if call.agent_numbers:
            candidates = [agents[n] for n in call.agent_numbers if n in agents]
            candidates = [a for a in candidates if a.state is AgentState.ready and self._eligible(a, call)]
        elif len(call.groups) == 1:
            # the common case: the ready index already holds exactly the eligible agents
            code = call.group
            best, best_key = None, None
            for n in self._ready.get(code, ()):
                agent = agents[n]
                key = (-agent.skills[code] if by_level else 0, agent.idle_since or agent.since, n)
                if best_key is None or key < best_key:
                    best, best_key = agent, key
            return best
        else:
            seen: set[str] = set()
            for code in call.groups:
                seen |= self._ready.get(code, set())
            candidates = [agents[n] for n in seen]
        best, best_key = None, None
        for agent in candidates:
            level = max(agent.skills.get(code, 0) for code in call.groups) if by_level else 0
            key = (-level, agent.idle_since or agent.since, agent.agent_number)
            if best_key is None or key < best_key:
                best, best_key = agent, key
        return best

    def next_call_for(self, agent: Agent) -> QueuedCall | None:
        """The waiting call `agent` should take now: highest priority, then longest wait."""
        best: QueuedCall | None = None
        for code in agent.skills:
            heap = self._queues.get(code)
            while heap:
                *_, call_id = heap[0]
                call = self.calls.get(call_id)
                if call is None or call.state is not CallState.waiting or code not in call.groups:
                    heapq.heappop(heap)  # stale entry
                    continue
                if best is None or call.sort_key() < best.sort_key():
                    best = call
                break
        for call_id in self._restricted.get(agent.agent_number, ()):
            call = self.calls.get(call_id)
            if call is None or call.state is not CallState.waiting or not self._eligible(agent, call):
                continue
            if best is None or call.sort_key() < best.sort_key():
                best = call
        return best

    def _offer(self, call: QueuedCall, agent: Agent) -> list[AcdEvent]:
        now = self.clock.now()
        self._unqueue(call)
        call.state = CallState.offered
        call.agent_number = agent.agent_number
        call.offered_at = now
        call.offers += 1
        group = self._settings(call.group)
        self._stats[call.group].offers += 1
        out = self._change(agent, AgentEvent.offer, call_id=call.call_id)
        out.append(
            Offer(
                call_id=call.call_id,
                agent_number=agent.agent_number,
                extension=agent.extension,
                user_id=agent.user_id,
                skill_group=call.group,
                ring_timeout_s=group.ring_timeout_s,
                waited_s=(now - call.entered_at).total_seconds(),
            )
        )
        return out

    def _offer_call(self, call: QueuedCall) -> list[AcdEvent]:
        agent = self.pick_agent(call)
        return self._offer(call, agent) if agent else []

    def _offer_to_agent(self, agent: Agent) -> list[AcdEvent]:
        call = self.next_call_for(agent)
        return self._offer(call, agent) if call else []

    def _call(self, call_id: str) -> QueuedCall:
        call = self.calls.get(call_id)
        if call is None:
            raise NotFound(f"通话 {call_id} 不在队列中", field="call_id")
        return call

    def answered(self, call_id: str) -> list[AcdEvent]:
        """The offered agent answered: agent in_call, the call leaves the queue."""
        call = self._call(call_id)
        if call.state is not CallState.offered or call.agent_number is None:
            raise Conflict(f"通话 {call_id} 未在振铃", field="call_id")
        call.state = CallState.connected
        now = self.clock.now()
        if (
            call.sl_group in self._stats
            and call.sl_day == self._service_day(now)
            and (now - call.entered_at).total_seconds() <= SERVICE_LEVEL_S
        ):
            self._stats[call.sl_group].answered_20s += 1
        call.sl_group = None  # counted once, even if transferred and answered again
        return self._change(self.agents[call.agent_number], AgentEvent.answer, call_id=call_id)

    def _service_day(self, now: datetime | None = None) -> date:
        """Today's local date; the service-level counters start again when it changes."""
        day = (now or self.clock.now()).astimezone(ZoneInfo(self.timezone)).date()
        if day != self._sl_day:
            self._sl_day = day
            for stats in self._stats.values():
                stats.offered = stats.answered_20s = 0
        return day

    def ring_failed(self, call_id: str, *, reason: str = "未接") -> list[AcdEvent]:
        """The agent did not answer (timeout, busy, rejected): agent not ready, the call back at its place."""
        call = self._call(call_id)
        if call.state is not CallState.offered or call.agent_number is None:
            raise Conflict(f"通话 {call_id} 未在振铃", field="call_id")
        agent = self.agents[call.agent_number]
        now = self.clock.now()
        out: list[AcdEvent] = [
            Missed(
                call_id, agent.agent_number, agent.user_id, (now - (call.offered_at or now)).total_seconds()
            )
        ]
        out += self._change(agent, AgentEvent.no_answer, reason=reason, call_id=call_id)
        call.state = CallState.waiting
        call.agent_number = None
        self._push(call)
        out += self._offer_call(call)
        return out

    def abandon(self, call_id: str) -> list[AcdEvent]:
        """The caller hung up before an agent answered."""
        call = self._call(call_id)
        if call.state is CallState.connected:
            raise Conflict(f"通话 {call_id} 已接通", field="call_id")
        now = self.clock.now()
        position = self.position(call_id) if call.state is CallState.waiting else 0
        out: list[AcdEvent] = [
            Abandoned(
                call_id=call_id,
                stage="queue" if call.state is CallState.waiting else "ringing",
                skill_group=call.group,
                waited_s=(now - call.entered_at).total_seconds(),
                position=position,
                agent_number=call.agent_number,
            )
        ]
        self._stats[call.group].abandoned += 1
        self._unqueue(call)
        del self.calls[call_id]
        if call.state is CallState.offered and call.agent_number:
            out += self._change(self.agents[call.agent_number], AgentEvent.cancel, call_id=call_id)
        return out

    def call_ended(self, call_id: str) -> list[AcdEvent]:
        """The connected call is over: the agent goes to wrap-up (timed by the group's `wrap_up_s`)."""
        call = self._call(call_id)
        if call.state is not CallState.connected or call.agent_number is None:
            raise Conflict(f"通话 {call_id} 未接通", field="call_id")
        del self.calls[call_id]
        agent = self.agents[call.agent_number]
        now = self.clock.now()
        stats = self._stats[call.group]
        talk = (now - agent.since).total_seconds() if agent.since else stats.avg_handle_s
        stats.avg_handle_s += AHT_WEIGHT * (talk + self._wrap_up_s(agent, call.group) - stats.avg_handle_s)
        stats.handled += 1
        wrap = self._wrap_up_s(agent, call.group)
        out = self._change(agent, AgentEvent.hangup, call_id=call_id, wrap_up_s=wrap)
        if wrap == 0:
            out += self._change(agent, AgentEvent.wrap_up_done)
        return out

    def transfer_to_group(
        self, call_id: str, skill_group: str, *, priority: int | None = None
    ) -> list[AcdEvent]:
        """An agent transfers a connected call to a skill group: the agent goes to wrap-up and the caller
        is queued again in `skill_group`, keeping the original queue entry time (and priority unless given)."""
        call = self._call(call_id)
        if call.state is not CallState.connected:
            raise Conflict(f"通话 {call_id} 未接通，不能转技能组", field="call_id")
        self._group(skill_group)  # unknown group: 404 before anything changes
        out = self.call_ended(call_id)
        out += self.enqueue(
            call_id,
            skill_group=skill_group,
            tenant_id=call.tenant_id,
            caller=call.caller,
            called=call.called,
            priority=call.priority if priority is None else priority,
            entered_at=call.entered_at,
        )
        return out

    def transfer_to_agent(self, call_id: str, agent_number: str) -> list[AcdEvent]:
        """An agent transfers a connected call to a colleague who is ready (else 409, nothing changes):
        the first agent goes to wrap-up, the colleague is offered the call."""
        call = self._call(call_id)
        if call.state is not CallState.connected:
            raise Conflict(f"通话 {call_id} 未接通，不能转接", field="call_id")
        target = self.agent(agent_number)
        if target.agent_number == call.agent_number:
            raise Conflict("不能转接给自己", field="agent_number")
        if target.state is not AgentState.ready:
            raise Conflict(f"坐席 {agent_number} 当前不是空闲状态", field="agent_number")
        group = call.group if call.group in target.skills else next(iter(target.skills), None)
        if group is None or self.config.group(group) is None:
            raise Conflict(f"坐席 {agent_number} 没有可用的技能组", field="agent_number")
        out = self.call_ended(call_id)
        out += self.enqueue(
            call_id,
            skill_group=group,
            tenant_id=call.tenant_id,
            caller=call.caller,
            called=call.called,
            priority=call.priority,
            agent_numbers=(agent_number,),
            entered_at=call.entered_at,
        )
        return out

    def remove(self, call_id: str) -> None:
        """Forget a call without accounting (it went to voicemail or was transferred out by the controller)."""
        call = self.calls.pop(call_id, None)
        if call is not None:
            self._unqueue(call)

    # ------------------------------------------------------------ time

    def tick(self) -> list[AcdEvent]:
        """Timers: wrap-up end, overflow, voicemail after the longest wait, position announcements."""
        now = self.clock.now()
        out: list[AcdEvent] = []
        for agent in self.agents.values():
            if agent.state is AgentState.wrap_up and agent.wrap_up_until and agent.wrap_up_until <= now:
                out += self._change(agent, AgentEvent.wrap_up_done)
        if any(self._waiting.values()):
            # normally nobody ready can take a waiting call; after a reload (new skills) someone may
            for agent in [a for a in self.agents.values() if a.state is AgentState.ready]:
                if agent.state is AgentState.ready:
                    out += self._offer_to_agent(agent)
        due: list[QueuedCall] = []
        for call in list(self.calls.values()):
            if call.state is not CallState.waiting:
                continue
            group = self._settings(call.group)
            waited = (now - call.entered_at).total_seconds()
            limit = self._voicemail_after(call)
            if limit is not None and waited >= limit:
                self.remove(call.call_id)
                prompts = self._prompts(call.tenant_id)
                action = Voicemail(
                    prompt=prompts.voicemail,
                    tenant_id=call.tenant_id,
                    skill_group=call.group,
                    reason="overflow",
                )
                out.append(VoicemailDue(call.call_id, action, waited))
                continue
            target = group.overflow_group
            in_group = (now - call.group_entered_at).total_seconds()
            overflow = target and target not in call.groups and in_group >= group.overflow_after_s
            if overflow and self.config.group(target) is not None:
                out.append(Overflowed(call.call_id, call.group, target))
                self._unqueue(call)
                call.agent_numbers = ()  # a 专席 call that overflows is open to the whole overflow group
                call.groups.append(target)
                call.group_entered_at = now
                self._push(call)
                offer = self._offer_call(call)
                if offer:
                    out += offer
                    continue
            every = group.announce_every_s
            if every and call.last_announce_at and (now - call.last_announce_at).total_seconds() >= every:
                call.last_announce_at = now
                due.append(call)
        if due:
            positions = self.positions() if len(due) > 1 else {due[0].call_id: self.position(due[0].call_id)}
            staffed: dict[tuple[str, ...], int] = {}
            for call in due:
                key = tuple(call.groups)
                if key not in staffed:
                    staffed[key] = self.staffed(call.groups)
                out.append(
                    self._waiting_event(
                        call, with_prompt=False, position=positions[call.call_id], staffed=staffed[key]
                    )
                )
        return out

    def _voicemail_after(self, call: QueuedCall) -> int | None:
        """The shortest longest-wait of the groups the call has been in (overflow never extends it)."""
        limits = [
            g.voicemail_after_s for g in map(self.config.group, call.groups) if g and g.voicemail_after_s
        ]
        return min(limits) if limits else None

    # ------------------------------------------------------------ queue figures

    def position(self, call_id: str) -> int:
        """1-based place among the waiting calls that compete for the same agents."""
        call = self._call(call_id)
        if call.state is not CallState.waiting:
            return 0
        key = call.sort_key()
        ahead: set[str] = set()
        for code in call.groups:
            for other_id in self._waiting.get(code, ()):
                other = self.calls.get(other_id)
                if other is not None and other.sort_key() < key:
                    ahead.add(other_id)
        return len(ahead) + 1

    def positions(self) -> dict[str, int]:
        """`position` of every waiting call at once: one sort, then counts per distinct set of groups
        (calls compete when their group sets intersect), O(n log n) instead of O(n²)."""
        waiting = sorted(
            (c for c in self.calls.values() if c.state is CallState.waiting), key=QueuedCall.sort_key
        )
        seen: dict[frozenset[str], int] = {}
        out: dict[str, int] = {}
        for call in waiting:
            groups = frozenset(call.groups)
            ahead = sum(n for other, n in seen.items() if other & groups)
            out[call.call_id] = ahead + 1
            seen[groups] = seen.get(groups, 0) + 1
        return out

    def staffed(self, groups: list[str]) -> int:
        """Logged-in agents (any state but logged out) with a skill in one of `groups`."""
        return sum(
            1
            for a in self.agents.values()
            if a.state is not AgentState.logged_out and any(code in a.skills for code in groups)
        )

    def estimated_wait(self, call_id: str, *, position: int | None = None, staffed: int | None = None) -> int:
        """Seconds: the call's position × average handle time ÷ staffed agents."""
        call = self._call(call_id)
        pos = self.position(call_id) if position is None else position
        aht = self._stats[call.group].avg_handle_s
        agents = max(1, self.staffed(call.groups) if staffed is None else staffed)
        return int(math.ceil(pos * aht / agents))

    def _waiting_event(
        self, call: QueuedCall, *, with_prompt: bool, position: int | None = None, staffed: int | None = None
    ) -> Waiting:
        pos = self.position(call.call_id) if position is None else position
        ewt = self.estimated_wait(call.call_id, position=pos, staffed=staffed)
        prompts = self._prompts(call.tenant_id)
        actions: list[Play] = [Play(prompts.queue_wait)] if with_prompt else []
        if pos <= 1:
            actions.append(Play(prompts.queue_next))
        else:
            actions.append(
                Play(prompts.queue_position.format(position=pos - 1, minutes=max(1, math.ceil(ewt / 60))))
            )
        return Waiting(call.call_id, pos, ewt, tuple(actions))

    def snapshot(self) -> list[GroupSnapshot]:
        """Per-group figures for the live monitor and wallboard."""
        now = self.clock.now()
        self._service_day(now)
        by_group: dict[str, dict[AgentState, int]] = {}
        for agent in self.agents.values():
            for code in agent.skills:
                counts = by_group.setdefault(code, {})
                counts[agent.state] = counts.get(agent.state, 0) + 1
        out = []
        for g in self.config.groups:
            waiting = [self.calls[c] for c in self._waiting.get(g.code, ()) if c in self.calls]
            stats = self._stats[g.code]
            states = by_group.get(g.code, {})
            busy = sum(states.get(s, 0) for s in (AgentState.ringing, AgentState.in_call, AgentState.wrap_up))
            out.append(
                GroupSnapshot(
                    code=g.code,
                    waiting=len(waiting),
                    longest_wait_s=max(((now - c.entered_at).total_seconds() for c in waiting), default=0.0),
                    ready=len(self._ready.get(g.code, ())),
                    staffed=sum(n for s, n in states.items() if s is not AgentState.logged_out),
                    avg_handle_s=round(stats.avg_handle_s, 1),
                    handled=stats.handled,
                    abandoned=stats.abandoned,
                    not_ready=states.get(AgentState.not_ready, 0),
                    busy=busy,
                    offers=stats.offers,
                    offered=stats.offered,
                    answered_20s=stats.answered_20s,
                    service_level=round(stats.answered_20s / stats.offered, 4) if stats.offered else None,
                )
            )
        return out
