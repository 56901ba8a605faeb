"""AI assistance: what each AI layer is (model, version, parameters, the layers it learned
from), each run of a model over the project (resumable, document by document), one row per
suggestion with its calibrated score and review state, and drafts written by a language model
for an analyst to adopt or discard.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _project_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("coder") as batch:
        batch.add_column(sa.Column("meta", sa.JSON, nullable=True))
    op.create_table(
        "ai_run",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "coder_id", sa.Integer, sa.ForeignKey("coder.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("backend", sa.String(50), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_ai_run_project", "ai_run", ["project_id", "kind", "id"])
    op.create_table(
        "ai_run_document",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("ai_run.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("suggestions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("done_at", TS, nullable=False),
    )
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("ai_run.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "coding_id",
            sa.Integer,
            sa.ForeignKey("coding.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False, server_default="1"),
        sa.Column("evidence", sa.JSON, nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("accepted_coding_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("coding_id", name="uq_suggestion_coding"),
    )
    op.create_index("ix_suggestion_project", "suggestion", ["project_id", "status"])
    op.create_index("ix_suggestion_run", "suggestion", ["run_id"])
    op.create_table(
        "ai_draft",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("ai_run.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("target_key", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("excerpts", sa.JSON, nullable=False),
        sa.Column("backend", sa.String(50), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="draft"),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
    )
    op.create_index("ix_ai_draft_project", "ai_draft", ["project_id", "target", "status"])


def downgrade() -> None:
    op.drop_table("ai_draft")
    op.drop_table("suggestion")
    op.drop_table("ai_run_document")
    op.drop_table("ai_run")
    with op.batch_alter_table("coder") as batch:
        batch.drop_column("meta")
