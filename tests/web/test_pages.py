"""Every page opens for its role against the real APIs, shows real data, and is screenshotted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE, shot

pytestmark = pytest.mark.browser

# (user, path, text that proves the page loaded data from its API, screenshot name)
PAGES = [
    ("admin", "/admin/skill-groups", "综合咨询", "admin-skill-groups"),
    ("admin", "/admin/ivr-menus", "按 1：转人工", "admin-ivr-menus"),
    ("admin", "/admin/blacklist", "黑名单", "admin-blacklist"),
    ("admin", "/admin/calendars", "工单办理时限日历", "admin-calendars"),
    ("admin", "/admin/qa-rules", "标准开头语", "admin-qa-rules"),
    ("admin", "/admin/duties", "权责清单", "admin-duties"),
    ("agent01", "/kb", "知识分类", "kb-portal"),
    ("agent01", "/kb/yellow-pages", "南宁市公安局", "kb-yellow-pages"),
    ("agent01", "/kb/questions", "知识提问", "kb-questions"),
    ("editor", "/kb/editor", "已上架", "kb-editor"),
    ("qa", "/qa", "待复核", "qa-reviews"),
    ("supervisor", "/monitor", "1001", "supervisor-monitor"),
    ("supervisor", "/wallboard", "话务实时大屏", "supervisor-wallboard"),
    ("dispatcher", "/reports/tickets", "派单及时率", "reports-ticket-kpis"),
    ("police_leader", "/m/leader", "已超期", "mobile-leader"),
]


@pytest.mark.parametrize(("user", "path", "text", "name"), PAGES, ids=[p[3] for p in PAGES])
def test_page_renders_with_api_data(login, user, path, text, name):
    page = login(user, viewport=PHONE if path.startswith("/m/") else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path)
    expect(page.get_by_text(text).first).to_be_visible()
    expect(page.locator(".el-message--error")).to_have_count(0)
    shot(page, name)
    assert not errors, errors


def test_kb_search_highlights_and_opens_article(login):
    page = login("agent01")
    page.goto("/kb")
    page.locator("input[data-test=kb-search], [data-test=kb-search] input").first.fill("居住证怎么办理")
    page.keyboard.press("Enter")
    hit = page.locator("[data-test=kb-hit]").first
    expect(hit).to_contain_text("居住证", timeout=30_000)  # the first search loads the index
    expect(hit.locator("em").first).to_be_visible()  # the highlight
    shot(page, "kb-search")
    hit.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/kb/articles/\d+$"))
    expect(page.get_by_text("答复口径")).to_be_visible()
    shot(page, "kb-article")


def test_admin_sets_agent_skills(login):
    page = login("admin")
    page.goto("/admin/skill-groups")
    row = page.locator("[data-test=agent-skills] .el-table__body tr", has_text="1011")
    expect(row).to_be_visible()
    row.get_by_role("button", name="编辑").click()
    dialog = page.locator(".el-dialog", has_text="坐席")
    dialog.get_by_role("button", name="添加技能").click()
    dialog.locator(".skill").last.locator(".el-select").click()
    page.locator(".el-select-dropdown__item:visible", has_text="企业服务").first.click()
    dialog.locator(".skill").last.locator(".el-rate__item").nth(1).click()
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    expect(row).to_contain_text("企业服务 · 2")
    shot(page, "admin-agent-skills")


def test_editor_exports_and_imports_articles(login):
    page = login("editor")
    page.goto("/kb/editor")
    expect(page.get_by_text("已上架").first).to_be_visible()
    page.get_by_role("button", name="导出").click()
    with page.expect_download() as dl:
        page.get_by_text("Excel（xlsx）").click()
    assert dl.value.suggested_filename.endswith(".xlsx")
    exported = {
        "name": "知识导出.xlsx",
        "mimeType": "application/octet-stream",
        "buffer": Path(dl.value.path()).read_bytes(),
    }
    with page.expect_response(lambda r: r.url.endswith("/api/kb/articles/import")) as resp:
        page.locator(".el-upload input[type=file]").set_input_files(files=[exported])
    assert resp.value.ok, resp.value.text()
    expect(page.get_by_text(re.compile(r"已导入"))).to_be_visible()
