"""kb: searchable text of yellow-page keywords

Revision ID: 0301
Revises: 0300
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0301"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_yellow_pages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("keywords_text", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_yellow_pages", schema=None) as batch_op:
        batch_op.drop_column("keywords_text")
