"""Projects: creating and opening them, and the :class:`Project` facade over every service."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from thematica.core.access import Actor, Operation, Role
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.models import DEFAULT_SEM_LEVELS
from thematica.core.tables import Table
from thematica.services.access import current_user_name, role_of
from thematica.store import Database, open_database
from thematica.store import schema as t
from thematica.store.engine import resolve_url

DbArg = str | os.PathLike[str] | None


@dataclass(slots=True)
class SettingRow:
    setting: str
    value: str | None


@dataclass(slots=True)
class AuditRow:
    at: str
    actor: str | None
    action: str
    detail: dict[str, Any]


def now() -> datetime:
    return datetime.now(UTC)


def default_settings(sem_levels: Sequence[str] | None = None) -> dict[str, Any]:
    return {
        "sem_levels": list(sem_levels or DEFAULT_SEM_LEVELS),
        "speaker_pattern": None,
        "case_pattern": None,
        # coders see only their own layer until an owner opens comparison (core/access.py)
        "blind": True,
    }


class Project:
    """An open project: the entry point of the public API.

    >>> project = thematica.open_project("study.db")      # doctest: +SKIP
    >>> project.query("Staffing", coder="alex").to_dataframe()  # doctest: +SKIP
    """

    def __init__(
        self,
        db: Database,
        project_id: int,
        name: str,
        settings: dict[str, Any],
        actor: Actor | None = None,
    ) -> None:
        from thematica.services.access import Access
        from thematica.services.agreement import Agreement
        from thematica.services.autocode import Autocode
        from thematica.services.batches import Batches
        from thematica.services.cases import Cases
        from thematica.services.codebook import Codebook
        from thematica.services.coding import Coding
        from thematica.services.consensus import Consensus
        from thematica.services.cooccurrence import Cooccurrence
        from thematica.services.documents import Documents
        from thematica.services.exports import Exports
        from thematica.services.interop import Refi
        from thematica.services.matrix import Matrices
        from thematica.services.members import Members
        from thematica.services.memos import Memos
        from thematica.services.prevalence import Prevalence
        from thematica.services.reports import Reports
        from thematica.services.retrieval import Retrieval
        from thematica.services.saturation import Saturation
        from thematica.services.speakers import Speakers
        from thematica.services.themes import Themes

        self.db = db
        self.id = project_id
        self.name = name
        self.settings = settings
        #: who is acting, with their role here; every service checks it (services/access.py)
        self.access = Access(self, actor or Actor(current_user_name(), Role.OWNER))
        self.members = Members(self)
        self.documents = Documents(self)
        self.cases = Cases(self)
        self.speakers = Speakers(self)
        self.codebook = Codebook(self)
        self.coding = Coding(self)
        self.batches = Batches(self)
        self.autocode = Autocode(self)
        self.memos = Memos(self)
        self.agreement = Agreement(self)
        self.consensus = Consensus(self)
        self.retrieval = Retrieval(self)
        self.refi = Refi(self)
        self.exports = Exports(self)
        self.themes = Themes(self)
        self.prevalence = Prevalence(self)
        self.cooccurrence = Cooccurrence(self)
        self.saturation = Saturation(self)
        self.matrices = Matrices(self)
        self.reports = Reports(self)
        self.query = self.retrieval.query
        self.search = self.retrieval.search

    def __repr__(self) -> str:
        return f"<Project {self.name!r} in {self.db.label}>"

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.dispose()

    @property
    def sem_levels(self) -> list[str]:
        return list(self.settings.get("sem_levels") or DEFAULT_SEM_LEVELS)

    @property
    def actor(self) -> Actor:
        return self.access.actor

    def audit(self, conn: Connection, action: str, actor: str | None = None, **detail: Any) -> None:
        """Append to the project's audit log, inside the caller's transaction. The entry names
        the acting person; ``actor`` names another (for example "demo") only when given."""
        conn.execute(
            insert(t.audit_log).values(
                project_id=self.id,
                at=now(),
                actor=actor or self.access.name,
                action=action,
                detail=detail,
            )
        )

    def audit_log(self, limit: int = 50) -> Table[AuditRow]:
        """The newest ``limit`` entries of the audit trail, newest first."""
        self.access.check(Operation.READ, "audit_log")
        a = t.audit_log.c
        with self.db.read() as conn:
            rows = [
                AuditRow(r.at.isoformat(timespec="seconds"), r.actor, r.action, r.detail)
                for r in conn.execute(
                    select(t.audit_log)
                    .where(a.project_id == self.id)
                    .order_by(a.id.desc())
                    .limit(max(1, limit))
                )
            ]
        return Table(rows, title="Audit log")

    def configure(
        self,
        *,
        speaker_pattern: str | None = None,
        case_pattern: str | None = None,
        sem_levels: Sequence[str] | None = None,
        blind: bool | None = None,
    ) -> dict[str, Any]:
        """Change project settings after checking them; ``""`` clears a pattern. ``blind``
        False opens comparison: every member may then read every coder layer."""
        self.access.check(Operation.SETTINGS, "configure")
        import re

        from thematica.core.text import detect_turns

        changes: dict[str, Any] = {}
        if speaker_pattern is not None:
            if speaker_pattern:
                detect_turns("x", speaker_pattern)  # raises InputError for a bad pattern
            changes["speaker_pattern"] = speaker_pattern or None
        if case_pattern is not None:
            if case_pattern:
                try:
                    re.compile(case_pattern)
                except re.error as exc:
                    raise InputError(f"case pattern {case_pattern!r} is not valid: {exc}") from exc
            changes["case_pattern"] = case_pattern or None
        if sem_levels is not None:
            levels = [lvl.strip().lower() for lvl in sem_levels if lvl.strip()]
            if not levels or len(set(levels)) != len(levels):
                raise InputError("SEM levels must be a non-empty list of distinct names")
            with self.db.read() as conn:
                used = set(
                    conn.scalars(
                        select(t.code.c.sem_level).where(
                            t.code.c.project_id == self.id, t.code.c.sem_level.is_not(None)
                        )
                    )
                )
            dropped = sorted(used - set(levels))
            if dropped:
                raise InputError(f"codes still use the SEM level(s) {', '.join(dropped)}")
            changes["sem_levels"] = levels
        if blind is not None:
            changes["blind"] = bool(blind)
        if changes:
            self.update_settings(**changes)
        return dict(self.settings)

    def update_settings(self, **changes: Any) -> None:
        self.access.check(Operation.SETTINGS, "update_settings")
        settings = {**self.settings, **changes}
        with self.db.write() as conn:
            conn.execute(
                t.project.update().where(t.project.c.id == self.id).values(settings=settings)
            )
            self.audit(conn, "settings", changes=changes)
        self.settings = settings


def _settle_heap() -> None:
    """Move long-lived objects (the ~100,000 that importing SQLAlchemy, Alembic and the parsers
    allocates, and whatever the host holds) out of the cyclic garbage collector's view.

    Left in view, every full collection rescans them: 50-100 ms stalls in about one query in
    ten (see BENCHMARKS.md). Garbage is collected first, so only live objects are frozen, and
    freezing does not stop them being freed when their last reference goes.
    """
    import gc

    gc.collect()
    gc.freeze()


def _default_name(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        return Path(parsed.database).stem
    return "default"


def init_project(
    db: DbArg = None,
    name: str | None = None,
    *,
    sem_levels: Sequence[str] | None = None,
    actor: str | None = None,
) -> Project:
    """Create a project (and, for a SQLite path, the database file itself); the person creating
    it (``actor``, default :func:`current_user_name`) becomes its owner."""
    from thematica.services.members import ensure_user
    url = resolve_url(db)
    database = open_database(url, create=True)
    name = (name or _default_name(url)).strip()
    if not name:
        raise InputError("a project needs a name")
    levels = [lvl.strip().lower() for lvl in (sem_levels or DEFAULT_SEM_LEVELS) if lvl.strip()]
    if len(set(levels)) != len(levels):
        raise InputError("SEM levels must be distinct")
    settings = default_settings(levels)
    try:
        with database.write() as conn:
            pid = conn.execute(
                insert(t.project).values(name=name, created_at=now(), settings=settings)
            ).inserted_primary_key[0]  # type: ignore[index]
            creator = current_user_name(actor)
            conn.execute(
                insert(t.project_member).values(
                    project_id=pid,
                    user_id=ensure_user(conn, creator),
                    role=Role.OWNER.value,
                    added_at=now(),
                    added_by=creator,
                )
            )
            conn.execute(
                insert(t.audit_log).values(
                    project_id=pid, at=now(), actor=creator, action="init", detail={"name": name}
                )
            )
    except IntegrityError as exc:
        database.dispose()
        raise ConflictError(f"{database.label} already has a project named {name!r}") from exc
    _settle_heap()
    return Project(database, pid, name, settings, Actor(creator, Role.OWNER))


def list_projects(db: DbArg = None) -> list[str]:
    database = open_database(db)
    try:
        with database.read() as conn:
            return list(conn.scalars(select(t.project.c.name).order_by(t.project.c.id)))
    finally:
        database.dispose()


def open_project(
    db: DbArg = None, project: str | None = None, *, actor: str | None = None
) -> Project:
    """Open a project for ``actor`` (default :func:`current_user_name`); ``project`` may be
    left out when the database holds only one.

    Opening does not check membership: every operation does (a non-member may do nothing).
    A project that has no members at all — made before roles existed — treats everyone as
    owner until ``thematica upgrade`` records one.
    """
    database = open_database(db)
    try:
        with database.read() as conn:
            rows = conn.execute(
                select(t.project.c.id, t.project.c.name, t.project.c.settings).order_by(
                    t.project.c.id
                )
            ).all()
    except Exception:
        database.dispose()
        raise
    if project is not None:
        rows = [r for r in rows if r.name == project]
        if not rows:
            database.dispose()
            raise NotFoundError(f"no project named {project!r} in {database.label}")
    if not rows:
        database.dispose()
        raise NotFoundError(f"{database.label} has no project yet; run 'thematica init'")
    if len(rows) > 1:
        names = ", ".join(r.name for r in rows)
        database.dispose()
        raise InputError(
            f"{database.label} holds {len(rows)} projects ({names}); choose one with --project"
        )
    row = rows[0]
    name = current_user_name(actor)
    try:
        with database.read() as conn:
            role, has_members = role_of(conn, row.id, name)
    except Exception:
        database.dispose()
        raise
    if not has_members:
        role = Role.OWNER
    _settle_heap()
    return Project(database, row.id, row.name, dict(row.settings), Actor(name, role))
