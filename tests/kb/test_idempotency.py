"""`Idempotency-Key` on the knowledge base's create endpoints."""

from __future__ import annotations

import threading
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.demo import DEMO_PASSWORD
from models.kb import Article, Category, KnowledgeBase, Question
from models.org import Unit


def test_repeat_returns_first_result(kb_client, kb_db, auth, uniq):
    key = {"Idempotency-Key": f"art-{uniq}"}
    body = {"title": f"幂等知识{uniq}", "body": "正文"}
    first = kb_client.post("/api/kb/articles", json=body, headers={**auth("editor"), **key})
    again = kb_client.post("/api/kb/articles", json=body, headers={**auth("editor"), **key})
    assert first.status_code == 201 and again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    assert kb_db.scalar(select(func.count()).where(Article.title == body["title"])) == 1

    # same key, another body → 409 naming the header; nothing created
    other = kb_client.post(
        "/api/kb/articles", json={**body, "body": "另一正文"}, headers={**auth("editor"), **key}
    )
    assert other.status_code == 409 and other.json()["field"] == "Idempotency-Key", other.text
    assert "内容不同" in other.json()["detail"]
    # same key for another kind of create → 409 too
    cat = kb_client.post(
        "/api/kb/categories", json={"name": f"幂等{uniq}"}, headers={**auth("editor"), **key}
    )
    assert cat.status_code == 409
    # another user may use the same key for their own request
    mine = kb_client.post("/api/kb/articles", json=body, headers={**auth("admin"), **key})
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]
    # without a key every request creates
    a = kb_client.post("/api/kb/articles", json=body, headers=auth("editor")).json()
    assert a["id"] != first.json()["id"]


def test_categories_bases_questions(kb_client, kb_db, auth, uniq):
    cases = [
        ("/api/kb/categories", {"name": f"幂等分类{uniq}"}, "editor", Category, Category.name),
        (
            "/api/kb/bases",
            {"name": f"幂等库{uniq}", "kind": "personal"},
            "agent01",
            KnowledgeBase,
            KnowledgeBase.name,
        ),
    ]
    for url, body, user, model, col in cases:
        h = {**auth(user), "Idempotency-Key": f"k-{url}-{uniq}"}
        r1, r2 = kb_client.post(url, json=body, headers=h), kb_client.post(url, json=body, headers=h)
        assert r1.status_code == 201 and r2.status_code == 201, r2.text
        assert r1.json()["id"] == r2.json()["id"]
        assert kb_db.scalar(select(func.count()).select_from(model).where(col == body["name"])) == 1
    unit_id = kb_db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
    body = {"title": f"幂等提问{uniq}", "detail": "怎么办？", "unit_id": unit_id}
    h = {**auth("agent01"), "Idempotency-Key": f"q-{uniq}"}
    r1, r2 = (
        kb_client.post("/api/kb/questions", json=body, headers=h),
        kb_client.post("/api/kb/questions", json=body, headers=h),
    )
    assert r1.status_code == 201 and r1.json()["id"] == r2.json()["id"], r2.text
    assert kb_db.scalar(select(func.count()).where(Question.title == body["title"])) == 1


def test_failed_create_does_not_burn_the_key(kb_client, auth, uniq):
    h = {**auth("editor"), "Idempotency-Key": f"bad-{uniq}"}
    bad = kb_client.post("/api/kb/articles", json={"title": "x", "unit_id": 987654}, headers=h)
    assert bad.status_code == 422
    ok = kb_client.post("/api/kb/articles", json={"title": f"重试{uniq}"}, headers=h)
    assert ok.status_code == 201, ok.text


def test_concurrent_creates_with_one_key_make_one_article(pg_url, settings_factory):
    from api.app import create_app

    app = create_app(settings_factory(pg_url, embedder="hash"))
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            token = c.post("/api/auth/token", data={"username": "editor", "password": DEMO_PASSWORD})
            headers = {
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Idempotency-Key": f"race-{uuid.uuid4().hex[:8]}",
            }
            title = f"并发幂等{uuid.uuid4().hex[:8]}"
            for _ in range(3):  # a few rounds: each with a fresh key, all requests of a round share it
                headers["Idempotency-Key"] = f"race-{uuid.uuid4().hex[:8]}"
                barrier, results = threading.Barrier(4), []

                def go(barrier=barrier, results=results):
                    barrier.wait()
                    results.append(c.post("/api/kb/articles", json={"title": title}, headers=headers))

                threads = [threading.Thread(target=go) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(30)
                assert [r.status_code for r in results] == [201] * 4, [r.text for r in results]
                assert len({r.json()["id"] for r in results}) == 1
            with app.state.engine.connect() as conn:
                assert conn.scalar(select(func.count()).where(Article.title == title)) == 3
    finally:
        app.state.engine.dispose()
