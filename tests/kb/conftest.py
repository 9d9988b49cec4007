"""Knowledge-base fixtures: an app on the shared test database with the instant `hash` embedder
(the paraphrase tests load the real default embedder themselves)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models.org import User
from models.scope import scope_for


@pytest.fixture(scope="session")
def kb_app(db_url, settings_factory):
    from api.app import create_app

    application = create_app(settings_factory(db_url, embedder="hash"))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def kb_client(kb_app) -> Iterator[TestClient]:
    with TestClient(kb_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def kb_db(kb_app):
    from sqlalchemy.orm import sessionmaker

    session = sessionmaker(kb_app.state.engine, expire_on_commit=False)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def scope_of(kb_db):
    def make(username: str):
        user = kb_db.scalar(select(User).where(User.username == username))
        return scope_for(kb_db, user)

    return make


@pytest.fixture
def uniq() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def new_category(kb_client, auth, uniq):
    def make(name: str | None = None, parent_id: int | None = None, user: str = "editor") -> dict:
        r = kb_client.post(
            "/api/kb/categories",
            json={"name": name or f"测试分类{uniq}", "parent_id": parent_id},
            headers=auth(user),
        )
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def new_article(kb_client, auth, uniq):
    def make(user: str = "editor", publish: bool = False, reviewer: str = "editor", **fields) -> dict:
        body = {"title": f"测试知识{uniq}", "body": "测试正文。", **fields}
        r = kb_client.post("/api/kb/articles", json=body, headers=auth(user))
        assert r.status_code == 201, r.text
        art = r.json()
        if publish:
            for action, who in (("submit", user), ("approve", reviewer), ("publish", reviewer)):
                r = kb_client.post(f"/api/kb/articles/{art['id']}/{action}", headers=auth(who))
                assert r.status_code == 200, r.text
            art = r.json()
        return art

    return make
