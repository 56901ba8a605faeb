"""Consensus decisions (the decision log, never deleted) and saved agreement runs.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consensus_decision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("disagreement", sa.JSON, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("source_codings", sa.JSON, nullable=False),
        sa.Column("result_codings", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_consensus_decision_project", "consensus_decision", ["project_id", "document_id"]
    )
    op.create_table(
        "agreement_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("codebook", sa.JSON, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_agreement_run_name"),
    )


def downgrade() -> None:
    op.drop_table("agreement_run")
    op.drop_index("ix_consensus_decision_project", "consensus_decision")
    op.drop_table("consensus_decision")
