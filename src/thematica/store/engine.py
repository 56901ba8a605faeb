"""Opening databases: URL resolution, SQLite pragmas, transactions, schema revisions.

SQLite runs in WAL mode with foreign keys on and ``BEGIN IMMEDIATE`` for writes, so two
processes writing at once queue up instead of failing half-way; PostgreSQL uses its defaults,
so two of its transactions can collide on a unique key: :meth:`Database.write` turns such a
collision into a :class:`ConflictError` rather than a crash.

The schema is migrated only when asked (``thematica init`` and ``thematica upgrade``), never
on an ordinary open: opening checks the revision and says what to run. Migrating takes a lock
first (``BEGIN IMMEDIATE`` / an advisory lock), so processes upgrading at once take turns.

A SQLite file that cannot be written (file or folder read-only, or ``read_only`` asked for)
is opened read-only and leaves nothing behind: no ``-wal``/``-shm`` files are created.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError
from sqlalchemy.sql.dml import Insert

from thematica.core.errors import ConflictError, InputError, NotFoundError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DB_FILE = "thematica.db"
#: set to 1/true/yes to open every database read-only (a shared, archived or copied study)
READ_ONLY_ENV = "THEMATICA_READ_ONLY"


class SchemaOutOfDate(InputError):
    """The database's schema is older than this version of Thematica needs."""


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


@cache
def schema_head() -> str:
    """The newest migration's revision, read from the migration files themselves (importing
    Alembic for this would cost every open a tenth of a second)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*(?::[^=]+)?=\s*['\"]([^'\"]+)['\"]", source, re.M)
        down = re.search(r"^down_revision\s*(?::[^=]+)?=\s*['\"]([^'\"]+)['\"]", source, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:  # a packaging fault, not a user's
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the error is a duplicate key (and not, say, a missing foreign key)."""
    first = str(exc.orig or exc).strip()
    return getattr(exc.orig, "sqlstate", None) == "23505" or first.startswith(
        "UNIQUE constraint failed"
    )


def _collision(exc: IntegrityError) -> str | None:
    """What a unique-key or foreign-key violation collided on, in words; None for any other
    integrity error (a NOT NULL or CHECK failure is a bug, not a race, and stays one)."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    first = str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else ""
    if state == "23505" or first.startswith("UNIQUE constraint failed"):
        table = getattr(diag, "table_name", None) or ""
        if not table:
            m = re.search(r"failed: (\w+)\.", first)
            table = m.group(1) if m else ""
        special = {
            "coding": "the same coding",
            "project_member": "the same person's membership",
            "attribute_value": "a value for the same case and attribute",
            "matrix_cell": "the same matrix cell",
            "": "the same record",
        }
        what = special.get(table) or f"a {table.replace('_', ' ')} with the same name"
        return f"{what} was saved at the same time"
    if state == "23503" or first.startswith("FOREIGN KEY constraint failed"):
        return "something it refers to was deleted at the same time"
    return None


class Database:
    """One engine plus the transaction helpers every service uses."""

    def __init__(self, url: str, engine: Engine, *, read_only: str | None = None) -> None:
        self.url = url
        self.engine = engine
        #: why this database is open read-only (None: it is writable)
        self.read_only_reason = read_only
        #: (revision before, after) of the last :meth:`migrate` on this handle
        self.migrated: tuple[str | None, str] | None = None
        #: SQLite takes one writer at a time; threads of this process queue here in order,
        #: instead of polling SQLite's lock (busy_timeout), which starves unlucky writers
        #: under load (a web server's many threads). Re-entrant: a write may nest a write.
        self._write_lock = threading.RLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def label(self) -> str:
        """How to name this database to a person (file path, or URL without password)."""
        return _display(self.url)

    def refuse_if_read_only(self) -> None:
        if self.read_only_reason is not None:
            raise InputError(
                f"{self.label} is open read-only ({self.read_only_reason}); nothing was changed",
                database=self.label,
                read_only=True,
            )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: everything in the block commits together or not at all.

        A unique-key or foreign-key violation that escapes the block — two people saving the
        same thing at the same moment on PostgreSQL, whose transactions do not queue up the
        way SQLite's do — becomes a :class:`ConflictError`; the transaction is rolled back.
        """
        self.refuse_if_read_only()
        try:
            with self._write_lock or nullcontext(), self.engine.connect() as conn:
                conn = conn.execution_options(thematica_write=True)
                with conn.begin():
                    yield conn
        except IntegrityError as exc:
            what = _collision(exc)
            if what is None:
                raise
            raise ConflictError(
                f"the change was not saved: {what}; nothing was changed, try again",
                database=self.label,
                collision=what,
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def revision(self, conn: Connection) -> str | None:
        """The schema revision stored in the database (None: no Thematica schema yet)."""
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        found = conn.scalar(text("SELECT version_num FROM alembic_version"))
        return None if found is None else str(found)

    def schema_is_current(self, conn: Connection) -> bool:
        return self.revision(conn) == schema_head()

    def migrate(self) -> tuple[str | None, str]:
        """Bring the schema to the newest migration; returns (revision before, after).

        Holds the write lock for the whole upgrade, so of several processes migrating at
        once one does the work and the others find it done.
        """
        from alembic import command
        from alembic.config import Config

        self.refuse_if_read_only()
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            conn = conn.execution_options(thematica_write=True)
            with conn.begin():
                self.serialize(conn)
                before = self.revision(conn)
                if before is not None and before != schema_head() and not _is_known(before):
                    raise InputError(
                        f"{self.label} was written by a newer or unknown version of Thematica "
                        f"(schema revision {before}); install that version to open it",
                        database=self.label,
                        revision=before,
                    )
                if before != schema_head():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        self.migrated = (before, schema_head())
        return self.migrated

    def serialize(self, conn: Connection, scope: str = "schema", item: int = 0) -> None:
        """Make this write transaction wait for any other holding the same ``scope`` and
        ``item`` (say "codebook" and a project id) until it ends.

        For a check-then-write that no unique key backs (a code's name among its siblings):
        on PostgreSQL two transactions would both pass the check. Call it before reading what
        is checked. On SQLite every write transaction already queues (``BEGIN IMMEDIATE``).
        """
        if self.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:scope), :item)"),
                {"scope": f"thematica:{scope}", "item": item},
            )

    def dispose(self) -> None:
        self.engine.dispose()


def insert_ignoring_duplicates(conn: Connection, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for this connection's backend: for rows that may be
    created by two people at once (a coder, a user), where the second insert is a no-op and
    the transaction carries on (a plain failed insert would abort it on PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _wants_read_only(read_only: bool | None) -> bool:
    if read_only is not None:
        return read_only
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _read_only_reason(path: Path, asked: bool) -> str | None:
    """Why a SQLite file must be opened read-only, or None. (As root, ``os.access`` says yes
    to everything, so a test asks for read-only explicitly.)"""
    if asked:
        return "read-only was asked for"
    if not os.access(path, os.W_OK):
        return "the file is not writable"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "its folder is not writable"
    return None


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

    _begin_hook(engine)
    return engine


def _sqlite_read_only_engine(url: str, path: Path) -> Engine:
    """A SQLite engine that cannot write and creates no files.

    With no ``-wal``/``-shm`` beside the file nobody is writing it, and the database is
    opened ``immutable``: SQLite then takes no locks and needs no ``-shm`` file (a writer
    that starts later, where someone else may write, is not seen until the next open). A
    ``-wal`` or ``-shm`` means a writer is at work (or crashed) and its pages must be read, so
    then ``mode=ro`` is used, which reads the existing files without creating any.
    """
    live = any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
    uri = path.as_uri() + ("?mode=ro" if live else "?immutable=1")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

    engine = create_engine(url, creator=connect)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    _begin_hook(engine)
    return engine


def _begin_hook(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("thematica_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_database(
    db: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    migrate: bool | None = None,
    read_only: bool | None = None,
) -> Database:
    """Open a Thematica database; with ``create`` make it (file and schema) if need be.

    ``migrate`` (default: only with ``create``) brings the schema up to date; without it an
    out-of-date schema raises :class:`SchemaOutOfDate`. ``read_only`` (default: when the
    file or its folder is not writable, or ``$THEMATICA_READ_ONLY`` is set) opens a SQLite
    file without writing to it or beside it, and a server database in read-only sessions.
    """
    url = resolve_url(db)
    migrate = create if migrate is None else migrate
    parsed = make_url(url)
    reason: str | None = None
    if parsed.drivername.startswith("sqlite"):
        path = Path(parsed.database or "")
        if not create and not path.exists():
            raise NotFoundError(f"no Thematica database at {path}", database=str(path), hint="init")
        if create and not path.parent.exists():
            raise NotFoundError(f"folder {path.parent} does not exist")
        if path.exists():
            reason = _read_only_reason(path, _wants_read_only(read_only))
        if reason is not None and (create or migrate):
            raise InputError(f"{path} is read-only ({reason}); it cannot be changed")
        engine = _sqlite_engine(url) if reason is None else _sqlite_read_only_engine(url, path)
    else:
        if _wants_read_only(read_only):
            reason = "read-only was asked for"
            if create or migrate:
                raise InputError(f"{_display(url)} is read-only ({reason}); it cannot be changed")
        # a read-only open is refused by Database.write; the server refuses anything else
        args = {"options": "-c default_transaction_read_only=on"} if reason else {}
        try:
            engine = create_engine(url, pool_pre_ping=True, connect_args=args)
        except Exception as exc:  # unknown driver names and the like
            raise InputError(f"cannot use database URL {_display(url)}: {exc}") from exc
    database = Database(url, engine, read_only=reason)
    try:
        if migrate:
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
            if tables and "alembic_version" not in tables:
                raise InputError(f"{database.label} is a database, but not a Thematica one")
            database.migrate()
        else:
            _check_revision(database)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        reason_text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        raise InputError(f"cannot open database {database.label}: {reason_text}") from exc
    except Exception:
        engine.dispose()
        raise
    return database


def _check_revision(database: Database) -> None:
    """Refuse a database whose schema is not the one this code was written for."""
    with database.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            if tables:
                raise InputError(f"{database.label} is a database, but not a Thematica one")
            raise NotFoundError(
                f"{database.label} holds no Thematica database yet",
                database=database.label,
                hint="init",
            )
        found = conn.scalar(text("SELECT version_num FROM alembic_version"))
    head = schema_head()
    if found == head:
        return
    if found is not None and _is_known(found):
        raise SchemaOutOfDate(
            f"{database.label} uses an older database schema (revision {found}; this version "
            f"of Thematica needs {head})",
            database=database.label,
            hint="upgrade",
            revision=found,
            needed=head,
        )
    raise InputError(
        f"{database.label} was written by a newer or unknown version of Thematica (schema "
        f"revision {found}); install that version to open it",
        database=database.label,
        revision=found,
        needed=head,
    )


def _is_known(revision: str) -> bool:
    pattern = re.compile(rf"^revision\s*(?::[^=]+)?=\s*['\"]{re.escape(revision)}['\"]", re.M)
    return any(
        pattern.search(p.read_text(encoding="utf-8"))
        for p in (MIGRATIONS / "versions").glob("*.py")
    )
