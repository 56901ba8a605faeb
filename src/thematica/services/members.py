"""``project.members``: who belongs to a project and in which role; user accounts.

A project always keeps at least one owner, so nobody can lock a study away from everyone.
Passwords (for the web application's sign-in) are stored only as argon2 hashes.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Connection, delete, insert, select, text, update

from thematica.core.access import Operation, Role
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = [
    "AccountState",
    "MemberRow",
    "Members",
    "ensure_user",
    "hash_password",
    "same_name_taken",
    "verify_password",
]

#: what inviting a member can do for their account (:meth:`Members.account_state`)
AccountState = Literal["new", "has_password", "elsewhere"]


@dataclass(slots=True)
class MemberRow:
    user: str
    display_name: str
    role: str
    added_at: str
    added_by: str | None


def check_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise InputError(
            f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}",
            role=role,
        ) from None


def check_user_name(name: str) -> str:
    """A user name as stored: trimmed; 1 to 200 characters, without a comma (lists of
    names), a slash or backslash (the name is part of web addresses, where ``x/../alex``
    would lead to alex) or a control character."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError(f"{name!r} is not a usable user name (1 to 200 characters)", user=name)
    bad = sorted({ch for ch in name if ch in ",/\\" or ord(ch) < 0x20 or ord(ch) == 0x7F})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise InputError(
            f"{name!r} is not a usable user name: it may not contain {shown} "
            "(no commas, slashes, backslashes or control characters)",
            user=name,
        )
    return name


def same_name_taken(conn: Connection, name: str) -> str | None:
    """The existing account whose name equals ``name`` but for letter case (None if none).

    Coder layers are matched to people ignoring case, so "Alex" beside "alex" would read and
    write alex's layer. Compared with :meth:`str.casefold` in Python (SQLite's ``lower()``
    folds only ASCII); accounts are few, and this runs only when one is created.
    """
    folded = name.casefold()
    for other in conn.scalars(select(t.user_account.c.name)):
        if other != name and str(other).casefold() == folded:
            return str(other)
    return None


def refuse_same_name(conn: Connection, name: str) -> None:
    """A :class:`ConflictError` when another account has ``name`` in other letter case.
    Holds the account-names lock on PostgreSQL (as :meth:`Database.serialize` does), so two
    people creating "Alex" and "alex" at once do not both pass the check."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:scope), 0)"),
            {"scope": "thematica:user_names"},
        )
    other = same_name_taken(conn, name)
    if other is not None:
        raise ConflictError(
            f"there is already a user named {other!r}; user names differ by more than "
            f"letter case, so {name!r} cannot be another person",
            user=name,
            existing=other,
        )


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) < 8:
        raise InputError("a password needs at least 8 characters")
    return PasswordHasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; False (never an exception) for a wrong or missing hash."""
    if not stored_hash:
        return False
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def ensure_user(conn: Connection, name: str, display_name: str | None = None) -> int:
    """The id of user ``name``, creating the account (without a password) when it is new."""
    from thematica.services.project import now

    u = t.user_account.c
    uid = conn.scalar(select(u.id).where(u.name == name))
    if uid is not None:
        return int(uid)
    refuse_same_name(conn, name)
    # two people adding the same new user at once: the second insert is a no-op (store/engine)
    conn.execute(
        insert_ignoring_duplicates(conn, t.user_account).values(
            name=name, display_name=display_name or name, password_hash=None, created_at=now()
        )
    )
    return int(conn.scalar(select(u.id).where(u.name == name)))  # type: ignore[arg-type]


class Members:
    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.READ)
    def list(self) -> Table[MemberRow]:
        m, u = t.project_member.c, t.user_account.c
        with self.project.db.read() as conn:
            rows = [
                MemberRow(
                    r.name,
                    r.display_name,
                    r.role,
                    r.added_at.isoformat(timespec="seconds"),
                    r.added_by,
                )
                for r in conn.execute(
                    select(u.name, u.display_name, m.role, m.added_at, m.added_by)
                    .join(t.user_account, u.id == m.user_id)
                    .where(m.project_id == self.project.id)
                    .order_by(u.name)
                )
            ]
        return Table(rows, title=f"Members of {self.project.name}")

    def _owners(self, conn: Connection) -> builtins.list[str]:
        m, u = t.project_member.c, t.user_account.c
        return list(
            conn.scalars(
                select(u.name)
                .join(t.user_account, u.id == m.user_id)
                .where(m.project_id == self.project.id, m.role == Role.OWNER.value)
            )
        )

    def _member(self, conn: Connection, user: str) -> tuple[int, str] | None:
        m, u = t.project_member.c, t.user_account.c
        row = conn.execute(
            select(u.id, m.role)
            .join(t.user_account, u.id == m.user_id)
            .where(m.project_id == self.project.id, u.name == user)
        ).first()
        return (int(row.id), str(row.role)) if row else None

    @requires(Operation.MEMBERS)
    def add(self, user: str, role: str, *, display_name: str | None = None) -> None:
        from thematica.services.project import now

        user, checked = check_user_name(user), check_role(role)
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "members", self.project.id)  # one owner stays
            if self._member(conn, user) is not None:
                raise ConflictError(
                    f"{user} is already a member of {self.project.name!r}", user=user
                )
            uid = ensure_user(conn, user, display_name)
            conn.execute(
                insert(t.project_member).values(
                    project_id=self.project.id,
                    user_id=uid,
                    role=checked.value,
                    added_at=now(),
                    added_by=self.project.access.name,
                )
            )
            self.project.audit(conn, "member_add", user=user, role=checked.value)

    @requires(Operation.MEMBERS)
    def set_role(self, user: str, role: str) -> None:
        checked = check_role(role)
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "members", self.project.id)  # one owner stays
            found = self._member(conn, user)
            if found is None:
                raise NotFoundError(f"{user} is not a member of {self.project.name!r}", user=user)
            uid, old = found
            if old == checked.value:
                return
            if old == Role.OWNER.value and self._owners(conn) == [user]:
                raise ConflictError(
                    f"{user} is the project's only owner; make someone else owner first",
                    user=user,
                )
            conn.execute(
                update(t.project_member)
                .where(
                    t.project_member.c.project_id == self.project.id,
                    t.project_member.c.user_id == uid,
                )
                .values(role=checked.value)
            )
            self.project.audit(conn, "member_role", user=user, old=old, new=checked.value)

    @requires(Operation.MEMBERS)
    def remove(self, user: str) -> None:
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "members", self.project.id)  # one owner stays
            found = self._member(conn, user)
            if found is None:
                raise NotFoundError(f"{user} is not a member of {self.project.name!r}", user=user)
            uid, old = found
            if old == Role.OWNER.value and self._owners(conn) == [user]:
                raise ConflictError(
                    f"{user} is the project's only owner; make someone else owner first",
                    user=user,
                )
            conn.execute(
                delete(t.project_member).where(
                    t.project_member.c.project_id == self.project.id,
                    t.project_member.c.user_id == uid,
                )
            )
            u, k = t.user_account.c, t.user_token.c
            if conn.scalar(select(u.password_hash).where(u.id == uid)) is None:
                # someone removed before they set a password: their invitation link dies too
                conn.execute(delete(t.user_token).where(k.user_id == uid, k.kind == "invite"))
            self.project.audit(conn, "member_remove", user=user, role=old)

    def _account_state(self, conn: Connection, uid: int) -> AccountState:
        u, m = t.user_account.c, t.project_member.c
        if conn.scalar(select(u.password_hash).where(u.id == uid)) is not None:
            return "has_password"
        elsewhere = conn.scalar(
            select(m.project_id).where(m.user_id == uid, m.project_id != self.project.id).limit(1)
        )
        return "new" if elsewhere is None else "elsewhere"

    @requires(Operation.MEMBERS)
    def account_state(self, user: str) -> AccountState:
        """What an invitation can do for ``user``'s account, so a face can word it:

        * ``new`` — no password and no project but this one (or no account yet): an
          invitation link lets them set their password;
        * ``has_password`` — they sign in with the password they have; no link is issued;
        * ``elsewhere`` — no password, but they belong to another project too: no link is
          issued (whoever held it could become them there); they get a password from the
          command line, ``thematica users password NAME --password-stdin``.
        """
        u = t.user_account.c
        with self.project.db.read() as conn:
            uid = conn.scalar(select(u.id).where(u.name == user))
            return "new" if uid is None else self._account_state(conn, int(uid))

    @requires(Operation.MEMBERS)
    def invite(self, user: str, *, required: bool = False) -> str | None:
        """A one-use invitation secret with which member ``user`` sets a password and signs in
        to the web application (valid for 14 days).

        Only for an account without a password that belongs to no other project than this
        one (:meth:`account_state` ``new``): anyone signed in can make a project and add a
        name to it, so a link for an account used elsewhere would let them take it over.
        Otherwise None, or with ``required`` a :class:`ConflictError` that says why.
        """
        from thematica.services.accounts import Accounts

        with self.project.db.write() as conn:
            found = self._member(conn, user)
            if found is None:
                raise NotFoundError(f"{user} is not a member of {self.project.name!r}", user=user)
            state = self._account_state(conn, found[0])
            if state != "new":
                if not required:
                    return None
                if state == "has_password":
                    raise ConflictError(
                        f"{user} already has a password and signs in with it",
                        user=user,
                        state=state,
                    )
                raise ConflictError(
                    f"{user} also belongs to another project, so no invitation link is "
                    "issued for them; whoever runs the server sets their password",
                    user=user,
                    state=state,
                    hint="users_password",
                )
            secret = Accounts(self.project.db).invite(conn, user)
            self.project.audit(conn, "member_invite", user=user)
        return secret
