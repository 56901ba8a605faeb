"""Opening databases: URL resolution, SQLite pragmas, transactions and migrations.

SQLite runs in WAL mode with foreign keys on and ``BEGIN IMMEDIATE`` for writes, so two
processes writing at once queue up instead of failing half-way; PostgreSQL uses its defaults.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from thematica.core.errors import InputError, NotFoundError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DB_FILE = "thematica.db"


def resolve_url(db: str | os.PathLike[str] | None) -> str:
    """The URL for ``--db``: a path or URL, else ``$THEMATICA_DB``, else ``./thematica.db``."""
    raw = os.fspath(db) if db is not None else os.environ.get("THEMATICA_DB") or DEFAULT_DB_FILE
    if "://" not in raw:
        return "sqlite:///" + str(Path(raw).expanduser().resolve())
    if raw.startswith(("postgres://", "postgresql://")):
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    try:
        make_url(raw)
    except ArgumentError as exc:
        raise InputError(f"not a database path or URL: {raw!r}") from exc
    return raw


def _display(url: str) -> str:
    u = make_url(url)
    return u.database or url if u.drivername.startswith("sqlite") else u.render_as_string()


class Database:
    """One engine plus the transaction helpers every service uses."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def label(self) -> str:
        """How to name this database to a person (file path, or URL without password)."""
        return _display(self.url)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: everything in the block commits together or not at all."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(thematica_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest migration (a no-op when it already is)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def schema_is_current(self, conn: Connection) -> bool:
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        return MigrationContext.configure(conn).get_current_revision() == head

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("thematica_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def open_database(
    db: str | os.PathLike[str] | None = None, *, create: bool = False, migrate: bool = True
) -> Database:
    """Open (or with ``create`` make) a Thematica database and bring its schema up to date."""
    url = resolve_url(db)
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or "")
        if not create and not path.exists():
            raise NotFoundError(
                f"no Thematica database at {path}; create one with 'thematica init --db {path}'"
            )
        if create and not path.parent.exists():
            raise NotFoundError(f"folder {path.parent} does not exist")
        engine = _sqlite_engine(url)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # unknown driver names and the like
            raise InputError(f"cannot use database URL {_display(url)}: {exc}") from exc
    database = Database(url, engine)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        if tables and "alembic_version" not in tables:
            raise InputError(f"{database.label} is a database, but not a Thematica one")
        if migrate:
            database.migrate()
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        raise InputError(f"cannot open database {database.label}: {reason}") from exc
    return database
