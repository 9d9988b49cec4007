"""The supervisor's monitor page drives listen / whisper / barge on an agent's live call: the supervisor's
extension is rung with an eavesdrop leg on the agent's leg in the simulator, and the mode follows each click.
The queue monitor shows the 20-second service level the controller publishes."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from switch.simulator import CallerScript
from tests.web.conftest import shot
from tests.web.test_call_flow import _headers
from tests.web.test_softphone import hang_up_caller, legs_to, new_caller, only_ready, sim, softphone, wait_sim

pytestmark = pytest.mark.browser


def wait_state(base_url: str, user: str, state: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    body: dict = {}
    while time.monotonic() < deadline:
        body = httpx.get(f"{base_url}/api/softphone/me", headers=_headers(base_url, user), timeout=15).json()
        if body.get("state") == state:
            return body
        time.sleep(0.3)
    raise AssertionError(f"{user} not {state}: {body}")


def eavesdroppers(agent_extension: str):
    """(mode, target name) of the live legs eavesdropping on the agent's leg to `agent_extension`."""

    def find(fs):
        agent_legs = {ch.uuid for ch in legs_to(agent_extension)(fs)}
        return [
            (getattr(ch, "eavesdrop_mode", None), ch.destination)
            for ch in fs.live_channels()
            if ch.eavesdrop_target in agent_legs
        ]

    return find


def test_supervisor_listens_whispers_and_barges(login, base_url, switchboard):
    only_ready(base_url, "1004")
    assert softphone(base_url, "agent04", "login", extension="8004", ready=True).status_code == 200
    caller = new_caller("1357772")
    switchboard.call(CallerScript(number=caller, digits=["1"], talk_seconds=600, hangup_by="agent"))
    wait_state(base_url, "agent04", "ringing")
    assert softphone(base_url, "agent04", "answer").status_code == 200
    wait_state(base_url, "agent04", "in_call")

    boss = login("supervisor")
    expect(boss).to_have_url(re.compile(r"/monitor$"))
    expect(boss.locator("[data-test=agent-state-1004]")).to_have_text("通话中")
    boss.locator("[data-test=supervisor-extension] input, input[data-test=supervisor-extension]").first.fill(
        "8100"
    )

    boss.click("[data-test=listen-1004]")
    expect(boss.get_by_text("正在监听坐席 1004")).to_be_visible()
    # the supervisor's phone (8100) rings; once answered its leg eavesdrops on the agent's leg
    assert wait_sim(
        switchboard, lambda fs: [m for m in eavesdroppers("8004")(fs) if m == ("listen", "8100")], "listen"
    )
    boss.click("[data-test=whisper-1004]")
    expect(boss.get_by_text("耳语中")).to_be_visible()
    assert wait_sim(switchboard, lambda fs: ("whisper", "8100") in eavesdroppers("8004")(fs), "whisper")
    boss.click("[data-test=barge-1004]")
    expect(boss.get_by_text("已插话")).to_be_visible()
    assert wait_sim(switchboard, lambda fs: ("barge", "8100") in eavesdroppers("8004")(fs), "barge")
    assert len(sim(switchboard, eavesdroppers("8004"))) == 1  # one leg, its mode switched
    shot(boss, "supervisor-barge")

    # the queue monitor shows the 20-second service level for the group the call went through
    sl = boss.locator("[data-test=queue-sl-general]")
    expect(sl).to_have_text(re.compile(r"^\d+%$"), timeout=20_000)

    assert softphone(base_url, "agent04", "hangup").status_code == 200
    hang_up_caller(switchboard, caller)
    # the agent's leg is gone, and with it the supervisor's eavesdrop leg
    assert wait_sim(switchboard, lambda fs: not legs_to("8100")(fs) or None, "supervisor leg hung up")
    softphone(base_url, "agent04", "logout")
    boss.goto("/wallboard")
    expect(boss.locator("[data-test=wall-sl-general]")).to_have_text(re.compile(r"^\d+%$"), timeout=20_000)
    shot(boss, "wallboard-service-level")
