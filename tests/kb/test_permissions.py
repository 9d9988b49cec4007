"""Permissions by role and unit on category branches; review by the owning unit or the centre."""

from __future__ import annotations

from sqlalchemy import select

from models.org import Unit


def _unit_id(kb_db, name: str) -> int:
    return kb_db.scalar(select(Unit.id).where(Unit.name == name))


def test_branch_grants_restrict_read_write_review(kb_client, auth, kb_db, new_category, uniq):
    police = _unit_id(kb_db, "南宁市公安局")
    root = new_category(f"公安专区{uniq}")
    child = new_category(f"户政{uniq}", parent_id=root["id"])
    grants = [
        {"role": "kb_editor", "unit_id": police, "can_read": True, "can_write": True, "can_review": True},
        {"role": "agent", "can_read": True},
    ]
    r = kb_client.put(f"/api/kb/categories/{root['id']}/permissions", json=grants, headers=auth("admin"))
    assert r.status_code == 200 and len(r.json()) == 2
    # only admin sets grants
    assert (
        kb_client.put(
            f"/api/kb/categories/{root['id']}/permissions", json=[], headers=auth("editor")
        ).status_code
        == 403
    )

    # the police unit's editor writes in the child branch (grant inherited from the root); the centre editor may not
    r = kb_client.post(
        "/api/kb/articles",
        json={"title": "户口迁移", "body": "正文", "category_id": child["id"]},
        headers=auth("kb_police"),
    )
    assert r.status_code == 201, r.text
    art = r.json()
    assert art["unit_id"] == police  # a unit user's article belongs to the unit
    r = kb_client.post(
        "/api/kb/articles",
        json={"title": "越权编写", "body": "正文", "category_id": child["id"]},
        headers=auth("editor"),
    )
    assert r.status_code == 403 and r.json()["field"] == "category_id"

    # police reviews and publishes its own article
    for action in ("submit", "approve", "publish"):
        r = kb_client.post(f"/api/kb/articles/{art['id']}/{action}", headers=auth("kb_police"))
        assert r.status_code == 200, (action, r.text)
    # agents read it; a city-management handler (no grant on the branch) does not even see it
    assert kb_client.get(f"/api/kb/articles/{art['id']}", headers=auth("agent02")).status_code == 200
    assert kb_client.get(f"/api/kb/articles/{art['id']}", headers=auth("cg_handler")).status_code == 404
    listed = kb_client.get("/api/kb/articles", params={"size": 200}, headers=auth("cg_handler")).json()
    assert art["id"] not in [a["id"] for a in listed["items"]]
    listed = kb_client.get(
        "/api/kb/articles", params={"category_id": root["id"]}, headers=auth("agent02")
    ).json()
    assert [a["id"] for a in listed["items"]] == [art["id"]] and listed["total"] == 1
    cats = {c["id"] for c in kb_client.get("/api/kb/categories", headers=auth("cg_handler")).json()}
    assert root["id"] not in cats and child["id"] not in cats
    assert child["id"] in {
        c["id"] for c in kb_client.get("/api/kb/categories", headers=auth("agent02")).json()
    }

    # removing the grants restores the defaults: the centre editor writes again
    kb_client.put(f"/api/kb/categories/{root['id']}/permissions", json=[], headers=auth("admin"))
    r = kb_client.post(
        "/api/kb/articles",
        json={"title": "默认权限", "body": "正文", "category_id": child["id"]},
        headers=auth("editor"),
    )
    assert r.status_code == 201


def test_review_by_owning_unit_or_centre(kb_client, auth, kb_db, new_article):
    water = _unit_id(kb_db, "南宁建宁水务投资集团有限责任公司")
    art = new_article(unit_id=water)  # written by the centre editor for the water company
    kb_client.post(f"/api/kb/articles/{art['id']}/submit", headers=auth("editor"))
    # the police unit's knowledge editor is not the owning unit: may not review
    r = kb_client.post(f"/api/kb/articles/{art['id']}/approve", headers=auth("kb_police"))
    assert r.status_code in (403, 404)
    # a handler of the owning unit without the editor role may not either
    r = kb_client.post(f"/api/kb/articles/{art['id']}/approve", headers=auth("water_handler"))
    assert r.status_code in (403, 404)
    # the centre's knowledge editor may
    r = kb_client.post(f"/api/kb/articles/{art['id']}/approve", headers=auth("editor"))
    assert r.status_code == 200 and r.json()["reviewer_id"] is not None


def test_unit_editor_writes_only_for_own_unit(kb_client, auth, kb_db):
    water = _unit_id(kb_db, "南宁建宁水务投资集团有限责任公司")
    r = kb_client.post(
        "/api/kb/articles",
        json={"title": "替别的单位写", "body": "正文", "unit_id": water},
        headers=auth("kb_police"),
    )
    assert r.status_code == 403 and r.json()["field"] == "unit_id"
    # agents and handlers cannot write at all
    r = kb_client.post(
        "/api/kb/articles", json={"title": "坐席写知识", "body": "正文"}, headers=auth("agent01")
    )
    assert r.status_code == 403


def test_independent_bases_are_private(kb_client, auth):
    r = kb_client.post(
        "/api/kb/bases", json={"name": "我的笔记", "kind": "personal"}, headers=auth("agent03")
    )
    assert r.status_code == 201
    base = r.json()
    r = kb_client.post(
        "/api/kb/articles",
        json={"title": "个人笔记：医保报销口径", "body": "门诊报销比例的个人整理。", "base_id": base["id"]},
        headers=auth("agent03"),
    )
    assert r.status_code == 201
    art = r.json()
    for action in ("submit", "approve", "publish"):  # the owner runs their own base
        assert (
            kb_client.post(f"/api/kb/articles/{art['id']}/{action}", headers=auth("agent03")).status_code
            == 200
        )
    assert kb_client.get(f"/api/kb/articles/{art['id']}", headers=auth("agent04")).status_code == 404
    assert base["id"] not in {b["id"] for b in kb_client.get("/api/kb/bases", headers=auth("agent04")).json()}
    # searched separately: not in the reply base, found in its own base
    r = kb_client.get("/api/kb/search", params={"q": "个人笔记 医保报销口径"}, headers=auth("agent03"))
    assert art["id"] not in [h["article_id"] for h in r.json()]
    r = kb_client.get(
        "/api/kb/search",
        params={"q": "个人笔记 医保报销口径", "base_id": base["id"]},
        headers=auth("agent03"),
    )
    assert [h["article_id"] for h in r.json()] == [art["id"]]
    r = kb_client.get("/api/kb/search", params={"q": "医保", "base_id": base["id"]}, headers=auth("agent04"))
    assert r.status_code == 404
    # a unit base is only for a unit user
    r = kb_client.post("/api/kb/bases", json={"name": "单位库", "kind": "unit"}, headers=auth("agent03"))
    assert r.status_code == 422 and r.json()["field"] == "kind"
