"""A simulated call end to end in the browser: the agent signs in and answers, the screen pop shows the
caller, the appeal is accepted citing an article and dispatched; the supervisor watches the agent's
state change live over the WebSocket; the department handler answers on a phone; revisit and close."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from switch.simulator import CallerScript
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import shot
from tests.web.test_ticket_flow import handle_on_phone_and_close, pick_option

pytestmark = pytest.mark.browser


def _headers(base_url: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _wait_controller(base_url: str) -> None:
    """The controller answers commands once it has connected to the simulator and loaded the centre."""
    headers = _headers(base_url, "agent12")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = httpx.post(f"{base_url}/api/softphone/logout", json={}, headers=headers, timeout=10)
        if r.status_code != 503:
            return
        time.sleep(0.5)
    pytest.fail("话务控制器未响应")


def test_agent_answers_call_accepts_and_dispatches_supervisor_watches(login, base_url, switchboard):
    _wait_controller(base_url)
    boss = login("supervisor")
    expect(boss).to_have_url(re.compile(r"/monitor$"))
    state_1001 = boss.locator("[data-test=agent-state-1001]")
    expect(state_1001).to_have_text("未签入")

    agent = login("agent01")
    expect(agent).to_have_url(re.compile(r"/agent$"))
    agent.locator("input[data-test=extension], [data-test=extension] input").first.fill("8001")
    agent.click("[data-test=phone-login]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("空闲")
    expect(state_1001).to_have_text("空闲")  # live, over the WebSocket
    shot(boss, "supervisor-monitor-ready")

    caller = f"1387772{uuid.uuid4().int % 10000:04d}"
    switchboard.call(CallerScript(number=caller, digits=["1"], talk_seconds=600, hangup_by="agent"))
    pop = agent.locator("[data-test=screen-pop]")
    expect(pop).to_contain_text(caller, timeout=30_000)
    expect(agent.locator("[data-test=agent-state]")).to_have_text("振铃", timeout=15_000)
    agent.click("[data-test=phone-answer]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("通话中", timeout=15_000)
    expect(state_1001).to_have_text("通话中")
    shot(boss, "supervisor-monitor-in-call")
    agent.click("[data-test=phone-hold]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("保持中")
    agent.click("[data-test=phone-retrieve]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text("通话中")

    # the caller's number came with the call; the agent writes the appeal and cites the article
    form = agent.locator("[data-test=ticket-form]")
    expect(form.get_by_label("联系电话")).to_have_value(caller)
    form.get_by_label("诉求人").fill("刘先生")
    title = f"咨询居住证怎么办理 {uuid.uuid4().hex[:6]}"
    form.get_by_label("标题").fill(title)
    form.get_by_label("诉求内容").fill("刚来南宁工作，想办居住证，问需要带什么材料、去哪里办。")
    panel = agent.locator("[data-test=knowledge-panel]")
    expect(panel.locator("[data-test=kb-hit]").first).to_contain_text("居住证", timeout=30_000)  # cold index
    panel.locator("[data-test=kp-cite]").first.click()
    agent.click("[data-test=outcome-dispatch]")
    pick_option(
        agent,
        agent.locator("[data-test=dispatch-box] [data-test=lead-unit]")
        .locator("xpath=self::input | .//input")
        .first,
        "公安局",
        "南宁市公安局",
    )
    shot(agent, "agent-desk-call")
    with agent.expect_response(lambda r: re.search(r"/api/tickets/\d+/dispatch$", r.url) is not None) as resp:
        agent.click("[data-test=desk-submit]")
    assert resp.value.ok, resp.value.text()
    ticket_id = int(re.search(r"/api/tickets/(\d+)/dispatch", resp.value.url).group(1))

    agent.click("[data-test=phone-hangup]")
    expect(agent.locator("[data-test=agent-state]")).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    expect(state_1001).to_have_text(re.compile("话后处理|空闲"))
    shot(agent, "agent-desk-wrap-up")

    # the call's record: caller, agent and the ticket it produced
    boss.goto("/calls")
    row = boss.locator("[data-test=cdr-table] .el-table__body tr", has_text=caller).first
    expect(row).to_contain_text("1001")
    shot(boss, "call-records")

    ticket = httpx.get(f"{base_url}/api/tickets/{ticket_id}", headers=_headers(base_url, "dispatcher")).json()
    assert ticket["channel"] == "phone" and ticket["call_id"], ticket
    assert ticket["citizen_phone"] == caller
    assert ticket["state"] == "to_sign" and ticket["article_ids"]

    # the police handler signs and answers on a phone; the citizen is revisited and the ticket closed
    handle_on_phone_and_close(login, title, ticket_id)


def test_agent_transfers_call_to_another_agent(login, base_url, switchboard):
    _wait_controller(base_url)

    def softphone(user: str, action: str, **body) -> httpx.Response:
        return httpx.post(
            f"{base_url}/api/softphone/{action}", json=body, headers=_headers(base_url, user), timeout=15
        )

    softphone("agent01", "logout")  # nobody else may take the call
    assert softphone("agent04", "login", extension="8004", ready=False).status_code == 200

    page = login("agent03")
    page.locator("input[data-test=extension], [data-test=extension] input").first.fill("8003")
    page.click("[data-test=phone-login]")
    expect(page.locator("[data-test=agent-state]")).to_have_text("空闲")
    caller = f"1397772{uuid.uuid4().int % 10000:04d}"
    switchboard.call(CallerScript(number=caller, digits=["1"], talk_seconds=600, hangup_by="agent"))
    expect(page.locator("[data-test=screen-pop]")).to_contain_text(caller, timeout=30_000)
    expect(page.locator("[data-test=agent-state]")).to_have_text("通话中", timeout=20_000)

    assert softphone("agent04", "ready").json()["state"] == "ready"
    page.click("[data-test=phone-transfer]")
    dialog = page.locator(".el-dialog", has_text="转接")
    pick_option(page, dialog.locator(".el-select input").first, "1004", "1004")
    shot(page, "agent-desk-transfer")
    dialog.get_by_role("button", name="转接", exact=True).click()
    expect(page.get_by_text("已转接")).to_be_visible()
    expect(page.locator("[data-test=agent-state]")).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)

    boss = _headers(base_url, "supervisor")
    deadline = time.monotonic() + 30
    state = None
    while time.monotonic() < deadline:
        agents = httpx.get(f"{base_url}/api/agents", params={"size": 50}, headers=boss).json()["items"]
        state = next(a["state"] for a in agents if a["agent_number"] == "1004")
        if state == "in_call":
            break
        time.sleep(0.5)
    assert state == "in_call"
    assert softphone("agent04", "hangup").status_code == 200
    softphone("agent03", "logout")
