"""User accounts across a database: passwords, sign-in with throttling, browser sessions,
API tokens and invitations, and the projects a person belongs to.

Accounts are not inside one project (a person signs in once and sees all their projects), so
this service works on a :class:`~thematica.store.Database`. Who may create accounts is the
face's business only in one sense: the command line, which holds the database itself, may;
on the web an owner invites people into a project (``Members.invite``). Secrets (session
cookies, tokens, invitation links) are random, shown once, and stored only as SHA-256 hashes,
so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, insert, select, update

from thematica.core.access import Actor, Role
from thematica.core.errors import (
    AuthenticationFailed,
    ConflictError,
    InputError,
    NotFoundError,
    Throttled,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project
    from thematica.store import Database

__all__ = [
    "Accounts",
    "ProjectEntry",
    "TokenRow",
    "UserRow",
    "csrf_token",
    "open_project_for",
]

SESSION_DAYS = 7
INVITE_DAYS = 14
#: failed sign-ins tolerated within THROTTLE_WINDOW, per user name and per network address
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 30
THROTTLE_WINDOW = timedelta(minutes=15)
#: a session's last use is written at most this often (a write per page view would queue
#: every reader behind SQLite's one writer)
TOUCH_EVERY = timedelta(minutes=5)
TOKEN_KINDS = ("session", "api", "invite")


@dataclass(slots=True)
class UserRow:
    name: str
    display_name: str
    has_password: bool
    created_at: str


@dataclass(slots=True)
class TokenRow:
    id: int
    kind: str
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None


@dataclass(slots=True)
class ProjectEntry:
    """A project the person belongs to, with their role and what is in it."""

    id: int
    name: str
    role: str
    documents: int
    members: int
    blind: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _iso(at: datetime | None) -> str | None:
    stamp = _utc(at)
    return stamp.isoformat(timespec="seconds") if stamp else None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _storable(value: str) -> str:
    """``value`` as a database stores text: a NUL or a lone surrogate (which PostgreSQL
    refuses) becomes a replacement character. For names typed at sign-in, which no real
    account has in that form."""
    if value.isascii() and "\x00" not in value:
        return value
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def csrf_token(session_secret: str) -> str:
    """The CSRF token that goes with a session: derived from the session's secret (which only
    the browser's HttpOnly cookie holds), so it needs no storage and no server key."""
    return hashlib.sha256(b"thematica-csrf:" + session_secret.encode()).hexdigest()[:40]


# a valid argon2 hash of a random password: checking against it when the user does not exist
# takes as long as a real check, so response times do not reveal which user names exist
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        from argon2 import PasswordHasher

        _DUMMY_HASH = PasswordHasher().hash(secrets.token_hex(16))
    return _DUMMY_HASH


class Accounts:
    """Accounts in one database (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- users ---------------------------------------------------------------------------
    def add_user(
        self, name: str, password: str | None = None, *, display_name: str | None = None
    ) -> UserRow:
        """Create an account; ``password`` None makes one that signs in only through an
        invitation (or after ``set_password``)."""
        from thematica.services.members import check_user_name, hash_password, refuse_same_name

        name = check_user_name(name)
        hashed = hash_password(password) if password is not None else None
        u = t.user_account.c
        with self.db.write() as conn:
            row = conn.execute(select(u.id, u.password_hash).where(u.name == name)).first()
            if row is None:
                refuse_same_name(conn, name)  # "Alex" beside "alex" would share a layer
            if row is not None:
                if row.password_hash is not None or hashed is None:
                    raise ConflictError(f"user {name!r} already exists", user=name)
                # an account made by adding a member, now given a password
                conn.execute(
                    update(t.user_account).where(u.id == row.id).values(password_hash=hashed)
                )
            else:
                conn.execute(
                    insert(t.user_account).values(
                        name=name,
                        display_name=(display_name or name).strip() or name,
                        password_hash=hashed,
                        created_at=_now(),
                    )
                )
        return self.user(name)

    def user(self, name: str) -> UserRow:
        u = t.user_account.c
        with self.db.read() as conn:
            row = conn.execute(select(t.user_account).where(u.name == name)).first()
        if row is None:
            raise NotFoundError(f"no user named {name!r}", user=name)
        return UserRow(
            row.name, row.display_name, row.password_hash is not None, _iso(row.created_at) or ""
        )

    def users(self) -> list[UserRow]:
        u = t.user_account.c
        with self.db.read() as conn:
            rows = conn.execute(select(t.user_account).order_by(u.name)).all()
        return [
            UserRow(r.name, r.display_name, r.password_hash is not None, _iso(r.created_at) or "")
            for r in rows
        ]

    def set_password(self, name: str, password: str, *, current: str | None = None) -> None:
        """Set a password; with ``current`` given (the web's "change my password"), it must be
        the present one. Every session of the user ends, so a stolen cookie stops working, and
        so does every invitation link still open for them."""
        from thematica.services.members import hash_password, verify_password

        hashed = hash_password(password)
        u = t.user_account.c
        with self.db.write() as conn:
            row = conn.execute(select(u.id, u.password_hash).where(u.name == name)).first()
            if row is None:
                raise NotFoundError(f"no user named {name!r}", user=name)
            if current is not None and not verify_password(row.password_hash, current):
                raise AuthenticationFailed("the current password is not right")
            conn.execute(update(t.user_account).where(u.id == row.id).values(password_hash=hashed))
            conn.execute(
                delete(t.user_token).where(
                    t.user_token.c.user_id == row.id,
                    t.user_token.c.kind.in_(("session", "invite")),
                )
            )

    # -- signing in ----------------------------------------------------------------------
    def authenticate(self, name: str, password: str, *, address: str = "") -> str:
        """The user's name when ``password`` is theirs; else :class:`AuthenticationFailed`
        (the same message whether or not the user exists), or :class:`Throttled` after too
        many failures for this name or from this address within the window."""
        from thematica.services.members import verify_password

        name = _storable((name or "").strip()[:200])
        address = _storable((address or "")[:100])
        f, u = t.login_failure.c, t.user_account.c
        since = _now() - THROTTLE_WINDOW
        # Count and record in one write transaction, before the (slow) password check: the
        # attempt is stored as a failure first and forgiven on success, so concurrent guesses
        # cannot all pass the count before any of them is recorded.
        with self.db.write() as conn:
            self.db.serialize(conn, "login:" + name)
            if address:
                self.db.serialize(conn, "login-address:" + address)
            by_name = conn.scalar(select(func.count()).where(f.user_name == name, f.at >= since))
            by_address = (
                conn.scalar(select(func.count()).where(f.address == address, f.at >= since))
                if address
                else 0
            )
            throttled = (by_name or 0) >= MAX_FAILURES_PER_NAME or (
                by_address or 0
            ) >= MAX_FAILURES_PER_ADDRESS
            if not throttled:
                conn.execute(
                    insert(t.login_failure).values(user_name=name, address=address, at=_now())
                )
            stored = conn.scalar(select(u.password_hash).where(u.name == name))
        if throttled:
            raise Throttled(
                "too many failed sign-ins; wait 15 minutes and try again",
                retry_after=int(THROTTLE_WINDOW.total_seconds()),
            )
        if stored is None:
            verify_password(_dummy_hash(), password)  # same time as a real check
            ok = False
        else:
            ok = verify_password(stored, password)
        if not ok:
            raise AuthenticationFailed("the user name or password is not right")
        with self.db.write() as conn:
            conn.execute(delete(t.login_failure).where(f.user_name == name))
            conn.execute(delete(t.login_failure).where(f.at < since))
        return name

    # -- secrets: sessions, tokens, invitations ------------------------------------------
    def _issue(
        self,
        conn: Connection,
        user: str,
        kind: str,
        *,
        label: str = "",
        lifetime: timedelta | None = None,
    ) -> str:
        uid = conn.scalar(select(t.user_account.c.id).where(t.user_account.c.name == user))
        if uid is None:
            raise NotFoundError(f"no user named {user!r}", user=user)
        secret = secrets.token_urlsafe(32)
        stamp = _now()
        conn.execute(
            insert(t.user_token).values(
                user_id=uid,
                kind=kind,
                token_hash=_hash(secret),
                label=label[:200],
                created_at=stamp,
                expires_at=stamp + lifetime if lifetime else None,
            )
        )
        return secret

    def _holder(self, secret: str, kind: str, *, touch: bool = True) -> tuple[int, str] | None:
        """(token id, user name) for a live secret of this kind; None otherwise."""
        if not secret or len(secret) > 200:
            return None
        k, u = t.user_token.c, t.user_account.c
        with self.db.read() as conn:
            row = conn.execute(
                select(k.id, k.expires_at, k.last_used_at, u.name)
                .join(t.user_account, u.id == k.user_id)
                .where(k.token_hash == _hash(secret), k.kind == kind)
            ).first()
        if row is None:
            return None
        stamp = _now()
        expires = _utc(row.expires_at)
        if expires is not None and expires <= stamp:
            return None
        used = _utc(row.last_used_at)
        if touch and not self.db.read_only and (used is None or stamp - used > TOUCH_EVERY):
            with self.db.write() as conn:
                conn.execute(update(t.user_token).where(k.id == row.id).values(last_used_at=stamp))
        return int(row.id), str(row.name)

    def start_session(self, user: str) -> str:
        """A new browser session for ``user``; returns the secret for the cookie."""
        with self.db.write() as conn:
            return self._issue(conn, user, "session", lifetime=timedelta(days=SESSION_DAYS))

    def session_user(self, secret: str) -> str | None:
        found = self._holder(secret, "session")
        return found[1] if found else None

    def end_session(self, secret: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                delete(t.user_token).where(
                    t.user_token.c.token_hash == _hash(secret), t.user_token.c.kind == "session"
                )
            )

    def create_token(self, user: str, label: str = "", *, days: int | None = None) -> str:
        """A bearer token for scripts (``Authorization: Bearer …``); shown once."""
        if days is not None and days < 1:
            raise InputError(f"a token must last at least a day, not {days}")
        with self.db.write() as conn:
            return self._issue(
                conn, user, "api", label=label, lifetime=timedelta(days=days) if days else None
            )

    def token_user(self, secret: str) -> str | None:
        found = self._holder(secret, "api")
        return found[1] if found else None

    def tokens(self, user: str) -> list[TokenRow]:
        k, u = t.user_token.c, t.user_account.c
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.user_token)
                .join(t.user_account, u.id == k.user_id)
                .where(u.name == user, k.kind == "api")
                .order_by(k.id)
            ).all()
        return [
            TokenRow(
                int(r.id),
                r.kind,
                r.label,
                _iso(r.created_at) or "",
                _iso(r.expires_at),
                _iso(r.last_used_at),
            )
            for r in rows
        ]

    def revoke_token(self, user: str, token_id: int) -> None:
        k, u = t.user_token.c, t.user_account.c
        with self.db.write() as conn:
            uid = conn.scalar(select(u.id).where(u.name == user))
            gone = conn.execute(
                delete(t.user_token).where(k.id == token_id, k.user_id == uid, k.kind == "api")
            ).rowcount
        if not gone:
            raise NotFoundError(f"{user} has no token {token_id}", token=token_id)

    def invite(self, conn: Connection, user: str) -> str:
        """A one-use invitation secret for ``user`` (inside the caller's transaction: the
        members service issues it with the membership)."""
        return self._issue(conn, user, "invite", lifetime=timedelta(days=INVITE_DAYS))

    def invited_user(self, secret: str) -> str | None:
        """Whose invitation ``secret`` is, while it can still be accepted (None otherwise:
        unknown, expired, or the person has set a password since)."""
        found = self._holder(secret, "invite", touch=False)
        if found is None:
            return None
        u = t.user_account.c
        with self.db.read() as conn:
            stored = conn.scalar(select(u.password_hash).where(u.name == found[1]))
        return found[1] if stored is None else None

    def accept_invite(self, secret: str, password: str) -> str:
        """Set the invited person's password and return their name.

        In one write transaction: an account that already has a password is refused (an old
        link must not reset it); otherwise the password is set and every invitation and
        browser session of the person ends, so no other link still works."""
        from thematica.services.members import hash_password

        hashed = hash_password(password)
        invalid = AuthenticationFailed("this invitation is not valid or has expired")
        if not secret or len(secret) > 200:
            raise invalid
        k, u = t.user_token.c, t.user_account.c
        has_password = False
        with self.db.write() as conn:
            token = conn.execute(
                select(k.id, k.user_id, k.expires_at).where(
                    k.token_hash == _hash(secret), k.kind == "invite"
                )
            ).first()
            expires = _utc(token.expires_at) if token is not None else None
            if token is None or (expires is not None and expires <= _now()):
                raise invalid
            # the account's row is locked: two links of one person accepted at once queue here
            person = conn.execute(
                select(u.name, u.password_hash).where(u.id == token.user_id).with_for_update()
            ).first()
            if person is None:  # the account was deleted meanwhile
                raise invalid
            if not conn.execute(delete(t.user_token).where(k.id == token.id)).rowcount:
                raise AuthenticationFailed("this invitation has already been used")
            ends = ("invite",) if person.password_hash is not None else ("invite", "session")
            if person.password_hash is None:
                conn.execute(
                    update(t.user_account).where(u.id == token.user_id).values(password_hash=hashed)
                )
            else:
                has_password = True  # stale links of this person are cleared all the same
            conn.execute(delete(t.user_token).where(k.user_id == token.user_id, k.kind.in_(ends)))
        if has_password:
            raise AuthenticationFailed(
                f"{person.name} has already set a password, so this invitation no longer "
                "works; sign in with that password"
            )
        return str(person.name)

    # -- projects ------------------------------------------------------------------------
    def projects_of(self, user: str) -> list[ProjectEntry]:
        """The projects ``user`` is a member of, with their role, by name."""
        m, u, p, d = t.project_member.c, t.user_account.c, t.project.c, t.document.c
        with self.db.read() as conn:
            rows = conn.execute(
                select(p.id, p.name, p.settings, m.role)
                .join(t.project_member, m.project_id == p.id)
                .join(t.user_account, u.id == m.user_id)
                .where(u.name == user)
                .order_by(p.name)
            ).all()
            ids = [r.id for r in rows]
            docs: dict[int, int] = dict(
                conn.execute(
                    select(d.project_id, func.count())
                    .where(d.project_id.in_(ids))
                    .group_by(d.project_id)
                ).all()
            )
            members: dict[int, int] = dict(
                conn.execute(
                    select(m.project_id, func.count())
                    .where(m.project_id.in_(ids))
                    .group_by(m.project_id)
                ).all()
            )
        return [
            ProjectEntry(
                int(r.id),
                r.name,
                r.role,
                int(docs.get(r.id, 0)),
                int(members.get(r.id, 0)),
                bool((r.settings or {}).get("blind", True)),
            )
            for r in rows
        ]

    def create_project(self, name: str, owner: str) -> Project:
        """A new project in this database, owned by ``owner`` (a signed-in person)."""
        from thematica.services.project import Project, default_settings, insert_project, now

        name = " ".join((name or "").split())
        if not name or len(name) > 200:
            raise InputError("a project needs a name of 1 to 200 characters")
        settings = default_settings()
        with self.db.write() as conn:
            if conn.scalar(select(t.project.c.id).where(t.project.c.name == name)) is not None:
                raise ConflictError(f"there is already a project named {name!r}", project=name)
            pid, creator = insert_project(conn, name, settings, owner)
            conn.execute(
                insert(t.audit_log).values(
                    project_id=pid, at=now(), actor=creator, action="init", detail={"name": name}
                )
            )
        return Project(self.db, pid, name, settings, Actor(creator, Role.OWNER))


def open_project_for(db: Database, project: str | int, user: str) -> Project:
    """``project`` (its name, or its id as the web's URLs give it) in an already open
    database, acting as ``user`` with their role there.

    The web application's per-request entry point: one query for the project and the
    person's role, reusing the server's database handle (the caller must not ``close()`` the
    project). A person who is not a member gets the same :class:`NotFoundError` as for a
    project that does not exist, so a project cannot be probed. (A project with no members at
    all, made before roles existed, is not served: it needs ``thematica upgrade`` first.)
    """
    from thematica.services.project import Project

    p, m, u = t.project.c, t.project_member.c, t.user_account.c
    which = p.id == project if isinstance(project, int) else p.name == project
    with db.read() as conn:
        row = conn.execute(
            select(p.id, p.name, p.settings, m.role)
            .join(t.project_member, m.project_id == p.id)
            .join(t.user_account, u.id == m.user_id)
            .where(which, u.name == user)
        ).first()
    if row is None:  # no such project, or not a member: the same answer
        kind = "with id" if isinstance(project, int) else "named"
        shown = project if isinstance(project, int) else repr(project)
        raise NotFoundError(f"no project {kind} {shown}", project=project)
    actor = Actor(user, Role(row.role))
    return Project(db, int(row.id), str(row.name), dict(row.settings or {}), actor)
