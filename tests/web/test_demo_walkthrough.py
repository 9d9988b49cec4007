"""The README's run command, walked through: `hotline up` on the embedded default (SQLite, embedded Redis,
simulator with demo traffic whose calls carry recorded conversations) — agent01 answers a demo call on the
desk and sees the live transcript and suggestions, the supervisor sees agents and the 20-second service
level, and the QA list has calls scored from their transcripts. Nothing of the test's own services is used."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from api.demo import DEMO_PASSWORD
from tests.web.conftest import ROOT, _free_port, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`hotline up` as a fresh machine runs it: no HOTLINE_* settings but a data dir and free ports."""
    data_dir = tmp_path_factory.mktemp("embedded")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_ESL_PORT": str(_free_port()),
        "HOTLINE_DEMO_CALLS_PER_MINUTE": "4",  # sooner a call for the desk; the share of speaking calls as shipped
        "HF_HUB_OFFLINE": "1",
    }
    log_path = data_dir / "up.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "up", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its children (worker, simulator, live ASR, web, redis) stop with it
    )
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    while True:
        text = log_path.read_text(errors="replace")
        try:
            up = httpx.get(f"{base}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            up = False
        if up and "演示话务已启动" in text:
            break
        if proc.poll() is not None or time.monotonic() - started > 120:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"hotline up 未能就绪，见 {log_path}")
        time.sleep(0.5)
    print(f"\nhotline up ready in {time.monotonic() - started:.1f} s")
    yield base, log_path
    proc.terminate()  # the launcher stops its children in order
    try:
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
        log.close()


@pytest.fixture(scope="module")
def base_url(embedded) -> str:
    return embedded[0]


def _token(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_embedded_demo_walkthrough(login, embedded):
    base, log_path = embedded

    # agent01 is left to the desk: signs in, a demo call rings, answered here; the citizen speaks
    agent = login("agent01")
    expect(agent).to_have_url(re.compile(r"/agent$"))
    state = agent.locator("[data-test=agent-state]")
    expect(state).to_have_text("未签入")
    agent.locator("input[data-test=extension], [data-test=extension] input").first.fill("8001")
    agent.click("[data-test=phone-login]")
    expect(state).to_have_text("振铃", timeout=120_000)
    expect(agent.locator("[data-test=screen-pop]")).to_contain_text("12345")
    agent.click("[data-test=phone-answer]")
    expect(state).to_have_text("通话中")
    panel = agent.locator("[data-test=knowledge-panel]")
    lines = panel.locator("[data-test=transcript-line]")
    expect(lines.filter(has_text="坐席").first).to_contain_text(re.compile(r"\S{4}"), timeout=60_000)
    expect(lines.filter(has_text="来电人").first).to_contain_text(re.compile(r"\S{4}"), timeout=60_000)
    expect(panel.locator("[data-test=kp-from-call]")).to_contain_text("来电人", timeout=30_000)
    expect(panel.locator("[data-test=kb-hit]").first).to_be_visible()
    shot(agent, "demo-agent-desk")
    hangup = agent.locator("[data-test=phone-hangup]")
    if hangup.is_enabled():  # the simulated citizen may have said goodbye and hung up already
        hangup.click()
    expect(state).to_have_text(re.compile("话后处理|空闲|振铃"), timeout=15_000)

    # the supervisor: every demo agent, and the 20-second service level of the general queue
    boss = login("supervisor")
    expect(boss).to_have_url(re.compile(r"/monitor$"))
    for number in ("1001", "1002", "1012"):
        expect(boss.locator(f"[data-test=agent-state-{number}]")).to_be_visible()
    expect(boss.locator("[data-test=queue-sl-general]")).to_have_text(re.compile(r"^\d+%$"), timeout=30_000)
    shot(boss, "demo-monitor")

    # QA: calls transcribed after they ended and scored from what was said
    headers = _token(base, "qa")
    spoken, deadline = None, time.monotonic() + 240
    while spoken is None and time.monotonic() < deadline:
        for score in httpx.get(f"{base}/api/qa/scores", headers=headers, timeout=10).json()["items"]:
            t = httpx.get(f"{base}/api/qa/transcripts/{score['transcript_id']}", headers=headers, timeout=10)
            if {seg["speaker"] for seg in t.json()["segments"]} >= {"agent", "citizen"}:
                spoken = score["id"]
                break
        else:
            time.sleep(3)
    assert spoken is not None, "没有带转写文本的质检评分"
    qa = login("qa")
    expect(qa).to_have_url(re.compile(r"/qa$"))
    qa.get_by_text("全部质检结果").click()
    expect(qa.locator("[data-test=qa-table] tbody tr").first).to_be_visible(timeout=30_000)
    qa.goto(f"/qa/{spoken}")
    transcript = qa.locator("[data-test=qa-transcript]")
    expect(transcript).to_contain_text("坐席")
    expect(transcript).to_contain_text("来电人")
    expect(qa.locator("[data-test=qa-score]")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    shot(qa, "demo-qa-review")

    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]
    assert "live transcript started" in log_text and "call transcribed" in log_text
