"""The Alembic migrations build exactly the schema that ``store/schema.py`` declares, on both
backends: a table or column added to one and not the other fails here, not in a user's study."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from thematica.store import open_database
from thematica.store import schema as t


def test_migrations_match_the_declared_schema(db_url: str) -> None:
    database = open_database(db_url, create=True)
    try:
        with database.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), t.metadata)
    finally:
        database.dispose()
    # SQLite's full-text index is a virtual table the ORM schema does not declare
    assert [d for d in diff if "fts" not in str(d)] == []
