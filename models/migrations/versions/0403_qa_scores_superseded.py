"""qa scores: superseded versions (one current score per transcript)

Revision ID: 0403
Revises: 0402
Create Date: 2026-11-27 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.db

revision = "0403"
down_revision = "0402"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("qa_scores") as batch:
        batch.drop_constraint(op.f("uq_qa_scores_transcript_id"), type_="unique")
        batch.add_column(sa.Column("current_transcript_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("superseded_at", models.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_qa_scores_transcript_id"), ["transcript_id"], unique=False)
        batch.create_unique_constraint(op.f("uq_qa_scores_current_transcript_id"), ["current_transcript_id"])
        batch.create_foreign_key(
            op.f("fk_qa_scores_superseded_by_id_qa_scores"),
            "qa_scores",
            ["superseded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # every existing score is its transcript's current one
    op.execute(sa.text("UPDATE qa_scores SET current_transcript_id = transcript_id"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM qa_scores WHERE status = 'superseded'"))
    with op.batch_alter_table("qa_scores") as batch:
        batch.drop_constraint(op.f("fk_qa_scores_superseded_by_id_qa_scores"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_qa_scores_current_transcript_id"), type_="unique")
        batch.drop_index(op.f("ix_qa_scores_transcript_id"))
        batch.drop_column("superseded_at")
        batch.drop_column("superseded_by_id")
        batch.drop_column("current_transcript_id")
        batch.create_unique_constraint(op.f("uq_qa_scores_transcript_id"), ["transcript_id"])
