"""Knowledge questions (ask → the unit answers → a draft article) and voicemail playback in call records."""

from __future__ import annotations

import math
import re
import struct
import uuid
import wave

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import make_engine
from models.org import Tenant
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import shot
from tests.web.test_ticket_flow import pick_option

pytestmark = pytest.mark.browser


def _get(base_url: str, username: str, path: str) -> dict:
    token = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r = httpx.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_question_asked_answered_and_turned_into_a_draft_article(login, base_url):
    title = f"外地户口在南宁办居住证需要住满多久？{uuid.uuid4().hex[:4]}"
    agent = login("agent01")
    agent.goto("/kb/questions")
    agent.get_by_role("button", name="我要提问").click()
    dialog = agent.locator(".el-dialog", has_text="向承办单位提问")
    dialog.get_by_role("button", name="提交").click()
    expect(dialog).to_contain_text("请填写问题")  # nothing is sent without a question and a unit
    dialog.get_by_label("问题").fill(title)
    dialog.get_by_label("说明").fill("来电人租房居住，想知道办理居住证的条件。")
    pick_option(agent, dialog.get_by_label("提问对象"), "公安局", "南宁市公安局")
    dialog.get_by_role("button", name="提交").click()
    expect(agent.get_by_text("已提交，承办单位答复后会显示在这里")).to_be_visible()
    row = agent.locator(".el-table__body tr", has_text=title)
    expect(row).to_contain_text("待答复")

    # the police's knowledge editor answers and turns the answer into a draft article
    answer = "在南宁居住满半年，有合法稳定就业、住所或连续就读之一的，可申领居住证。"
    editor = login("kb_police")
    editor.goto("/kb/questions")
    row = editor.locator(".el-table__body tr", has_text=title)
    row.get_by_role("button", name="答复").click()
    box = editor.locator(".el-message-box")
    box.locator("textarea").fill(answer)
    box.get_by_role("button", name="确定").click()
    expect(editor.get_by_text("已答复").first).to_be_visible()
    expect(row).to_contain_text("已答复")
    row.get_by_role("button", name="转为知识").click()
    expect(editor).to_have_url(re.compile(r"/kb/articles/\d+$"))
    article_id = int(editor.url.rsplit("/", 1)[1])
    expect(editor.get_by_text(answer[:12]).first).to_be_visible()
    expect(editor.get_by_text("草稿").first).to_be_visible()
    shot(editor, "kb-question-article")
    article = _get(base_url, "kb_police", f"/api/kb/articles/{article_id}")
    assert article["status"] == "draft" and title in article["title"]
    questions = _get(base_url, "agent01", "/api/kb/questions?size=100")["items"]
    asked = next(q for q in questions if q["title"] == title)
    assert asked["status"] == "answered" and asked["answer"] == answer and asked["article_id"] == article_id

    # the agent sees the answer
    agent.reload()
    row = agent.locator(".el-table__body tr", has_text=title)
    expect(row).to_contain_text("已答复")
    row.locator(".el-table__expand-icon").click()
    expect(agent.get_by_text(answer)).to_be_visible()


def _tone(path, seconds: float = 3.0) -> None:
    """A mono 8 kHz 440 Hz tone standing in for the caller's message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(8000 * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(n))
        )


def test_voicemail_played_and_marked_handled_in_call_records(login, base_url, web_db, web_data_dir):
    from switch.store.writes import add_voicemail

    caller = f"139{uuid.uuid4().int % 10**8:08d}"
    path = web_data_dir / "recordings" / f"vm-{caller}.wav"
    _tone(path)
    engine = make_engine(web_db)
    with Session(engine) as db:
        root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
        vm = add_voicemail(
            db,
            call_uuid=str(uuid.uuid4()),
            caller=caller,
            called="12345",
            tenant_id=root,
            reason="after_hours",
            path=str(path),
            duration_s=3.0,
        )
        db.commit()
        vm_id = vm.id
    engine.dispose()

    page = login("supervisor")
    page.goto("/calls")
    page.get_by_role("tab", name="留言").click()
    row = page.locator("[data-test=voicemail-table] .el-table__body tr", has_text=caller)
    expect(row).to_contain_text("待处理")
    row.get_by_role("button", name="收听").click()
    audio = row.locator("audio")
    expect(audio).to_be_visible()
    # the recording was fetched with the token and decodes to the 3-second message
    page.wait_for_function("a => a.duration > 2.5 && a.duration < 3.5", arg=audio.element_handle())
    audio.evaluate("a => { a.muted = true; return a.play() }")
    page.wait_for_function("a => a.currentTime > 0.3", arg=audio.element_handle())
    shot(page, "calls-voicemail")
    row.get_by_role("button", name="标记已处理").click()
    box = page.locator(".el-message-box")
    box.locator("input").fill("已回电解答")
    box.get_by_role("button", name="确定").click()
    expect(row).to_contain_text("已处理")
    expect(row).to_contain_text("已回电解答")
    listed = _get(base_url, "supervisor", "/api/voicemails?size=100")["items"]
    assert next(v for v in listed if v["id"] == vm_id)["status"] == "handled"
