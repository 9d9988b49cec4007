"""QA review in the browser: the recording plays, the transcript follows it, deductions sit at their times."""

from __future__ import annotations

import re
import wave

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from models.db import make_engine
from tests.assist.asr_qa.helpers import NO_GREETING, scored_call
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


def _silence(path, seconds: int) -> None:
    """A stereo 8 kHz WAV (agent and caller channels) standing in for the call's recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00\x00\x00" * 8000 * seconds)


def test_reviewer_plays_call_and_reviews_deductions(login, base_url, web_db, web_data_dir):
    recording = web_data_dir / "recordings" / "qa-web-1.wav"
    _silence(recording, 22)
    engine = make_engine(web_db)
    with Session(engine) as db:
        _, score = scored_call(db, NO_GREETING, recording_path=str(recording))
        score_id, status = score.id, score.status
    engine.dispose()
    if status != "pending_review":  # a missing greeting usually selects it already (low score)
        token = httpx.post(f"{base_url}/api/auth/token", data={"username": "qa", "password": DEMO_PASSWORD})
        r = httpx.post(
            f"{base_url}/api/qa/scores/{score_id}/request-review",
            json={"note": "抽检"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert r.status_code == 200, r.text

    page = login("qa")
    expect(page).to_have_url(re.compile(r"/qa$"))
    page.locator("[data-test=qa-table]").get_by_role("link", name="复核").first.click()
    expect(page).to_have_url(re.compile(rf"/qa/{score_id}$"))
    transcript = page.locator("[data-test=qa-transcript]")
    expect(transcript).to_contain_text("喂请讲")
    deduction = page.locator("[data-test=qa-deduction]", has_text="开头语").first
    expect(deduction).to_be_visible()
    # the recording loaded (fetched with the token) and a deduction's time seeks the player
    page.wait_for_function("document.querySelector('[data-test=qa-audio]').duration > 20")
    page.locator("[data-test=qa-transcript] .seg", has_text="我家楼下的路灯").click()
    current = page.evaluate("document.querySelector('[data-test=qa-audio]').currentTime")
    assert 4.5 <= current <= 6, current
    shot(page, "qa-review")
    before = float(page.locator("[data-test=qa-score]").inner_text())
    deduction.get_by_role("button", name="驳回").click()
    expect(page.locator("[data-test=qa-score]")).not_to_have_text(str(before).rstrip("0").rstrip("."))
    page.click("[data-test=qa-complete]")
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page.get_by_text("复核完成")).to_be_visible()
