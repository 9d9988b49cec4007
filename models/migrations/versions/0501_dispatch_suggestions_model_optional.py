"""dispatch suggestions without a model: model_id nullable, the "no model" placeholder rows go

Revision ID: 0501
Revises: 0500
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0501"
down_revision = "0500"
branch_labels = None
depends_on = None

PLACEHOLDER = "none"  # status of the per-tenant stand-in "model" rows used before this revision


def upgrade() -> None:
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.alter_column("model_id", existing_type=sa.Integer(), nullable=True)
    models = sa.table("dispatch_models", sa.column("id", sa.Integer), sa.column("status", sa.String))
    suggestions = sa.table("dispatch_suggestions", sa.column("model_id", sa.Integer))
    placeholders = sa.select(models.c.id).where(models.c.status == PLACEHOLDER)
    op.execute(suggestions.update().where(suggestions.c.model_id.in_(placeholders)).values(model_id=None))
    op.execute(models.delete().where(models.c.status == PLACEHOLDER))


def downgrade() -> None:
    conn = op.get_bind()
    models = sa.table(
        "dispatch_models",
        sa.column("id", sa.Integer),
        sa.column("tenant_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("status", sa.String),
        sa.column("source", sa.String),
        sa.column("n_samples", sa.Integer),
        sa.column("labels", sa.JSON),
        sa.column("thresholds", sa.JSON),
        sa.column("target_precision", sa.Float),
        sa.column("metrics", sa.JSON),
        sa.column("blob", sa.LargeBinary),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    suggestions = sa.table("dispatch_suggestions", sa.column("tenant_id", sa.Integer), sa.column("model_id"))
    tenants = conn.scalars(
        sa.select(suggestions.c.tenant_id).where(suggestions.c.model_id.is_(None)).distinct()
    ).all()
    for tenant_id in tenants:  # the old shape: one placeholder "model" (version 0) per tenant
        conn.execute(
            models.insert().values(
                tenant_id=tenant_id,
                version=0,
                status=PLACEHOLDER,
                source=PLACEHOLDER,
                n_samples=0,
                labels=[],
                thresholds={},
                target_precision=0.97,
                metrics={},
                blob=b"",
                created_at=sa.func.now(),
            )
        )
        placeholder = sa.select(models.c.id).where(
            models.c.tenant_id == tenant_id, models.c.status == PLACEHOLDER
        )
        conn.execute(
            suggestions.update()
            .where(suggestions.c.tenant_id == tenant_id, suggestions.c.model_id.is_(None))
            .values(model_id=placeholder.scalar_subquery())
        )
    with op.batch_alter_table("dispatch_suggestions", schema=None) as batch_op:
        batch_op.alter_column("model_id", existing_type=sa.Integer(), nullable=False)
