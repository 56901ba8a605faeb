"""The one permission check every service operation goes through, and who is acting.

Each public service method declares the kind of operation it performs with :func:`requires`;
the check runs before the method touches the database, so a refused call reads and writes
nothing (and so leaves nothing in the audit log). Layer rules — blind coding, coders writing
only their own layer — are checked where layers are resolved (:meth:`Access.check_read_layer`,
:meth:`Access.check_write_layer`). The rules themselves live in :mod:`thematica.core.access`.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Connection, select

from thematica.core.access import (
    Actor,
    Operation,
    Role,
    allowed,
    may_read_layer,
    may_write_layer,
)
from thematica.core.errors import PermissionDenied
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["Access", "current_user_name", "requires"]

F = TypeVar("F", bound=Callable[..., Any])


def current_user_name(explicit: str | None = None) -> str:
    """Who is acting when nobody says: ``explicit``, else ``$THEMATICA_USER``, else the login
    name of the operating-system user."""
    name = (explicit or os.environ.get("THEMATICA_USER") or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            name = "unknown"
    return name


def requires(operation: Operation) -> Callable[[F], F]:
    """Declare what a service method does; the project's actor must be allowed to do it."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            # a service keeps its project in .project; the Project facade is its own
            getattr(self, "project", self).access.check(operation, fn.__name__)
            return fn(self, *args, **kwargs)

        checked.__thematica_operation__ = operation  # type: ignore[attr-defined]
        return cast(F, checked)

    return wrap


def role_of(conn: Connection, project_id: int, user: str) -> tuple[Role | None, bool]:
    """The user's role in the project, and whether the project has any members at all."""
    m, u = t.project_member.c, t.user_account.c
    rows = conn.execute(
        select(u.name, m.role)
        .join(t.user_account, u.id == m.user_id)
        .where(m.project_id == project_id)
    ).all()
    for name, role in rows:
        if name == user:
            return Role(role), True
    return None, bool(rows)


class Access:
    """The acting person in one open project, and the checks made for them."""

    def __init__(self, project: Project, actor: Actor) -> None:
        self.project = project
        self.actor = actor
        self._sources: dict[str, tuple[tuple[str, str], ...]] | None = None

    @property
    def name(self) -> str:
        return self.actor.name

    @property
    def role(self) -> Role | None:
        return self.actor.role

    @property
    def blind(self) -> bool:
        return bool(self.project.settings.get("blind", True))

    def refuse(self, what: str, **detail: Any) -> PermissionDenied:
        role = self.role.value if self.role else "no member"
        who = f"{self.name} ({role})" if self.role else f"{self.name} (not a member)"
        return PermissionDenied(
            f"{who} may not {what} in project {self.project.name!r}",
            actor=self.name,
            role=self.role.value if self.role else None,
            project=self.project.name,
            **detail,
        )

    def check(self, operation: Operation, what: str | None = None) -> None:
        if not allowed(self.role, operation):
            words = _WORDS.get(operation, operation.value)
            raise self.refuse(words, operation=operation.value, method=what)

    def may_read_layer(self, layer: str, kind: str) -> bool:
        sources = self._ai_sources().get(layer, ()) if kind == "ai" else ()
        return may_read_layer(self.actor, layer, kind=kind, blind=self.blind, sources=sources)

    def _ai_sources(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """The layers each ``ai`` layer learned from (``coder.meta["learned_from"]``), read
        once per open project; :meth:`forget_layers` after writing an AI layer's meta."""
        if self._sources is None:
            with self.project.db.read() as conn:
                rows = conn.execute(
                    select(t.coder.c.name, t.coder.c.meta).where(
                        t.coder.c.project_id == self.project.id, t.coder.c.kind == "ai"
                    )
                ).all()
            self._sources = {
                str(name): tuple(
                    (str(s["layer"]), str(s["kind"]))
                    for s in ((meta or {}).get("learned_from") or [])
                )
                for name, meta in rows
            }
        return self._sources

    def forget_layers(self) -> None:
        self._sources = None

    def check_read_layer(self, layer: str, kind: str) -> None:
        if not self.may_read_layer(layer, kind):
            raise self.refuse(
                f"read coder layer {layer!r} while coding is blind",
                operation="read_layer",
                layer=layer,
            )

    def check_write_layer(self, layer: str) -> None:
        if not may_write_layer(self.actor, layer):
            raise self.refuse(
                f"code in coder layer {layer!r}", operation="write_layer", layer=layer
            )


_WORDS = {
    Operation.READ: "read",
    Operation.CODE: "code",
    Operation.MEMO: "write memos",
    Operation.CODEBOOK: "change the codebook",
    Operation.IMPORT: "import or change documents and cases",
    Operation.ANALYSE: "change themes, matrices or saved analyses",
    Operation.CONSENSUS: "reconcile coding",
    Operation.SETTINGS: "change project settings",
    Operation.MEMBERS: "manage members",
    Operation.DELETE: "delete or undo",
}
