"""Memos: the analyst's notes on the project, a document, a code or a coding."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from thematica.core.access import Operation, may_write_layer
from thematica.core.errors import InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

TARGETS = ("project", "document", "code", "coding")


@dataclass(slots=True)
class MemoRow:
    id: int
    target_type: str
    target: str
    author: str | None
    text: str
    created_at: str


class Memos:
    def __init__(self, project: Project) -> None:
        self.project = project

    def _target_id(self, conn: Connection, target_type: str, target: str | None) -> int | None:
        if target_type not in TARGETS:
            raise InputError(f"memos attach to {', '.join(TARGETS)}, not {target_type!r}")
        if target_type == "project":
            return None
        if not target:
            raise InputError(f"name the {target_type} the memo is about")
        if target_type == "document":
            return self.project.documents.id_of(conn, target)
        if target_type == "code":
            return self.project.codebook.index(conn).resolve(target)
        try:
            coding_id = int(target)
        except ValueError as exc:
            raise InputError(f"a coding is named by its id (a number), not {target!r}") from exc
        found = conn.scalar(
            select(t.coding.c.id).where(
                t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id
            )
        )
        if found is None:
            raise NotFoundError(f"no coding with id {coding_id}")
        return coding_id

    @requires(Operation.MEMO)
    def add(
        self, target_type: str, target: str | None, text: str, *, author: str | None = None
    ) -> int:
        from thematica.services.project import now

        if not text.strip():
            raise InputError("the memo is empty")
        with self.project.db.write() as conn:
            target_id = self._target_id(conn, target_type, target)
            layer = None
            if target_type == "coding" and target_id is not None:
                layer = self._check_coding_layer(conn, target_id)
            stamp = now()
            memo_id: int = conn.execute(
                insert(t.memo).values(
                    project_id=self.project.id,
                    target_type=target_type,
                    target_id=target_id,
                    author=author,
                    text=text.strip(),
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            self.project.audit(
                conn,
                "memo",
                memo=memo_id,
                target_type=target_type,
                target=target,
                author=author,  # data the caller gave; the entry's actor is who wrote it
                # the coding's layer: while coding is blind, the log shows the entry only to
                # those who may read that layer
                **({"coder": layer} if layer is not None else {}),
            )
        return memo_id

    def _check_coding_layer(self, conn: Connection, coding_id: int) -> str:
        """The layer of the coding a memo is about, when the acting person may annotate it:
        they must be able to read the layer (coding may be blind) and, for a human coder's
        layer, write it (a coder notes on their own codings; owners on anyone's). A
        consensus layer, which everyone reads, anyone who writes memos may annotate."""
        c, k = t.coding.c, t.coder.c
        row = conn.execute(
            select(k.name, k.kind).join(t.coding, c.coder_id == k.id).where(c.id == coding_id)
        ).one()
        access = self.project.access
        name, kind = str(row.name), str(row.kind)
        access.check_read_layer(name, kind)
        if kind != "consensus" and not may_write_layer(access.actor, name):
            raise access.refuse(
                f"write a memo on coding {coding_id} of coder layer {name!r}",
                operation="write_layer",
                layer=name,
            )
        return name

    @requires(Operation.READ)
    def list(self, target_type: str | None = None, target: str | None = None) -> Table[MemoRow]:
        m = t.memo.c
        with self.project.db.read() as conn:
            stmt = select(t.memo).where(m.project_id == self.project.id).order_by(m.id)
            if target_type:
                stmt = stmt.where(m.target_type == target_type)
                if target is not None or target_type == "project":
                    stmt = stmt.where(m.target_id == self._target_id(conn, target_type, target))
            index = self.project.codebook.index(conn)
            docs = dict(
                conn.execute(
                    select(t.document.c.id, t.document.c.name).where(
                        t.document.c.project_id == self.project.id
                    )
                ).all()
            )
            found = list(conn.execute(stmt))
            hidden = self._unreadable_codings(
                conn, [r.target_id for r in found if r.target_type == "coding"]
            )
            rows = []
            for r in found:
                if r.target_type == "coding" and r.target_id in hidden:
                    continue  # a note on a layer this person may not read while blind
                if r.target_type == "document":
                    label = docs.get(r.target_id, "?")
                elif r.target_type == "code":
                    label = index.paths.get(r.target_id, "?")
                elif r.target_type == "coding":
                    label = str(r.target_id)
                else:
                    label = self.project.name
                rows.append(
                    MemoRow(
                        r.id,
                        r.target_type,
                        label,
                        r.author,
                        r.text,
                        r.created_at.isoformat(timespec="seconds"),
                    )
                )
        return Table.of(MemoRow, rows, title="Memos")

    def _unreadable_codings(self, conn: Connection, coding_ids: builtins.list[int]) -> set[int]:
        """The codings among ``coding_ids`` whose layer the acting person may not read."""
        if not coding_ids:
            return set()
        c, k = t.coding.c, t.coder.c
        rows = conn.execute(
            select(c.id, k.name, k.kind)
            .join(t.coder, k.id == c.coder_id)
            .where(c.project_id == self.project.id, c.id.in_(set(coding_ids)))
        ).all()
        return {int(r.id) for r in rows if not self.project.access.may_read_layer(r.name, r.kind)}
