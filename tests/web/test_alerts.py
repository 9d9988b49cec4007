"""A citizen alert from automatic QA pops up on the supervisor's screen as it is published."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models.bus import Bus
from tests.conftest import REDIS_TEST_URL
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


def test_supervisor_sees_qa_alert_live(login, base_url, bus_namespace):
    page = login("supervisor")
    page.goto(base_url + "/monitor")
    expect(page.locator(".ws .dot.green")).to_be_visible(timeout=10000)  # the socket is open
    Bus(REDIS_TEST_URL, bus_namespace).publish(
        "qa:alerts",
        {
            "type": "qa.alert",
            "tenant_id": 1,
            "category": "self_harm",
            "detail": "市民表达轻生念头",
            "words": "不想活了",
        },
    )
    note = page.locator(".el-notification")
    expect(note).to_contain_text("市民情绪预警：自伤自杀倾向", timeout=10000)
    expect(note).to_contain_text("不想活了")
    shot(page, "supervisor-qa-alert")
