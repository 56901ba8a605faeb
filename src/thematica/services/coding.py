"""Codings: one coder applying one code to one span of one document.

Coders work blind: every read names the coder layer(s) it shows. Bulk application is
all-or-nothing: every row is checked first, then all are written in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, delete, func, insert, select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.core.text import normalise
from thematica.services._progress import Progress, silent
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

RESERVED_CODERS = {"all"}
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


def check_coder_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InputError("a coder needs a name (--coder NAME)")
    if "," in cleaned or cleaned.lower() in RESERVED_CODERS:
        raise InputError(f"{cleaned!r} cannot be a coder name (no commas; 'all' is reserved)")
    return cleaned


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


class Coding:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- coders -------------------------------------------------------------------------
    def coders(self) -> list[str]:
        with self.project.db.read() as conn:
            return list(
                conn.scalars(
                    select(t.coder.c.name)
                    .where(t.coder.c.project_id == self.project.id)
                    .order_by(t.coder.c.id)
                )
            )

    def ensure_coder(self, conn: Connection, name: str, kind: str = "human") -> int:
        from thematica.services.project import now

        name = check_coder_name(name)
        row = conn.execute(
            select(t.coder.c.id, t.coder.c.kind).where(
                t.coder.c.project_id == self.project.id, t.coder.c.name == name
            )
        ).first()
        if row is not None and row.kind != kind:
            # The consensus layer changes only through logged decisions.
            raise InputError(
                f"{name!r} is a {row.kind} layer, not a coder; change it with "
                "'thematica consensus decide'"
            )
        cid = row.id if row is not None else None
        if cid is None:
            cid = conn.execute(
                insert(t.coder).values(
                    project_id=self.project.id, name=name, kind=kind, created_at=now()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return int(cid)

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
                    + "; choose with --coder NAME, several as A,B, or --coder all"
                )
            else:
                names = list(rows)
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if [n.lower() for n in names] == ["all"]:
            return {v: k for k, v in rows.items()}
        unknown = [n for n in names if n not in rows]
        if unknown:
            raise NotFoundError(
                f"no coder named {', '.join(map(repr, unknown))}; coders: {', '.join(rows)}"
            )
        return {rows[n]: n for n in names}

    # -- writing ------------------------------------------------------------------------
    def apply(
        self, document: str, code: str, start: int, end: int, *, coder: str, memo: str | None = None
    ) -> int:
        report = self.apply_many([CodingInput(document, code, start, end, memo)], coder=coder)
        if report.duplicates:
            raise ConflictError(
                f"{coder} has already coded {document} [{start}, {end}) with {code!r}"
            )
        with self.project.db.read() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            code_id = self.project.codebook.index(conn).resolve(code)
            return int(
                conn.scalar(
                    select(t.coding.c.id).where(
                        t.coding.c.document_id == doc_id,
                        t.coding.c.code_id == code_id,
                        t.coding.c.start == start,
                        t.coding.c.end == end,
                        t.coding.c.coder_id
                        == select(t.coder.c.id)
                        .where(t.coder.c.project_id == self.project.id, t.coder.c.name == coder)
                        .scalar_subquery(),
                    )
                )
                or 0
            )

    def apply_many(
        self,
        items: Iterable[CodingInput],
        *,
        coder: str,
        progress: Progress = silent,
        source: str | None = None,
    ) -> CodingReport:
        """Apply many codings at once; exact repeats of existing codings are counted, not added."""
        from thematica.services.project import now

        coder = check_coder_name(coder)
        items = list(items)
        with self.project.db.write() as conn:
            docs = {
                r.name: (r.id, r.length)
                for r in conn.execute(
                    select(t.document.c.id, t.document.c.name, t.document.c.length).where(
                        t.document.c.project_id == self.project.id
                    )
                )
            }
            by_id = {v[0]: (k, v[1]) for k, v in docs.items()}
            index = self.project.codebook.index(conn)
            rows: list[tuple[int, int, int, int, str | None]] = []
            for n, item in enumerate(items, 1):
                where = (
                    f"{source}: row {n + 1}: "  # row 1 of a source file is its header
                    if source
                    else (f"coding {n}: " if len(items) > 1 else "")
                )
                if isinstance(item.document, int):
                    if item.document not in by_id:
                        raise NotFoundError(f"{where}no document with id {item.document}")
                    doc_id, length = item.document, by_id[item.document][1]
                else:
                    if item.document not in docs:
                        raise NotFoundError(f"{where}no document named {item.document!r}")
                    doc_id, length = docs[item.document]
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
            coder_id = self.ensure_coder(conn, coder)
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
            stamp = now()
            batch: list[dict[str, object]] = []
            for doc_id, code_id, start, end, memo in rows:
                key = (doc_id, code_id, start, end)
                if key in existing:
                    report.duplicates += 1
                    continue
                existing.add(key)
                batch.append(
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
                    }
                )
                report.documents.add(by_id[doc_id][0])
                if len(batch) >= BATCH:
                    conn.execute(insert(t.coding), batch)
                    report.applied += len(batch)
                    progress(report.applied, len(rows), "coding")
                    batch = []
            if batch:
                conn.execute(insert(t.coding), batch)
                report.applied += len(batch)
            progress(len(rows), len(rows), "coding")
            self.project.audit(
                conn,
                "code",
                coder,
                applied=report.applied,
                duplicates=report.duplicates,
                source=source,
            )
        return report

    def import_csv(
        self, path: str | Path, *, coder: str, progress: Progress = silent
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
        return self.apply_many(items, coder=coder, progress=progress, source=path.name)

    def remove(self, document: str, code: str, start: int, end: int, *, coder: str) -> None:
        with self.project.db.write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            code_id = self.project.codebook.index(conn).resolve(code)
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
                conn, "uncode", coder, document=document, code=code, start=start, end=end
            )

    def set_memo(self, coding_id: int, memo: str | None) -> None:
        with self.project.db.write() as conn:
            result = conn.execute(
                t.coding.update()
                .where(t.coding.c.id == coding_id, t.coding.c.project_id == self.project.id)
                .values(memo=memo or None)
            )
            if not result.rowcount:
                raise NotFoundError(f"no coding with id {coding_id}")
            self.project.audit(conn, "coding_memo", coding=coding_id)

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
                conn, "coding_star" if starred else "coding_unstar", actor, coding=coding_id
            )

    # -- reading ------------------------------------------------------------------------
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

    def count(self) -> int:
        with self.project.db.read() as conn:
            return int(
                conn.scalar(select(func.count()).where(t.coding.c.project_id == self.project.id))
                or 0
            )
