"""dispatch training jobs (background training with progress) and who edited a model's thresholds

Revision ID: 0502
Revises: 0501
Create Date: 2026-11-28 00:38:10.843258
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.db

revision = "0502"
down_revision = "0501"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_training_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("active_tenant_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("promote", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_dispatch_training_jobs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["dispatch_models.id"],
            name=op.f("fk_dispatch_training_jobs_model_id_dispatch_models"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_dispatch_training_jobs_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_training_jobs")),
        sa.UniqueConstraint("active_tenant_id", name=op.f("uq_dispatch_training_jobs_active_tenant_id")),
    )
    with op.batch_alter_table("dispatch_training_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_training_jobs_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("dispatch_models", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("thresholds_updated_at", models.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("thresholds_updated_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dispatch_models_thresholds_updated_by_id_users"),
            "users",
            ["thresholds_updated_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_models", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dispatch_models_thresholds_updated_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("thresholds_updated_by_id")
        batch_op.drop_column("thresholds_updated_at")

    with op.batch_alter_table("dispatch_training_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_training_jobs_tenant_id"))

    op.drop_table("dispatch_training_jobs")
