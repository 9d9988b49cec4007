"""The /api/dispatch endpoints: roles, validation, catalogue edits, suggestions, models, hotspots."""

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Unit

from .helpers import accept


def _unit(db, name):
    return db.scalar(select(Unit.id).where(Unit.name == name))


def test_suggest_draft_and_roles(client, auth, trained):
    r = client.post("/api/dispatch/suggest", json={"text": "老板拖欠工资半年不发"}, headers=auth("agent01"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["suggestions"]) == 3 and body["suggestions"][0]["reasons"]
    assert body["model_version"] >= 1
    assert (
        client.post("/api/dispatch/suggest", json={"text": "x"}, headers=auth("agent01")).status_code == 422
    )
    assert (
        client.post(
            "/api/dispatch/suggest", json={"text": "停水"}, headers=auth("police_handler")
        ).status_code
        == 403
    )
    assert client.post("/api/dispatch/suggest", json={"text": "停水"}).status_code == 401


def test_duty_catalogue_edit_changes_reasons(client, auth, db, trained):
    unit_id = _unit(db, "南宁市城市管理综合行政执法局")
    body = {
        "unit_id": unit_id,
        "duty": "市容秩序",
        "keywords": ["占道经营", "共享单车乱停"],
        "exclusions": ["噪音"],
    }
    r = client.put("/api/dispatch/duties", json=body, headers=auth("dispatcher"))
    assert r.status_code == 200, r.text
    assert r.json()["keywords"] == ["占道经营", "共享单车乱停"]
    bad = client.put(
        "/api/dispatch/duties", json={**body, "exclusions": ["占道经营"]}, headers=auth("dispatcher")
    )
    assert bad.status_code == 422 and bad.json()["field"] == "exclusions"
    assert client.put("/api/dispatch/duties", json=body, headers=auth("agent01")).status_code == 403
    listed = client.get(f"/api/dispatch/duties?unit_id={unit_id}", headers=auth("dispatcher")).json()
    assert listed["total"] == 1 and listed["items"][0]["duty"] == "市容秩序"
    r = client.post("/api/dispatch/suggest", json={"text": "路口有人占道经营"}, headers=auth("dispatcher"))
    reasons = [x for s in r.json()["suggestions"] for x in s["reasons"]]
    assert any("占道经营" in x and "权责清单" in x for x in reasons)


def test_models_shadow_settings_and_rollback(client, auth, trained):
    models = client.get("/api/dispatch/models", headers=auth("supervisor")).json()
    assert models and any(m["status"] == "current" for m in models)
    assert "accuracy" in models[0]["metrics"]
    shadow = client.get("/api/dispatch/shadow", headers=auth("dispatcher")).json()
    assert "agreement" in shadow
    # auto-dispatch cannot be switched on before enough shadow comparisons; only admin may try
    assert (
        client.put(
            "/api/dispatch/settings", json={"auto_dispatch": True}, headers=auth("dispatcher")
        ).status_code
        == 403
    )
    r = client.put("/api/dispatch/settings", json={"auto_dispatch": True}, headers=auth("admin"))
    assert r.status_code == 409
    assert client.get("/api/dispatch/settings", headers=auth("admin")).json()["auto_dispatch"] is False
    r = client.post("/api/dispatch/models/999999/activate", headers=auth("admin"))
    assert r.status_code == 404


def test_duplicates_merge_and_hotspot_export(client, auth, db, trained):
    a = accept(db, "路灯", "兴宁区朝阳路金桥花园小区门口路灯不亮，晚上很黑")
    b = accept(db, "路灯坏", "金桥花园小区门口路灯坏了不亮，晚上出行危险")
    db.commit()
    r = client.get(f"/api/dispatch/tickets/{b}/duplicates?scan=true", headers=auth("dispatcher"))
    assert r.status_code == 200 and a in [d["candidate_id"] for d in r.json()]
    r = client.post(
        "/api/dispatch/merges",
        json={"primary_ticket_id": a, "merged_ticket_id": b},
        headers=auth("dispatcher"),
    )
    assert r.status_code == 201, r.text
    again = client.post(
        "/api/dispatch/merges",
        json={"primary_ticket_id": a, "merged_ticket_id": b},
        headers=auth("dispatcher"),
    )
    assert again.status_code == 409
    assert (
        client.get(f"/api/dispatch/tickets/{a}/merges", headers=auth("dispatcher")).json()[0][
            "merged_ticket_id"
        ]
        == b
    )
    r = client.post("/api/dispatch/hotspots/build", headers=auth("supervisor"))
    assert r.status_code == 201, r.text
    r = client.get("/api/dispatch/hotspots/export", headers=auth("supervisor"))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    assert ws["A2"].value == "序号"
    assert client.get("/api/dispatch/hotspots/alerts", headers=auth("supervisor")).status_code == 200
    assert client.get("/api/dispatch/hotspots", headers=auth("agent01")).status_code == 403


def test_ticket_suggestions_and_feedback(client, auth, db, trained):
    tid = accept(db, "学位", "孩子小学入学学位不够，想咨询入学政策")
    db.commit()
    r = client.get(f"/api/dispatch/tickets/{tid}/suggestions", headers=auth("dispatcher"))
    assert r.status_code == 200, r.text
    top = r.json()["suggestions"][0]
    assert top["unit_id"] == _unit(db, "南宁市教育局")
    r = client.post(
        f"/api/dispatch/tickets/{tid}/feedback",
        json={"unit_id": top["unit_id"], "kind": "returned"},
        headers=auth("dispatcher"),
    )
    assert r.status_code == 201, r.text
    r = client.get(f"/api/dispatch/tickets/{tid}/suggestions", headers=auth("dispatcher"))
    assert top["unit_id"] not in [s["unit_id"] for s in r.json()["suggestions"]]
    bad = client.post(
        f"/api/dispatch/tickets/{tid}/feedback",
        json={"unit_id": 1, "kind": "maybe"},
        headers=auth("dispatcher"),
    )
    assert bad.status_code == 422
    assert (
        client.get("/api/dispatch/tickets/99999999/suggestions", headers=auth("dispatcher")).status_code
        == 404
    )


def test_catalogue_only_suggestion_labelled(client, auth, db, trained):
    """A unit the model never saw, suggested from the duty catalogue alone, says so in the API."""
    env = _unit(db, "南宁市生态环境局")
    dispatcher = auth("dispatcher")
    before = client.get(f"/api/dispatch/duties?unit_id={env}", headers=dispatcher).json()["items"]
    duty = {"unit_id": env, "duty": "水污染", "keywords": ["偷排", "排污口", "废水"]}
    r = client.put("/api/dispatch/duties", json=duty, headers=dispatcher)
    assert r.status_code == 200, r.text
    try:
        r = client.post(
            "/api/dispatch/suggest", json={"text": "化工厂排污口夜里偷排废水"}, headers=auth("agent01")
        )
        assert r.status_code == 200, r.text
        by_unit = {s["unit_id"]: s for s in r.json()["suggestions"]}
        assert by_unit[env]["source"] == "catalogue" and by_unit[env]["confidence"] == 0.0
        assert {s["source"] for u, s in by_unit.items() if u != env} == {"model"}
    finally:  # leave the catalogue as it was for the other tests
        if before:
            old = {k: before[0][k] for k in ("unit_id", "duty", "keywords", "exclusions", "active")}
            assert client.put("/api/dispatch/duties", json=old, headers=dispatcher).status_code == 200
        else:
            listed = client.get(f"/api/dispatch/duties?unit_id={env}", headers=dispatcher).json()
            item_id = listed["items"][0]["id"]
            assert client.delete(f"/api/dispatch/duties/{item_id}", headers=dispatcher).status_code == 204
