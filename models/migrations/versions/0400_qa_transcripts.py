"""qa transcripts and scoring

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-27 21:15:37.800053
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.db

revision = "0400"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_policies",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Float(), nullable=False),
        sa.Column("review_threshold", sa.Float(), nullable=False),
        sa.Column("updated_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_qa_policies_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_qa_policies")),
    )
    op.create_table(
        "qa_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("deduction", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("max_deduction", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_qa_rules_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_rules")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_qa_rules_tenant_id")),
    )
    op.create_index(op.f("ix_qa_rules_tenant_id"), "qa_rules", ["tenant_id"], unique=False)
    op.create_table(
        "qa_transcripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("recording_path", sa.String(length=500), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("call_started_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ticket_text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("channels", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_qa_transcripts_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_qa_transcripts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_transcripts")),
        sa.UniqueConstraint("recording_id", name=op.f("uq_qa_transcripts_recording_id")),
    )
    op.create_index(op.f("ix_qa_transcripts_agent_id"), "qa_transcripts", ["agent_id"], unique=False)
    op.create_index(op.f("ix_qa_transcripts_call_id"), "qa_transcripts", ["call_id"], unique=False)
    op.create_index(
        op.f("ix_qa_transcripts_call_started_at"), "qa_transcripts", ["call_started_at"], unique=False
    )
    op.create_index(op.f("ix_qa_transcripts_status"), "qa_transcripts", ["status"], unique=False)
    op.create_index(op.f("ix_qa_transcripts_team"), "qa_transcripts", ["team"], unique=False)
    op.create_index(op.f("ix_qa_transcripts_tenant_id"), "qa_transcripts", ["tenant_id"], unique=False)
    op.create_table(
        "qa_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["users.id"],
            name=op.f("fk_qa_alerts_acknowledged_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_qa_alerts_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_qa_alerts_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["qa_transcripts.id"],
            name=op.f("fk_qa_alerts_transcript_id_qa_transcripts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_alerts")),
    )
    op.create_index(op.f("ix_qa_alerts_call_id"), "qa_alerts", ["call_id"], unique=False)
    op.create_index(op.f("ix_qa_alerts_created_at"), "qa_alerts", ["created_at"], unique=False)
    op.create_index(op.f("ix_qa_alerts_status"), "qa_alerts", ["status"], unique=False)
    op.create_index(op.f("ix_qa_alerts_tenant_id"), "qa_alerts", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_qa_alerts_transcript_id"), "qa_alerts", ["transcript_id"], unique=False)
    op.create_table(
        "qa_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("call_started_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("auto_score", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_reasons", sa.JSON(), nullable=False),
        sa.Column("scored_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_qa_scores_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_qa_scores_reviewer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_qa_scores_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["qa_transcripts.id"],
            name=op.f("fk_qa_scores_transcript_id_qa_transcripts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scores")),
        sa.UniqueConstraint("transcript_id", name=op.f("uq_qa_scores_transcript_id")),
    )
    op.create_index(op.f("ix_qa_scores_agent_id"), "qa_scores", ["agent_id"], unique=False)
    op.create_index(op.f("ix_qa_scores_call_id"), "qa_scores", ["call_id"], unique=False)
    op.create_index(op.f("ix_qa_scores_call_started_at"), "qa_scores", ["call_started_at"], unique=False)
    op.create_index(op.f("ix_qa_scores_status"), "qa_scores", ["status"], unique=False)
    op.create_index(op.f("ix_qa_scores_team"), "qa_scores", ["team"], unique=False)
    op.create_index(op.f("ix_qa_scores_tenant_id"), "qa_scores", ["tenant_id"], unique=False)
    op.create_table(
        "qa_transcript_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("search_tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transcript_id"],
            ["qa_transcripts.id"],
            name=op.f("fk_qa_transcript_segments_transcript_id_qa_transcripts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_transcript_segments")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_qa_transcript_segments_search",
            "qa_transcript_segments",
            [sa.literal_column("to_tsvector('simple', search_tokens)")],
            unique=False,
            postgresql_using="gin",
        )
    op.create_index(
        op.f("ix_qa_transcript_segments_transcript_id"),
        "qa_transcript_segments",
        ["transcript_id"],
        unique=False,
    )
    op.create_table(
        "qa_deductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_code", sa.String(length=50), nullable=False),
        sa.Column("rule_name", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("final_points", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("end", sa.Float(), nullable=True),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["qa_rules.id"], name=op.f("fk_qa_deductions_rule_id_qa_rules"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["qa_scores.id"],
            name=op.f("fk_qa_deductions_score_id_qa_scores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["qa_transcript_segments.id"],
            name=op.f("fk_qa_deductions_segment_id_qa_transcript_segments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_deductions")),
    )
    op.create_index(op.f("ix_qa_deductions_rule_code"), "qa_deductions", ["rule_code"], unique=False)
    op.create_index(op.f("ix_qa_deductions_score_id"), "qa_deductions", ["score_id"], unique=False)
    op.create_table(
        "qa_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("deduction_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolver_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_appeals_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["deduction_id"],
            ["qa_deductions.id"],
            name=op.f("fk_qa_appeals_deduction_id_qa_deductions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolver_id"], ["users.id"], name=op.f("fk_qa_appeals_resolver_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["score_id"], ["qa_scores.id"], name=op.f("fk_qa_appeals_score_id_qa_scores"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_qa_appeals_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_appeals")),
    )
    op.create_index(op.f("ix_qa_appeals_agent_id"), "qa_appeals", ["agent_id"], unique=False)
    op.create_index(op.f("ix_qa_appeals_score_id"), "qa_appeals", ["score_id"], unique=False)
    op.create_index(op.f("ix_qa_appeals_status"), "qa_appeals", ["status"], unique=False)
    op.create_index(op.f("ix_qa_appeals_tenant_id"), "qa_appeals", ["tenant_id"], unique=False)
    op.create_table(
        "qa_review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("deduction_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("points_before", sa.Float(), nullable=True),
        sa.Column("points_after", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_qa_review_actions_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["deduction_id"],
            ["qa_deductions.id"],
            name=op.f("fk_qa_review_actions_deduction_id_qa_deductions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["qa_scores.id"],
            name=op.f("fk_qa_review_actions_score_id_qa_scores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_review_actions")),
    )
    op.create_index(op.f("ix_qa_review_actions_score_id"), "qa_review_actions", ["score_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_qa_review_actions_score_id"), table_name="qa_review_actions")
    op.drop_table("qa_review_actions")
    op.drop_index(op.f("ix_qa_appeals_tenant_id"), table_name="qa_appeals")
    op.drop_index(op.f("ix_qa_appeals_status"), table_name="qa_appeals")
    op.drop_index(op.f("ix_qa_appeals_score_id"), table_name="qa_appeals")
    op.drop_index(op.f("ix_qa_appeals_agent_id"), table_name="qa_appeals")
    op.drop_table("qa_appeals")
    op.drop_index(op.f("ix_qa_deductions_score_id"), table_name="qa_deductions")
    op.drop_index(op.f("ix_qa_deductions_rule_code"), table_name="qa_deductions")
    op.drop_table("qa_deductions")
    op.drop_index(op.f("ix_qa_transcript_segments_transcript_id"), table_name="qa_transcript_segments")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_qa_transcript_segments_search", table_name="qa_transcript_segments")
    op.drop_table("qa_transcript_segments")
    op.drop_index(op.f("ix_qa_scores_tenant_id"), table_name="qa_scores")
    op.drop_index(op.f("ix_qa_scores_team"), table_name="qa_scores")
    op.drop_index(op.f("ix_qa_scores_status"), table_name="qa_scores")
    op.drop_index(op.f("ix_qa_scores_call_started_at"), table_name="qa_scores")
    op.drop_index(op.f("ix_qa_scores_call_id"), table_name="qa_scores")
    op.drop_index(op.f("ix_qa_scores_agent_id"), table_name="qa_scores")
    op.drop_table("qa_scores")
    op.drop_index(op.f("ix_qa_alerts_transcript_id"), table_name="qa_alerts")
    op.drop_index(op.f("ix_qa_alerts_tenant_id"), table_name="qa_alerts")
    op.drop_index(op.f("ix_qa_alerts_status"), table_name="qa_alerts")
    op.drop_index(op.f("ix_qa_alerts_created_at"), table_name="qa_alerts")
    op.drop_index(op.f("ix_qa_alerts_call_id"), table_name="qa_alerts")
    op.drop_table("qa_alerts")
    op.drop_index(op.f("ix_qa_transcripts_tenant_id"), table_name="qa_transcripts")
    op.drop_index(op.f("ix_qa_transcripts_team"), table_name="qa_transcripts")
    op.drop_index(op.f("ix_qa_transcripts_status"), table_name="qa_transcripts")
    op.drop_index(op.f("ix_qa_transcripts_call_started_at"), table_name="qa_transcripts")
    op.drop_index(op.f("ix_qa_transcripts_call_id"), table_name="qa_transcripts")
    op.drop_index(op.f("ix_qa_transcripts_agent_id"), table_name="qa_transcripts")
    op.drop_table("qa_transcripts")
    op.drop_index(op.f("ix_qa_rules_tenant_id"), table_name="qa_rules")
    op.drop_table("qa_rules")
    op.drop_table("qa_policies")
