"""The ticket's life in the browser: accepted and dispatched at the centre, signed and answered with a photo
by a department handler on a phone-sized screen, reviewed, revisited and closed."""

from __future__ import annotations

import re
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE, shot

pytestmark = pytest.mark.browser


def _png() -> bytes:
    """A 2×2 PNG (a 'photo' of the site)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xd0\x30\x20" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pick_option(page, field, typed: str, option: str) -> None:
    """Choose `option` in an Element Plus (remote) select after typing `typed`."""
    item = page.locator(".el-select-dropdown__item:visible").filter(has=page.get_by_text(option, exact=True))
    for _ in range(3):  # a click during a dialog's opening animation may not open the dropdown
        field.click(force=True)  # the placeholder overlays the input
        if typed:
            page.keyboard.type(typed)
        try:
            item.first.wait_for(state="visible", timeout=5_000)
            break
        except Exception:
            if typed:
                field.fill("")
    item.first.click()


def run_action(page, action: str) -> None:
    page.click(f"[data-test=action-{action}]")
    expect(page.locator("[data-test=action-form]")).to_be_visible()
    page.wait_for_timeout(400)  # let the dialog finish opening before its fields are used


def submit_action(page) -> None:
    with page.expect_response(lambda r: r.request.method == "POST" and "/api/tickets/" in r.url) as resp:
        page.click("[data-test=action-submit]")
    assert resp.value.ok, resp.value.text()
    expect(page.locator("[data-test=action-form]")).to_have_count(0)


def test_accept_dispatch_sign_answer_revisit_close(login):
    title = f"小区夜间施工噪音扰民 {uuid.uuid4().hex[:6]}"

    # 1. the dispatcher accepts a web appeal and dispatches it to the city police
    desk = login("dispatcher")
    expect(desk).to_have_url(re.compile(r"/tickets$"))
    desk.get_by_role("button", name="受理工单").click()
    form = desk.locator("[data-test=ticket-form]")
    pick_option(desk, form.get_by_label("诉求类型"), "", "投诉")
    form.get_by_label("诉求人").fill("李先生")
    form.get_by_label("联系电话").fill("13800001111")
    form.get_by_label("地址").fill("青秀区民族大道100号")
    form.get_by_label("标题").fill(title)
    form.get_by_label("诉求内容").fill("工地每晚11点后仍在施工，噪音很大，影响休息。")
    desk.get_by_role("button", name="受理", exact=True).click()
    expect(desk).to_have_url(re.compile(r"/tickets/\d+$"))
    ticket_id = int(desk.url.rsplit("/", 1)[1])
    expect(desk.locator("[data-test=ticket-state]")).to_have_text("已受理")
    run_action(desk, "dispatch")
    dialog = desk.locator("[data-test=action-form]")
    pick_option(desk, dialog.get_by_label("主办单位"), "公安局", "南宁市公安局")
    dialog.get_by_label("交办意见").fill("请核实并依法处理")
    shot(desk, "ticket-dispatch-dialog")
    submit_action(desk)
    expect(desk.locator("[data-test=ticket-state]")).to_have_text("待签收")
    expect(desk.locator("[data-test=timeline]")).to_contain_text("交办")
    shot(desk, "ticket-detail-dispatched")

    # 2-3. the police handler answers on a phone; the revisit officer closes
    handle_on_phone_and_close(login, title, ticket_id)


def handle_on_phone_and_close(login, title: str, ticket_id: int) -> None:
    """A dispatched ticket's second half: the police handler, on a phone, finds it in 待办, signs and answers
    with a photo; the revisit officer reviews the answer, revisits the citizen and closes it."""
    phone = login("police_handler", viewport=PHONE)
    expect(phone).to_have_url(re.compile(r"/m$"))
    card = phone.locator("[data-test=ticket-card]", has_text=title)
    expect(card).to_be_visible()
    shot(phone, "mobile-inbox")
    card.click()
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("待签收")
    shot(phone, "mobile-ticket")
    run_action(phone, "sign")
    submit_action(phone)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("办理中")
    run_action(phone, "answer")
    dialog = phone.locator("[data-test=action-form]")
    dialog.get_by_label("答复内容").fill("经现场核查，已责令施工单位夜间停工，并已电话告知诉求人。")
    pick_option(phone, dialog.get_by_label("办理方式"), "", "现场核查")
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": _png()}]
    )
    expect(dialog.locator(".el-upload-list__item.is-success")).to_have_count(1)
    shot(phone, "mobile-answer")
    submit_action(phone)
    expect(phone.locator("[data-test=ticket-state]")).to_have_text("已答复")

    rv = login("revisit")
    rv.goto(f"/tickets/{ticket_id}")
    expect(rv.locator("[data-test=ticket-answer]")).to_contain_text("已责令施工单位夜间停工")
    expect(rv.get_by_text("现场照片.png")).to_be_visible()
    run_action(rv, "review-answer")
    rv.locator("[data-test=action-form]").get_by_text("通过", exact=True).click()
    submit_action(rv)
    expect(rv.locator("[data-test=ticket-state]")).to_have_text("待回访")
    run_action(rv, "revisit")
    dialog = rv.locator("[data-test=action-form]")
    dialog.get_by_text("满意", exact=True).click()
    dialog.get_by_label("群众原话").fill("工地晚上已经不施工了，满意。")
    submit_action(rv)
    expect(rv.locator("[data-test=ticket-state]")).to_have_text("待办结")
    run_action(rv, "close")
    submit_action(rv)
    expect(rv.locator("[data-test=ticket-state]")).to_have_text("已办结")
    timeline = rv.locator("[data-test=timeline]")
    for step in ("受理", "交办", "签收", "答复", "审核答复", "回访", "办结"):
        expect(timeline.get_by_text(step, exact=True).first).to_be_visible()
    shot(rv, "ticket-detail-closed")


def test_workbench_filters_and_export(login):
    page = login("dispatcher")
    page.locator("[data-test=inbox-all]").click()
    expect(page.locator("[data-test=ticket-table] .el-table__body tr").first).to_be_visible()
    shot(page, "ticket-workbench")
    with page.expect_download() as dl:
        page.click("[data-test=export]")
    path = dl.value.path()
    assert dl.value.suggested_filename.endswith(".xlsx")
    with open(path, "rb") as f:
        assert f.read(2) == b"PK"  # an xlsx is a zip


def test_workbench_batch_urge(login):
    page = login("dispatcher")
    page.locator("[data-test=inbox-unit_sign]").click()  # units that have not signed yet
    page.wait_for_load_state("networkidle")
    rows = page.locator("[data-test=ticket-table] .el-table__body tr")
    expect(rows.nth(1)).to_contain_text("待签收")
    for i in range(2):
        rows.nth(i).locator(".el-checkbox").click()
    page.get_by_role("button", name=re.compile(r"批量操作（2）")).click()
    page.locator(".el-dropdown-menu__item:visible", has_text="催单").click()
    expect(page.locator("[data-test=action-form]")).to_contain_text("共 2 张工单")
    page.wait_for_timeout(400)
    page.locator("[data-test=action-form]").get_by_label("催办说明").fill("请尽快签收")
    page.click("[data-test=action-submit]")
    expect(page.get_by_text("已催单")).to_be_visible()
