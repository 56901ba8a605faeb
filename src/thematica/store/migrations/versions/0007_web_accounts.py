"""The web application: sign-in sessions, API tokens and invitations (one table of hashed
secrets), failed sign-ins for throttling, long jobs with their progress (imports, reports),
a revision on codes so two owners editing one code at once get a conflict, and proposals of
new codes by coders, and each coder's progress through a document.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("user_account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("last_used_at", TS, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_user_token_hash"),
    )
    op.create_index("ix_user_token_user", "user_token", ["user_id", "kind"])
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(100), nullable=False, server_default=""),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_login_failure_name", "login_failure", ["user_name", "at"])
    op.create_index("ix_login_failure_address", "login_failure", ["address", "at"])
    with op.batch_alter_table("code") as batch:
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "code_proposal",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("parent_path", sa.Text, nullable=True),
        sa.Column("definition", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.String(20), nullable=False, server_default="inductive"),
        #: the coding that prompted it, applied to the proposer's layer on acceptance
        sa.Column("document", sa.String(500), nullable=True),
        sa.Column("start", sa.Integer, nullable=True),
        sa.Column("end", sa.Integer, nullable=True),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        #: open | accepted | declined
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_code_proposal_project", "code_proposal", ["project_id", "status"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("project.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("result_name", sa.String(300), nullable=True),
        sa.Column("result", sa.LargeBinary, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_job_project", "job", ["project_id", "id"])
    op.create_table(
        "document_progress",
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("coder", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("document_progress")
    op.drop_table("job")
    op.drop_table("code_proposal")
    with op.batch_alter_table("code") as batch:
        batch.drop_column("revision")
    op.drop_table("login_failure")
    op.drop_table("user_token")
