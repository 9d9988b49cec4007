"""Lifecycle: draft → submitted → reviewed → published → unpublished / archived; expiry; races."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from kb import service
from kb.enums import ArticleAction
from models.db import utcnow
from models.errors import Conflict, PermissionDenied
from models.kb import Article, ArticleEvent


def test_full_lifecycle_over_api(kb_client, auth, new_article):
    art = new_article()
    assert art["status"] == "draft" and art["actions"] == ["submit", "archive"]
    steps = [
        ("submit", "submitted"),
        ("approve", "reviewed"),
        ("publish", "published"),
        ("unpublish", "unpublished"),
        ("publish", "published"),
        ("archive", "archived"),
    ]
    for action, status in steps:
        r = kb_client.post(f"/api/kb/articles/{art['id']}/{action}", headers=auth("editor"))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    events = kb_client.get(f"/api/kb/articles/{art['id']}/events", headers=auth("editor")).json()
    assert [e["action"] for e in events] == ["create"] + [a for a, _ in steps]
    assert events[3]["from_status"] == "reviewed" and events[3]["to_status"] == "published"


def test_transition_not_in_table_is_409_and_changes_nothing(kb_client, auth, new_article):
    art = new_article()
    r = kb_client.post(f"/api/kb/articles/{art['id']}/publish", headers=auth("editor"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert kb_client.get(f"/api/kb/articles/{art['id']}", headers=auth("editor")).json()["status"] == "draft"
    r = kb_client.post(f"/api/kb/articles/{art['id']}/expire", headers=auth("admin"))
    assert r.status_code == 422


def test_reject_sends_back_to_draft(kb_client, auth, new_article):
    art = new_article()
    kb_client.post(f"/api/kb/articles/{art['id']}/submit", headers=auth("editor"))
    r = kb_client.post(
        f"/api/kb/articles/{art['id']}/reject", json={"note": "依据不全"}, headers=auth("editor")
    )
    assert r.json()["status"] == "draft"
    events = kb_client.get(f"/api/kb/articles/{art['id']}/events", headers=auth("editor")).json()
    assert events[-1]["note"] == "依据不全"


def test_agents_see_published_only(kb_client, auth, new_article):
    draft = new_article()
    pub = new_article(publish=True, title="坐席可见的已上架知识")
    assert kb_client.get(f"/api/kb/articles/{draft['id']}", headers=auth("agent01")).status_code == 404
    assert kb_client.get(f"/api/kb/articles/{pub['id']}", headers=auth("agent01")).status_code == 200
    listed = kb_client.get("/api/kb/articles", params={"size": 200}, headers=auth("agent01")).json()["items"]
    assert all(a["status"] == "published" for a in listed)
    assert draft["id"] not in {a["id"] for a in listed}
    # an agent cannot move anything along
    assert (
        kb_client.post(f"/api/kb/articles/{pub['id']}/unpublish", headers=auth("agent01")).status_code == 403
    )


def test_expiry_unpublishes_and_reminds(kb_db, scope_of, kb_app):
    editor = scope_of("editor")
    now = utcnow()
    soon = service.create_article(
        kb_db, editor, title="即将到期的知识", body="正文", valid_until=now + timedelta(days=3)
    )
    gone = service.create_article(
        kb_db, editor, title="已到期的知识", body="正文", valid_until=now + timedelta(hours=1)
    )
    for a in (soon, gone):
        for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
            service.transition(kb_db, editor, a.id, action)
    kb_db.commit()
    later = now + timedelta(hours=2)
    expired = service.expire_due(kb_db, now=later)
    reminded = service.remind_reviews(kb_db, now=later)
    kb_db.commit()
    assert gone.id in expired and soon.id not in expired
    assert kb_db.get(Article, gone.id).status == "unpublished"
    assert soon.id in [a.id for a in reminded]
    assert service.remind_reviews(kb_db, now=later) == []  # once only
    due, _ = service.list_articles(kb_db, editor, due_review=True, limit=200)
    assert soon.id in [a.id for a in due] and gone.id not in [a.id for a in due]
    ev = kb_db.query(ArticleEvent).filter_by(article_id=gone.id, action="expire").one()
    assert ev.actor_id is None and ev.to_status == "unpublished"
    # republishing an expired article is refused until its validity is extended
    service.update_article(kb_db, editor, gone.id, valid_until=utcnow() - timedelta(minutes=1))
    with pytest.raises(Conflict):
        service.transition(kb_db, editor, gone.id, ArticleAction.publish)
    kb_db.rollback()
    # nobody may trigger the system's own transition
    with pytest.raises(PermissionDenied):
        service.transition(kb_db, editor, soon.id, ArticleAction.expire)
    kb_db.rollback()


def test_concurrent_transitions_exactly_one_wins(kb_app, scope_of, kb_db):
    editor = scope_of("editor")
    a = service.create_article(kb_db, editor, title="并发审核", body="正文")
    service.transition(kb_db, editor, a.id, ArticleAction.submit)
    kb_db.commit()
    factory = sessionmaker(kb_app.state.engine, expire_on_commit=False)
    s1, s2 = factory(), factory()
    try:
        held = (s1.get(Article, a.id), s2.get(Article, a.id))  # both read "submitted"
        assert {x.status for x in held} == {"submitted"}
        service.transition(s1, editor, a.id, ArticleAction.approve)
        s1.commit()
        with pytest.raises(Conflict):
            service.transition(s2, editor, a.id, ArticleAction.reject)
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    kb_db.expire_all()
    assert kb_db.get(Article, a.id).status == "reviewed"
