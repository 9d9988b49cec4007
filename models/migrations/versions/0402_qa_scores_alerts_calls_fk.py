"""qa scores and alerts reference calls

Revision ID: 0402
Revises: 0401
Create Date: 2026-11-27 22:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0402"
down_revision = "0401"
branch_labels = None
depends_on = "0200"  # the calls branch creates calls

TABLES = ("qa_scores", "qa_alerts")


def upgrade() -> None:
    for table in TABLES:
        # a call_id copied from a call record that no longer exists becomes NULL (what ON DELETE SET NULL
        # would have done), so the constraint can be created on existing data
        op.execute(
            sa.text(
                f"UPDATE {table} SET call_id = NULL "
                "WHERE call_id IS NOT NULL AND call_id NOT IN (SELECT id FROM calls)"
            )
        )
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                op.f(f"fk_{table}_call_id_calls"), "calls", ["call_id"], ["id"], ondelete="SET NULL"
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_call_id_calls"), type_="foreignkey")
