"""Coder layers: who coded, and what kind of layer each is.

A layer is a person coding independently (``human``), codings loaded from elsewhere such as a
published or legacy layer (``imported``), a reconciled ``consensus`` layer, or machine
suggestions (``ai``). Reports name only human coders as independent coders, so the kind is
recorded, validated and changed only through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

RESERVED_CODERS = {"all"}
#: what a coder layer is: a person coding independently, codings loaded from elsewhere (a
#: published or legacy layer), a reconciled consensus layer, or machine suggestions
CODER_KINDS = ("human", "imported", "consensus", "ai")


@dataclass(slots=True)
class CoderRow:
    name: str
    kind: str
    codings: int
    documents: int


def check_kind(kind: str) -> str:
    cleaned = (kind or "").strip().lower()
    if cleaned not in CODER_KINDS:
        raise InputError(f"unknown coder kind {kind!r}; choose one of {', '.join(CODER_KINDS)}")
    return cleaned


def check_coder_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InputError("a coder needs a name", hint="coder_name")
    if "," in cleaned or cleaned.lower() in RESERVED_CODERS:
        raise InputError(f"{cleaned!r} cannot be a coder name (no commas; 'all' is reserved)")
    return cleaned


class CoderLayers:
    """The coder-layer half of ``project.coding`` (the codings themselves are in coding.py)."""

    project: Project

    @requires(Operation.READ)
    def coders(self) -> list[str]:
        with self.project.db.read() as conn:
            return list(
                conn.scalars(
                    select(t.coder.c.name)
                    .where(t.coder.c.project_id == self.project.id)
                    .order_by(t.coder.c.id)
                )
            )

    def ensure_coder(self, conn: Connection, name: str, kind: str | None = None) -> int:
        """The coder's id, creating the coder (as ``kind``, default human) if it is new.

        With no ``kind`` any existing coder layer except a consensus layer is accepted; a
        ``kind`` that differs from the existing coder's is refused rather than silently changed.
        """
        from thematica.services.project import now

        name = check_coder_name(name)
        self.project.access.check_write_layer(name)
        if kind is not None:
            kind = check_kind(kind)
        find = select(t.coder.c.id, t.coder.c.kind).where(
            t.coder.c.project_id == self.project.id, t.coder.c.name == name
        )
        row = conn.execute(find).first()
        existed = row is not None
        if row is None:
            # Idempotent: when another process creates the same coder at this moment the
            # insert is a no-op (on PostgreSQL it waits for theirs to commit) and we use theirs.
            conn.execute(
                insert_ignoring_duplicates(conn, t.coder).values(
                    project_id=self.project.id, name=name, kind=kind or "human", created_at=now()
                )
            )
            row = conn.execute(find).one()
        if existed and row.kind == "consensus":
            # The consensus layer changes only through logged decisions (a published one may be
            # loaded once, as a new layer; after that the decision log keeps it).
            raise InputError(
                f"{name!r} is a consensus layer, not a coder; it changes only through "
                "consensus decisions",
                layer=name,
                hint="consensus_decide",
            )
        if kind is not None and row.kind != kind:
            raise ConflictError(
                f"coder {name!r} is {row.kind}, not {kind}; change the coder's kind first"
            )
        return int(row.id)

    @requires(Operation.READ)
    def coder_rows(self) -> Table[CoderRow]:
        """Every coder layer with its kind and how much it has coded."""
        c, k = t.coding.c, t.coder.c
        with self.project.db.read() as conn:
            counts = {
                r.coder_id: (int(r.n), int(r.docs))
                for r in conn.execute(
                    select(
                        c.coder_id,
                        func.count().label("n"),
                        func.count(func.distinct(c.document_id)).label("docs"),
                    )
                    .where(c.project_id == self.project.id)
                    .group_by(c.coder_id)
                )
            }
            rows = [
                CoderRow(r.name, r.kind, *counts.get(r.id, (0, 0)))
                for r in conn.execute(
                    select(k.id, k.name, k.kind)
                    .where(k.project_id == self.project.id)
                    .order_by(k.id)
                )
            ]
        return Table.of(CoderRow, rows, title="Coders")

    @requires(Operation.SETTINGS)
    def set_coder_kind(self, name: str, kind: str, *, actor: str | None = None) -> str:
        """Say what a coder layer is (human, imported, ai, consensus); returns the old kind.

        Reports name only human coders as independent coders, so a published or legacy layer
        loaded as a coder is marked ``imported``. A consensus layer stays one: its codings
        are the record of logged decisions.
        """
        kind = check_kind(kind)
        k = t.coder.c
        with self.project.db.write() as conn:
            row = conn.execute(
                select(k.id, k.kind).where(k.project_id == self.project.id, k.name == name)
            ).first()
            if row is None:
                known = ", ".join(
                    conn.scalars(
                        select(k.name).where(k.project_id == self.project.id).order_by(k.id)
                    )
                )
                raise NotFoundError(f"no coder named {name!r}; coders: {known or 'none yet'}")
            if row.kind == kind:
                return str(row.kind)
            if row.kind == "consensus":
                raise ConflictError(
                    f"{name!r} is a consensus layer built from decisions; its kind cannot change"
                )
            conn.execute(t.coder.update().where(k.id == row.id).values(kind=kind))
            self.project.audit(
                conn, "coder_kind", on_behalf_of=actor, coder=name, old=row.kind, new=kind
            )
        return str(row.kind)

    def coder_ids(self, conn: Connection, names: str | Sequence[str] | None) -> dict[int, str]:
        """Resolve a coder selection: a name, several (list or 'a,b'), or 'all'.

        With no selection the project's only coder is used, or else its consensus layer (see
        ``services/consensus.py``); with several coders and no consensus layer a choice is
        required, so nobody sees another coder's work by accident.
        """
        kinds: dict[str, str] = {}
        rows: dict[str, int] = {}
        for r in conn.execute(
            select(t.coder.c.id, t.coder.c.name, t.coder.c.kind).where(
                t.coder.c.project_id == self.project.id
            )
        ):
            rows[r.name] = r.id
            kinds[r.name] = r.kind
        if not rows:
            raise NotFoundError("no codings yet: nobody has coded in this project")
        if names is None:
            consensus = [n for n, k in kinds.items() if k == "consensus"]
            if len(rows) > 1 and len(consensus) == 1:
                names = consensus
            elif len(rows) > 1:
                raise InputError(
                    f"this project has {len(rows)} coders ({', '.join(rows)})"
                    + (
                        f", {len(consensus)} of them consensus layers"
                        if consensus
                        else " and no consensus layer"
                    )
                    + ": choose which to read",
                    choices=list(rows),
                    hint="coder",
                )
            else:
                names = list(rows)
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if [n.lower() for n in names] == ["all"]:
            for n in rows:
                self.project.access.check_read_layer(n, kinds[n])
            return {v: k for k, v in rows.items()}
        unknown = [n for n in names if n not in rows]
        if unknown:
            raise NotFoundError(
                f"no coder named {', '.join(map(repr, unknown))}; coders: {', '.join(rows)}"
            )
        for n in names:  # blind coding: the one place every read of a layer passes
            self.project.access.check_read_layer(n, kinds[n])
        return {rows[n]: n for n in names}
