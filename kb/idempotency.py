"""`Idempotency-Key` for the knowledge base's create requests, on the shared table `calls_idempotency`
(the one `switch.store.common.remembered/remember` use), with two additions the creates here need:

- the row's `kind` carries a fingerprint of the request body, so a key reused with a different body is
  refused (409) instead of silently returning an unrelated object;
- the key is claimed *before* the object is created, in a savepoint: of two concurrent creates with one key,
  the second blocks on the unique index (user_id, key) until the first commits, then replays its result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.calls import CallIdempotency
from models.errors import Conflict, Invalid
from models.scope import Scope

FIELD = "Idempotency-Key"
_KIND_LEN = 32  # calls_idempotency.kind


def _tag(kind: str, payload: Any) -> str:
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    return f"{kind}:{digest}"[:_KIND_LEN]


def _row(db: Session, scope: Scope, key: str) -> CallIdempotency | None:
    return db.scalar(
        select(CallIdempotency).where(CallIdempotency.user_id == scope.user_id, CallIdempotency.key == key)
    )


def _replay(row: CallIdempotency, kind: str, tag: str) -> int:
    if row.kind == tag:
        return row.object_id
    if row.kind.split(":", 1)[0] == kind:
        raise Conflict("该 Idempotency-Key 已用于内容不同的创建请求，请为新请求使用新的 Key", field=FIELD)
    raise Conflict("该 Idempotency-Key 已用于其他类型的请求", field=FIELD)


def claim(db: Session, scope: Scope, key: str | None, kind: str, payload: Any) -> int | None:
    """The id created before by this user with `key` for the same `payload` (replay), else None after
    reserving the key in this transaction; the caller creates the object, then calls `settle`. Call it
    before the request's first write."""
    if not key:
        return None
    key = key.strip()
    if not key or len(key) > 64:
        raise Invalid("Idempotency-Key 须为 1–64 个字符", field=FIELD)
    if scope.user_id is None:
        return None
    tag = _tag(kind, payload)
    row = _row(db, scope, key)
    if row is not None:
        return _replay(row, kind, tag)
    try:
        if db.get_bind().dialect.name == "sqlite":
            # pysqlite begins its transaction lazily: a first-statement SAVEPOINT would be committed by its
            # RELEASE. Writers are serialised there, and this is the request's first write, so a rollback
            # on conflict loses nothing.
            db.add(CallIdempotency(user_id=scope.user_id, key=key, kind=tag, object_id=0))
            db.flush()
        else:
            with db.begin_nested():
                db.add(CallIdempotency(user_id=scope.user_id, key=key, kind=tag, object_id=0))
                db.flush()
    except IntegrityError:  # a concurrent request with this key committed first
        if db.get_bind().dialect.name == "sqlite":
            db.rollback()
        row = _row(db, scope, key)
        if row is None:
            raise
        return _replay(row, kind, tag)
    return None


def settle(db: Session, scope: Scope, key: str | None, object_id: int) -> None:
    """Record the created object's id on the key claimed by `claim`."""
    if not key or scope.user_id is None:
        return
    db.execute(
        update(CallIdempotency)
        .where(CallIdempotency.user_id == scope.user_id, CallIdempotency.key == key.strip())
        .values(object_id=object_id)
        .execution_options(synchronize_session=False)
    )
