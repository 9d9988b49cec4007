"""Controller call features against the simulator over real TCP: IVR self-service ticket progress,
attended transfer (consult → complete / cancel), hold intervals, the survey switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until


@pytest.fixture
def rig(pg_url: str, tmp_path: Path):
    r = Rig(pg_url, tmp_path)
    yield r
    r.close()


def _playbacks(rig: Rig) -> dict[str, list[str]]:
    """Every file the simulator played, per channel (from its PLAYBACK_START events)."""
    played: dict[str, list[str]] = {}

    def listen(event) -> None:
        h = dict(event.headers)
        if h.get("Event-Name") == "PLAYBACK_START":
            played.setdefault(h.get("Unique-ID", ""), []).append(h.get("Playback-File-Path", ""))

    rig.sim.run(rig.sim.fs.listeners.append, listen)
    return played


def _ticket(rig: Rig, phone: str) -> str:
    from models.org import User
    from models.scope import scope_for
    from tickets import service as tickets

    with rig.sessions() as db:
        admin = db.scalar(select(User).where(User.username == "admin"))
        ticket = tickets.accept(
            db,
            scope_for(db, admin),
            channel="web",
            citizen_phone=phone,
            appeal_type="consultation",
            title="小区路灯不亮",
            content="某小区路灯连续三晚不亮",
        )
        db.commit()
        return ticket.number


def test_self_service_reads_the_ticket_status_to_its_caller(rig: Rig) -> None:
    from switch import prompts

    phone = "13877730001"
    number = _ticket(rig, phone)
    digits = "".join(ch for ch in number if ch.isdigit())
    played = _playbacks(rig)
    # 4 → ticket progress; the ticket number; back in the main menu the caller hangs up (no more digits)
    uuid = rig.sim.call(
        CallerScript(number=phone, digits=["4", f"{digits}#"], talk_seconds=1, max_seconds=40)
    )
    wait_until(
        lambda: any(e["type"] == "self_service" and e["call_uuid"] == uuid for e in rig.events),
        30,
        "self-service answered",
    )
    answer = next(e for e in rig.events if e["type"] == "self_service" and e["call_uuid"] == uuid)["prompt"]
    assert answer.startswith("say:您查询的工单") and digits[-6:] in answer and "已受理" in answer
    # the caller hears that answer: its spoken rendering (or the stand-in tone without a voice) is played
    heard = str(prompts.prompt_file(answer[4:])) if prompts.espeak() else prompts.TONE
    wait_until(lambda: heard in played.get(uuid, []), 30, "answer played")
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(uuid, "NORMAL_CLEARING", "recv_bye"))])
    call = rig.wait_cdr_closed(uuid)
    assert call.ivr_path.startswith("4 > ") and call.agent_number is None


def test_self_service_keeps_the_status_from_other_callers(rig: Rig) -> None:
    number = _ticket(rig, "13877730002")
    digits = "".join(ch for ch in number if ch.isdigit())
    uuid = rig.sim.call(CallerScript(number="13877730003", digits=["4", f"{digits}#"], max_seconds=30))
    wait_until(
        lambda: any(e["type"] == "self_service" and e["call_uuid"] == uuid for e in rig.events),
        30,
        "self-service answered",
    )
    answer = next(e for e in rig.events if e["type"] == "self_service" and e["call_uuid"] == uuid)["prompt"]
    assert "隐私" in answer and "状态" not in answer
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(uuid, "NORMAL_CLEARING", "recv_bye"))])
    rig.wait_cdr_closed(uuid)


def ready_colleague(rig: Rig, agent: str) -> str:
    return next(
        a.agent_number
        for a in rig.ctrl.acd.agents.values()
        if a.agent_number != agent and a.state.value == "ready"
    )


def start_three_way(rig: Rig, agent: str) -> tuple[str, str]:
    """The agent brings a ready colleague into a three-way; (colleague, room) once all three are in."""
    third = ready_colleague(rig, agent)
    reply = rig.request("three_way", agent_number=agent, target=third)
    assert reply["ok"], reply
    room = reply["conference"]
    wait_until(
        lambda: room in rig.sim.fs.conferences and len(rig.sim.fs.conferences[room].members) == 3,
        30,
        "three members",
    )
    return third, room


def _consulting(rig: Rig, number: str) -> tuple[str, str, str, str, str]:
    """A connected call whose agent consults a colleague who answers: (caller uuid, agent, first leg,
    colleague, consulted leg)."""
    uuid = rig.sim.call(CallerScript(number=number, digits=["1"], talk_seconds=300))
    agent = rig.wait_connected(uuid)
    first = rig.ctrl.calls[uuid].agent_leg
    colleague = ready_colleague(rig, agent)
    assert rig.request("consult_complete", agent_number=agent)["status"] == 409  # no consult yet
    reply = rig.request("consult", agent_number=agent, target=colleague)
    assert reply["ok"], reply
    assert rig.request("consult", agent_number=agent, target=colleague)["status"] == 409
    wait_until(lambda: rig.ctrl.calls[uuid].consult_answered, 30, "colleague answered")
    call = rig.ctrl.calls[uuid]
    assert rig.ctrl.acd.agents[colleague].state.value == "in_call"
    room = rig.sim.fs.conferences[reply["conference"]]
    assert set(room.members) == {first, call.consult_leg}  # the two agents talk, the caller waits
    return uuid, agent, first, colleague, call.consult_leg


def _bridged(rig: Rig, a: str, b: str) -> bool:
    ch = rig.sim.fs.channels.get(a)
    return ch is not None and ch.partner == b and getattr(ch, "bridged", False)


def _hang_up(rig: Rig, leg: str) -> None:
    rig.sim.run(lambda: [rig.sim.fs.spawn(rig.sim.fs.hangup(leg, "NORMAL_CLEARING", "recv_bye"))])


def test_consult_then_complete_hands_the_caller_over(rig: Rig) -> None:
    uuid, agent, first, colleague, leg = _consulting(rig, "13877730011")
    reply = rig.request("consult_complete", agent_number=agent)
    assert reply["ok"] and reply["transferred_to"] == f"坐席{colleague}", reply
    wait_until(lambda: _bridged(rig, uuid, leg), 20, "caller bridged to the colleague")
    wait_until(
        lambda: first not in rig.sim.fs.channels or rig.sim.fs.channels[first].gone, 20, "first leg gone"
    )
    wait_until(lambda: not rig.sim.fs.conferences, 20, "consult room closed")
    assert rig.ctrl.acd.agents[agent].state.value in ("wrap_up", "ready")
    assert rig.ctrl.acd.agents[colleague].state.value == "in_call"
    assert rig.request("consult_cancel", agent_number=colleague)["status"] == 409  # nothing to cancel now
    assert rig.request("hold", agent_number=colleague)["ok"]  # the colleague now owns the call
    assert rig.request("retrieve", agent_number=colleague)["ok"]
    assert rig.request("hangup", agent_number=colleague)["ok"]
    call = rig.wait_cdr_closed(uuid)
    assert call.agent_number == colleague and call.transferred_to == f"坐席{colleague}"
    assert call.disposition == "answered"
    wait_until(lambda: rig.ctrl.acd.agents[colleague].state.value != "in_call", 20, "colleague released")


def test_consult_cancel_gives_the_caller_back(rig: Rig) -> None:
    uuid, agent, first, colleague, leg = _consulting(rig, "13877730012")
    reply = rig.request("consult_cancel", agent_number=agent)
    assert reply["ok"], reply
    wait_until(lambda: _bridged(rig, uuid, first), 20, "caller back with the first agent")
    wait_until(lambda: rig.sim.fs.channels[leg].gone, 20, "consulted leg hung up")
    wait_until(lambda: rig.ctrl.acd.agents[colleague].state.value != "in_call", 20, "colleague released")
    assert rig.ctrl.acd.agents[agent].state.value == "in_call"
    assert rig.ctrl.calls[uuid].conference is None and rig.ctrl.calls[uuid].agent_leg == first
    assert rig.request("hangup", agent_number=agent)["ok"]
    call = rig.wait_cdr_closed(uuid)
    assert call.agent_number == agent and call.transferred_to is None


def test_caller_hangs_up_during_consult(rig: Rig) -> None:
    uuid, agent, first, colleague, leg = _consulting(rig, "13877730013")
    _hang_up(rig, uuid)
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "answered" and call.agent_number == agent
    wait_until(lambda: not rig.sim.fs.conferences, 20, "consult room closed")
    wait_until(lambda: rig.sim.fs.channels[first].gone and rig.sim.fs.channels[leg].gone, 20, "legs gone")
    for number in (agent, colleague):
        wait_until(lambda n=number: rig.ctrl.acd.agents[n].state.value != "in_call", 20, f"{number} released")
    assert uuid not in rig.ctrl.calls and not rig.ctrl.conference_legs


def test_consulted_party_hangs_up_and_the_caller_is_retrieved(rig: Rig) -> None:
    uuid, agent, first, colleague, leg = _consulting(rig, "13877730014")
    _hang_up(rig, leg)
    wait_until(lambda: _bridged(rig, uuid, first), 20, "caller back with the first agent")
    wait_until(lambda: rig.ctrl.acd.agents[colleague].state.value != "in_call", 20, "colleague released")
    assert rig.request("hangup", agent_number=agent)["ok"]
    assert rig.wait_cdr_closed(uuid).agent_number == agent


def test_first_agent_hangs_up_during_consult_and_the_colleague_takes_the_call(rig: Rig) -> None:
    uuid, agent, first, colleague, leg = _consulting(rig, "13877730015")
    assert rig.request("hangup", agent_number=agent)["ok"]
    wait_until(lambda: _bridged(rig, uuid, leg), 20, "caller bridged to the colleague")
    wait_until(lambda: rig.ctrl.acd.agents[agent].state.value != "in_call", 20, "first agent released")
    _hang_up(rig, uuid)
    call = rig.wait_cdr_closed(uuid)
    assert call.agent_number == colleague and call.transferred_to == f"坐席{colleague}"
    wait_until(lambda: rig.ctrl.acd.agents[colleague].state.value != "in_call", 20, "colleague released")


def test_three_way_ends_when_both_agents_leave(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877730016", digits=["1"], talk_seconds=300))
    agent = rig.wait_connected(uuid)
    third, room = start_three_way(rig, agent)
    assert rig.request("hangup", agent_number=agent)["ok"]  # the first agent leaves; caller and third go on
    wait_until(lambda: rig.ctrl.acd.agents[agent].state.value != "in_call", 20, "first agent released")
    assert len(rig.sim.fs.conferences[room].members) == 2 and not rig.sim.fs.channels[uuid].gone
    third_leg = next(leg for leg in rig.sim.fs.conferences[room].members if leg != uuid)
    _hang_up(rig, third_leg)  # the caller would be alone in the room: the call ends
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "answered"
    wait_until(lambda: room not in rig.sim.fs.conferences, 20, "room closed")
    wait_until(lambda: rig.ctrl.acd.agents[third].state.value != "in_call", 20, "third released")


def test_hold_intervals_reach_the_cdr_and_qa_dead_air(rig: Rig) -> None:
    """hold in a call → the intervals on the CDR → QA's scorer leaves the hold out of dead air."""
    import gevent

    from assist.qa import service
    from assist.qa.tasks import call_holds
    from models.calls import Recording
    from models.qa import Transcript, TranscriptSegment

    uuid = rig.sim.call(CallerScript(number="13877730031", digits=["1"], talk_seconds=300))
    agent = rig.wait_connected(uuid)
    gevent.sleep(4.5)  # speech before the hold (QA offsets count from the recording's start)
    assert rig.request("hold", agent_number=agent)["ok"]
    gevent.sleep(1.5)
    assert rig.request("retrieve", agent_number=agent)["ok"]
    assert rig.request("hold", agent_number=agent)["ok"]
    gevent.sleep(0.5)
    assert rig.request("hangup", agent_number=agent)["ok"]  # hung up while on hold: that hold ends too
    call = rig.wait_cdr_closed(uuid)
    assert call.holds is not None and len(call.holds) == 2
    (a1, b1), (a2, b2) = call.holds
    assert 1.2 < b1 - a1 < 4 and b1 <= a2 < b2
    assert abs(call.hold_s - ((b1 - a1) + (b2 - a2))) < 0.3
    with rig.sessions() as db:
        rec = db.scalar(select(Recording).where(Recording.call_uuid == uuid))
        t = Transcript(
            tenant_id=call.tenant_id,
            call_id=call.id,
            recording_id=rec.id,
            recording_path=rec.path,
            status="done",
            duration_s=20.0,
        )
        db.add(t)
        db.flush()
        holds = call_holds(db, t)
        assert len(holds) == 2 and 4 < holds[0][0] < 6 and abs((holds[0][1] - holds[0][0]) - (b1 - a1)) < 0.01
        hs, he = holds[0]
        # speech stops 4 s before the hold and starts again 4.5 s after it: more than 8 s of silence,
        # but outside the hold only 4 s and 4.5 s
        for idx, (speaker, start, end, text) in enumerate(
            [
                ("agent", 0.0, hs - 4, "您好，12345热线"),
                ("citizen", he + 4.5, he + 6, "好的，谢谢"),
            ]
        ):
            db.add(
                TranscriptSegment(
                    transcript_id=t.id, idx=idx, speaker=speaker, start=start, end=end, text=text, words=[]
                )
            )
        db.flush()
        db.refresh(t)
        without = service.score_transcript(db, t, holds=[])
        assert "dead_air" in {d.rule_code for d in without.deductions}
        from models.org import User
        from models.scope import scope_for

        admin = scope_for(db, db.scalar(select(User).where(User.username == "admin")))
        with_holds = service.score_transcript(
            db, t, holds=holds, force=True, actor=admin
        )  # 1st may be in review
        assert "dead_air" not in {d.rule_code for d in with_holds.deductions}
        db.rollback()


def test_transfer_to_an_agent_goes_through_the_acd(rig: Rig) -> None:
    uuid = rig.sim.call(CallerScript(number="13877730041", digits=["1"], talk_seconds=300))
    agent = rig.wait_connected(uuid)
    others = [a for a in rig.ctrl.acd.agents.values() if a.agent_number != agent and a.state.value == "ready"]
    busy, target = others[0].agent_number, others[1].agent_number
    rig.ctrl.apply_acd(rig.ctrl.acd.set_not_ready(busy, "会议"))
    refused = rig.request("transfer", agent_number=agent, target_type="agent", target=busy)
    assert refused["status"] == 409 and refused["field"] == "target"
    assert rig.ctrl.calls[uuid].agent_number == agent  # the refusal changed nothing
    assert rig.ctrl.acd.agents[agent].state.value == "in_call"
    reply = rig.request("transfer", agent_number=agent, target_type="agent", target=target)
    assert reply["ok"] and reply["transferred_to"] == f"坐席{target}", reply
    wait_until(lambda: rig.ctrl.calls[uuid].bridges == 2, 30, "second agent connected")
    assert rig.ctrl.calls[uuid].agent_number == target
    assert rig.ctrl.acd.agents[agent].state.value in ("wrap_up", "ready")
    assert rig.request("hangup", agent_number=target)["ok"]
    call = rig.wait_cdr_closed(uuid)
    assert (
        call.agent_number == target
        and call.transferred_to == f"坐席{target}"
        and call.disposition == "answered"
    )


def test_after_hours_without_voicemail_is_closed(pg_url: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from models.org import User
    from models.scope import scope_for
    from switch import store
    from tests.switch.rig import ScaledClock

    sunday_night = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # 23:00 in Nanning
    r = Rig(pg_url, tmp_path, clock=ScaledClock(1, sunday_night))
    tenant = r.ctrl.acd.config.tenant_for_called("123451")
    keep = ("ivr_menu_id", "default_group_id", "always_open", "timezone", "windows", "after_hours", "prompts")

    def put(**change) -> None:
        with r.sessions() as db:
            scope = scope_for(db, db.scalar(select(User).where(User.username == "admin")))
            s = store.get_settings(db, scope, tenant.tenant_id)
            store.put_settings(db, scope, tenant.tenant_id, **{**{k: getattr(s, k) for k in keep}, **change})
            db.commit()
        r.ctrl.reload_config()

    try:
        put(after_hours="hangup")
        uuid = r.sim.call(CallerScript(number="13877730061", destination="123451", talk_seconds=3))
        call = r.wait_cdr_closed(uuid)
        assert call.disposition == "closed" and call.agent_number is None
    finally:
        put(after_hours="voicemail")
        r.close()
