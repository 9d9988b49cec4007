"""`Idempotency-Key` for create requests, one mechanism for every domain (tickets, calls, qa, kb).

A retry with the same key (per user) replays the first result: the id of the object it created. The
key is claimed *before* the object is created, in the request's transaction: of two concurrent creates
with one key, the second blocks on the unique index (user_id, key) until the first commits, then replays
its result; if the first rolls back, the second goes ahead (a failed create does not burn the key). A
key reused with a different body, or for another kind of create, is refused with 409.

    if (done := idempotency.claim(db, scope, key, "kb_article", payload)) is not None:
        return load(done)
    obj = create(...)
    idempotency.settle(db, scope, key, obj.id)
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db import Base, utcnow
from models.errors import Conflict, Invalid
from models.scope import Scope

HEADER = "Idempotency-Key"
MAX_KEY = 64
_KIND_LEN = 32


class IdempotencyKey(Base):
    """A claimed key: `kind` is "<kind>:<body fingerprint>", `object_id` what the first request made.

    The table keeps the name it got in the calls branch (migration 0201), where it started.
    """

    __tablename__ = "calls_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    kind: Mapped[str] = mapped_column(String(_KIND_LEN))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _tag(kind: str, payload: Any) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    return f"{kind}:{hashlib.sha256(body).hexdigest()}"[:_KIND_LEN]


def _row(db: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return db.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def _replay(row: IdempotencyKey, kind: str, tag: str) -> int:
    if row.kind == tag:
        return row.object_id
    if row.kind.split(":", 1)[0] == kind:
        raise Conflict("该 Idempotency-Key 已用于内容不同的创建请求，请为新请求使用新的 Key", field=HEADER)
    raise Conflict("该 Idempotency-Key 已用于其他类型的请求", field=HEADER)


def _clean(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise Invalid(f"Idempotency-Key 须为 1–{MAX_KEY} 个字符", field=HEADER)
    return key


def claim(db: Session, scope: Scope, key: str | None, kind: str, payload: Any) -> int | None:
    """The id this user's earlier create with `key` and the same `payload` made (replay), else None after
    reserving the key in this transaction: the caller creates the object, then calls `settle`. Call it
    before the request's first write. Without a key or a user, every request creates."""
    key = _clean(key)
    if key is None or not scope.user_id:
        return None
    tag = _tag(kind, payload)
    row = _row(db, scope.user_id, key)
    if row is not None:
        return _replay(row, kind, tag)
    sqlite = db.get_bind().dialect.name == "sqlite"
    try:
        if sqlite:
            # pysqlite begins its transaction lazily: a first-statement SAVEPOINT would be committed by its
            # RELEASE. Writers are serialised there and this is the request's first write, so rolling the
            # whole transaction back on a conflict loses nothing.
            _reserve(db, scope.user_id, key, tag)
        else:
            with db.begin_nested():
                _reserve(db, scope.user_id, key, tag)
    except IntegrityError:  # a concurrent request with this key committed first
        if sqlite:
            db.rollback()
        row = _row(db, scope.user_id, key)
        if row is None:
            raise
        return _replay(row, kind, tag)
    return None


def _reserve(db: Session, user_id: int, key: str, tag: str) -> None:
    db.add(IdempotencyKey(user_id=user_id, key=key, kind=tag, object_id=0))
    db.flush()


def settle(db: Session, scope: Scope, key: str | None, object_id: int) -> None:
    """Record the created object's id on the key `claim` reserved."""
    key = _clean(key)
    if key is None or not scope.user_id:
        return
    db.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == scope.user_id, IdempotencyKey.key == key)
        .values(object_id=object_id)
        .execution_options(synchronize_session=False)
    )
