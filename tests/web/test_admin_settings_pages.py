"""Admin pages that change settings, checked through the API after saving: IVR menu, working calendar,
tenant creation."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


def _admin(base_url: str) -> httpx.Client:
    token = httpx.post(f"{base_url}/api/auth/token", data={"username": "admin", "password": DEMO_PASSWORD})
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )


def test_ivr_menu_edited_validated_and_saved(login, base_url):
    api = _admin(base_url)
    menu = api.get("/api/ivr-menus").json()[0]
    page = login("admin")
    page.goto("/admin/ivr-menus")
    card = page.locator(".card.menu", has_text=menu["name"]).first
    card.get_by_role("button", name="编辑").click()
    dialog = page.locator(".el-dialog", has_text=f"编辑：{menu['name']}")
    editor = dialog.locator("textarea")
    expect(editor).to_be_visible()
    tree = json.loads(editor.input_value())
    assert tree == menu["tree"]
    # broken JSON is caught before anything is sent
    editor.fill(editor.input_value()[:-1])
    dialog.get_by_role("button", name="校验").click()
    expect(dialog.locator(".el-alert")).to_contain_text("JSON 格式错误")
    # a new prompt on the start node, validated and saved
    prompt = f"say:欢迎致电12345政务服务便民热线，测试{uuid.uuid4().hex[:4]}。"
    tree["nodes"][tree["start"]]["prompt"] = prompt
    editor.fill(json.dumps(tree, ensure_ascii=False, indent=2))
    dialog.get_by_role("button", name="校验").click()
    expect(dialog.locator(".el-alert")).to_contain_text("校验通过")
    shot(page, "admin-ivr-edit")
    dialog.get_by_role("button", name="保存并生效").click()
    expect(page.get_by_text("已保存，立即生效")).to_be_visible()
    expect(card).to_contain_text(prompt.removeprefix("say:"))
    saved = next(m for m in api.get("/api/ivr-menus").json() if m["id"] == menu["id"])
    assert saved["tree"]["nodes"][tree["start"]]["prompt"] == prompt
    assert saved["revision"] == menu["revision"] + 1


def test_working_calendar_day_marked_as_holiday_and_removed(login, base_url):
    api = _admin(base_url)
    day = "2099-03-03"  # a Tuesday far from any ticket of this session
    page = login("admin")
    page.goto("/admin/calendars")
    year = page.locator(".toolbar .el-input-number input")
    year.fill("2099")
    year.press("Enter")
    page.get_by_role("button", name="设置某天").click()
    dialog = page.locator(".el-dialog", has_text="设置某天")
    date = dialog.get_by_placeholder("选择日期")
    date.click()
    date.fill(day)
    date.press("Enter")
    dialog.get_by_placeholder("如 国庆节").fill("测试放假")
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    table = page.locator(".card", has_text="工单办理时限日历").locator(".el-table__body")
    row = table.locator("tr", has_text=day)
    expect(row).to_contain_text("放假")
    expect(row).to_contain_text("测试放假")
    expect(page.locator(".card", has_text="话务节假日").locator(".el-table__body")).to_contain_text(day)
    shot(page, "admin-calendar-holiday")
    days = {d["day"]: d for d in api.get("/api/tickets/calendar", params={"year": 2099}).json()}
    assert days[day]["working"] is False and days[day]["name"] == "测试放假"
    row.get_by_role("button", name="删除").click()
    expect(table.locator("tr", has_text=day)).to_have_count(0)
    assert day not in {d["day"] for d in api.get("/api/tickets/calendar", params={"year": 2099}).json()}


def test_workstation_tenant_created(login, base_url):
    api = _admin(base_url)
    code = f"T{uuid.uuid4().hex[:5].upper()}"
    page = login("admin")
    page.goto("/admin/tenants")
    page.get_by_role("button", name="新建工作站").click()
    dialog = page.locator(".el-dialog", has_text="新建工作站")
    # a code with spaces is refused by the form
    dialog.get_by_placeholder("字母数字，如 QX").fill("bad code")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_contain_text("只能使用字母、数字")
    dialog.get_by_placeholder("字母数字，如 QX").fill(code)
    dialog.locator(".el-form-item", has_text="名称").locator("input").fill(f"测试区工作站{code}")
    dialog.get_by_placeholder("如 青秀区").fill("良庆区")
    numbers = dialog.locator(".el-form-item", has_text="呼入号码").locator("input")
    numbers.click(force=True)  # the placeholder overlays the input
    page.keyboard.type("07717654321")
    page.keyboard.press("Enter")
    expect(dialog.locator(".el-select .el-tag")).to_contain_text("07717654321")
    dialog.locator(".el-dialog__title").click()
    shot(page, "admin-tenant-create")
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(page.locator(".el-table__body")).to_contain_text(f"测试区工作站{code}")
    created = next(t for t in api.get("/api/tenants").json() if t["code"] == code)
    root = next(t for t in api.get("/api/tenants").json() if not t["parent_id"])
    assert created["parent_id"] == root["id"] and created["district"] == "良庆区"
    assert created["called_numbers"] == ["07717654321"] and created["active"] is True
