"""Knowledge-base notices on the Redis bus (models/bus.py), channel `<namespace>:kb:notices`, published
after the transaction that made them has committed, for the WebSocket relay to push. The event rows
(`kb_article_events`, `kb_questions`) stay the record whether or not Redis is there.

Messages carry `to`: `{"unit_ids": [...], "user_ids": [...]}` — the units and users they concern.
- `{"type": "kb.review_due", "tenant_id", "article_id", "title", "unit_id", "valid_until", "to"}`:
  a published article's validity ends soon; addressed to its owning unit and the knowledge editors who
  review it (editors of that unit, or the centre's when it has none) plus its author and last reviewer.
- `{"type": "kb.question", "tenant_id", "question_id", "title", "unit_id", "asker_id", "created_at", "to"}`:
  a new knowledge question (知识提问) for the unit that is to answer it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.bus import publish_after_commit
from models.kb import Article, Question
from models.org import Role, User
from models.settings import Settings

log = logging.getLogger("hotline.kb")

CHANNEL = "kb:notices"


def _reviewer_ids(db: Session, article: Article) -> list[int]:
    users = db.scalars(select(User).where(User.tenant_id == article.tenant_id, User.active.is_(True)))
    ids = {
        u.id
        for u in users
        if u.has_role(Role.kb_editor) and (u.unit_id is None or u.unit_id == article.unit_id)
    }
    ids.update(i for i in (article.author_id, article.reviewer_id) if i)
    return sorted(ids)


def review_due_message(db: Session, article: Article) -> dict[str, Any]:
    return {
        "type": "kb.review_due",
        "tenant_id": article.tenant_id,
        "article_id": article.id,
        "title": article.title,
        "unit_id": article.unit_id,
        "valid_until": article.valid_until.isoformat() if article.valid_until else None,
        "to": {
            "unit_ids": [article.unit_id] if article.unit_id else [],
            "user_ids": _reviewer_ids(db, article),
        },
    }


def question_message(question: Question) -> dict[str, Any]:
    return {
        "type": "kb.question",
        "tenant_id": question.tenant_id,
        "question_id": question.id,
        "title": question.title,
        "unit_id": question.unit_id,
        "asker_id": question.asker_id,
        "created_at": question.created_at.isoformat() if question.created_at else None,
        "to": {"unit_ids": [question.unit_id], "user_ids": []},
    }


def publish(settings: Settings, messages: list[dict[str, Any]]) -> int:
    return publish_after_commit(settings, CHANNEL, messages, "kb notices")
