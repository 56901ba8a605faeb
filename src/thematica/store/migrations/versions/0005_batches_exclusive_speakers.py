"""Bulk-coding batches (so a bulk operation can be listed and undone), mutually exclusive
code groups, and speaker-to-case maps for focus groups.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coding_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("coder", sa.String(200), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("undone_at", TS, nullable=True),
        sa.Column("undone_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_coding_batch_project", "coding_batch", ["project_id", "id"])
    # plain ADD COLUMN (with a constant default) on both backends: a batch "move and copy" of
    # these tables on SQLite would drop the old table, and with foreign keys on that cascades
    # to every coding of the project
    op.add_column("coding", sa.Column("batch_id", sa.Integer, nullable=True))
    op.create_index("ix_coding_batch", "coding", ["batch_id"])
    op.add_column("consensus_decision", sa.Column("batch_id", sa.Integer, nullable=True))
    op.add_column(
        "code", sa.Column("exclusive", sa.Boolean, nullable=False, server_default=sa.text("false"))
    )
    op.create_table(
        "speaker_case",
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("speaker", sa.String(200), primary_key=True),
        sa.Column(
            "case_id", sa.Integer, sa.ForeignKey("case.id", ondelete="CASCADE"), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_table("speaker_case")
    with op.batch_alter_table("code") as batch:
        batch.drop_column("exclusive")
    with op.batch_alter_table("consensus_decision") as batch:
        batch.drop_column("batch_id")
    with op.batch_alter_table("coding") as batch:
        batch.drop_index("ix_coding_batch")
        batch.drop_column("batch_id")
    op.drop_index("ix_coding_batch_project", "coding_batch")
    op.drop_table("coding_batch")
