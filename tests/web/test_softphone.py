"""The softphone bar in the browser against the simulator and the real controller: state after a reload,
three-way, transfers (skill group, external number, another city's 12345), consult, agent messages, and
回拨 from the desk. Each test asserts what the switch did (simulator channels / conferences, the CDR)."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from switch.simulator import CallerScript
from tests.web.conftest import shot
from tests.web.test_call_flow import _headers, _wait_controller
from tests.web.test_ticket_flow import pick_option

pytestmark = pytest.mark.browser

AGENTS = [f"10{i:02d}" for i in range(1, 13)]


class Desk:
    """One agent's desk page plus API access for the parts the test only sets up."""

    def __init__(self, login, base_url: str, user: str, extension: str) -> None:
        self.base_url, self.user, self.extension = base_url, user, extension
        self.page = login(user)
        expect(self.page).to_have_url(re.compile(r"/agent$"))

    @property
    def state(self):
        return self.page.locator("[data-test=agent-state]")

    def sign_in(self) -> None:
        self.page.locator("input[data-test=extension], [data-test=extension] input").first.fill(
            self.extension
        )
        self.page.click("[data-test=phone-login]")
        expect(self.state).to_have_text("空闲")

    def take_call(self, switchboard, caller: str, digits: str = "1") -> str:
        """A simulated citizen calls; this (only ready) agent answers on the desk."""
        switchboard.call(CallerScript(number=caller, digits=[digits], talk_seconds=600, hangup_by="agent"))
        expect(self.page.locator("[data-test=screen-pop]")).to_contain_text(caller, timeout=30_000)
        expect(self.state).to_have_text("振铃", timeout=15_000)
        self.page.click("[data-test=phone-answer]")
        expect(self.state).to_have_text("通话中", timeout=15_000)
        return caller

    def transfer_dialog(self, tab: str | None = None):
        self.page.click("[data-test=phone-transfer]")
        dialog = self.page.locator("[data-test=transfer-dialog]")
        if tab:
            dialog.get_by_role("tab", name=tab).click()
        return dialog

    def choose(self, dialog, field: str, typed: str, option: str) -> None:
        """Pick `option` in the dialog's select marked data-test=<field>."""
        select = dialog.locator(f"[data-test={field}] input, input[data-test={field}]").first
        pick_option(self.page, select, typed, option)


def desk_in_call(login, base_url: str, switchboard, n: int, partner: int | None = None) -> tuple[Desk, str]:
    """agentNN alone signed in takes a call on the desk; agent `partner` (if any) is signed in ready after."""
    only_ready(base_url, f"10{n:02d}")
    desk = Desk(login, base_url, f"agent{n:02d}", f"80{n:02d}")
    desk.sign_in()
    caller = desk.take_call(switchboard, new_caller())
    if partner is not None:
        r = softphone(base_url, f"agent{partner:02d}", "login", extension=f"80{partner:02d}", ready=True)
        assert r.status_code == 200, r.text
    return desk, caller


def softphone(base_url: str, user: str, action: str, **body) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/softphone/{action}", json=body, headers=_headers(base_url, user), timeout=15
    )


def only_ready(base_url: str, *keep: str) -> None:
    """Log every other demo agent out, so the test's call reaches the agent it expects."""
    _wait_controller(base_url)
    boss = _headers(base_url, "supervisor")
    for number in AGENTS:
        if number not in keep:
            httpx.post(
                f"{base_url}/api/softphone/logout", json={"agent_number": number}, headers=boss, timeout=15
            )


def new_caller(prefix: str = "1367772") -> str:
    return f"{prefix}{uuid.uuid4().int % 10000:04d}"


def cdr(base_url: str, caller: str, *, closed: bool = False, timeout: float = 30) -> dict:
    """The call record with this caller or called number (waiting until it is closed if asked)."""
    headers = _headers(base_url, "supervisor")
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        items = httpx.get(f"{base_url}/api/cdrs", params={"number": caller}, headers=headers).json()["items"]
        row = next((c for c in items if caller in (c["caller"], c["called"])), None)
        if row is not None and (not closed or row.get("ended_at")):
            return row
        time.sleep(0.5)
    raise AssertionError(f"no {'closed ' if closed else ''}CDR for {caller}: {row}")


def sim(switchboard, fn):
    """Run `fn(fs)` on the simulator's loop (its state belongs to that thread)."""
    return switchboard.run(fn, switchboard.fs)


def wait_sim(switchboard, fn, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = sim(switchboard, fn)
        if out:
            return out
        time.sleep(0.3)
    raise AssertionError(f"simulator: {what} not seen in {timeout} s")


def legs_to(number: str):
    """Live channels dialled to `number` (an extension or a gateway number)."""
    return lambda fs: [ch for ch in fs.live_channels() if ch.destination == number or f"/{number}" in ch.name]


def conference_of(caller: str):
    """The members' names of the conference the caller's channel is in (None: not in one)."""

    def find(fs):
        for ch in fs.live_channels():
            if ch.caller_number == caller and ch.direction == "inbound" and ch.conference:
                conf = fs.conferences.get(ch.conference)
                return sorted(fs.channels[u].name for u in conf.members) if conf else None
        return None

    return find


def hang_up_caller(switchboard, caller: str) -> None:
    sim(
        switchboard,
        lambda fs: [
            fs.spawn(fs.hangup(ch.uuid))
            for ch in fs.live_channels()
            if ch.caller_number == caller and ch.direction == "inbound"
        ],
    )


def members_of(caller: str, count: int):
    """The caller's conference members once there are `count` of them."""
    return lambda fs: (m := conference_of(caller)(fs)) and len(m) == count and m


def test_state_survives_a_page_reload(login, base_url, switchboard):
    only_ready(base_url, "1007")
    desk = Desk(login, base_url, "agent07", "8007")
    desk.sign_in()
    desk.page.reload()
    expect(desk.state).to_have_text("空闲")  # read back from the controller, not the page's memory
    expect(desk.page.locator("[data-test=phone-not-ready]")).to_be_visible()

    caller = desk.take_call(switchboard, new_caller())
    desk.page.reload()
    expect(desk.state).to_have_text("通话中")
    expect(desk.page.locator("[data-test=screen-pop]")).to_contain_text(caller)
    expect(desk.page.locator("[data-test=phone-hold]")).to_be_enabled()
    expect(desk.page.locator("[data-test=phone-hangup]")).to_be_enabled()
    # the restored controls still drive the call: hold shows on the switch, then retrieve
    desk.page.click("[data-test=phone-hold]")
    expect(desk.state).to_have_text("保持中")
    assert wait_sim(switchboard, lambda fs: [c for c in legs_to("8007")(fs) if c.held], "agent leg held")
    desk.page.reload()
    expect(desk.state).to_have_text("保持中")
    desk.page.click("[data-test=phone-retrieve]")
    expect(desk.state).to_have_text("通话中")
    shot(desk.page, "agent-desk-after-reload")

    desk.page.click("[data-test=phone-hangup]")
    expect(desk.state).to_have_text("话后处理", timeout=15_000)
    # the wrap-up countdown comes back from the controller too (the demo groups allow 15 s)
    desk.page.reload()
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"))
    if desk.state.inner_text().strip() == "话后处理":
        left = desk.page.locator("[data-test=wrap-up] b").inner_text()
        assert 0 <= int(left) <= 15, left
    expect(desk.state).to_have_text("空闲", timeout=20_000)  # the timer ran out: ready again
    assert cdr(base_url, caller, closed=True)["agent_number"] == "1007"
    softphone(base_url, "agent07", "logout")


def test_state_is_read_again_after_the_websocket_reconnects(login, base_url, switchboard):
    """Events sent while the desk's WebSocket is down are lost; on reconnect the bar asks the controller."""
    only_ready(base_url, "1003")
    desk = Desk(login, base_url, "agent03", "8003")
    gate = {"open": True, "sockets": []}

    def route(ws) -> None:
        if not gate["open"]:
            ws.close()  # the network is still down: the page retries later
            return
        ws.connect_to_server()
        gate["sockets"].append(ws)

    desk.page.route_web_socket(re.compile(r"/api/ws"), route)
    desk.page.reload()
    desk.sign_in()
    gate["open"] = False
    gate["sockets"][-1].close()
    # meanwhile a supervisor puts the agent not ready: the desk cannot hear about it
    boss = _headers(base_url, "supervisor")
    r = httpx.post(
        f"{base_url}/api/softphone/not-ready", json={"agent_number": "1003", "reason": "会议"}, headers=boss
    )
    assert r.status_code == 200, r.text
    desk.page.wait_for_timeout(1500)
    expect(desk.state).to_have_text("空闲")  # still the old state: nothing polls behind the socket
    gate["open"] = True
    expect(desk.state).to_have_text("置忙（会议）", timeout=30_000)
    softphone(base_url, "agent03", "logout")


def test_three_way_with_an_external_number(login, base_url, switchboard):
    desk, caller = desk_in_call(login, base_url, switchboard, 8)
    third = "13977009876"
    desk.page.click("[data-test=phone-three-way]")
    dialog = desk.page.locator("[data-test=three-way-dialog]")
    dialog.locator("input").fill(third)
    dialog.locator("[data-test=three-way-submit]").click()
    expect(desk.page.get_by_text("已发起三方通话")).to_be_visible()
    expect(desk.page.locator("[data-test=three-way-active]")).to_be_visible()
    # caller, agent and the third party are in one conference on the switch
    members = wait_sim(switchboard, members_of(caller, 3), "3-way conference")
    assert any("8008" in m for m in members) and any(third in m for m in members), members
    shot(desk.page, "agent-desk-three-way")
    # the agent leaves; the caller and the third party stay connected
    desk.page.click("[data-test=phone-hangup]")
    left = wait_sim(switchboard, members_of(caller, 2), "agent left the conference")
    assert not any("8008" in m for m in left) and any(third in m for m in left), left
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    hang_up_caller(switchboard, caller)
    cdr(base_url, caller, closed=True)
    softphone(base_url, "agent08", "logout")


@pytest.mark.parametrize(
    ("tab", "pick", "dialled"),
    [("外部号码", "0771-5520100", "07715520100"), ("外市 12345", "桂林", "077312345")],
)
def test_transfer_out(login, base_url, switchboard, tab, pick, dialled):
    desk, caller = desk_in_call(login, base_url, switchboard, 9)
    dialog = desk.transfer_dialog(tab)
    if tab == "外部号码":
        dialog.locator("[data-test=transfer-external] input, input[data-test=transfer-external]").first.fill(
            pick
        )
    else:
        desk.choose(dialog, "transfer-city", "", f"{pick}（{dialled}）")
    dialog.locator("[data-test=transfer-submit]").click()
    expect(desk.page.get_by_text("已转接")).to_be_visible()
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    # the switch bridged the caller out over the trunk; the CDR names where the call went
    assert wait_sim(switchboard, legs_to(dialled), f"leg to {dialled}")
    assert cdr(base_url, caller)["transferred_to"] == dialled
    sim(switchboard, lambda fs: [fs.spawn(fs.hangup(ch.uuid)) for ch in legs_to(dialled)(fs)])
    cdr(base_url, caller, closed=True)
    softphone(base_url, "agent09", "logout")


def test_transfer_to_a_skill_group(login, base_url, switchboard):
    desk, caller = desk_in_call(login, base_url, switchboard, 5, partner=6)
    dialog = desk.transfer_dialog("技能组")
    desk.choose(dialog, "transfer-group", "", "投诉举报")
    dialog.locator("[data-test=transfer-submit]").click()
    expect(desk.page.get_by_text("已转接")).to_be_visible()
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    # the complaint group's ready agent (1006) is rung on their extension with the same caller
    ringing = lambda fs: [c for c in legs_to("8006")(fs) if c.caller_number == caller]  # noqa: E731
    assert wait_sim(switchboard, ringing, "8006 rung")
    assert cdr(base_url, caller)["transferred_to"] == "技能组complaint"
    assert softphone(base_url, "agent06", "answer").status_code == 200
    assert softphone(base_url, "agent06", "hangup").status_code == 200
    hang_up_caller(switchboard, caller)  # rather than wait for the satisfaction survey to time out
    row = cdr(base_url, caller, closed=True)
    assert row["agent_number"] == "1006", row
    softphone(base_url, "agent05", "logout")
    softphone(base_url, "agent06", "logout")


def hang_up_and_close(desk: Desk, base_url: str, switchboard, caller: str, *sign_out: str) -> dict:
    """The agent hangs up on the desk (→ wrap-up); the caller leaves; the CDR closes; agents sign out."""
    desk.page.click("[data-test=phone-hangup]")
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    hang_up_caller(switchboard, caller)
    row = cdr(base_url, caller, closed=True)
    for user in sign_out:
        softphone(base_url, user, "logout")
    return row


def consult_room(fs):
    """Members of a consult room holding both 8010's and 8011's legs (None until both are in)."""
    rooms = [c for name, c in fs.conferences.items() if name.startswith("consult-")]
    names = sorted(fs.channels[u].name for c in rooms for u in c.members if u in fs.channels)
    return names if any("8010" in n for n in names) and any("8011" in n for n in names) else None


def start_consult(login, base_url: str, switchboard) -> tuple[Desk, str]:
    """agent10 has a caller and consults agent11 from the transfer dialog; both agents end up in the room."""
    desk, caller = desk_in_call(login, base_url, switchboard, 10, partner=11)
    dialog = desk.transfer_dialog()
    desk.choose(dialog, "transfer-agent", "1011", "1011")
    dialog.locator("[data-test=consult-start]").click()
    expect(desk.page.locator("[data-test=consult-active]")).to_contain_text("1011")
    expect(desk.page.locator("[data-test=consult-complete]")).to_be_visible()
    expect(desk.page.locator("[data-test=consult-cancel]")).to_be_visible()
    assert wait_sim(switchboard, consult_room, "both agents in the consult room")
    assert sim(switchboard, conference_of(caller)) is None  # the caller waits outside, with music
    return desk, caller


def bridged_to(caller: str, extension: str):
    """The caller's channel is bridged to a live leg dialled to `extension`."""

    def find(fs):
        legs = {ch.uuid for ch in legs_to(extension)(fs)}
        return [
            ch
            for ch in fs.live_channels()
            if ch.caller_number == caller and ch.direction == "inbound" and ch.partner in legs
        ]

    return find


def test_consult_then_bring_the_caller_in(login, base_url, switchboard):
    """咨询: the caller waits while the two agents talk in a room; 三方 then brings the caller in."""
    desk, caller = start_consult(login, base_url, switchboard)
    shot(desk.page, "agent-desk-consult")
    desk.page.reload()  # the consult survives a reload too
    expect(desk.page.locator("[data-test=consult-active]")).to_contain_text("1011")

    desk.page.click("[data-test=phone-three-way]")
    expect(desk.page.get_by_text("已发起三方通话")).to_be_visible()
    members = wait_sim(switchboard, members_of(caller, 3), "caller joins the room")
    assert any("8010" in m for m in members) and any("8011" in m for m in members), members
    expect(desk.page.locator("[data-test=three-way-active]")).to_be_visible()
    hang_up_and_close(desk, base_url, switchboard, caller, "agent10", "agent11")


def test_consult_then_complete_the_transfer(login, base_url, switchboard):
    """完成转接: the caller is bridged to the consulted agent, whose desk now shows the call."""
    other = Desk(login, base_url, "agent11", "8011")
    desk, caller = start_consult(login, base_url, switchboard)
    # the consulted desk, put in the call without a screen pop, asks the controller which call it is
    expect(other.page.locator("[data-test=invited-by]")).to_contain_text("坐席 1010 正在咨询您")
    expect(other.page.locator("[data-test=screen-pop]")).to_contain_text(caller)
    desk.page.click("[data-test=consult-complete]")
    expect(desk.page.get_by_text("已完成转接")).to_be_visible()
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    assert wait_sim(switchboard, bridged_to(caller, "8011"), "caller bridged to 8011")
    assert not sim(switchboard, legs_to("8010"))  # the first agent's leg is gone
    expect(other.state).to_have_text("通话中")
    expect(other.page.locator("[data-test=invited-by]")).to_have_count(0)  # now the call is theirs
    row = cdr(base_url, caller)
    assert (row["agent_number"], row["transferred_to"]) == ("1011", "坐席1011"), row
    shot(other.page, "agent-desk-consult-completed")
    hang_up_and_close(other, base_url, switchboard, caller, "agent10", "agent11")


def test_consult_then_cancel(login, base_url, switchboard):
    """取消咨询: the consulted agent's leg is hung up and the caller is back with the first agent."""
    desk, caller = start_consult(login, base_url, switchboard)
    desk.page.click("[data-test=consult-cancel]")
    expect(desk.page.get_by_text("已取消咨询")).to_be_visible()
    expect(desk.page.locator("[data-test=consult-active]")).to_have_count(0)
    assert wait_sim(switchboard, bridged_to(caller, "8010"), "caller back with 8010")
    assert wait_sim(switchboard, lambda fs: not legs_to("8011")(fs) or None, "consulted leg hung up")
    expect(desk.state).to_have_text("通话中")
    expect(desk.page.locator("[data-test=phone-transfer]")).to_be_enabled()
    row = hang_up_and_close(desk, base_url, switchboard, caller, "agent10", "agent11")
    assert row["agent_number"] == "1010" and not row["transferred_to"], row


def test_consulted_agent_hangs_up_and_the_caller_is_back(login, base_url, switchboard):
    """The consulted agent ends the consult from their own bar: the first agent has the caller again."""
    other = Desk(login, base_url, "agent11", "8011")
    desk, caller = start_consult(login, base_url, switchboard)
    expect(other.page.locator("[data-test=invited-by]")).to_be_visible()
    other.page.click("[data-test=phone-hangup]")
    expect(other.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    assert wait_sim(switchboard, bridged_to(caller, "8010"), "caller back with 8010")
    expect(desk.page.locator("[data-test=consult-active]")).to_have_count(0)
    expect(desk.state).to_have_text("通话中")
    row = hang_up_and_close(desk, base_url, switchboard, caller, "agent10", "agent11")
    assert row["agent_number"] == "1010", row


def test_message_reaches_the_other_agents_desk(login, base_url, switchboard):
    _wait_controller(base_url)
    sender = Desk(login, base_url, "agent02", "8002")
    sender.sign_in()
    receiver = Desk(login, base_url, "agent06", "8006")
    text = f"请协助接听投诉线 {uuid.uuid4().hex[:4]}"
    sender.page.click("[data-test=messages-open]")
    dialog = sender.page.locator("[data-test=message-dialog]")
    sender.choose(dialog, "message-to", "1006", "1006")
    dialog.locator("textarea").fill(text)
    dialog.locator("[data-test=message-send]").click()
    expect(sender.page.get_by_text("消息已发给坐席 1006")).to_be_visible()
    # the receiving desk pops a notification and lists the message, live over the WebSocket
    notice = receiver.page.locator(".agent-message-notice")
    expect(notice).to_contain_text(text)
    expect(notice).to_contain_text("1002")
    expect(receiver.page.locator("[data-test=desk-message]").first).to_contain_text(text)
    shot(receiver.page, "agent-desk-message")
    softphone(base_url, "agent02", "logout")


def test_callback_from_the_desk_history(login, base_url, switchboard):
    only_ready(base_url, "1012")
    desk = Desk(login, base_url, "agent12", "8012")
    desk.sign_in()
    number = "13877110003"  # a demo citizen with past tickets
    desk.page.locator(".col.left input").first.fill(number)
    desk.page.keyboard.press("Enter")
    expect(desk.page.locator("[data-test=history-item]").first).to_be_visible()
    desk.page.click("[data-test=desk-callback]")
    expect(desk.page.get_by_text(f"正在回拨 {number}")).to_be_visible()
    # the agent's phone rings first, then the citizen is dialled showing the centre's number
    legs = wait_sim(switchboard, legs_to(number), f"leg to {number}")
    assert any(ch.caller_number == "077112345" for ch in legs), [ch.name for ch in legs]
    expect(desk.state).to_have_text("通话中", timeout=15_000)
    row = cdr(base_url, number)
    assert (row["direction"], row["caller"], row["agent_number"]) == ("outbound", "077112345", "1012")
    # 挂机 on the bar ends the callback: both legs go, the record closes, the agent is in wrap-up
    desk.page.click("[data-test=phone-hangup]")
    expect(desk.state).to_have_text(re.compile("话后处理|空闲"), timeout=15_000)
    assert wait_sim(
        switchboard, lambda fs: not legs_to(number)(fs) and not legs_to("8012")(fs) or None, "legs gone"
    )
    assert cdr(base_url, number, closed=True)["disposition"] == "answered"
    softphone(base_url, "agent12", "logout")
