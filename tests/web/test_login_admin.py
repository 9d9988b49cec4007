"""Login per role, role-based menus, and the admin pages that work on the org API."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE, shot

pytestmark = pytest.mark.browser

# username → (start page after login, a menu entry they must see, one they must not)
ROLE_CASES = {
    "admin": ("/home", "系统管理", None),
    "agent01": ("/agent", "坐席工作台", "系统管理"),
    "dispatcher": ("/tickets", "工单工作台", "坐席工作台"),
    "supervisor": ("/monitor", "班长监控", "系统管理"),
    "qa": ("/qa", "质检复核", "坐席工作台"),
    "editor": ("/kb", "知识库", "工单工作台"),
}


def test_login_wrong_password_shows_reason(new_page):
    page = new_page()
    page.goto("/tickets")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password")
    page.click("[data-test=login]")
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    shot(page, "login")


@pytest.mark.parametrize("username", list(ROLE_CASES))
def test_login_per_role_lands_on_start_page_with_role_menu(login, username):
    start, visible, hidden = ROLE_CASES[username]
    page = login(username)
    expect(page).to_have_url(re.compile(re.escape(start) + r"$"))
    aside = page.locator("aside")
    expect(aside.get_by_text(visible, exact=True)).to_be_visible()
    if hidden:
        expect(aside.get_by_text(hidden, exact=True)).to_have_count(0)
    shot(page, f"start-{username}")


def test_unit_handler_lands_on_mobile_inbox(new_page, login):
    phone_login = new_page(PHONE)
    phone_login.goto("/login")
    expect(phone_login.locator("[data-test=login]")).to_be_in_viewport()
    shot(phone_login, "mobile-login")
    page = login("police_handler", viewport=PHONE)
    expect(page).to_have_url(re.compile(r"/m$"))
    expect(page.locator(".m-tabs")).to_be_visible()


def test_role_guard_and_logout(login):
    page = login("agent01")
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/home\?denied="))
    expect(page.get_by_text("无权访问")).to_be_visible()
    page.click("[data-test=user-menu]")
    page.get_by_text("退出登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_admin_tenants_tree_and_edit(login):
    page = login("admin")
    page.goto("/admin/tenants")
    expect(
        page.get_by_role("cell", name="南宁市12345政务服务便民热线中心", exact=False).first
    ).to_be_visible()
    expect(page.get_by_text("青秀区").first).to_be_visible()
    shot(page, "admin-tenants")


def test_admin_units_search_and_edit_yellow_pages(login):
    page = login("admin")
    page.goto("/admin/units")
    page.get_by_placeholder("名称或职责关键字").fill("公安局")
    page.get_by_role("button", name="查询").click()
    row = page.locator(".el-table__body tr", has_text="南宁市公安局").first
    expect(row).to_be_visible()
    shot(page, "admin-units")
    row.get_by_role("button", name="编辑").click()
    dialog = page.locator(".el-dialog")
    office = f"工作日 8:00-12:00 {uuid.uuid4().hex[:4]}"
    dialog.get_by_placeholder("如 工作日 8:00-12:00 15:00-18:00").fill(office)
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(page.locator(".el-table__body", has_text=office)).to_be_visible()


def test_admin_users_create_and_problem_detail_shown(login):
    page = login("admin")
    page.goto("/admin/users")
    expect(page.get_by_text("共 ")).to_be_visible()
    page.get_by_placeholder("用户名或姓名").fill("agent0")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".el-table__body", has_text="agent01")).to_be_visible()
    shot(page, "admin-users")
    name = f"web{uuid.uuid4().hex[:6]}"
    for attempt in range(2):
        page.get_by_placeholder("用户名或姓名").fill(name)
        page.get_by_role("button", name="新建用户").click()
        dialog = page.locator(".el-dialog")
        dialog.get_by_label("用户名").fill(name)
        dialog.get_by_label("姓名").fill("测试话务员")
        dialog.get_by_label("初始密码").fill("Hotline@12345")
        dialog.locator(".el-checkbox", has_text="话务员").click()
        dialog.get_by_role("button", name="保存").click()
        if attempt == 0:
            expect(page.get_by_text("已保存")).to_be_visible()
            expect(page.locator(".el-table__body", has_text=name)).to_be_visible()
        else:
            # the second create of the same username is refused: the API's detail is shown
            expect(page.get_by_text(f"用户名 {name} 已存在")).to_be_visible()
            dialog.get_by_role("button", name="取消").click()
