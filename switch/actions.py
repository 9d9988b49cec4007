"""Agent and supervisor actions carried out by the controller (commands arriving over the bus).

Each handler takes the controller and the command's fields and returns the reply payload; it raises
`models.errors.Conflict` / `Invalid` / `NotFound` for a refused action (the API turns them into 4xx).
"""

from __future__ import annotations

import re
import time
import uuid as uuidlib
from typing import TYPE_CHECKING, Any

from models.errors import Conflict, Invalid, NotFound
from routing.agents import AgentState
from switch import store

if TYPE_CHECKING:
    from switch.controller import Controller, LiveCall

CITY_NUMBER = re.compile(r"^0\d{2,3}$")
EXTERNAL_NUMBER = re.compile(r"^\+?\d{3,20}$")
EAVESDROP_MODES = {"listen": "0", "whisper": "2", "barge": "3"}


def _agent(ctrl: Controller, agent_number: str):
    agent = ctrl.acd.agents.get(agent_number or "")
    if agent is None:
        raise NotFound(f"工号 {agent_number} 不存在", field="agent_number")
    return agent


def _agent_call(ctrl: Controller, agent_number: str) -> LiveCall:
    for call in ctrl.calls.values():
        if call.agent_number == agent_number and not call.ended and (call.agent_leg or call.conference):
            return call
    raise Conflict("坐席当前没有通话", field="agent_number")


def login(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    extension = str(f.get("extension") or "")
    if extension and not extension.isdigit():
        raise Invalid("分机号只能是数字", field="extension")
    ctrl.apply_acd(ctrl.acd.login(f["agent_number"], extension=extension or None, ready=bool(f.get("ready"))))
    agent = _agent(ctrl, f["agent_number"])
    return {"state": str(agent.state), "extension": agent.extension}


def logout(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    ctrl.apply_acd(ctrl.acd.logout(f["agent_number"]))
    return {"state": "logged_out"}


def ready(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    ctrl.apply_acd(ctrl.acd.set_ready(f["agent_number"]))
    return {"state": str(_agent(ctrl, f["agent_number"]).state)}


def not_ready(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    reason = str(f.get("reason") or "其他")
    ctrl.apply_acd(ctrl.acd.set_not_ready(f["agent_number"], reason))
    return {"state": "not_ready", "reason": reason}


def answer(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    agent = _agent(ctrl, f["agent_number"])
    if agent.state is not AgentState.ringing:
        raise Conflict("坐席当前没有振铃的来电", field="agent_number")
    call = _agent_call(ctrl, agent.agent_number)
    ctrl.api(f"uuid_answer {call.agent_leg}")
    return {"call_uuid": call.uuid}


def hangup(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    agent = ctrl.acd.agents.get(f["agent_number"] or "")
    if agent is not None and agent.call_id in ctrl.outbound_calls:  # 回拨: the agent's own leg is the call
        ctrl.hangup(agent.call_id)
        return {"call_uuid": agent.call_id}
    invited = ctrl.calls.get(agent.call_id or "") if agent is not None else None
    if invited is not None and invited.agent_number != agent.agent_number:  # consulted / invited agent
        leg = next((leg for leg, number in ctrl.extra_legs.items() if number == agent.agent_number), None)
        if leg is not None:
            ctrl.hangup(leg)  # the controller puts the others back together when the leg is gone
            return {"call_uuid": invited.uuid}
    call = _agent_call(ctrl, f["agent_number"])
    if call.conference:
        ctrl.hangup(call.agent_leg_in_conference or call.uuid)
    else:
        ctrl.hangup(call.agent_leg)
    return {"call_uuid": call.uuid}


def hold(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    call = _agent_call(ctrl, f["agent_number"])
    if call.held_since is not None:
        raise Conflict("通话已在保持中", field="agent_number")
    reply = ctrl.api(f"uuid_hold {call.agent_leg}")
    if not reply.startswith("+OK"):
        raise Conflict(f"保持失败：{reply.strip()}")
    call.held_since, call.held_at = ctrl.clock(), time.time()
    ctrl.publish("call_held", call)
    return {"call_uuid": call.uuid}


def retrieve(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    call = _agent_call(ctrl, f["agent_number"])
    if call.held_since is None:
        raise Conflict("通话未处于保持状态", field="agent_number")
    ctrl.api(f"uuid_hold off {call.agent_leg}")
    ctrl.hold_ended(call)
    fields = {"hold_s": round(call.hold_s, 1), "holds": [list(h) for h in call.holds]}
    ctrl.write(lambda db: store.upsert_call(db, call.uuid, **fields))
    ctrl.publish("call_retrieved", call)
    return {"call_uuid": call.uuid, "hold_s": round(call.hold_s, 1)}


def transfer(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """Blind transfer to an agent, a skill group, an external number or another city's 12345."""
    call = _agent_call(ctrl, f["agent_number"])
    kind, target = str(f.get("target_type") or ""), str(f.get("target") or "")
    if kind == "agent":
        to = _agent(ctrl, target)
        if to.state is not AgentState.ready:
            raise Conflict(f"工号 {target} 当前不可接听", field="target")
        ctrl.requeue(call, agent_number=target)
        label = f"坐席{target}"
    elif kind == "group":
        if ctrl.acd.config.group(target) is None:
            raise NotFound(f"技能组 {target} 不存在", field="target")
        ctrl.requeue(call, skill_group=target)
        label = f"技能组{target}"
    elif kind in ("external", "city"):
        if kind == "city":
            if not CITY_NUMBER.match(target):
                raise Invalid("外市 12345 请填写区号，如 0773", field="target")
            number = f"{target}12345"
        else:
            if not EXTERNAL_NUMBER.match(target):
                raise Invalid("外部号码格式不正确", field="target")
            number = target
        ctrl.transfer_out(call, number)
        label = number
    else:
        raise Invalid("转接类型应为 agent、group、external 或 city", field="target_type")
    ctrl.write(lambda db: store.upsert_call(db, call.uuid, transferred_to=label))
    return {"call_uuid": call.uuid, "transferred_to": label}


def consult(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """Consult another agent: the caller waits with music, the two agents talk in a conference."""
    call = _agent_call(ctrl, f["agent_number"])
    to = _agent(ctrl, str(f.get("target") or ""))
    if to.state is not AgentState.ready:
        raise Conflict(f"工号 {to.agent_number} 当前不可接听", field="target")
    if call.conference:
        raise Conflict("通话已在咨询或三方通话中", field="agent_number")
    room = f"consult-{call.uuid[:8]}"
    call.conference = room
    call.consult_with = to.agent_number
    call.agent_leg_in_conference = first = call.agent_leg
    if first:
        ctrl.conference_legs[first] = call.uuid
    ctrl.detach_agent_leg(call)
    ctrl.api(f"uuid_transfer {first} conference:{room}@default inline")
    ctrl.sendmsg(call.uuid, "playback", "local_stream://moh")
    ctrl.apply_acd(ctrl.acd.dial(to.agent_number, call.uuid))
    job = str(uuidlib.uuid4())
    call.consult_leg = str(uuidlib.uuid4())
    ctrl.consult_jobs[job] = (call.uuid, call.consult_leg)
    ctrl.originate_into_conference(to.extension, room, call, job=job, leg=call.consult_leg)
    return {"call_uuid": call.uuid, "conference": room}


def _consulting(ctrl: Controller, f: dict[str, Any]) -> LiveCall:
    call = _agent_call(ctrl, f["agent_number"])
    if call.consult_leg is None:
        raise Conflict("当前没有进行中的咨询", field="agent_number")
    return call


def consult_complete(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """完成转接: the caller goes to the consulted agent; this agent leaves for wrap-up."""
    call = _consulting(ctrl, f)
    if not call.consult_answered:
        raise Conflict("被咨询坐席尚未接听，不能完成转接", field="agent_number")
    label = ctrl.complete_consult(call)
    return {"call_uuid": call.uuid, "transferred_to": label, "agent_number": call.agent_number}


def consult_cancel(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """取消咨询: the consulted party is hung up and this agent has the caller back."""
    call = _consulting(ctrl, f)
    ctrl.cancel_consult(call, hang_up_consulted=True)
    return {"call_uuid": call.uuid, "agent_number": call.agent_number}


def three_way(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """三方通话: caller, agent and a third party (agent or number) in one conference."""
    call = _agent_call(ctrl, f["agent_number"])
    if call.conference:  # after a consult: bring the caller in
        if call.consult_leg is None:
            raise Conflict("已在三方通话中", field="agent_number")
        ctrl.api(f"uuid_transfer {call.uuid} conference:{call.conference}@default inline")
        call.consult_leg, call.consult_with, call.consult_answered = None, None, False
        return {"call_uuid": call.uuid, "conference": call.conference}
    target = str(f.get("target") or "")
    to = ctrl.acd.agents.get(target)
    if to is None and not EXTERNAL_NUMBER.match(target):
        raise Invalid("第三方应为工号或电话号码", field="target")
    if to is not None and to.state is not AgentState.ready:
        raise Conflict(f"工号 {target} 当前不可接听", field="target")
    room = f"threeway-{call.uuid[:8]}"
    call.conference = room
    call.agent_leg_in_conference = call.agent_leg
    if call.agent_leg:
        ctrl.conference_legs[call.agent_leg] = call.uuid
    ctrl.detach_agent_leg(call, keep_caller=True)
    ctrl.api(f"uuid_transfer {call.uuid} -both conference:{room}@default inline")
    if to is not None:
        ctrl.apply_acd(ctrl.acd.dial(to.agent_number, call.uuid))
        ctrl.originate_into_conference(to.extension, room, call)
    else:
        ctrl.originate_into_conference(None, room, call, number=target)
    return {"call_uuid": call.uuid, "conference": room}


def message(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    to = _agent(ctrl, str(f.get("to_agent") or ""))
    text = str(f.get("text") or "").strip()
    if not text:
        raise Invalid("消息内容不能为空", field="text")
    ctrl.bus_publish(
        {
            "type": "message",
            "agent_number": to.agent_number,
            "from": f.get("agent_number"),
            "text": text[:500],
        }
    )
    return {"delivered_to": to.agent_number}


def callback(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """回拨: ring the agent, then dial the citizen with the centre's caller ID."""
    agent = _agent(ctrl, f["agent_number"])
    number = str(f.get("number") or "")
    if not EXTERNAL_NUMBER.match(number):
        raise Invalid("回拨号码格式不正确", field="number")
    if agent.state not in (AgentState.ready, AgentState.not_ready, AgentState.wrap_up):
        raise Conflict("坐席当前不能外呼", field="agent_number")
    call_uuid = str(uuidlib.uuid4())
    ctrl.apply_acd(ctrl.acd.dial(agent.agent_number, call_uuid))
    caller_id = ctrl.callback_caller_id
    fields = dict(
        caller=caller_id,
        called=number,
        direction="outbound",
        agent_number=agent.agent_number,
        agent_user_id=agent.user_id,
        extension=agent.extension,
        started_at=ctrl.now(),
        tenant_id=agent.tenant_id,
    )
    ctrl.write(lambda db: store.upsert_call(db, call_uuid, **fields))
    ctrl.outbound_calls[call_uuid] = agent.agent_number
    assert ctrl.esl is not None
    ctrl.send(
        f"bgapi originate {{origination_uuid={call_uuid},origination_caller_id_number={caller_id},"
        f"origination_caller_id_name={caller_id},hotline_agent={agent.agent_number}}}user/{agent.extension} "
        f"&bridge({{origination_caller_id_number={caller_id}}}sofia/gateway/trunk/{number})"
    )
    return {"call_uuid": call_uuid, "caller_id": caller_id}


def eavesdrop(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """Supervisor listen / whisper / barge on an agent's call (switches mode if already listening)."""
    mode = str(f.get("mode") or "listen")
    if mode not in EAVESDROP_MODES:
        raise Invalid("监听方式应为 listen、whisper 或 barge", field="mode")
    target = _agent(ctrl, str(f.get("target") or ""))
    call = _agent_call(ctrl, target.agent_number)
    extension = str(f.get("extension") or "")
    if not extension.isdigit():
        raise Invalid("请填写班长的分机号", field="extension")
    existing = ctrl.supervisors.get(extension)
    if existing and existing["target"] == target.agent_number:
        ctrl.send(
            f"sendevent CUSTOM\nEvent-Subclass: hotline::eavesdrop\nunique-id: {existing['leg']}\n"
            f"eavesdrop-command: {EAVESDROP_MODES[mode]}"
        )
        existing["mode"] = mode
        return {"supervisor_leg": existing["leg"], "mode": mode}
    leg = str(uuidlib.uuid4())
    ctrl.supervisors[extension] = {"leg": leg, "target": target.agent_number, "mode": mode}
    extra = ",eavesdrop_whisper_bleg=true" if mode == "whisper" else ""
    ctrl.send(
        f"bgapi originate {{origination_uuid={leg},origination_caller_id_name=班长监听,eavesdrop_enable_dtmf=true"
        f"{extra}}}user/{extension} &eavesdrop({call.agent_leg})"
    )
    if mode == "barge":
        ctrl.pending_modes[leg] = EAVESDROP_MODES[mode]
    return {"supervisor_leg": leg, "mode": mode, "call_uuid": call.uuid}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def status(ctrl: Controller, f: dict[str, Any]) -> dict[str, Any]:
    """An agent's own state as the controller holds it, so a reloaded desktop can pick up where it was."""
    agent = _agent(ctrl, f["agent_number"])
    now = ctrl.now()
    out: dict[str, Any] = {
        "agent_number": agent.agent_number,
        "state": str(agent.state),
        "reason": agent.reason,
        "since": _iso(agent.since),
        "extension": agent.extension,
        "wrap_up_until": None,
        "wrap_up_remaining_s": None,
        "wrap_up_s": None,
        "call": None,
    }
    if agent.state is AgentState.wrap_up and agent.wrap_up_until is not None:
        out["wrap_up_until"] = _iso(agent.wrap_up_until)
        out["wrap_up_remaining_s"] = max(0, round((agent.wrap_up_until - now).total_seconds()))
        if agent.since is not None:
            out["wrap_up_s"] = round((agent.wrap_up_until - agent.since).total_seconds())
    call = next(
        (c for c in ctrl.calls.values() if c.agent_number == agent.agent_number and not c.ended),
        None,
    )
    invited_by = None
    if call is None and agent.call_id in ctrl.calls:
        call = ctrl.calls[agent.call_id]  # consult / three-way leg of another agent's call
        invited_by = call.agent_number
    if call is not None and agent.state in (AgentState.ringing, AgentState.in_call):
        out["call"] = {
            "call_uuid": call.uuid,
            "caller": call.caller,
            "called": call.called,
            "skill_group": call.skill_group,
            "ivr_path": list(call.ivr_path),
            "conference": call.conference,
            "consult_with": None if invited_by else getattr(call, "consult_with", None),
            "invited_by": invited_by,  # consulted by / brought into a three-way by that agent
            "held": call.held_since is not None,
            "connected": agent.state is AgentState.in_call,
            "connected_at": _iso(agent.since) if agent.state is AgentState.in_call else None,
        }
    elif agent.call_id in ctrl.outbound_calls and agent.state is AgentState.in_call:
        out["call"] = {
            "call_uuid": agent.call_id,
            "caller": ctrl.callback_caller_id,
            "called": None,
            "direction": "outbound",
            "held": False,
            "connected": True,
            "connected_at": _iso(agent.since),
        }
    return out


HANDLERS = {
    "login": login,
    "logout": logout,
    "ready": ready,
    "not_ready": not_ready,
    "answer": answer,
    "hangup": hangup,
    "hold": hold,
    "retrieve": retrieve,
    "transfer": transfer,
    "consult": consult,
    "consult_complete": consult_complete,
    "consult_cancel": consult_cancel,
    "three_way": three_way,
    "message": message,
    "callback": callback,
    "eavesdrop": eavesdrop,
    "status": status,
}
