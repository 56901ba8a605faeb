"""Wide coding tables: one row per document (or turn, or paragraph), one column per code.

Survey, framework and whole-answer studies keep their coding in spreadsheets; this reads one
such sheet into the spans of whole units, so nobody computes character offsets by hand. It
only reads and checks: :meth:`thematica.services.coding.Coding.apply_table` writes one coder's
layer from it, and the consensus service derives decisions from it.

Layout (column names are matched ignoring case and surrounding spaces):

* ``document``: the document's name in the project;
* for the ``turn`` / ``paragraph`` unit also ``turn`` / ``paragraph``: the 1-based unit number
  (turns as ``thematica documents show DOC --turns`` numbers them; paragraphs as
  :func:`thematica.core.units.split_paragraphs` cuts them); a turn may also be named by its
  speaker label when that speaker has one turn in the document (``Q3`` in a survey imported
  with ``--text-columns``, where a skipped question shifts the numbers);
* then either one column per code (its path or unique name), each cell ``1``/``0``/blank (also
  ``x``, ``yes``/``no``, ``y``/``n``, ``true``/``false``), or one ``codes`` column holding
  ``;``-separated code paths or names.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from thematica.core.errors import InputError
from thematica.core.units import split_paragraphs
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["TABLE_UNITS", "UnitCoding", "read_coding_table", "unit_spans"]

TABLE_UNITS = ("document", "turn", "paragraph")
_YES = frozenset({"1", "x", "yes", "y", "true"})
_NO = frozenset({"", "0", "no", "n", "false"})
_KEYS = frozenset({"document", "turn", "paragraph", "codes"})


@dataclass(frozen=True, slots=True)
class UnitCoding:
    """One positive cell: this code applies to the whole of this unit."""

    document_id: int
    document: str
    unit: str  # "document" | "turn" | "paragraph"
    number: int  # 1-based unit number (1 for unit "document")
    start: int
    end: int  # code-point offsets of the unit's whole span
    code_id: int
    code: str  # code path
    row: int  # the row's number in the file, header = row 1 (for messages)


def unit_spans(
    conn: Connection, unit: str, doc_ids: Collection[int]
) -> dict[int, list[tuple[int, int]]]:
    """The spans of every unit of each document, in order (unit number n is index n - 1).

    Reads only the documents asked for: a table naming 5 documents of 10,000 costs 5 reads.
    """
    ids = sorted(doc_ids)
    out: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        if unit == "turn":
            for doc_id, start, end in conn.execute(
                select(t.turn.c.document_id, t.turn.c.start, t.turn.c.end)
                .where(t.turn.c.document_id.in_(chunk))
                .order_by(t.turn.c.document_id, t.turn.c.position)
            ):
                out[doc_id].append((start, end))
        elif unit == "paragraph":
            for doc_id, text in conn.execute(
                select(t.document.c.id, t.document.c.text).where(t.document.c.id.in_(chunk))
            ):
                out[doc_id] = split_paragraphs(text)
        elif unit == "document":
            for doc_id, length in conn.execute(
                select(t.document.c.id, t.document.c.length).where(t.document.c.id.in_(chunk))
            ):
                out[doc_id] = [(0, length)] if length else []
        else:
            raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(TABLE_UNITS)}")
    return out


def _turn_speakers(conn: Connection, doc_ids: Collection[int]) -> dict[int, list[str]]:
    """Each document's turn speakers in turn order, so a table may name a turn by its label."""
    ids = sorted(doc_ids)
    out: dict[int, list[str]] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        for doc_id, speaker in conn.execute(
            select(t.turn.c.document_id, t.turn.c.speaker)
            .where(t.turn.c.document_id.in_(ids[i : i + 500]))
            .order_by(t.turn.c.document_id, t.turn.c.position)
        ):
            out[doc_id].append(speaker or "")
    return out


def _turn_by_speaker(speakers: list[str], label: str, doc_name: str, where: str) -> int:
    """The number of the one turn whose speaker is ``label`` (a survey question such as "Q3",
    where turn numbers shift when a respondent skipped a question)."""
    hits = [n for n, s in enumerate(speakers, 1) if s.casefold() == label.casefold()]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        known = ", ".join(dict.fromkeys(s for s in speakers if s)) or "none"
        raise InputError(
            f"{where}: {doc_name!r} has no turn by {label!r} (speakers: {known}); "
            "give a turn number or a speaker label"
        )
    raise InputError(
        f"{where}: {doc_name!r} has {len(hits)} turns by {label!r}; give the turn number"
    )


def _flag(value: str, where: str) -> bool:
    cell = value.strip().casefold()
    if cell.endswith(".0") and cell[:-2] in {"0", "1"}:  # 1.0 from a spreadsheet formula
        cell = cell[:-2]
    if cell in _YES:
        return True
    if cell in _NO:
        return False
    raise InputError(f"{where}: {value.strip()!r} is not 1, 0 or blank (or yes/no, x)")


def read_coding_table(
    project: Project,
    source: str | Path,
    unit: str,
    *,
    ignore: Collection[str] = (),
    encoding: str | None = None,
) -> list[UnitCoding]:
    """Every positive cell of a wide coding table as the whole span of its unit.

    Everything is checked before anything is returned: an unknown document, code, unit number
    or cell value raises :class:`InputError` naming the row and column. ``ignore`` names extra
    columns to skip (compared ignoring case) instead of treating them as codes.
    """
    from thematica.services.tabular import read_table

    if unit not in TABLE_UNITS:
        raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(TABLE_UNITS)}")
    path = Path(source)
    name = path.name
    header, rows = read_table(path, encoding=encoding)
    folded = [h.casefold() for h in header]
    skip = {c.strip().casefold() for c in ignore}
    if "document" not in folded:
        raise InputError(f"{name}: needs a 'document' column (has: {', '.join(header)})")
    doc_col = folded.index("document")
    unit_col: int | None = None
    if unit != "document":
        if unit not in folded:
            raise InputError(
                f"{name}: coding by {unit} needs a {unit!r} column with the 1-based {unit} "
                f"number (has: {', '.join(header)})"
            )
        unit_col = folded.index(unit)
    for other in ("turn", "paragraph"):
        if other != unit and other in folded:
            raise InputError(
                f"{name}: row 1, column {header[folded.index(other)]!r}: the table numbers "
                f"{other}s but the unit asked for is {unit!r}"
            )
    codes_col = folded.index("codes") if "codes" in folded else None
    extra = [
        i for i, h in enumerate(folded) if h not in _KEYS and h not in skip and header[i].strip()
    ]

    with project.db.read() as conn:
        index = project.codebook.index(conn)

        def resolve(term: str, where: str) -> int:
            try:
                cid = index.find(term)
            except InputError as exc:  # ambiguous name
                raise InputError(f"{where}: {exc}") from exc
            if cid is None:
                raise InputError(f"{where}: no code {term!r} in the codebook")
            return cid

        code_cols: list[tuple[int, int]] = []
        if codes_col is not None:
            if extra:
                raise InputError(
                    f"{name}: row 1, column {header[extra[0]]!r}: a table with a 'codes' "
                    "column cannot also have one column per code"
                )
        else:
            if not extra:
                raise InputError(
                    f"{name}: no code columns (and no 'codes' column); has: {', '.join(header)}"
                )
            code_cols = [
                (i, resolve(header[i], f"{name}: row 1, column {header[i]!r}")) for i in extra
            ]
            seen: dict[int, int] = {}
            for i, cid in code_cols:
                if cid in seen:
                    raise InputError(
                        f"{name}: row 1, column {header[i]!r}: the same code as column "
                        f"{header[seen[cid]]!r}"
                    )
                seen[cid] = i

        names = {row[doc_col].strip() for row in rows if row[doc_col].strip()}
        d = t.document.c
        docs: dict[str, int] = {}
        listed = sorted(names)
        for i in range(0, len(listed), 500):
            docs.update(
                (doc_name, int(doc_id))
                for doc_name, doc_id in conn.execute(
                    select(d.name, d.id).where(
                        d.project_id == project.id, d.name.in_(listed[i : i + 500])
                    )
                )
            )
        spans = unit_spans(conn, unit, docs.values())
        speakers = _turn_speakers(conn, docs.values()) if unit == "turn" else {}

    out: list[UnitCoding] = []
    seen_units: dict[tuple[int, int], int] = {}
    for n, row in enumerate(rows, 2):
        doc_name = row[doc_col].strip()
        where = f"{name}: row {n}, column {header[doc_col]!r}"
        if not doc_name:
            raise InputError(f"{where}: the document name is empty")
        if doc_name not in docs:
            raise InputError(f"{where}: no document named {doc_name!r} in the project")
        doc_id = docs[doc_name]
        units = spans[doc_id]
        number = 1
        if unit_col is not None:
            raw = row[unit_col].strip()
            where = f"{name}: row {n}, column {header[unit_col]!r}"
            try:
                number = int(raw[:-2] if raw.endswith(".0") else raw)
            except ValueError:
                if unit != "turn" or not raw:
                    raise InputError(f"{where}: {raw!r} is not a {unit} number") from None
                number = _turn_by_speaker(speakers.get(doc_id, []), raw, doc_name, where)
            if not 1 <= number <= len(units):
                raise InputError(
                    f"{where}: {doc_name!r} has {len(units)} {unit}(s), so there is no "
                    f"{unit} {number}"
                )
        elif not units:
            raise InputError(f"{where}: {doc_name!r} has no text to code")
        key = (doc_id, number)
        if key in seen_units:
            what = f"{doc_name!r}" + (f" {unit} {number}" if unit_col is not None else "")
            raise InputError(f"{name}: row {n}: {what} is already coded in row {seen_units[key]}")
        seen_units[key] = n
        start, end = units[number - 1]
        positives: list[int] = []
        if codes_col is not None:
            where = f"{name}: row {n}, column {header[codes_col]!r}"
            for term in row[codes_col].split(";"):
                if term.strip():
                    cid = resolve(term.strip(), where)
                    if cid not in positives:
                        positives.append(cid)
        else:
            for i, cid in code_cols:
                if _flag(row[i], f"{name}: row {n}, column {header[i]!r}"):
                    positives.append(cid)
        out.extend(
            UnitCoding(doc_id, doc_name, unit, number, start, end, cid, index.paths[cid], n)
            for cid in positives
        )
    return out
