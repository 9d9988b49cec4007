"""qa transcripts reference calls and recordings

Revision ID: 0401
Revises: 0400
Create Date: 2026-11-27 21:27:37.663695
"""

from __future__ import annotations

from alembic import op

revision = "0401"
down_revision = "0400"
branch_labels = None
depends_on = "0200"  # the calls branch creates calls and recordings


def upgrade() -> None:
    with op.batch_alter_table("qa_transcripts") as batch:
        batch.create_foreign_key(
            op.f("fk_qa_transcripts_call_id_calls"), "calls", ["call_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            op.f("fk_qa_transcripts_recording_id_recordings"),
            "recordings",
            ["recording_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("qa_transcripts") as batch:
        batch.drop_constraint(op.f("fk_qa_transcripts_recording_id_recordings"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_qa_transcripts_call_id_calls"), type_="foreignkey")
