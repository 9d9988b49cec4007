"""Revision 0501 turns the old "no model" stand-in rows into suggestions with no model (and back)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, insert, select

from models.migrate import alembic_config
from tests.conftest import _create_pg_database, _drop_pg_database


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


def _model(tenant_id: int, version: int, status: str) -> dict:
    return dict(
        tenant_id=tenant_id, version=version, status=status, source=status, n_samples=0, labels=[],
        thresholds={}, target_precision=0.97, metrics={}, blob=b"", created_at=datetime.now(UTC),
    )  # fmt: skip


def _suggestion(tenant_id: int, ticket_id: int, model_id: int) -> dict:
    return dict(
        tenant_id=tenant_id, ticket_id=ticket_id, model_id=model_id, suggestions=[], confidence=0.0,
        would_auto=False, auto=False, created_at=datetime.now(UTC),
    )  # fmt: skip


def test_placeholder_rows_migrate_to_null_model(empty_url):
    cfg = alembic_config(empty_url)
    command.upgrade(cfg, "0500")
    engine = create_engine(empty_url)
    meta = MetaData()
    meta.reflect(engine, only=["tenants", "dispatch_models", "dispatch_suggestions"])
    tenants, models, suggestions = (
        meta.tables[t] for t in ("tenants", "dispatch_models", "dispatch_suggestions")
    )
    with engine.begin() as conn:
        tid = conn.execute(
            insert(tenants).values(
                code=uuid.uuid4().hex[:8],
                name="中心",
                path="/",
                called_numbers=[],
                active=True,
                created_at=datetime.now(UTC),
            )  # fmt: skip
        ).inserted_primary_key[0]
        stand_in = conn.execute(insert(models).values(**_model(tid, 0, "none"))).inserted_primary_key[0]
        real = conn.execute(insert(models).values(**_model(tid, 1, "current"))).inserted_primary_key[0]
        conn.execute(insert(suggestions), [_suggestion(tid, 11, stand_in), _suggestion(tid, 12, real)])
    engine.dispose()

    command.upgrade(cfg, "0501")
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(suggestions.c.ticket_id, suggestions.c.model_id)).all())
        assert rows == {11: None, 12: real}
        assert list(conn.scalars(select(models.c.status))) == ["current"]
    engine.dispose()

    command.downgrade(cfg, "0500")  # the old shape again: one stand-in per tenant, model_id NOT NULL
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        back = conn.scalar(select(models.c.id).where(models.c.status == "none", models.c.version == 0))
        rows = dict(conn.execute(select(suggestions.c.ticket_id, suggestions.c.model_id)).all())
        assert back is not None and rows == {11: back, 12: real}
    engine.dispose()
