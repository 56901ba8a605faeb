"""Codings: one coder applying one code to one span of one document.

Coders work blind: every read names the coder layer(s) it shows. Bulk application is
all-or-nothing: every row is checked first, then all are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Insert,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.coders import check_coder_name
from thematica.services.coding_bulk import (
    BulkCoding,
    CodingInput,
    CodingReport,
    locate,
    on_behalf,
)
from thematica.services.coding_edits import CodingEdits
from thematica.store import is_unique_violation
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

BATCH = 20_000


@dataclass(slots=True)
class CodingRow:
    id: int
    document: str
    code: str
    coder: str
    start: int
    end: int
    text: str
    memo: str | None
    starred: bool = False


__all__ = ["Coding", "CodingInput", "CodingReport", "CodingRow", "check_coder_name", "locate"]


class Coding(BulkCoding, CodingEdits):
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- coders -------------------------------------------------------------------------
    # -- writing ------------------------------------------------------------------------
    @requires(Operation.CODE)
    def apply(
        self,
        document: str,
        code: str,
        start: int,
        end: int,
        *,
        coder: str,
        memo: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Apply one coding and return its id.

        Looks up just this document, code and coder through their indexes with statements
        built once (see :func:`_single`), so the cost neither grows with the number of
        documents nor is dominated by building SQL: a coding interface calls this per click.
        """
        from thematica.services.project import now

        coder = check_coder_name(coder)
        self.project.access.check_write_layer(coder)
        q = _single()
        pid = self.project.id
        with self.project.db.write() as conn:
            doc = conn.execute(q.document, {"p": pid, "name": document}).first()
            if doc is None:
                raise NotFoundError(f"no document named {document!r}")
            code_id = self._code_id(conn, code)
            if not 0 <= start < end <= doc.length:
                raise InputError(
                    f"span [{start}, {end}) is outside the document (0 to {doc.length}) or empty"
                )
            who = conn.execute(q.coder, {"p": pid, "name": coder}).first()
            if who is None or who.kind == "consensus":
                coder_id = self.ensure_coder(conn, coder)  # creates it, or says why not
            else:
                coder_id = int(who.id)
            stamp = now()
            try:
                # uq_coding_span refuses a repeat; the transaction is abandoned either way
                coding_id = conn.execute(
                    q.insert,
                    {
                        "project_id": pid,
                        "document_id": doc.id,
                        "code_id": code_id,
                        "coder_id": coder_id,
                        "start": start,
                        "end": end,
                        "memo": memo or None,
                        "starred": False,
                        "created_at": stamp,
                    },
                ).inserted_primary_key[0]  # type: ignore[index]
            except IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise  # a document or code deleted meanwhile: Database.write words it
                raise ConflictError(
                    f"{coder} has already coded {document} [{start}, {end}) with {code!r}"
                ) from exc
            conn.execute(
                q.audit,
                {
                    "project_id": pid,
                    "at": stamp,
                    "actor": self.project.access.name,  # always the acting person
                    "action": "code",
                    "detail": {
                        "coder": coder,
                        "applied": 1,
                        "document": document,
                        "code": code,
                        "start": start,
                        "end": end,
                        "coding": int(coding_id),
                        **on_behalf(actor, self.project.access.name),
                    },
                },
            )
        return int(coding_id)

    def _code_id(self, conn: Connection, term: str) -> int:
        """A code by path or unique name; a plain path is looked up segment by segment through
        the parent index, without reading the codebook (a bare name falls back to it)."""
        from thematica.core.codebook import split_path

        q = _single()
        parent: int | None = None
        for part in split_path(term):
            if parent is None:
                ids = list(conn.scalars(q.root_code, {"p": self.project.id, "name": part}))
            else:
                ids = list(
                    conn.scalars(
                        q.child_code, {"p": self.project.id, "parent": parent, "name": part}
                    )
                )
            if len(ids) != 1:
                break
            parent = int(ids[0])
        else:
            if parent is not None:
                return parent
        return self.project.codebook.index(conn).resolve(term)

    @requires(Operation.CODE)
    def remove(self, document: str, code: str, start: int, end: int, *, coder: str) -> None:
        coder = check_coder_name(coder)
        self.project.access.check_write_layer(coder)
        with self.project.db.write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            index = self.project.codebook.index(conn)
            code_id = index.resolve(code)
            layer = conn.execute(
                select(t.coder.c.id, t.coder.c.kind).where(
                    t.coder.c.project_id == self.project.id, t.coder.c.name == coder
                )
            ).first()
            if layer is None:
                raise NotFoundError(f"no coder named {coder!r}", coder=coder)
            if layer.kind == "consensus":
                raise InputError(
                    f"{coder!r} is a consensus layer, not a coder; it changes only through "
                    "consensus decisions",
                    layer=coder,
                    hint="consensus_decide",
                )
            coder_id = int(layer.id)
            c = t.coding.c
            result = conn.execute(
                delete(t.coding).where(
                    and_(
                        c.document_id == doc_id,
                        c.code_id == code_id,
                        c.coder_id == coder_id,
                        c.start == start,
                        c.end == end,
                    )
                )
            )
            if not result.rowcount:
                raise NotFoundError(
                    f"{coder} has no coding of {code!r} at [{start}, {end}) in {document}"
                )
            self.project.audit(
                conn,
                "uncode",
                coder=coder,
                document=document,
                code=index.paths[code_id],
                start=start,
                end=end,
            )

    @requires(Operation.MEMO)
    def set_memo(self, coding_id: int, memo: str | None) -> None:
        with self.project.db.write() as conn:
            layer = conn.scalar(
                select(t.coder.c.name)
                .join(t.coding, t.coding.c.coder_id == t.coder.c.id)
                .where(t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id)
            )
            if layer is not None:  # a coder annotates only codings in their own layer
                self.project.access.check_write_layer(str(layer))
            old = conn.scalar(
                select(t.coding.c.memo).where(
                    t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id
                )
            )
            result = conn.execute(
                t.coding.update()
                .where(t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id)
                .values(memo=memo or None)
            )
            if not result.rowcount:
                raise NotFoundError(f"no coding with id {coding_id}")
            self.project.audit(
                conn,
                "coding_memo",
                coding=coding_id,
                coder=str(layer),  # the memo is that layer's content: hidden with it if blind
                old=old,
                new=memo or None,
            )

    @requires(Operation.ANALYSE)
    def star(self, coding_id: int, starred: bool = True, *, actor: str | None = None) -> None:
        """Mark a coding as an exemplar quote for reports (``starred=False`` clears it)."""
        with self.project.db.write() as conn:
            result = conn.execute(
                t.coding.update()
                .where(t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id)
                .values(starred=bool(starred))
            )
            if not result.rowcount:
                raise NotFoundError(f"no coding with id {coding_id}")
            layer = conn.scalar(
                select(t.coder.c.name)
                .join(t.coding, t.coding.c.coder_id == t.coder.c.id)
                .where(t.coding.c.id == coding_id)
            )
            self.project.audit(
                conn,
                "coding_star" if starred else "coding_unstar",
                on_behalf_of=actor,
                coding=coding_id,
                coder=layer,  # whose coding: hidden with that layer while coding is blind
            )

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def list(
        self,
        *,
        coder: str | Sequence[str] | None = None,
        document: str | None = None,
        code: str | None = None,
    ) -> Table[CodingRow]:
        with self.project.db.read() as conn:
            coders = self.coder_ids(conn, coder)
            index = self.project.codebook.index(conn)
            c, d = t.coding.c, t.document.c
            stmt = (
                select(
                    c.id,
                    d.name,
                    c.code_id,
                    c.coder_id,
                    c.start,
                    c.end,
                    func.substr(d.text, c.start + 1, c.end - c.start),
                    c.memo,
                    c.starred,
                )
                .join(t.document, t.document.c.id == c.document_id)
                .where(c.project_id == self.project.id, c.coder_id.in_(list(coders)))
                .order_by(d.name, c.start, c.end, c.id)
            )
            if document:
                stmt = stmt.where(c.document_id == self.project.documents.id_of(conn, document))
            if code:
                stmt = stmt.where(c.code_id.in_(index.subtree(index.resolve(code))))
            rows = [
                CodingRow(
                    r[0], r[1], index.paths[r[2]], coders[r[3]], r[4], r[5], r[6], r[7], bool(r[8])
                )
                for r in conn.execute(stmt)
            ]
        return Table.of(CodingRow, rows, title="Codings")

    @requires(Operation.READ)
    def count(self) -> int:
        with self.project.db.read() as conn:
            return int(
                conn.scalar(select(func.count()).where(t.coding.c.project_id == self.project.id))
                or 0
            )


@dataclass(frozen=True, slots=True)
class _Statements:
    document: Select[Any]
    root_code: Select[Any]
    child_code: Select[Any]
    coder: Select[Any]
    insert: Insert
    audit: Insert


@cache
def _single() -> _Statements:
    """The statements of a single coding, built once: building SQLAlchemy statements costs
    more than running them on an indexed lookup."""
    d, k, w = t.document.c, t.code.c, t.coder.c
    p = bindparam("p", type_=Integer)
    return _Statements(
        document=select(d.id, d.length).where(d.project_id == p, d.name == bindparam("name")),
        root_code=select(k.id).where(
            k.project_id == p, k.parent_id.is_(None), k.name == bindparam("name")
        ),
        child_code=select(k.id).where(
            k.project_id == p, k.parent_id == bindparam("parent"), k.name == bindparam("name")
        ),
        coder=select(w.id, w.kind).where(w.project_id == p, w.name == bindparam("name")),
        insert=insert(t.coding),
        audit=insert(t.audit_log),
    )
