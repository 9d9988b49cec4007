"""Yellow pages edited by the unit and searchable; knowledge questions answered and turned into articles."""

from __future__ import annotations

from sqlalchemy import select

from models.org import Unit


def _unit(kb_db, name):
    return kb_db.scalar(select(Unit.id).where(Unit.name == name))


def test_yellow_pages_search_and_edit(kb_client, auth, kb_db):
    water = _unit(kb_db, "南宁建宁水务投资集团有限责任公司")
    r = kb_client.get("/api/kb/yellow-pages", params={"q": "停水"}, headers=auth("agent01")).json()
    assert water in [e["unit_id"] for e in r["items"]]
    r = kb_client.get("/api/kb/yellow-pages", params={"q": "96868"}, headers=auth("agent01")).json()
    assert [e["unit_id"] for e in r["items"]] == [water]
    patch = {"office_hours": "7×24小时", "keywords": ["水表", "水压"], "contact_person": "客服中心"}
    assert (
        kb_client.patch(
            f"/api/kb/yellow-pages/{water}", json=patch, headers=auth("police_handler")
        ).status_code
        == 403
    )
    assert (
        kb_client.patch(f"/api/kb/yellow-pages/{water}", json=patch, headers=auth("agent01")).status_code
        == 403
    )
    r = kb_client.patch(f"/api/kb/yellow-pages/{water}", json=patch, headers=auth("water_handler"))
    assert r.status_code == 200 and r.json()["office_hours"] == "7×24小时"
    r = kb_client.get("/api/kb/yellow-pages", params={"q": "水压"}, headers=auth("agent01")).json()
    assert [e["unit_id"] for e in r["items"]] == [water]
    r = kb_client.patch(
        f"/api/kb/yellow-pages/{water}", json={"phones": ["打这个"]}, headers=auth("water_handler")
    )
    assert r.status_code == 422 and r.json()["field"] == "phones[0]"
    r = kb_client.get(f"/api/kb/yellow-pages/{water}", headers=auth("agent01")).json()
    assert r["phones"] == ["0771-96868"] and r["contact_person"] == "客服中心"


def test_question_answered_by_unit_becomes_article(kb_client, auth, kb_db):
    police = _unit(kb_db, "南宁市公安局")
    r = kb_client.post(
        "/api/kb/questions",
        json={"title": "外籍人员临时住宿登记去哪里办？", "detail": "市民来电咨询", "unit_id": police},
        headers=auth("agent06"),
    )
    assert r.status_code == 201
    q = r.json()
    assert q["status"] == "open"
    # the police unit sees it in its list, another unit does not see it at all
    assert q["id"] in [
        x["id"] for x in kb_client.get("/api/kb/questions", headers=auth("police_handler")).json()["items"]
    ]
    assert kb_client.get(f"/api/kb/questions/{q['id']}", headers=auth("cg_handler")).status_code == 404
    assert (
        kb_client.post(
            f"/api/kb/questions/{q['id']}/answer", json={"answer": "不是我们管"}, headers=auth("agent07")
        ).status_code
        == 404
    )
    r = kb_client.post(
        f"/api/kb/questions/{q['id']}/answer",
        json={"answer": "境外人员应在入住后24小时内到住地派出所办理临时住宿登记，入住宾馆的由宾馆代为登记。"},
        headers=auth("police_handler"),
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    again = kb_client.post(
        f"/api/kb/questions/{q['id']}/answer", json={"answer": "再答一次"}, headers=auth("police_sub")
    )
    assert again.status_code in (404, 409)
    r = kb_client.post(f"/api/kb/questions/{q['id']}/to-article", headers=auth("kb_police"))
    assert r.status_code == 201, r.text
    art = r.json()
    assert art["status"] == "draft" and art["unit_id"] == police and art["body"].startswith("境外人员")
    assert (
        kb_client.post(f"/api/kb/questions/{q['id']}/to-article", headers=auth("kb_police")).status_code
        == 409
    )
    assert (
        kb_client.get(f"/api/kb/questions/{q['id']}", headers=auth("agent06")).json()["article_id"]
        == art["id"]
    )


def test_question_validation(kb_client, auth):
    r = kb_client.post(
        "/api/kb/questions", json={"title": "问题", "unit_id": 99999999}, headers=auth("agent06")
    )
    assert r.status_code == 422 and r.json()["field"] == "unit_id"
    r = kb_client.post("/api/kb/questions", json={"title": "", "unit_id": 1}, headers=auth("agent06"))
    assert r.status_code == 422
