"""Live suggestions from the call: a simulated citizen speaks (a recorded fixture call streamed into the
recording), `hotline asr live` transcribes it as it is written, the agent desk's knowledge panel shows the
running transcript and suggestions drawn from what the citizen said, and one of them is cited."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from switch.simulator import CallerScript
from switch.simulator.audio import AUDIO_DIR
from tests.conftest import REDIS_TEST_URL
from tests.web.conftest import ROOT, _stop, shot
from tests.web.test_call_flow import _headers, _wait_controller

pytestmark = pytest.mark.browser

FIXTURE = AUDIO_DIR / "call_standard.wav"


@pytest.fixture(scope="module")
def live_asr(base_url, web_db, web_data_dir, bus_namespace, tmp_path_factory):
    """`hotline asr live` on the app's database and bus (its own process, the model loaded once)."""
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": web_db,
        "HOTLINE_REDIS_URL": REDIS_TEST_URL,
        "HOTLINE_DATA_DIR": str(web_data_dir),
        "HOTLINE_LOG_JSON": "false",
        "HOTLINE_EXTRA": json.dumps({"bus_namespace": bus_namespace}),
        "HF_HUB_OFFLINE": "1",
    }
    log_path = Path(tmp_path_factory.mktemp("livelog")) / "asr-live.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "asr", "live"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # the knowledge's passage vectors, as the embedded platform's worker computes them (no worker here):
    # a whole spoken sentence is then matched by meaning, not only by the words it shares
    subprocess.run(
        [sys.executable, "-m", "api.cli", "kb", "rebuild"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    deadline = time.monotonic() + 180
    while "live transcription ready" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc, log)
            pytest.fail(f"实时转写进程未能启动，见 {log_path}")
        time.sleep(0.5)
    yield log_path
    _stop(proc, log)


def test_knowledge_panel_follows_the_citizen_live(login, base_url, switchboard, live_asr):
    _wait_controller(base_url)
    for n in range(2, 13):  # only agent01 takes the call
        httpx.post(
            f"{base_url}/api/softphone/logout",
            json={},
            headers=_headers(base_url, f"agent{n:02d}"),
            timeout=10,
        )
    agent = login("agent01")
    expect(agent).to_have_url(re.compile(r"/agent$"))
    state = agent.locator("[data-test=agent-state]")
    expect(state).to_have_text(re.compile("未签入|空闲"))
    if state.inner_text().strip() == "未签入":
        agent.locator("input[data-test=extension], [data-test=extension] input").first.fill("8001")
        agent.click("[data-test=phone-login]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("空闲")
    panel = agent.locator("[data-test=knowledge-panel]")
    expect(panel.locator("[data-test=live-transcript]")).to_contain_text("通话接通后")

    caller = f"1397771{uuid.uuid4().int % 10000:04d}"
    switchboard.call(
        CallerScript(number=caller, digits=["1"], talk_seconds=600, hangup_by="agent", audio=str(FIXTURE))
    )
    expect(agent.locator("[data-test=screen-pop]")).to_contain_text(caller, timeout=30_000)
    expect(agent.locator("[data-test=agent-state]")).to_have_text("振铃", timeout=15_000)
    agent.click("[data-test=phone-answer]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("通话中", timeout=15_000)

    # the recording grows from the answer on: the agent's greeting, then the citizen's street light
    lines = panel.locator("[data-test=transcript-line]")
    expect(lines.filter(has_text="坐席").first).to_contain_text("很高兴", timeout=60_000)
    citizen = lines.filter(has_text="来电人").filter(has_text="楼下").first
    expect(citizen).to_contain_text("好几天", timeout=60_000)

    # suggestions refreshed from what the citizen said (the form is still empty), each one citeable
    expect(panel.locator("[data-test=kp-from-call]")).to_contain_text("楼下", timeout=30_000)
    hits = panel.locator("[data-test=kb-hit]")
    expect(hits.first).to_contain_text("路灯")
    form = agent.locator("[data-test=ticket-form]")
    assert form.get_by_label("标题").input_value() == "" and form.get_by_label("诉求内容").input_value() == ""
    cite = panel.locator("[data-test=kp-cite]").first
    cite.click()
    expect(cite).to_have_text("已引用")
    shot(agent, "agent-desk-live-transcript")

    agent.click("[data-test=phone-hangup]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    assert "transcript published" in live_asr.read_text(errors="replace")
