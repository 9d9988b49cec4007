"""Review reminders and new knowledge questions are published on the Redis bus after commit."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import select

from kb import notices, service
from kb.enums import ArticleAction
from kb.tasks import sweep_validity
from models.bus import Bus
from models.db import utcnow
from models.org import Unit, User


def _listen(settings, monkeypatch, uniq):
    # A namespace of this test's own: other test databases on this Redis publish too.
    monkeypatch.setitem(settings.extra, "bus_namespace", f"test-kb-{uniq}")
    bus = Bus.from_settings(settings)
    pubsub = bus.subscribe(notices.CHANNEL)
    pubsub.bus = bus  # the client must outlive the subscription: its pool closes when it is collected
    return pubsub


def _received(pubsub, want: int, timeout: float = 5.0) -> list[dict]:
    got, deadline = [], time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        m = pubsub.get_message(timeout=0.2)
        if m and m.get("type") == "message":
            got.append(json.loads(m["data"]))
    return got


def test_new_question_published_to_the_unit(kb_app, kb_client, kb_db, auth, uniq, monkeypatch):
    police = kb_db.scalar(select(Unit.id).where(Unit.name == "南宁市公安局"))
    pubsub = _listen(kb_app.state.settings, monkeypatch, uniq)
    try:
        r = kb_client.post(
            "/api/kb/questions",
            json={"title": f"暂住证怎么办{uniq}", "unit_id": police},
            headers=auth("agent06"),
        )
        assert r.status_code == 201, r.text
        msgs = [m for m in _received(pubsub, 1) if m.get("question_id") == r.json()["id"]]
        assert len(msgs) == 1
        m = msgs[0]
        assert m["type"] == "kb.question" and m["unit_id"] == police and m["to"]["unit_ids"] == [police]
        assert m["title"] == f"暂住证怎么办{uniq}"
        # a refused question publishes nothing
        bad = kb_client.post(
            "/api/kb/questions", json={"title": " ", "unit_id": police}, headers=auth("agent06")
        )
        assert bad.status_code == 422
        assert _received(pubsub, 1, timeout=1.0) == []
    finally:
        pubsub.close()


def test_review_reminder_published_to_unit_and_reviewers(kb_app, kb_db, scope_of, uniq, monkeypatch):
    editor = scope_of("editor")
    now = utcnow()
    art = service.create_article(
        kb_db, editor, title=f"即将到期{uniq}", body="正文", valid_until=now + timedelta(days=30)
    )
    for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
        service.transition(kb_db, editor, art.id, action)
    kb_db.commit()
    pubsub = _listen(kb_app.state.settings, monkeypatch, uniq)
    try:
        sm = kb_app.state.sessionmaker
        counts = sweep_validity(sm, kb_app.state.settings, now=now + timedelta(days=25))
        assert counts["reminded"] >= 1
        msgs = [m for m in _received(pubsub, counts["reminded"]) if m.get("article_id") == art.id]
        assert len(msgs) == 1
        m = msgs[0]
        assert m["type"] == "kb.review_due" and m["title"] == f"即将到期{uniq}"
        editor_id = kb_db.scalar(select(User.id).where(User.username == "editor"))
        assert editor_id in m["to"]["user_ids"]
        assert m["to"]["unit_ids"] == ([art.unit_id] if art.unit_id else [])
        # reminded once: the next sweep announces nothing for it
        sweep_validity(sm, kb_app.state.settings, now=now + timedelta(days=25))
        assert [x for x in _received(pubsub, 1, timeout=1.0) if x.get("article_id") == art.id] == []
    finally:
        pubsub.close()
