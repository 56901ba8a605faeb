"""Themes (with the codes they group), framework matrices, and what REFI-QDA exchange needs:
the GUIDs other tools gave our objects, and sets of documents, codes or cases.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _project_fk(primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("project.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("theme.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("sem_level", sa.String(50), nullable=True),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_theme_parent", "theme", ["project_id", "parent_id"])
    op.create_table(
        "theme_code",
        sa.Column(
            "theme_id",
            sa.Integer,
            sa.ForeignKey("theme.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "code_id", sa.Integer, sa.ForeignKey("code.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "matrix",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_matrix_name"),
    )
    op.create_table(
        "matrix_cell",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "matrix_id",
            sa.Integer,
            sa.ForeignKey("matrix.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("row_key", sa.String(300), nullable=False),
        sa.Column("column_key", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("matrix_id", "row_key", "column_key", name="uq_matrix_cell"),
    )
    op.create_table(
        "external_id",
        _project_fk(primary_key=True),
        sa.Column("entity_type", sa.String(20), primary_key=True),
        sa.Column("entity_id", sa.Integer, primary_key=True),
        sa.Column("guid", sa.String(64), nullable=False),
    )
    op.create_index("ix_external_id_guid", "external_id", ["project_id", "guid"])
    op.create_table(
        "doc_set",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("member_type", sa.String(20), nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_doc_set_name"),
    )
    op.create_table(
        "doc_set_member",
        sa.Column(
            "set_id", sa.Integer, sa.ForeignKey("doc_set.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("member_id", sa.Integer, primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("doc_set_member")
    op.drop_table("doc_set")
    op.drop_index("ix_external_id_guid", "external_id")
    op.drop_table("external_id")
    op.drop_table("matrix_cell")
    op.drop_table("matrix")
    op.drop_table("theme_code")
    op.drop_index("ix_theme_parent", "theme")
    op.drop_table("theme")
