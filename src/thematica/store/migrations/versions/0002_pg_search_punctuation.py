"""PostgreSQL full-text index: split words at punctuation first.

PostgreSQL's parser keeps "visits.Then", "3.5" or "www.site.org" as single tokens, so the words
inside them could not be found, while SQLite's FTS5 finds them. Indexing the text with
punctuation turned into spaces makes both backends agree on what a word is.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_document_fts")
    op.execute(
        "CREATE INDEX ix_document_fts ON document USING gin "
        "(to_tsvector('simple', regexp_replace(text, '[[:punct:]]+', ' ', 'g')))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_document_fts")
    op.execute("CREATE INDEX ix_document_fts ON document USING gin (to_tsvector('simple', text))")
