"""Initial schema: projects, coders, cases and attributes, documents and turns, the codebook
with its history and versions, codings, memos, the audit log, and full-text search.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _project_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
    )
    op.create_table(
        "coder",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_coder_name"),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_case_name"),
    )
    op.create_table(
        "attribute",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("value_order", sa.JSON, nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_attribute_name"),
    )
    op.create_table(
        "attribute_value",
        sa.Column(
            "case_id", sa.Integer, sa.ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "attribute_id",
            sa.Integer,
            sa.ForeignKey("attribute.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("value", sa.Text, nullable=True),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("length", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_path", sa.Text, nullable=True),
        sa.Column("source_format", sa.String(20), nullable=False),
        sa.Column("encoding", sa.String(40), nullable=True),
        sa.Column(
            "case_id", sa.Integer, sa.ForeignKey("case.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_document_name"),
    )
    op.create_index("ix_document_sha", "document", ["project_id", "sha256"])
    op.create_index("ix_document_case", "document", ["case_id"])
    op.create_table(
        "turn",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("speaker", sa.String(200), nullable=True),
        sa.Column("time_start", sa.Float, nullable=True),
        sa.Column("time_end", sa.Float, nullable=True),
    )
    op.create_index("ix_turn_document", "turn", ["document_id", "start"])
    op.create_table(
        "code",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("code.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("inclusion", sa.Text, nullable=False),
        sa.Column("exclusion", sa.Text, nullable=False),
        sa.Column("example", sa.Text, nullable=False),
        sa.Column("origin", sa.String(20), nullable=True),
        sa.Column("sem_level", sa.String(50), nullable=True),
        sa.Column("colour", sa.String(20), nullable=True),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_code_parent", "code", ["project_id", "parent_id"])
    op.create_table(
        "codebook_change",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("code_id", sa.Integer, nullable=True),
        sa.Column("code_path", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("field", sa.String(50), nullable=True),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "codebook_version",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("project_id", "name", name="uq_codebook_version_name"),
    )
    op.create_table(
        "coding",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("document.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "code_id", sa.Integer, sa.ForeignKey("code.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "coder_id", sa.Integer, sa.ForeignKey("coder.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("memo", sa.Text, nullable=True),
        sa.Column("starred", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint(
            "document_id", "code_id", "coder_id", "start", "end", name="uq_coding_span"
        ),
    )
    op.create_index("ix_coding_code", "coding", ["project_id", "code_id", "coder_id"])
    op.create_index("ix_coding_document", "coding", ["document_id", "start"])
    op.create_table(
        "memo",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.Integer, nullable=True),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_memo_target", "memo", ["project_id", "target_type", "target_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        _project_fk(),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_project", "audit_log", ["project_id", "at"])
    _create_fulltext()


def _create_fulltext() -> None:
    """SQLite: an FTS5 index kept in step by triggers. PostgreSQL: a GIN index on tsvector."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE document_fts USING fts5("
            "text, content='document', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER document_fts_ai AFTER INSERT ON document BEGIN "
            "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER document_fts_ad AFTER DELETE ON document BEGIN "
            "INSERT INTO document_fts(document_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); END"
        )
        op.execute(
            "CREATE TRIGGER document_fts_au AFTER UPDATE OF text ON document BEGIN "
            "INSERT INTO document_fts(document_fts, rowid, text) "
            "VALUES ('delete', old.id, old.text); "
            "INSERT INTO document_fts(rowid, text) VALUES (new.id, new.text); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_document_fts ON document USING gin (to_tsvector('simple', text))"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS document_fts")
    for table in (
        "audit_log",
        "memo",
        "coding",
        "codebook_version",
        "codebook_change",
        "code",
        "turn",
        "document",
        "attribute_value",
        "attribute",
        "case",
        "coder",
        "project",
    ):
        op.drop_table(table)
