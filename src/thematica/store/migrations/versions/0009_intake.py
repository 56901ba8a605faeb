"""Intake: transcription runs (resumable, segment by segment) and de-identification — the
proposals a reviewer accepts, rejects or edits before the text is changed, and the key that maps
each identifier to its placeholder, kept apart from the text (optionally encrypted).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _project_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "transcript_run",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_path", sa.Text, nullable=True),
        sa.Column("document_name", sa.String(500), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("language", sa.String(20), nullable=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("done_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("segments", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index(
        "ix_transcript_run_source", "transcript_run", ["project_id", "source_sha256", "status"]
    )
    op.create_table(
        "deid_term",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("term_hash", sa.String(64), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("encrypted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("placeholder", sa.String(200), nullable=True),
        sa.Column("number", sa.Integer, nullable=False, server_default="0"),
        sa.Column("known", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("project_id", "entity_type", "term_hash", name="uq_deid_term"),
    )
    op.create_table(
        "deid_proposal",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("entity_type", sa.String(40), nullable=False),
        sa.Column("placeholder", sa.String(200), nullable=True),
        sa.Column("score", sa.Float, nullable=False, server_default="1"),
        sa.Column("recogniser", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="proposed"),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_deid_proposal_document", "deid_proposal", ["document_id", "status"])
    op.create_index("ix_deid_proposal_project", "deid_proposal", ["project_id", "status"])


def downgrade() -> None:
    op.drop_table("deid_proposal")
    op.drop_table("deid_term")
    op.drop_table("transcript_run")
