"""Projects: creating and opening them, and the :class:`Project` facade over every service."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, or_, select
from sqlalchemy.engine import make_url

from thematica.core.access import Actor, Operation, Role
from thematica.core.errors import ConflictError, InputError, NotFoundError, ThematicaError
from thematica.core.models import DEFAULT_SEM_LEVELS
from thematica.core.tables import Table
from thematica.services.access import current_user_name, requires, role_of
from thematica.store import Database, insert_ignoring_duplicates, open_database
from thematica.store import schema as t
from thematica.store.engine import resolve_url

if TYPE_CHECKING:
    from thematica.services.agreement import Agreement
    from thematica.services.autocode import Autocode
    from thematica.services.batches import Batches
    from thematica.services.cases import Cases
    from thematica.services.clusters import Clusters
    from thematica.services.codebook import Codebook
    from thematica.services.coding import Coding
    from thematica.services.consensus import Consensus
    from thematica.services.cooccurrence import Cooccurrence
    from thematica.services.deid import Deid
    from thematica.services.documents import Documents
    from thematica.services.drafts import Drafts
    from thematica.services.exports import Exports
    from thematica.services.interop import Refi
    from thematica.services.jobs import Jobs
    from thematica.services.matrix import Matrices
    from thematica.services.matrix_links import MatrixLinks
    from thematica.services.members import Members
    from thematica.services.memos import Memos
    from thematica.services.prevalence import Prevalence
    from thematica.services.progress import Progress
    from thematica.services.proposals import Proposals
    from thematica.services.reports import Reports
    from thematica.services.retrieval import Retrieval
    from thematica.services.saturation import Saturation
    from thematica.services.speakers import Speakers
    from thematica.services.suggestions import Suggestions
    from thematica.services.themes import Themes
    from thematica.services.transcription import Transcription

DbArg = str | os.PathLike[str] | None


class _Service:
    """A service object made on first use and then kept on the project (a non-data
    descriptor: the instance attribute it sets wins from then on)."""

    def __init__(self, module: str, cls: str) -> None:
        self.module, self.cls, self.name = module, cls, ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, project: Project | None, owner: type | None = None) -> Any:
        if project is None:
            return self
        import importlib

        service = getattr(importlib.import_module(self.module), self.cls)(project)
        project.__dict__[self.name] = service
        return service


@dataclass(slots=True)
class SettingRow:
    setting: str
    value: str | None


@dataclass(slots=True)
class UpgradeRow:
    """What ``upgrade`` did to one project: the schema revision it moved from and to, and the
    owner it was given when it had no members (None: it had some)."""

    project: str
    from_revision: str | None
    to_revision: str
    owner_added: str | None


@dataclass(slots=True)
class AuditRow:
    """One change: when (UTC, ISO 8601), who acted, what kind of change, and its detail."""

    at: str
    actor: str | None
    action: str
    detail: dict[str, Any]
    id: int = 0


def now() -> datetime:
    return datetime.now(UTC)


def _utc(at: datetime) -> datetime:
    """A stored time as UTC: SQLite hands back naive datetimes (they were stored as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


#: the team-server settings (thematica.ai.server); "" clears one
AI_SETTINGS = ("ai_url", "ai_model", "ai_embedding_model", "ai_api_key_env")


def default_settings(sem_levels: Sequence[str] | None = None) -> dict[str, Any]:
    return {
        "sem_levels": list(sem_levels or DEFAULT_SEM_LEVELS),
        "speaker_pattern": None,
        "case_pattern": None,
        # coders see only their own layer until an owner opens comparison (core/access.py)
        "blind": True,
        # coders may create codes while coding (inductive coding), as NVivo users expect
        "coders_add_codes": True,
        # the team's OpenAI-compatible AI server: none by default, so nothing leaves the
        # machine; the API key stays in the environment variable ai_api_key_env names
        **dict.fromkeys(AI_SETTINGS),
    }


class Project:
    """An open project: the entry point of the public API.

    >>> project = thematica.open_project("study.db")      # doctest: +SKIP
    >>> project.query("Staffing", coder="alex").to_dataframe()  # doctest: +SKIP
    """

    # Each service is built on first use (``_Service``): a command that runs a query does not
    # import the agreement statistics (numpy), the REFI-QDA XML layer (lxml) and the rest.
    if TYPE_CHECKING:
        members: Members
        documents: Documents
        cases: Cases
        speakers: Speakers
        codebook: Codebook
        coding: Coding
        batches: Batches
        autocode: Autocode
        memos: Memos
        agreement: Agreement
        consensus: Consensus
        retrieval: Retrieval
        refi: Refi
        exports: Exports
        themes: Themes
        prevalence: Prevalence
        cooccurrence: Cooccurrence
        saturation: Saturation
        matrices: Matrices
        reports: Reports
        proposals: Proposals
        jobs: Jobs
        progress: Progress
        matrix_links: MatrixLinks
        suggestions: Suggestions
        clusters: Clusters
        drafts: Drafts
        transcription: Transcription
        deid: Deid
    else:
        members = _Service("thematica.services.members", "Members")
        documents = _Service("thematica.services.documents", "Documents")
        cases = _Service("thematica.services.cases", "Cases")
        speakers = _Service("thematica.services.speakers", "Speakers")
        codebook = _Service("thematica.services.codebook", "Codebook")
        coding = _Service("thematica.services.coding", "Coding")
        batches = _Service("thematica.services.batches", "Batches")
        autocode = _Service("thematica.services.autocode", "Autocode")
        memos = _Service("thematica.services.memos", "Memos")
        agreement = _Service("thematica.services.agreement", "Agreement")
        consensus = _Service("thematica.services.consensus", "Consensus")
        retrieval = _Service("thematica.services.retrieval", "Retrieval")
        refi = _Service("thematica.services.interop", "Refi")
        exports = _Service("thematica.services.exports", "Exports")
        themes = _Service("thematica.services.themes", "Themes")
        prevalence = _Service("thematica.services.prevalence", "Prevalence")
        cooccurrence = _Service("thematica.services.cooccurrence", "Cooccurrence")
        saturation = _Service("thematica.services.saturation", "Saturation")
        matrices = _Service("thematica.services.matrix", "Matrices")
        reports = _Service("thematica.services.reports", "Reports")
        proposals = _Service("thematica.services.proposals", "Proposals")
        jobs = _Service("thematica.services.jobs", "Jobs")
        matrix_links = _Service("thematica.services.matrix_links", "MatrixLinks")
        progress = _Service("thematica.services.progress", "Progress")
        suggestions = _Service("thematica.services.suggestions", "Suggestions")
        clusters = _Service("thematica.services.clusters", "Clusters")
        drafts = _Service("thematica.services.drafts", "Drafts")
        transcription = _Service("thematica.services.transcription", "Transcription")
        deid = _Service("thematica.services.deid", "Deid")

    #: the service attributes, in the order they were once built
    SERVICES = (
        "members",
        "documents",
        "cases",
        "speakers",
        "codebook",
        "coding",
        "batches",
        "autocode",
        "memos",
        "agreement",
        "consensus",
        "retrieval",
        "refi",
        "exports",
        "themes",
        "prevalence",
        "cooccurrence",
        "saturation",
        "matrices",
        "reports",
        "proposals",
        "jobs",
        "progress",
        "matrix_links",
        "suggestions",
        "clusters",
        "drafts",
        "transcription",
        "deid",
    )

    def __init__(
        self,
        db: Database,
        project_id: int,
        name: str,
        settings: dict[str, Any],
        actor: Actor | None = None,
    ) -> None:
        from thematica.services.access import Access

        self.db = db
        self.id = project_id
        self.name = name
        self.settings = settings
        #: who is acting, with their role here; every service checks it (services/access.py)
        self.access = Access(self, actor or Actor(current_user_name(), Role.OWNER))
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

    def audit(
        self, conn: Connection, action: str, /, on_behalf_of: str | None = None, **detail: Any
    ) -> None:
        """Append to the project's audit log, inside the caller's transaction, so a change and
        its entry are stored together or not at all.

        The entry's actor is always the acting person (:attr:`access`): a caller cannot make
        a change look like someone else's. ``on_behalf_of`` keeps a name the caller was given
        for whom the change was made (an old ``actor=`` argument) as detail, when it differs.
        """
        if on_behalf_of and on_behalf_of != self.access.name:
            detail["on_behalf_of"] = on_behalf_of
        conn.execute(
            insert(t.audit_log).values(
                project_id=self.id,
                at=now(),
                actor=self.access.name,
                action=action,
                detail=detail,
            )
        )

    @requires(Operation.READ)
    def audit_log(
        self,
        limit: int | None = 50,
        *,
        actor: str | Sequence[str] | None = None,
        action: str | Sequence[str] | None = None,
        since: datetime | str | None = None,
        offset: int = 0,
    ) -> Table[AuditRow]:
        """Entries of the audit trail, newest first, each with its full detail.

        ``actor``: one name or several. ``action``: one or several actions, a comma list, each
        exact or a prefix ending in ``*`` (``consensus*``). ``since``: a datetime (naive means
        UTC), an ISO date or datetime, or a span back from now such as ``2h`` or ``3d``
        (:func:`thematica.core.timespans.parse_since`). ``limit`` None: all of them.
        """
        from thematica.core.timespans import parse_since, split_names

        a = t.audit_log.c
        stmt = select(t.audit_log).where(a.project_id == self.id)
        actors = split_names(actor)
        if actors:
            stmt = stmt.where(a.actor.in_(actors))
        actions = split_names(action)
        if actions:
            stmt = stmt.where(
                or_(
                    *(
                        a.action.startswith(name[:-1], autoescape=True)
                        if name.endswith("*")
                        else a.action == name
                        for name in actions
                    )
                )
            )
        if since is not None:
            when = parse_since(since, now()) if isinstance(since, str) else since
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            stmt = stmt.where(a.at >= when.astimezone(UTC))
        if offset < 0:
            raise InputError(f"offset must not be negative, not {offset}")
        stmt = stmt.order_by(a.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(max(1, limit))
        with self.db.read() as conn:
            rows = [
                AuditRow(
                    _utc(r.at).isoformat(timespec="seconds"),
                    r.actor,
                    r.action,
                    dict(r.detail or {}),
                    int(r.id),
                )
                for r in conn.execute(stmt)
            ]
            if self.access.blind and self.access.role is not Role.OWNER:
                # the log itemises coding: while coding is blind it must not show a coder's
                # work to someone who may not read that layer
                kinds = dict(
                    conn.execute(
                        select(t.coder.c.name, t.coder.c.kind).where(
                            t.coder.c.project_id == self.id
                        )
                    ).all()
                )
                rows = [r for r in rows if self._may_see(r.detail, kinds)]
        return Table(rows, title="Audit log")

    def _may_see(self, detail: dict[str, Any], kinds: dict[str, str]) -> bool:
        """Whether an entry names only layers this person may read (``coder``/``layer``:
        one name or a list of names)."""
        layers: list[Any] = []
        for key in ("coder", "layer"):
            value = detail.get(key)
            layers.extend(value if isinstance(value, list) else [value])
        return all(
            self.access.may_read_layer(str(name), kinds.get(str(name), "human"))
            for name in layers
            if name
        )

    @requires(Operation.SETTINGS)
    def configure(
        self,
        *,
        speaker_pattern: str | None = None,
        case_pattern: str | None = None,
        sem_levels: Sequence[str] | None = None,
        blind: bool | None = None,
        coders_add_codes: bool | None = None,
        ai_url: str | None = None,
        ai_model: str | None = None,
        ai_embedding_model: str | None = None,
        ai_api_key_env: str | None = None,
    ) -> dict[str, Any]:
        """Change project settings after checking them; ``""`` clears a pattern. ``blind``
        False opens comparison: every member may then read every coder layer.
        ``coders_add_codes`` False keeps the codebook the owners': a coder's new code becomes
        a proposal an owner accepts or declines. ``ai_url`` (an OpenAI-compatible server),
        ``ai_model``, ``ai_embedding_model``, ``ai_api_key_env`` (the name of the environment
        variable holding its key): ``""`` clears one; without ``ai_url`` nothing is sent."""
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
        if coders_add_codes is not None:
            changes["coders_add_codes"] = bool(coders_add_codes)
        changes.update(_ai_changes(ai_url, ai_model, ai_embedding_model, ai_api_key_env))
        if changes:
            self.update_settings(**changes)
        return dict(self.settings)

    @requires(Operation.SETTINGS)
    def update_settings(self, **changes: Any) -> None:
        with self.db.write() as conn:
            # merge onto the stored settings, not those read at open: another owner's change
            # in between (closing comparison, say) must not be undone
            self.db.serialize(conn, "settings", self.id)
            stored = dict(
                conn.scalar(select(t.project.c.settings).where(t.project.c.id == self.id)) or {}
            )
            settings = {**stored, **changes}
            conn.execute(
                t.project.update().where(t.project.c.id == self.id).values(settings=settings)
            )
            self.audit(
                conn,
                "settings",
                changes={key: [stored.get(key), value] for key, value in changes.items()},
            )
        self.settings = settings


def _ai_changes(
    url: str | None, model: str | None, embedding_model: str | None, key_env: str | None
) -> dict[str, Any]:
    """The team-server settings given, checked (``thematica.ai.server``); "" clears one."""
    from thematica.ai.server import check_api_key_env, check_url

    changes: dict[str, Any] = {}
    for key, value in zip(AI_SETTINGS, (url, model, embedding_model, key_env), strict=True):
        if value is None:
            continue
        if value == "":
            changes[key] = None
        elif not value.strip():
            raise InputError(f"{key} must not be blank ('' clears it)")
        elif key == "ai_url":
            changes[key] = check_url(value)
        elif key == "ai_api_key_env":
            changes[key] = check_api_key_env(value)
        elif len(value.strip()) > 200:
            raise InputError(f"{key} must be at most 200 characters")
        else:
            changes[key] = value.strip()
    return changes


def _default_name(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        return Path(parsed.database).stem
    return "default"


def insert_project(
    conn: Connection, name: str, settings: dict[str, Any], actor: str | None
) -> tuple[int, str]:
    """Insert a project row with its creator (``actor``, default :func:`current_user_name`)
    as owner, inside the caller's transaction; returns the project id and the creator."""
    from thematica.services.members import ensure_user

    pid = int(
        conn.execute(
            insert(t.project).values(name=name, created_at=now(), settings=settings)
        ).inserted_primary_key[0]  # type: ignore[index]
    )
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
    return pid, creator


def _refuse_outdated(url: str) -> None:
    """``init`` adds a project to an existing database only when its schema is current: the
    upgrade of an older one is ``upgrade``'s, which also gives its projects an owner."""
    from thematica.store.engine import SchemaOutOfDate

    try:
        open_database(url, migrate=False).dispose()
    except SchemaOutOfDate:
        raise
    except ThematicaError:
        pass  # no database yet (or none to speak of): init creates it


def init_project(
    db: DbArg = None,
    name: str | None = None,
    *,
    sem_levels: Sequence[str] | None = None,
    actor: str | None = None,
) -> Project:
    """Create a project (and, for a SQLite path, the database file itself); the person creating
    it (``actor``, default :func:`current_user_name`) becomes its owner."""
    url = resolve_url(db)
    _refuse_outdated(url)
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
            if conn.scalar(select(t.project.c.id).where(t.project.c.name == name)) is not None:
                raise ConflictError(
                    f"{database.label} already has a project named {name!r}",
                    database=database.label,
                    project=name,
                )
            pid, creator = insert_project(conn, name, settings, actor)
            conn.execute(
                insert(t.audit_log).values(
                    project_id=pid, at=now(), actor=creator, action="init", detail={"name": name}
                )
            )
    except BaseException:
        database.dispose()
        raise
    return Project(database, pid, name, settings, Actor(creator, Role.OWNER))


def list_projects(db: DbArg = None) -> list[str]:
    database = open_database(db)
    try:
        with database.read() as conn:
            return list(conn.scalars(select(t.project.c.name).order_by(t.project.c.id)))
    finally:
        database.dispose()


def open_project(
    db: DbArg = None,
    project: str | None = None,
    *,
    actor: str | None = None,
    read_only: bool | None = None,
) -> Project:
    """Open a project for ``actor`` (default :func:`current_user_name`); ``project`` may be
    left out when the database holds only one.

    The schema is not migrated here: an out-of-date database raises
    :class:`~thematica.store.SchemaOutOfDate` (see :func:`upgrade_database`). ``read_only``
    (default: when the SQLite file or its folder is not writable, or ``$THEMATICA_READ_ONLY``
    is set) opens it without writing anything; every write then fails cleanly.

    Opening does not check membership: every operation does (a non-member may do nothing).
    A project that has no members at all — made before roles existed — treats everyone as
    owner until ``thematica upgrade`` records one.
    """
    database = open_database(db, read_only=read_only)
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
        raise NotFoundError(f"{database.label} has no project yet", hint="init")
    if len(rows) > 1:
        names = ", ".join(r.name for r in rows)
        database.dispose()
        raise InputError(
            f"{database.label} holds {len(rows)} projects ({names}); choose one",
            choices=[r.name for r in rows],
            hint="project",
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
    return Project(database, row.id, row.name, dict(row.settings), Actor(name, role))


def upgrade_database(db: DbArg = None, *, actor: str | None = None) -> Table[UpgradeRow]:
    """Bring a database's schema to this version's and give every project that has no
    members (one made before roles existed) an owner: ``actor`` (default
    :func:`current_user_name`), the person running the upgrade.

    Safe to run twice and from several processes at once: the migration and the owner
    assignment each hold the database's write lock, so later runs find the work done.
    """
    from thematica.services.members import ensure_user

    database = open_database(db, migrate=True)
    before, after = database.migrated or (None, "")
    who = current_user_name(actor)
    rows: list[UpgradeRow] = []
    try:
        with database.write() as conn:
            database.serialize(conn)
            members = set(conn.scalars(select(t.project_member.c.project_id).distinct()))
            for pid, pname in conn.execute(
                select(t.project.c.id, t.project.c.name).order_by(t.project.c.id)
            ):
                owner = None
                if pid not in members:
                    owner = who
                    conn.execute(
                        insert_ignoring_duplicates(conn, t.project_member).values(
                            project_id=pid,
                            user_id=ensure_user(conn, who),
                            role=Role.OWNER.value,
                            added_at=now(),
                            added_by=who,
                        )
                    )
                if owner is not None or before != after:
                    conn.execute(
                        insert(t.audit_log).values(
                            project_id=pid,
                            at=now(),
                            actor=who,
                            action="upgrade",
                            detail={"from": before, "to": after, "owner_added": owner},
                        )
                    )
                rows.append(UpgradeRow(pname, before, after, owner))
    finally:
        database.dispose()
    return Table.of(UpgradeRow, rows, title=f"Upgrade of {database.label}")
