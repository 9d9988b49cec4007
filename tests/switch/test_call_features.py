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
