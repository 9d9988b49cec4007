"""Workflow dialogs in the browser: return, extension, forward, co-handling (assist and collaborating units)
with the department handler on a phone-sized screen, and the duplicates / merge panel on a ticket."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from models.db import make_engine
from tests.assist.dispatch.helpers import accept, scope, unit_id
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import PHONE, shot
from tests.web.test_ticket_flow import pick_option, submit_action

pytestmark = pytest.mark.browser

POLICE = "南宁市公安局"
POLICE_SUB = "南宁市公安局治安支队"
CG = "南宁市城市管理综合行政执法局"
WATER = "南宁建宁水务投资集团有限责任公司"


def _units(web_db: str) -> dict[str, int]:
    engine = make_engine(web_db)
    with Session(engine) as db:
        out = {name: unit_id(db, name) for name in (POLICE, POLICE_SUB, CG, WATER)}
    engine.dispose()
    return out


def _ticket(web_db: str, content: str, *, to: str | None = POLICE, sign: str | None = None) -> int:
    """A ticket accepted at the centre, dispatched to `to` and signed by `sign` when given."""
    from tickets import service as tickets

    engine = make_engine(web_db)
    with Session(engine) as db:
        tid = accept(db, content[:20], content)
        if to:
            tickets.apply_action(db, scope(db, "dispatcher"), tid, "dispatch", lead_unit_id=unit_id(db, to))
        if sign:
            tickets.apply_action(db, scope(db, sign), tid, "sign")
        db.commit()
    engine.dispose()
    return tid


def _get(base_url: str, username: str, path: str) -> dict:
    token = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r = httpx.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert r.status_code == 200, r.text
    return r.json()


def _act(page, action: str) -> None:
    """Open an action's dialog: a button on the desktop, or the phone's action bar / its 更多 menu."""
    expect(page.locator("[data-test=ticket-state]")).to_be_visible()
    button = page.locator(
        f".action-bar button[data-test=action-{action}], .actions button[data-test=action-{action}]"
    )
    if not button.count():
        page.locator(".action-bar").get_by_role("button", name="更多").click()
        button = page.locator(f".el-dropdown-menu__item[data-test=action-{action}]:visible")
    button.first.click()
    expect(page.locator("[data-test=action-form]")).to_be_visible()
    page.wait_for_timeout(400)  # the dialog's opening animation


def _datetime(page, dialog, label: str, when: datetime) -> None:
    field = dialog.get_by_label(label)
    field.click()
    field.fill(when.strftime("%Y-%m-%d %H:%M:%S"))
    field.press("Enter")
    panel = page.locator(".el-picker-panel:visible")
    try:
        expect(panel).to_have_count(0, timeout=1500)
    except AssertionError:  # still open (Escape would close the dialog too): confirm in the panel
        panel.locator(".el-picker-panel__footer").get_by_role("button", name="确定").click()
        expect(panel).to_have_count(0)
    expect(field).to_have_value(when.strftime("%Y-%m-%d %H:%M:%S"))


def _close_dropdown(page) -> None:
    """Close a multi-select's dropdown by clicking the dialog's title (Escape would close the dialog)."""
    page.locator(".el-dialog__title:visible").click()
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)


def _handler_opens(login, username: str, tid: int):
    phone = login(username, viewport=PHONE)
    phone.goto(f"/m/tickets/{tid}")
    return phone


def test_return_requested_on_phone_approved_then_redispatched_with_assist_unit(login, base_url, web_db):
    units = _units(web_db)
    tid = _ticket(web_db, f"小区门口占道经营乱摆摊 {uuid.uuid4().hex[:6]}")

    phone = _handler_opens(login, "police_handler", tid)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("待签收")
    _act(phone, "return-request")
    dialog = phone.locator("[data-test=action-form]")
    # the reason is required: the form refuses to send without it
    phone.click("[data-test=action-submit]")
    expect(dialog).to_contain_text("请填写退回理由")
    dialog.get_by_label("退回理由").fill("占道经营属城管职责，非公安职责")
    shot(phone, "mobile-return-request")
    submit_action(phone)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("退回申请中")

    desk = login("dispatcher")
    desk.goto(f"/tickets/{tid}")
    expect(desk.locator("[data-test=timeline]")).to_contain_text("占道经营属城管职责")
    _act(desk, "return-approve")
    submit_action(desk)
    expect(desk.locator("[data-test=ticket-state]")).to_have_text("待交办")
    # re-dispatch: lead unit and an assisting unit (co-handling)
    _act(desk, "dispatch")
    dialog = desk.locator("[data-test=action-form]")
    pick_option(desk, dialog.get_by_label("主办单位"), "城市管理", CG)
    # the lead's dropdown must be gone before typing into the next select, or the keys go to the lead's filter
    expect(desk.locator(".el-select-dropdown:visible")).to_have_count(0)
    expect(dialog.locator(".el-form-item", has_text="主办单位").first).to_contain_text(CG)
    pick_option(desk, dialog.get_by_label("协办单位"), "水务", WATER)
    _close_dropdown(desk)
    shot(desk, "ticket-redispatch-assist")
    submit_action(desk)
    expect(desk.locator("[data-test=ticket-state]")).to_have_text("待签收")
    t = _get(base_url, "dispatcher", f"/api/tickets/{tid}")
    kinds = {(a["unit_id"], a["kind"]) for a in t["assignments"] if a["active"]}
    assert kinds == {(units[CG], "lead"), (units[WATER], "assist")}, kinds
    assert t["return_count"] == 1
    expect(desk.get_by_role("row", name=re.compile("建宁水务 协办 .* 有效"))).to_be_visible()


def test_extension_requested_on_phone_and_approved(login, base_url, web_db):
    tid = _ticket(web_db, f"户口迁移材料审核太慢 {uuid.uuid4().hex[:6]}", sign="police_handler")
    before = _get(base_url, "dispatcher", f"/api/tickets/{tid}")["due_at"]
    until = (datetime.now() + timedelta(days=30)).replace(hour=18, minute=0, second=0, microsecond=0)

    phone = _handler_opens(login, "police_handler", tid)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("办理中")
    _act(phone, "extension-request")
    dialog = phone.locator("[data-test=action-form]")
    _datetime(phone, dialog, "延期至", until)
    dialog.get_by_label("延期理由").fill("需要户籍地公安机关协查，预计一个月")
    shot(phone, "mobile-extension-request")
    submit_action(phone)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("延期申请中")
    requested = _get(base_url, "dispatcher", f"/api/tickets/{tid}")["requested_until"]
    assert requested and datetime.fromisoformat(requested).astimezone().date() == until.date()

    desk = login("dispatcher")
    desk.goto(f"/tickets/{tid}")
    _act(desk, "extension-approve")
    submit_action(desk)
    expect(desk.locator("[data-test=ticket-state]")).to_have_text("办理中")
    t = _get(base_url, "dispatcher", f"/api/tickets/{tid}")
    assert t["requested_until"] is None and t["due_at"] != before
    assert datetime.fromisoformat(t["due_at"]).astimezone().date() == until.date()
    expect(desk.locator(".head-side")).to_contain_text(until.strftime("%Y-%m-%d"))


def test_forward_and_collaborate_on_phone(login, base_url, web_db):
    units = _units(web_db)
    forwarded = _ticket(web_db, f"烧烤摊油烟扰民到深夜 {uuid.uuid4().hex[:6]}", sign="police_handler")
    phone = _handler_opens(login, "police_handler", forwarded)
    _act(phone, "forward")
    dialog = phone.locator("[data-test=action-form]")
    pick_option(phone, dialog.get_by_label("转交给"), "城市管理", CG)
    dialog.get_by_label("转交理由").fill("油烟扰民由城管执法局处理")
    shot(phone, "mobile-forward")
    submit_action(phone)
    # the ticket has left the police: the phone goes back to the inbox, without an error
    expect(phone).to_have_url(re.compile(r"/m$"))
    expect(phone.locator(".el-message--error")).to_have_count(0)
    t = _get(base_url, "dispatcher", f"/api/tickets/{forwarded}")
    assert t["state"] == "to_sign"
    assert t["lead_unit_id"] == units[CG]
    # the new unit finds it in its inbox
    cg = login("cg_handler", viewport=PHONE)
    expect(cg.locator("[data-test=ticket-card]", has_text=t["title"])).to_be_visible()

    shared = _ticket(web_db, f"小区周边治安巡逻不足 {uuid.uuid4().hex[:6]}", sign="police_handler")
    phone.goto(f"/m/tickets/{shared}")
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("办理中")
    _act(phone, "collaborate")
    dialog = phone.locator("[data-test=action-form]")
    pick_option(phone, dialog.get_by_label("协同单位"), "治安", POLICE_SUB)
    _close_dropdown(phone)
    _datetime(phone, dialog, "协同时限", datetime.now() + timedelta(days=3))
    dialog.get_by_label("协同要求").fill("请治安支队加强夜间巡逻并反馈情况")
    shot(phone, "mobile-collaborate")
    submit_action(phone)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("办理中")
    t = _get(base_url, "dispatcher", f"/api/tickets/{shared}")
    assert (units[POLICE_SUB], "collaborator") in {(a["unit_id"], a["kind"]) for a in t["assignments"]}
    sub = login("police_sub", viewport=PHONE)
    sub.goto(f"/m/tickets/{shared}")
    expect(sub.get_by_text("请治安支队加强夜间巡逻").first).to_be_visible()


def test_duplicates_found_and_merged_on_the_ticket(login, base_url, web_db):
    mark = uuid.uuid4().hex[:4]
    first = _ticket(web_db, f"凤岭北路荣和山水美地{mark}小区门口下水道堵塞，污水外溢臭气熏天", to=None)
    second = _ticket(web_db, f"荣和山水美地{mark}小区门口下水道堵了，污水流到路上，请尽快疏通", to=None)
    desk = login("dispatcher")
    desk.goto(f"/tickets/{second}")
    expect(desk.locator("[data-test=duplicates]")).to_have_count(0)
    desk.click("[data-test=scan-duplicates]")
    panel = desk.locator("[data-test=duplicates]")
    expect(panel).to_contain_text(f"工单 #{first}")
    expect(desk.get_by_text("发现 1 张疑似重复工单")).to_be_visible()
    shot(desk, "ticket-duplicates")
    panel.get_by_role("button", name="并入本单").click()
    expect(desk.get_by_text(f"工单 #{first} 已并入本单")).to_be_visible()
    merges = _get(base_url, "dispatcher", f"/api/dispatch/tickets/{second}/merges")
    assert [(m["primary_ticket_id"], m["merged_ticket_id"]) for m in merges] == [(second, first)]
    expect(panel).to_contain_text(f"#{first}")
    flags = _get(base_url, "dispatcher", f"/api/dispatch/tickets/{second}/duplicates")
    assert [f["status"] for f in flags if f["candidate_id"] == first] == ["merged"]
    # the merged ticket shows which primary it follows
    desk.goto(f"/tickets/{first}")
    expect(desk.locator("[data-test=duplicates]")).to_contain_text(f"#{second}")
