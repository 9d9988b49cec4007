"""Pages for the dispatch model, the hot-issue report and forced QA re-scoring, driven in the browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from models.db import make_engine
from models.dispatch import TrainingJob
from models.org import Tenant
from tests.assist.asr_qa.helpers import NO_GREETING, scored_call
from tests.assist.dispatch.helpers import accept, build_history
from tests.conftest import DEMO_PASSWORD, CeleryWorker
from tests.web.conftest import shot

pytestmark = pytest.mark.browser


def _api(base_url: str, username: str) -> httpx.Client:
    token = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=120
    )


def _seed(web_db: str, fill) -> object:
    engine = make_engine(web_db)
    try:
        with Session(engine, expire_on_commit=False) as db:
            out = fill(db)
            db.commit()
            return out
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def dispatch_worker(web_db, tmp_path_factory):
    """A real worker on the served app's database: training from the page runs there."""
    worker = CeleryWorker(web_db, tmp_path_factory.mktemp("webworker"), "dispatch", name="webdispatch")
    yield worker
    worker.stop()


def _failed_job(db) -> None:
    root = db.query(Tenant).filter(Tenant.parent_id.is_(None)).order_by(Tenant.id).first()
    db.add(
        TrainingJob(
            tenant_id=root.id, token="x" * 32, status="failed", stage="failed", source="nightly",
            error="训练样本不足：需要至少 10 条已办结的历史工单", finished_at=datetime.now(UTC),
        )
    )  # fmt: skip


def _confirm(page) -> None:
    page.locator(".el-message-box").get_by_role("button", name=re.compile("确定|强制开启")).click()


def test_admin_trains_activates_and_rolls_back_dispatch_models(login, base_url, web_db, dispatch_worker):
    _seed(web_db, build_history)
    _seed(web_db, _failed_job)  # an earlier nightly run that had nothing to learn from
    admin = _api(base_url, "admin")
    before = {m["version"] for m in admin.get("/api/dispatch/models").json()}

    page = login("admin")
    page.goto("/dispatch/models")
    expect(page.locator("[data-test=shadow-stats]")).to_contain_text("影子运行统计")
    history = page.locator("[data-test=job-history]")
    expect(history).to_contain_text("训练样本不足")
    for note in ("第一版", "第二版"):
        page.click("[data-test=model-train]")
        page.locator(".el-message-box input").fill(note)
        _confirm(page)
        # the request returns at once; the page follows the background job to its end
        expect(page.locator("[data-test=train-status]")).to_contain_text(
            re.compile("排队中|训练中|训练完成"), timeout=10_000
        )
        expect(page.locator("[data-test=train-status]")).to_contain_text("训练完成", timeout=120_000)
        expect(history.locator(".el-table__body tr").filter(has_text=note)).to_contain_text("成功")
    jobs = admin.get("/api/dispatch/models/train").json()
    assert [j["note"] for j in jobs[:2]] == ["第二版", "第一版"] and all(
        j["status"] == "succeeded" for j in jobs[:2]
    )
    models = admin.get("/api/dispatch/models").json()
    new = sorted(m["version"] for m in models if m["version"] not in before)
    assert len(new) == 2 and {m["note"] for m in models if m["version"] in new} == {"第一版", "第二版"}
    table = page.locator("[data-test=model-table]")
    expect(table).to_contain_text("第二版")
    first, second = new
    # make the first new version current from the page, then roll back to what was current before it
    prior = next(m["version"] for m in models if m["status"] == "current")
    if prior == first:
        page.click(f"[data-test=model-activate-{second}]")
        _confirm(page)
        prior = second
    page.click(f"[data-test=model-activate-{first}]")
    _confirm(page)
    expect(page.locator(f"[data-test=model-status-{first}]")).to_have_text("在用")
    assert {m["version"]: m["status"] for m in admin.get("/api/dispatch/models").json()}[first] == "current"
    page.click("[data-test=model-rollback]")
    _confirm(page)
    expect(page.locator(f"[data-test=model-status-{prior}]")).to_have_text("在用")
    assert {m["version"]: m["status"] for m in admin.get("/api/dispatch/models").json()}[prior] == "current"
    shot(page, "dispatch-models")

    # auto-dispatch: shadow mode has not compared enough tickets, the page offers to force it
    page.click("[data-test=auto-switch]")
    expect(page.locator(".el-message-box")).to_contain_text("影子运行")
    _confirm(page)
    expect(page.get_by_text("已强制开启自动派单")).to_be_visible()
    assert admin.get("/api/dispatch/settings").json()["auto_dispatch"] is True
    page.click("[data-test=auto-switch]")
    expect(page.get_by_text("已切换为影子模式")).to_be_visible()
    assert admin.get("/api/dispatch/settings").json()["auto_dispatch"] is False

    # thresholds: an admin edits one category's threshold of the current version
    current = next(m for m in admin.get("/api/dispatch/models").json() if m["status"] == "current")
    label = sorted(current["thresholds"])[0]
    row = table.locator(
        ".el-table__body tr", has=page.locator(f"[data-test=model-status-{current['version']}]")
    )
    row.locator(".el-table__expand-icon").click()
    field = page.locator(f"[data-test=threshold-{current['version']}-{label}]")
    never = field.locator("xpath=..").locator(".el-checkbox")
    if "is-checked" in (never.get_attribute("class") or ""):  # "never auto" for this one: allow it first
        never.click()
    field.locator("input").fill("0.555")
    field.locator("input").press("Tab")
    default = page.locator(f"[data-test=default-threshold-{current['version']}] input")
    default.fill("0.8")
    default.press("Tab")
    page.click(f"[data-test=thresholds-save-{current['version']}]")
    expect(page.get_by_text("阈值已保存")).to_be_visible()
    edited = next(m for m in admin.get("/api/dispatch/models").json() if m["version"] == current["version"])
    assert edited["thresholds"][label] == 0.555 and edited["thresholds_updated_at"]
    assert edited["default_threshold"] == 0.8
    assert {k: v for k, v in edited["thresholds"].items() if k != label} == {
        k: v for k, v in current["thresholds"].items() if k != label
    }
    shot(page, "dispatch-thresholds")

    # a supervisor sees the page but none of the admin actions
    sup = login("supervisor")
    sup.goto("/dispatch/models")
    expect(sup.locator("[data-test=model-table]")).to_contain_text("第二版")
    expect(sup.locator("[data-test=job-history]")).to_contain_text("第二版")
    expect(sup.locator("[data-test=model-train]")).to_have_count(0)
    expect(sup.locator("[data-test^=thresholds-save]")).to_have_count(0)
    expect(sup.locator("[data-test=auto-switch] input")).to_be_disabled()


def _mark() -> str:
    return "".join("零一二三四五六七八九"[int(c)] for c in datetime.now(UTC).strftime("%S%f")[:5])


def test_supervisor_sees_hotspots_cluster_tickets_and_exports(login, base_url, web_db, tmp_path):
    mark = _mark()

    def burst(db):
        return {
            accept(db, "停水", f"西乡塘区秀灵路金湖花园{mark}小区突然停水，没有任何通知，第{i}户")
            for i in range(8)
        }

    water = _seed(web_db, burst)
    page = login("supervisor")
    page.goto("/hotspots")
    page.click("[data-test=hotspot-build]")
    expect(page.get_by_text("热点日报已生成")).to_be_visible()
    report = _api(base_url, "supervisor").get("/api/dispatch/hotspots").json()
    item = next(i for i in report["items"] if water <= set(i["ticket_ids"]))
    assert item["surge"] and item["district"] == "西乡塘区"
    row = page.locator("[data-test=hotspot-table] .el-table__body tr").filter(has_text=item["topic"]).first
    expect(row).to_contain_text("突增")
    assert float(row.locator("[data-test=hotspot-burst]").inner_text()) == round(item["burst"], 2)
    expect(page.locator("[data-test=hotspot-alerts]")).to_contain_text(item["topic"])
    # the cluster's tickets, by number, in a drawer
    row.locator("[data-test=hotspot-topic]").click()
    detail = page.locator("[data-test=hotspot-tickets]")
    expect(detail.locator(".el-table__body tr")).to_have_count(len(item["ticket_ids"]))
    expect(detail.locator(".el-table__body tr", has_text=mark)).to_have_count(len(water))
    page.wait_for_timeout(500)  # the drawer's slide-in, for the screenshot
    shot(page, "hotspots")
    page.keyboard.press("Escape")
    with page.expect_download() as dl:
        page.click("[data-test=hotspot-export]")
    path = tmp_path / "hotspots.xlsx"
    dl.value.save_as(path)
    assert re.fullmatch(r"hotspots-\d{4}-\d{2}-\d{2}\.xlsx", dl.value.suggested_filename)
    cells = [str(c) for row in load_workbook(path).active.iter_rows(values_only=True) for c in row if c]
    assert any("西乡塘区" in c for c in cells)


def test_reviewer_forces_a_rescore_and_sees_the_versions(login, base_url, web_db):
    score_id = _seed(web_db, lambda db: scored_call(db, NO_GREETING)[1].id)
    qa = _api(base_url, "qa")
    score = qa.get(f"/api/qa/scores/{score_id}").json()
    if score["status"] != "pending_review":
        assert qa.post(f"/api/qa/scores/{score_id}/request-review", json={"note": "抽检"}).status_code == 200
    assert qa.post(f"/api/qa/scores/{score_id}/complete-review", json={"note": "已复核"}).status_code == 200

    page = login("qa")
    page.goto(f"/qa/{score_id}")
    expect(page.locator("[data-test=qa-versions]")).to_have_count(0)
    page.click("[data-test=qa-rescore]")
    expect(page.locator(".el-message-box")).to_contain_text("已取代")
    _confirm(page)
    expect(page).not_to_have_url(re.compile(rf"/qa/{score_id}$"))
    versions = page.locator("[data-test=qa-versions]")
    expect(versions.locator(".el-table__body tr")).to_have_count(2)
    expect(versions).to_contain_text("已取代")
    transcript_id = score["transcript_id"]
    listed = qa.get(f"/api/qa/transcripts/{transcript_id}/scores").json()
    assert [s["status"] for s in listed][0] == "superseded" and listed[0]["id"] == score_id
    assert len(listed) == 2 and listed[1]["status"] != "superseded"
    assert listed[0]["superseded_by_id"] == listed[1]["id"]
    expect(page).to_have_url(re.compile(rf"/qa/{listed[1]['id']}$"))
    shot(page, "qa-rescore-versions")
    # the old version opens read-only, pointing at the new one
    versions.get_by_text("查看", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/qa/{score_id}$"))
    expect(page.locator("[data-test=qa-superseded]")).to_be_visible()
    expect(page.locator("[data-test=qa-rescore]")).to_be_disabled()
