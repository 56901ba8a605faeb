"""Coding one passage at a time, as a reading interface does: the codings of one document in
every layer the person may read, one coding by id, editing its span, code or memo, removing
it, coding a whole turn or the whole document, and the codebook with the ids and colours a
picker needs. A mixin of :class:`thematica.services.coding.Coding` (``project.coding``).

Every write names a coding by id and checks the layer it belongs to: a coder edits only their
own codings; an owner any (a consensus layer changes only through consensus decisions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from thematica.core.access import Operation
from thematica.core.codebook import join_path
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import is_unique_violation
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.code_index import CodeIndex
    from thematica.services.project import Project

__all__ = ["PALETTE", "CodeChoice", "CodingEdits", "LayerRow", "ReaderCoding", "code_colour"]

#: colours for codes that have none of their own: distinct, mid-light, legible as tints and
#: as stripes; a code keeps its colour (chosen by its id) for as long as it exists
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#edc948",
    "#76b7b2",
    "#ff9da7",
    "#9c755f",
    "#8cd17d",
    "#d37295",
    "#499894",
    "#f1ce63",
    "#a0cbe8",
    "#86bcb6",
    "#d4a6c8",
)


def code_colour(code_id: int, colour: str | None) -> str:
    """The code's own colour, else a palette colour fixed by its id."""
    return colour.lower() if colour else PALETTE[code_id % len(PALETTE)]


@dataclass(slots=True)
class ReaderCoding:
    """One coding as a reader shows it: ``code`` is the code's name, ``path`` its full path."""

    id: int
    document: str
    code: str
    code_id: int
    path: str
    coder: str
    start: int
    end: int
    text: str
    memo: str | None


@dataclass(slots=True)
class CodeChoice:
    """A code as a picker offers it: its id, place in the tree and colour (never empty)."""

    id: int
    path: str
    name: str
    depth: int
    parent_id: int | None
    definition: str
    sem_level: str | None
    origin: str | None
    colour: str


@dataclass(slots=True)
class LayerRow:
    name: str
    kind: str
    #: the layer is the acting person's own (their codings go there)
    own: bool


class CodingEdits:
    """The one-coding-at-a-time half of ``project.coding``."""

    project: Project

    if TYPE_CHECKING:  # the other halves of Coding

        def coder_ids(
            self, conn: Connection, names: str | Sequence[str] | None
        ) -> dict[int, str]: ...

        def apply(self, document: str, code: str, start: int, end: int, *, coder: str) -> int: ...

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def readable_layers(self) -> list[LayerRow]:
        """The coder layers the acting person may read now (blind coding applied)."""
        access = self.project.access
        k = t.coder.c
        with self.project.db.read() as conn:
            rows = conn.execute(
                select(k.name, k.kind).where(k.project_id == self.project.id).order_by(k.id)
            ).all()
        return [
            LayerRow(r.name, r.kind, r.name.casefold() == access.name.casefold())
            for r in rows
            if access.may_read_layer(r.name, r.kind)
        ]

    @requires(Operation.READ)
    def in_document(
        self, document: str, *, coder: str | Sequence[str] | None = None
    ) -> Table[ReaderCoding]:
        """The codings of one document, ordered by position.

        ``coder``: a layer name, several (list or ``"a,b"``) — each must be readable, or
        PermissionDenied — or None for every layer the person may read (while coding is
        blind a coder reads only their own; an empty list when there is nothing to read).
        """
        with self.project.db.read() as conn:
            doc = conn.execute(
                select(t.document.c.id, t.document.c.text).where(
                    t.document.c.project_id == self.project.id,
                    t.document.c.name == document,
                )
            ).first()
            if doc is None:
                raise NotFoundError(f"no document named {document!r}", document=document)
            if coder is None or (not isinstance(coder, str) and not coder):
                layers = self._readable_ids(conn)
            else:
                layers = self.coder_ids(conn, coder)
            if not layers:
                return Table.of(ReaderCoding, [], title="Codings")
            index = self.project.codebook.index(conn)
            c = t.coding.c
            found = conn.execute(
                select(c.id, c.code_id, c.coder_id, c.start, c.end, c.memo)
                .where(c.document_id == doc.id, c.coder_id.in_(list(layers)))
                .order_by(c.start, c.end, c.id)
            ).all()
        text = str(doc.text)
        # plain tuples: a Row's attribute access costs a microsecond, and a page reads thousands
        names = {cid: (row.name, index.paths[cid]) for cid, row in index.rows.items()}
        rows = [
            ReaderCoding(
                rid, document, names[k][0], k, names[k][1], layers[w], s, e, text[s:e], memo
            )
            for rid, k, w, s, e, memo in map(tuple, found)
        ]
        return Table.of(ReaderCoding, rows, title=f"Codings of {document}")

    def _readable_ids(self, conn: Connection) -> dict[int, str]:
        k = t.coder.c
        return {
            int(r.id): str(r.name)
            for r in conn.execute(
                select(k.id, k.name, k.kind).where(k.project_id == self.project.id)
            )
            if self.project.access.may_read_layer(r.name, r.kind)
        }

    @requires(Operation.READ)
    def get(self, coding_id: int) -> ReaderCoding:
        """One coding by id, if its layer is readable (PermissionDenied otherwise)."""
        with self.project.db.read() as conn:
            row, kind = self._row(conn, coding_id)
            self.project.access.check_read_layer(row.coder, kind)
            return row

    def _row(self, conn: Connection, coding_id: int) -> tuple[ReaderCoding, str]:
        c, d, k = t.coding.c, t.document.c, t.coder.c
        # only the coded passage (SQL substr counts characters, 1-based, on both backends)
        # and the code's own chain of parents: a call per click must not read the whole
        # document text or the whole codebook
        r = conn.execute(
            select(
                c.id,
                c.code_id,
                c.start,
                c.end,
                c.memo,
                d.name,
                func.substr(d.text, c.start + 1, c.end - c.start),
                k.name,
                k.kind,
            )
            .join(t.document, d.id == c.document_id)
            .join(t.coder, k.id == c.coder_id)
            .where(c.id == coding_id, c.project_id == self.project.id)
        ).first()
        if r is None:
            raise NotFoundError(f"no coding with id {coding_id}", coding=coding_id)
        names: list[str] = []
        parent: int | None = int(r[1])
        while parent is not None and len(names) < 100:
            name, parent = conn.execute(
                select(t.code.c.name, t.code.c.parent_id).where(t.code.c.id == parent)
            ).one()
            names.append(str(name))
        row = ReaderCoding(
            int(r[0]),
            str(r[5]),
            names[0],
            int(r[1]),
            join_path(reversed(names)),
            str(r[7]),
            int(r[2]),
            int(r[3]),
            str(r[6] or ""),
            r[4],
        )
        return row, str(r[8])

    @requires(Operation.READ)
    def code_choices(self) -> Table[CodeChoice]:
        """Every code, depth first, with its id and display colour (for pickers and
        per-code stylesheets)."""
        index = self.project.codebook.index()
        return Table.of(CodeChoice, _choices(index), title="Codes")

    # -- writing ------------------------------------------------------------------------
    def _writable(self, conn: Connection, coding_id: int) -> ReaderCoding:
        row, kind = self._row(conn, coding_id)
        self.project.access.check_read_layer(row.coder, kind)
        self.project.access.check_write_layer(row.coder)
        if kind == "consensus":
            raise InputError(
                f"{row.coder!r} is a consensus layer; it changes only through consensus decisions",
                layer=row.coder,
                hint="consensus_decide",
            )
        return row

    @requires(Operation.CODE)
    def edit(
        self,
        coding_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
        code: str | None = None,
        memo: str | None = None,
    ) -> ReaderCoding:
        """Change a coding's span, code or memo (``memo=""`` clears it; None leaves it).

        The coding keeps its id; the audit entry records what it was and what it is now.
        """
        with self.project.db.write() as conn:
            old = self._writable(conn, coding_id)
            new_start = old.start if start is None else start
            new_end = old.end if end is None else end
            length = int(
                conn.scalar(
                    select(t.document.c.length).where(
                        t.document.c.project_id == self.project.id,
                        t.document.c.name == old.document,
                    )
                )
                or 0
            )
            if not 0 <= new_start < new_end <= length:
                raise InputError(
                    f"span [{new_start}, {new_end}) is outside the document (0 to {length}) "
                    "or empty",
                    start=new_start,
                    end=new_end,
                )
            code_id = old.code_id
            if code is not None:
                code_id = self.project.codebook.index(conn).resolve(code)
            values: dict[str, Any] = {}
            if (new_start, new_end) != (old.start, old.end):
                values.update(start=new_start, end=new_end)
            if code_id != old.code_id:
                values["code_id"] = code_id
            if memo is not None and (memo.strip() or None) != old.memo:
                values["memo"] = memo.strip() or None
            if not values:
                return old
            try:
                conn.execute(t.coding.update().where(t.coding.c.id == coding_id).values(**values))
            except IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise
                raise ConflictError(
                    f"{old.coder} has already coded that passage with that code",
                    coding=coding_id,
                ) from exc
            new, _kind = self._row(conn, coding_id)
            changes = {
                key: [getattr(old, key), getattr(new, key)]
                for key in ("start", "end", "path", "memo")
                if getattr(old, key) != getattr(new, key)
            }
            self.project.audit(
                conn,
                "edit_coding",
                coding=coding_id,
                coder=old.coder,
                document=old.document,
                code=new.path,
                changes=changes,
            )
        return new

    @requires(Operation.CODE)
    def delete(self, coding_id: int) -> ReaderCoding:
        """Remove one coding by id; returns what it was (so it can be applied again)."""
        with self.project.db.write() as conn:
            old = self._writable(conn, coding_id)
            conn.execute(t.coding.delete().where(t.coding.c.id == coding_id))
            self.project.audit(
                conn,
                "uncode",
                coding=coding_id,
                coder=old.coder,
                document=old.document,
                code=old.path,
                start=old.start,
                end=old.end,
            )
        return old

    @requires(Operation.CODE)
    def apply_unit(self, document: str, code: str, *, coder: str, turn: int | None = None) -> int:
        """Code one whole speaker turn (``turn``: its 0-based position in the document) or,
        with no turn, the whole document (its text less surrounding white space); returns
        the coding's id."""
        with self.project.db.read() as conn:
            doc = conn.execute(
                select(t.document.c.id, t.document.c.text).where(
                    t.document.c.project_id == self.project.id,
                    t.document.c.name == document,
                )
            ).first()
            if doc is None:
                raise NotFoundError(f"no document named {document!r}", document=document)
            if turn is None:
                text = str(doc.text)
                start, end = len(text) - len(text.lstrip()), len(text.rstrip())
            else:
                span = conn.execute(
                    select(t.turn.c.start, t.turn.c.end).where(
                        t.turn.c.document_id == doc.id, t.turn.c.position == turn
                    )
                ).first()
                if span is None:
                    raise NotFoundError(f"{document} has no turn {turn}", turn=turn)
                start, end = int(span.start), int(span.end)
        if start >= end:
            raise InputError(f"{document} has no text to code there")
        return self.apply(document, code, start, end, coder=coder)


def _choices(index: CodeIndex) -> list[CodeChoice]:
    return [
        CodeChoice(
            cid,
            index.paths[cid],
            index.rows[cid].name,
            index.depth(cid),
            index.rows[cid].parent_id,
            index.rows[cid].definition or "",
            index.rows[cid].sem_level,
            index.rows[cid].origin,
            code_colour(cid, index.rows[cid].colour),
        )
        for cid in index.depth_first()
    ]
