"""Bulk coding: many codings at once (a CSV of spans or quotes, a wide coding table), all or
nothing — every row is checked first, then all are written in one transaction, as one batch
that ``thematica batches undo`` can take back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    insert,
    select,
)

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.text import normalise
from thematica.services._progress import Progress, silent
from thematica.services.access import requires
from thematica.services.coders import CoderLayers, check_coder_name, check_kind
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

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


def on_behalf(given: str | None, acting: str) -> dict[str, str]:
    return {"on_behalf_of": given} if given and given != acting else {}


class BulkCoding(CoderLayers):
    """The bulk half of :class:`thematica.services.coding.Coding` (a mixin of it)."""

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
        if not cells:  # no layer, no empty batch: a table of zeros is most likely a mistake
            raise InputError(f"{Path(path).name}: the table codes nothing (no cell is 1)")
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
