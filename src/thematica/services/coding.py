"""Codings: one coder applying one code to one span of one document.

Coders work blind: every read names the coder layer(s) it shows. Bulk application is
all-or-nothing: every row is checked first, then all are written in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
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
from thematica.core.text import normalise
from thematica.services._progress import Progress, silent
from thematica.services.access import requires
from thematica.services.coders import CoderLayers, check_coder_name, check_kind
from thematica.store import insert_ignoring_duplicates, is_unique_violation
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

BATCH = 20_000


@dataclass(frozen=True, slots=True)
class CodingInput:
    """One coding to apply; ``document`` and ``code`` by name/path or by id."""

    document: str | int
    code: str | int
    start: int
    end: int
    memo: str | None = None


@dataclass(slots=True)
class CodingReport:
    applied: int = 0
    duplicates: int = 0
    coder: str = ""
    documents: set[str] = field(default_factory=set)
    batch_id: int | None = None


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


def locate(text: str, quote: str, occurrence: int | None = None) -> tuple[int, int]:
    """Offsets of ``quote`` in ``text``: exact first, then ignoring differences in white space.

    Raises InputError when the passage is not there, or is there more than once and no
    ``occurrence`` (1-based) says which one is meant.
    """
    needle = normalise(quote).strip()
    if not needle:
        raise InputError("the quote is empty")
    hits = [m.span() for m in re.finditer(re.escape(needle), text)]
    if not hits:
        flexible = r"\s+".join(re.escape(w) for w in needle.split())
        hits = [m.span() for m in re.finditer(flexible, text)]
    if not hits:
        short = needle if len(needle) <= 60 else needle[:57] + "..."
        raise InputError(f"passage not found: {short!r}")
    if occurrence is not None:
        if not 1 <= occurrence <= len(hits):
            raise InputError(
                f"occurrence {occurrence} asked for, but the passage occurs {len(hits)} time(s)"
            )
        return hits[occurrence - 1]
    if len(hits) > 1:
        short = needle if len(needle) <= 60 else needle[:57] + "..."
        raise InputError(
            f"passage {short!r} occurs {len(hits)} times; add an 'occurrence' column or use offsets"
        )
    return hits[0]


__all__ = ["Coding", "CodingInput", "CodingReport", "CodingRow", "check_coder_name", "locate"]


class Coding(CoderLayers):
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
                        **_behalf(actor, self.project.access.name),
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

    def _documents(
        self, conn: Connection, names: set[str], ids: set[int]
    ) -> dict[str | int, tuple[int, str, int]]:
        """(id, name, length) of just the documents asked for, by name and by id."""
        d = t.document.c
        found: dict[str | int, tuple[int, str, int]] = {}
        for key_col, wanted in ((d.name, sorted(names)), (d.id, sorted(ids))):
            for i in range(0, len(wanted), 500):
                for r in conn.execute(
                    select(d.id, d.name, d.length).where(
                        d.project_id == self.project.id,
                        key_col.in_(wanted[i : i + 500]),
                    )
                ):
                    found[r.name] = found[r.id] = (int(r.id), r.name, int(r.length))
        return found

    @requires(Operation.CODE)
    def apply_many(
        self,
        items: Iterable[CodingInput],
        *,
        coder: str,
        progress: Progress = silent,
        source: str | None = None,
        kind: str | None = None,
        batch: str | None = None,
        parameters: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> CodingReport:
        """Apply many codings at once; exact repeats of existing codings are counted, not added.

        With ``batch`` (the operation's name, e.g. ``"table"``) the call is recorded as one
        undoable coding batch (``services/batches.py``) with ``parameters``; only the codings
        it adds carry the batch's id. Without one, more than :data:`ITEMISE` codings form a
        ``codings`` batch all the same, so the audit entry can name them by its id (fewer are
        listed in the entry itself). ``kind`` creates a new coder as that kind, and refuses an
        existing coder of another kind.
        """
        from thematica.services.project import now

        coder = check_coder_name(coder)
        items = list(items)
        with self.project.db.write() as conn:
            docs = self._documents(
                conn,
                {i.document for i in items if isinstance(i.document, str)},
                {i.document for i in items if isinstance(i.document, int)},
            )
            index = self.project.codebook.index(conn)
            rows: list[tuple[int, int, int, int, str | None]] = []
            for n, item in enumerate(items, 1):
                where = (
                    f"{source}: row {n + 1}: "  # row 1 of a source file is its header
                    if source
                    else (f"coding {n}: " if len(items) > 1 else "")
                )
                if item.document not in docs:
                    if isinstance(item.document, int):
                        raise NotFoundError(f"{where}no document with id {item.document}")
                    raise NotFoundError(f"{where}no document named {item.document!r}")
                doc_id, _name, length = docs[item.document]
                if isinstance(item.code, int):
                    if item.code not in index.rows:
                        raise NotFoundError(f"{where}no code with id {item.code}")
                    code_id = item.code
                else:
                    try:
                        code_id = index.resolve(item.code)
                    except (InputError, NotFoundError) as exc:
                        raise type(exc)(f"{where}{exc}") from exc
                if not 0 <= item.start < item.end <= length:
                    raise InputError(
                        f"{where}span [{item.start}, {item.end}) is outside the document "
                        f"(0 to {length}) or empty"
                    )
                rows.append((doc_id, code_id, item.start, item.end, item.memo or None))
            coder_id = self.ensure_coder(conn, coder, kind)
            existing: set[tuple[int, int, int, int]] = set()
            touched = sorted({r[0] for r in rows})
            for i in range(0, len(touched), 500):
                existing.update(
                    tuple(row)
                    for row in conn.execute(
                        select(
                            t.coding.c.document_id,
                            t.coding.c.code_id,
                            t.coding.c.start,
                            t.coding.c.end,
                        ).where(
                            t.coding.c.coder_id == coder_id,
                            t.coding.c.document_id.in_(touched[i : i + 500]),
                        )
                    )
                )
            report = CodingReport(coder=coder)
            if batch is None and len(rows) > ITEMISE:
                batch = "codings"  # too many to list in the audit entry: its batch names them
            if batch is not None:
                report.batch_id = self.project.batches.open(
                    conn, batch, coder, dict(parameters or {}), actor
                )
            stamp = now()
            pending: list[dict[str, Any]] = []
            added: list[tuple[int, int, int, int]] = []
            for doc_id, code_id, start, end, memo in rows:
                key = (doc_id, code_id, start, end)
                if key in existing:
                    report.duplicates += 1
                    continue
                existing.add(key)
                pending.append(
                    {
                        "project_id": self.project.id,
                        "document_id": doc_id,
                        "code_id": code_id,
                        "coder_id": coder_id,
                        "start": start,
                        "end": end,
                        "memo": memo,
                        "starred": False,
                        "created_at": stamp,
                        "batch_id": report.batch_id,
                    }
                )
                report.documents.add(docs[doc_id][1])
                if len(pending) >= BATCH:
                    added += self._insert_new(conn, pending, report)
                    progress(report.applied, len(rows), "coding")
                    pending = []
            if pending:
                added += self._insert_new(conn, pending, report)
            progress(len(rows), len(rows), "coding")
            if report.batch_id is not None:
                self.project.batches.finish(conn, report.batch_id, report.applied)
            # one entry for the call; each coding is in it (few) or retrievable by its batch id
            # (coding.batch_id, ``batches`` service), so the entry always says what was added
            self.project.audit(
                conn,
                "code",
                on_behalf_of=actor,
                coder=coder,
                applied=report.applied,
                duplicates=report.duplicates,
                source=source,
                batch=report.batch_id,
                **_itemised(added, index.paths, docs),
            )
        return report

    @staticmethod
    def _insert_new(
        conn: Connection, pending: list[dict[str, Any]], report: CodingReport
    ) -> list[tuple[int, int, int, int]]:
        """Insert codings not seen when the transaction read the existing ones.

        On SQLite that read is exact (writers queue up). On PostgreSQL another process may
        store the same coding in the meantime; such a row is skipped and counted as a
        duplicate, as it would have been a moment later, instead of failing the whole batch.
        Returns (document id, code id, start, end) of each coding added.
        """
        if conn.dialect.name != "postgresql":
            conn.execute(insert(t.coding), pending)
            report.applied += len(pending)
            return [_key(row) for row in pending]
        c = t.coding.c
        stmt = insert_ignoring_duplicates(conn, t.coding).returning(
            c.document_id, c.code_id, c.start, c.end
        )
        added = [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(stmt, pending)]
        report.applied += len(added)
        report.duplicates += len(pending) - len(added)
        return added

    @requires(Operation.CODE)
    def import_csv(
        self,
        path: str | Path,
        *,
        coder: str,
        progress: Progress = silent,
        kind: str | None = None,
        actor: str | None = None,
    ) -> CodingReport:
        """Codings from a CSV: ``document, code`` and either ``start, end`` or ``quote``.

        Optional columns: ``occurrence`` (which repeat of the quote) and ``memo``.
        """
        from thematica.services.tabular import read_table

        path = Path(path)
        header, rows = read_table(path)
        cols = {h.strip().lower(): i for i, h in enumerate(header)}
        for need in ("document", "code"):
            if need not in cols:
                raise InputError(f"{path.name}: needs a {need!r} column (has: {', '.join(header)})")
        by_offsets = "start" in cols and "end" in cols
        if not by_offsets and "quote" not in cols:
            raise InputError(
                f"{path.name}: needs either 'start' and 'end' columns or a 'quote' column"
            )
        texts: dict[str, str] = {}
        items: list[CodingInput] = []
        for n, row in enumerate(rows, 2):

            def cell(name: str, row: Sequence[str] = row) -> str:
                return row[cols[name]].strip() if name in cols else ""

            doc, code = cell("document"), cell("code")
            where = f"{path.name}: row {n}"
            if not doc or not code:
                raise InputError(f"{where}: document and code must not be empty")
            if by_offsets and (cell("start") or cell("end")):
                try:
                    start, end = int(cell("start")), int(cell("end"))
                except ValueError as exc:
                    raise InputError(f"{where}: start and end must be whole numbers") from exc
            else:
                quote = row[cols["quote"]] if "quote" in cols else ""
                if doc not in texts:
                    try:
                        texts[doc] = self.project.documents.get(doc).text
                    except NotFoundError as exc:
                        raise NotFoundError(f"{where}: {exc}") from exc
                occ = cell("occurrence")
                try:
                    start, end = locate(texts[doc], quote, int(occ) if occ else None)
                except ValueError as exc:
                    raise InputError(f"{where}: occurrence must be a whole number") from exc
                except InputError as exc:
                    raise InputError(f"{where} ({doc}): {exc}") from exc
            items.append(CodingInput(doc, code, start, end, cell("memo") or None))
        if not items:
            raise InputError(f"{path.name}: no codings in the file")
        return self.apply_many(
            items,
            coder=coder,
            progress=progress,
            source=path.name,
            kind=kind,
            batch="csv",
            parameters={"file": path.name, "kind": kind},
            actor=actor,
        )

    @requires(Operation.CODE)
    def apply_table(
        self,
        path: str | Path,
        *,
        coder: str,
        unit: str,
        kind: str | None = None,
        actor: str | None = None,
        progress: Progress = silent,
    ) -> CodingReport:
        """One coder's codings from a wide coding table (see ``services/coding_table.py``):
        every 1-cell codes the whole document, turn or paragraph, as one undoable batch."""
        from thematica.services.coding_table import read_coding_table

        path = Path(path)
        check_coder_name(coder)
        if kind is not None:
            check_kind(kind)
        cells = read_coding_table(self.project, path, unit)
        items = [CodingInput(c.document_id, c.code_id, c.start, c.end) for c in cells]
        return self.apply_many(
            items,
            coder=coder,
            progress=progress,
            kind=kind,
            batch="table",
            parameters={"file": path.name, "unit": unit, "kind": kind},
            actor=actor,
        )

    @requires(Operation.CODE)
    def remove(self, document: str, code: str, start: int, end: int, *, coder: str) -> None:
        self.project.access.check_write_layer(coder)
        with self.project.db.write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            index = self.project.codebook.index(conn)
            code_id = index.resolve(code)
            coder_id = next(iter(self.coder_ids(conn, coder)))
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
            self.project.audit(conn, "coding_memo", coding=coding_id, old=old, new=memo or None)

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
            self.project.audit(
                conn,
                "coding_star" if starred else "coding_unstar",
                on_behalf_of=actor,
                coding=coding_id,
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


#: codings one audit entry lists one by one; a call adding more records its batch instead
ITEMISE = 100


def _key(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return (int(row["document_id"]), int(row["code_id"]), int(row["start"]), int(row["end"]))


def _itemised(
    added: list[tuple[int, int, int, int]],
    paths: dict[int, str],
    docs: dict[str | int, tuple[int, str, int]],
) -> dict[str, Any]:
    """The audit detail naming each coding added: [document, code, start, end] rows, when
    there are few enough to list (the batch id names the rest)."""
    if not added or len(added) > ITEMISE:
        return {}
    return {"codings": [[docs[d][1], paths[k], s, e] for d, k, s, e in added]}


def _behalf(given: str | None, acting: str) -> dict[str, str]:
    return {"on_behalf_of": given} if given and given != acting else {}


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
