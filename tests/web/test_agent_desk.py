"""The agent desktop: accept an appeal, cite a knowledge article from the panel, dispatch in one flow."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import shot
from tests.web.test_ticket_flow import pick_option

pytestmark = pytest.mark.browser


def _token(base_url: str, username: str) -> str:
    r = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return r.json()["access_token"]


def test_agent_accepts_citing_article_and_dispatches(login, base_url):
    title = f"居住证怎么办理 {uuid.uuid4().hex[:6]}"
    page = login("agent01")
    expect(page).to_have_url(re.compile(r"/agent$"))
    form = page.locator("[data-test=ticket-form]")
    form.get_by_label("诉求人").fill("王女士")
    form.get_by_label("联系电话").fill("13977001234")
    pick_option(page, form.get_by_label("县区"), "", "青秀区")
    form.get_by_label("地址").fill("青秀区中山街道")
    form.get_by_label("标题").fill(title)
    form.get_by_label("诉求内容").fill("外地户籍在南宁工作，咨询居住证怎么办理，需要什么材料。")

    # live suggestions follow the form; cite the top article (its reply template lands in the reply)
    panel = page.locator("[data-test=knowledge-panel]")
    expect(panel.locator("[data-test=kb-hit]").first).to_contain_text("居住证", timeout=30_000)  # cold index
    panel.locator("[data-test=kp-cite]").first.click()
    expect(page.locator("[data-test=cited]")).to_contain_text("居住证")
    expect(
        page.locator("textarea[data-test=reply-text], [data-test=reply-text] textarea").first
    ).not_to_have_value("")

    # dispatch to the city police in the same flow
    page.click("[data-test=outcome-dispatch]")
    box = page.locator("[data-test=dispatch-box]")
    pick_option(
        page,
        box.locator("[data-test=lead-unit]").locator("xpath=self::input | .//input").first,
        "公安局",
        "南宁市公安局",
    )
    shot(page, "agent-desk-accept")
    with page.expect_response(lambda r: re.search(r"/api/tickets/\d+/dispatch$", r.url) is not None) as resp:
        page.click("[data-test=desk-submit]")
    assert resp.value.ok, resp.value.text()
    expect(page.get_by_text(re.compile(r"工单 NN\d+ 已交办"))).to_be_visible()

    # the API has the ticket, dispatched, with the article cited
    headers = {"Authorization": f"Bearer {_token(base_url, 'dispatcher')}"}
    found = httpx.get(f"{base_url}/api/tickets", params={"q": title}, headers=headers).json()["items"]
    assert len(found) == 1
    ticket = httpx.get(f"{base_url}/api/tickets/{found[0]['id']}", headers=headers).json()
    assert ticket["state"] == "to_sign"
    assert ticket["article_ids"], ticket
    assert ticket["channel"] == "web"
