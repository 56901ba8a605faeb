"""Persistence: SQLAlchemy tables, engines and migrations. Services are its only callers."""

from thematica.store.engine import (
    Database,
    SchemaOutOfDate,
    insert_ignoring_duplicates,
    is_unique_violation,
    open_database,
    schema_head,
)

__all__ = [
    "Database",
    "SchemaOutOfDate",
    "insert_ignoring_duplicates",
    "is_unique_violation",
    "open_database",
    "schema_head",
]
