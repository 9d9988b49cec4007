"""The controller (greenswitch, gevent) against the simulator over real TCP, CDRs in PostgreSQL, commands over Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import gevent
import pytest
from sqlalchemy import select

from models.calls import BlacklistAttempt, MissedCall, Recording, Voicemail
from switch.simulator import CallerScript
from tests.switch.rig import Rig, ScaledClock, wait_until
from tests.switch.test_call_features import start_three_way


@pytest.fixture
def rig(pg_url: str, tmp_path: Path):
    r = Rig(pg_url, tmp_path)
    yield r
    r.close()


def test_ivr_queue_agent_recording_and_survey(rig: Rig) -> None:
    uuid = rig.sim.call(
        CallerScript(number="13877710001", destination="12345", digits=["1", "1"], talk_seconds=8)
    )
    agent = rig.wait_connected(uuid)
    assert agent in {a.agent_number for a in rig.ctrl.acd.agents.values() if "general" in a.skills}
    pop = next(e for e in rig.events if e["type"] == "screen_pop" and e["call_uuid"] == uuid)
    assert pop["caller"] == "13877710001" and pop["queue"] == "general" and pop["ivr_path"] == ["1"]
    assert isinstance(pop["past_tickets"], list)
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "answered"
    assert call.agent_number == agent and call.talk_s and call.talk_s > 0
    assert call.queue_entered_at is not None and call.wait_s is not None
    assert call.ivr_path == "1"
    assert call.satisfaction == 5  # survey: caller keyed 1
    with rig.sessions() as db:
        rec = db.scalar(select(Recording).where(Recording.call_uuid == uuid))
    assert rec is not None and Path(rec.path).is_file() and rec.duration_s is not None
    import wave

    with wave.open(rec.path) as w:
        assert w.getnchannels() == 2


def test_ivr_submenu_routes_to_the_best_skilled_agent(rig: Rig) -> None:
    # 3 → enterprise menu, 2 → complaint queue with priority 5
    uuid = rig.sim.call(CallerScript(number="13877710002", digits=["3", "2", "1"], talk_seconds=4))
    agent = rig.wait_connected(uuid)
    skilled = {
        a.agent_number: a.skills["complaint"] for a in rig.ctrl.acd.agents.values() if "complaint" in a.skills
    }
    assert agent in skilled and skilled[agent] == max(skilled.values())
    call = rig.wait_cdr_closed(uuid)
    assert call.ivr_path == "3 > 2" and call.priority == 5 and call.skill_group.code == "complaint"


def test_blacklisted_caller_is_rejected_and_logged(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13000000000"))
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "blacklisted" and call.agent_number is None
    with rig.sessions() as db:
        assert db.scalar(select(BlacklistAttempt).where(BlacklistAttempt.call_uuid == uuid)) is not None


def test_abandon_in_queue_is_recorded(rig: Rig) -> None:
    for agent in list(rig.ctrl.acd.agents.values()):
        rig.ctrl.apply_acd(rig.ctrl.acd.set_not_ready(agent.agent_number, "会议"))
    uuid = rig.sim.call(CallerScript(number="13877710003", digits=["1"], patience=6))
    wait_until(
        lambda: any(e["type"] == "queue_position" and e["call_uuid"] == uuid for e in rig.events),
        20,
        "queue position announced",
    )
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "abandoned" and call.abandon_stage == "queue"
    with rig.sessions() as db:
        assert db.scalar(select(MissedCall).where(MissedCall.call_uuid == uuid)) is not None


def test_busy_agent_is_a_missed_call_and_the_next_agent_gets_it(rig: Rig) -> None:
    ready = [a for a in rig.ctrl.acd.agents.values() if "general" in a.skills]
    best = max(ready, key=lambda a: a.skills["general"])
    for a in rig.ctrl.acd.agents.values():
        if a is not best and "general" not in a.skills:
            continue
    rig.sim.fs.endpoints[best.extension].mode = "busy"
    uuid = rig.sim.call(CallerScript(number="13877710004", digits=["1"], talk_seconds=3))
    agent = rig.wait_connected(uuid)
    assert agent != best.agent_number
    rig.wait_cdr_closed(uuid)
    with rig.sessions() as db:
        missed = db.scalar(
            select(MissedCall).where(MissedCall.call_uuid == uuid, MissedCall.kind == "missed")
        )
    assert missed is not None and missed.agent_user_id == best.user_id


def test_hold_retrieve_and_transfer_to_a_group(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877710005", digits=["1"], talk_seconds=30))
    agent = rig.wait_connected(uuid)
    assert rig.request("hold", agent_number=agent)["ok"]
    assert rig.request("hold", agent_number=agent) == {
        "ok": False,
        "status": 409,
        "detail": "通话已在保持中",
        "field": "agent_number",
    }
    gevent.sleep(1)
    reply = rig.request("retrieve", agent_number=agent)
    assert reply["ok"] and reply["hold_s"] > 0
    reply = rig.request("transfer", agent_number=agent, target_type="group", target="complaint")
    assert reply["ok"], reply
    wait_until(lambda: (c := rig.ctrl.calls.get(uuid)) is not None and c.bridges == 2, 30, "second agent")
    second = rig.ctrl.calls[uuid].agent_number
    assert "complaint" in rig.ctrl.acd.agents[second].skills
    rig.sim.run(lambda: setattr(rig.sim.fs.channels[uuid].script, "talk_seconds", 2))
    call = rig.wait_cdr_closed(uuid, 90)
    assert call.transferred_to == "技能组complaint" and call.hold_s > 0
    assert call.agent_number == second and call.disposition == "answered"


def test_transfer_to_another_citys_12345(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877710006", digits=["1"], talk_seconds=30))
    agent = rig.wait_connected(uuid)
    bad = rig.request("transfer", agent_number=agent, target_type="city", target="桂林")
    assert bad["status"] == 422 and bad["field"] == "target"
    assert rig.request("transfer", agent_number=agent, target_type="city", target="0773")["ok"]
    wait_until(
        lambda: any(c.name.startswith("sofia/gateway/trunk/077312345") for c in rig.sim.fs.live_channels()),
        20,
        "external leg",
    )
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(uuid, "NORMAL_CLEARING", "recv_bye"))])
    call = rig.wait_cdr_closed(uuid)
    assert call.transferred_to == "077312345"
    assert rig.ctrl.acd.agents[agent].state.value in ("wrap_up", "ready")


def test_three_way_and_supervisor_listen_whisper_barge(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877710007", digits=["1"], talk_seconds=120))
    agent = rig.wait_connected(uuid)
    listen = rig.request("eavesdrop", extension="8100", target=agent, mode="listen")
    assert listen["ok"], listen
    leg = listen["supervisor_leg"]
    wait_until(
        lambda: getattr(rig.sim.fs.channels.get(leg), "eavesdrop_target", None) is not None, 20, "listening"
    )
    assert rig.request("eavesdrop", extension="8100", target=agent, mode="whisper")["ok"]
    wait_until(lambda: getattr(rig.sim.fs.channels[leg], "eavesdrop_mode", "") == "whisper", 10, "whisper")
    assert rig.request("eavesdrop", extension="8100", target=agent, mode="barge")["ok"]
    wait_until(lambda: getattr(rig.sim.fs.channels[leg], "eavesdrop_mode", "") == "barge", 10, "barge")
    third, room = start_three_way(rig, agent)
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(uuid, "NORMAL_CLEARING", "recv_bye"))])
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "answered"
    wait_until(lambda: room not in rig.sim.fs.conferences, 20, "conference closed")
    wait_until(lambda: rig.ctrl.acd.agents[third].state.value != "in_call", 20, "third party released")


def test_callback_uses_the_centre_caller_id(rig: Rig) -> None:
    agent = next(iter(rig.ctrl.acd.agents.values())).agent_number
    reply = rig.request("callback", agent_number=agent, number="13877710099")
    assert reply["ok"] and reply["caller_id"] == "077112345"
    wait_until(
        lambda: any(c.name.endswith("13877710099") for c in rig.sim.fs.live_channels()), 20, "citizen rung"
    )
    ext = next(c for c in rig.sim.fs.live_channels() if c.name.endswith("13877710099"))
    assert ext.caller_number == "077112345"
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(ext.uuid, "NORMAL_CLEARING", "recv_bye"))])
    wait_until(
        lambda: (c := rig.cdr(reply["call_uuid"])) is not None and c.ended_at is not None, 30, "callback CDR"
    )
    call = rig.cdr(reply["call_uuid"])
    assert call.direction == "outbound" and call.caller == "077112345"


def test_message_between_agents(rig: Rig) -> None:
    agents = list(rig.ctrl.acd.agents)
    assert rig.request("message", agent_number=agents[0], to_agent=agents[1], text="请帮忙看一下 3 号工单")[
        "ok"
    ]
    assert any(e["type"] == "message" and e["agent_number"] == agents[1] for e in rig.events)
    assert rig.request("message", agent_number=agents[0], to_agent="9999", text="x")["status"] == 404


def test_controller_restart_mid_call_loses_no_cdr(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877710008", digits=["1", "2"], talk_seconds=10))
    agent = rig.wait_connected(uuid)
    rig.stop_controller()
    gevent.sleep(0.5)
    rig.ctrl = rig.start_controller()  # a new controller: agents from agent_status, calls from FreeSWITCH
    assert uuid in rig.ctrl.calls and rig.ctrl.calls[uuid].agent_number == agent
    others = [a for a in rig.ctrl.acd.agents.values() if a.agent_number != agent]
    assert all(a.state.value == "ready" for a in others)
    assert rig.ctrl.acd.agents[agent].state.value == "in_call"
    call = rig.wait_cdr_closed(uuid, 60)
    assert call.disposition == "answered" and call.agent_number == agent and call.talk_s > 0


def test_overflow_to_another_group(pg_url: str, tmp_path: Path) -> None:
    r = Rig(pg_url, tmp_path, clock=ScaledClock(20), ready=False)
    try:
        acd = r.ctrl.acd
        general_only = next(a for a in acd.agents.values() if set(a.skills) == {"general"})
        r.ctrl.apply_acd(acd.login(general_only.agent_number, extension=general_only.extension, ready=True))
        uuid = r.sim.call(CallerScript(number="13877710009", digits=["2"], talk_seconds=3, patience=600))
        agent = r.wait_connected(uuid, 30)  # complaint waits 60 s (3 s here), then overflows to general
        assert agent == general_only.agent_number
        call = r.wait_cdr_closed(uuid)
        assert call.overflowed_to == "general"
    finally:
        r.close()


def test_after_hours_voicemail(pg_url: str, tmp_path: Path) -> None:
    sunday_night = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # 23:00 in Nanning, a Sunday
    r = Rig(pg_url, tmp_path, clock=ScaledClock(1, sunday_night))
    try:
        uuid = r.sim.call(CallerScript(number="13877710010", destination="123451", talk_seconds=3))
        call = r.wait_cdr_closed(uuid)
        assert call.disposition == "voicemail" and call.agent_number is None
        with r.sessions() as db:
            vm = db.scalar(select(Voicemail).where(Voicemail.call_uuid == uuid))
        assert vm is not None and vm.reason == "after_hours"
        assert vm.path and Path(vm.path).is_file() and vm.duration_s >= 2  # the caller spoke for 3 s
    finally:
        r.close()
