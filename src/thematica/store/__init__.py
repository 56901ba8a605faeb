"""Persistence: SQLAlchemy tables, engines and migrations. Services are its only callers."""

from thematica.store.engine import Database, open_database

__all__ = ["Database", "open_database"]
