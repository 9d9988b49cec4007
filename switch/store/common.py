"""Shared by the store modules: the configuration version, data-scope checks, compare-and-set and
paging."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from models.calls import ConfigVersion
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound
from models.org import Tenant
from models.scope import Scope

log = logging.getLogger("hotline.calls")


# ====================================================================== configuration version


def config_version(db: Session) -> int:
    """The configuration version; the controller reloads (`load_config`) when it differs from its own."""
    return db.scalar(select(ConfigVersion.version).where(ConfigVersion.id == 1)) or 0


CONFIG_CHANNEL = "calls:config"  # models.bus channel: {"type": "config_changed", "version": n}
CONFIG_BUMPED = "calls.config_bumped"  # Session.info key: the version this transaction bumped to


def bump_config_version(db: Session) -> int:
    """Called by every configuration writer. The caller announces the new version after its commit
    (`announce_config`); the API router does, through `Session.info[CONFIG_BUMPED]`."""
    row = db.get(ConfigVersion, 1)
    if row is None:
        row = ConfigVersion(id=1, version=1)
        db.add(row)
    else:
        row.version += 1
        row.changed_at = utcnow()
    db.flush()
    db.info[CONFIG_BUMPED] = row.version
    return row.version


def announce_config(settings: Any, version: int) -> None:
    """Publish `config_changed` on the bus so controllers reload now instead of at their next poll.
    Best effort: without Redis the controllers still see the version when they poll `config_version`."""
    try:
        from models.bus import Bus

        Bus.from_settings(settings).publish(CONFIG_CHANNEL, {"type": "config_changed", "version": version})
    except Exception as exc:  # Redis unreachable or not configured: polling covers it
        log.warning("config change not announced", extra={"version": version, "error": str(exc)})


# ====================================================================== scope helpers


def _visible(scope: Scope, tenant_id: int | None, what: str) -> None:
    if tenant_id is None or not scope.can_see_tenant(tenant_id):
        raise NotFound(f"{what}不存在")


def _get(db: Session, model: type, scope: Scope, item_id: int, what: str) -> Any:
    obj = db.get(model, item_id)
    if obj is None:
        raise NotFound(f"{what}不存在")
    _visible(scope, obj.tenant_id, what)
    return obj


def check_tenant(db: Session, scope: Scope, tenant_id: int) -> Tenant:
    """The tenant, if it exists and the user may configure it (else 422 on `tenant_id`)."""
    tenant = db.get(Tenant, tenant_id)
    if tenant is None or not scope.can_see_tenant(tenant_id):
        raise Invalid("租户不存在或超出数据权限范围", field="tenant_id")
    return tenant


def _lineage_ids(db: Session, tenant_id: int) -> set[int]:
    ids, t = set(), db.get(Tenant, tenant_id)
    while t is not None and t.id not in ids:
        ids.add(t.id)
        t = db.get(Tenant, t.parent_id) if t.parent_id else None
    return ids


def _claim(
    db: Session,
    model: type,
    row_id: int,
    column: Any,
    expected: Any,
    taken: str,
    field: str,
    **values: Any,
) -> None:
    """Compare-and-set: update the row only if `column` still holds `expected`. Of concurrent requests on
    one row exactly one wins; the others get 409 (`taken`)."""
    cond = column.is_(None) if expected is None else column == expected
    stmt = update(model).where(model.id == row_id, cond).values(**values)
    if not db.execute(stmt.execution_options(synchronize_session=False)).rowcount:
        raise Conflict(taken, field=field)


def _paged(db: Session, stmt: Select, page: int, size: int) -> tuple[list[Any], int]:
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.scalars(stmt.offset((page - 1) * size).limit(size)))
    return items, total
