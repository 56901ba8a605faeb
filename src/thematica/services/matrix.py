"""Framework matrices: rows of cases (or of an attribute's values) by columns of themes or codes.

Each cell holds a summary the analyst writes and links to the coded segments behind it. Counts
come from one coder layer (the consensus layer by default, fixed when the matrix is created):

* a **row** is one case (``rows="cases"``) or one value of a case attribute
  (``rows="attribute:NAME"``; cases without a value form the row ``(missing)``). Rows are
  participants: in focus groups with speaker maps a coding belongs to the case of the speaker
  who said it (:mod:`thematica.services.speakers`), and a case that is only a focus group's own
  case is a group, not a row;
* a **column** is one theme (``columns="themes"``: the codes grouped under it or under its
  subthemes) or one code (``columns="codes"``: the code and its subcodes);
* ``coded`` counts the layer's codings in the row's cases with the column's codes; ``linked``
  counts the codings linked to the cell. A link must name a coding of the matrix's layer, in one
  of the row's cases, with one of the column's codes; anything else is refused, nothing written.

Columns are grouped (one XLSX sheet each): themes by SEM level, codes by their top-level code.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.models import Turn
from thematica.core.tables import Table
from thematica.core.text import speaker_at
from thematica.services.access import requires
from thematica.services.speakers import Attributor, load_attributor
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

MISSING_ROW = "(missing)"
NO_LEVEL = "(no level)"
#: what a matrix can be exported as
MATRIX_FORMATS = ("xlsx", "csv", "md")


@dataclass(slots=True)
class MatrixRow:
    name: str
    rows: str
    columns: str
    coder: str | None
    cells: int
    links: int


@dataclass(slots=True)
class Column:
    key: str
    group: str
    codes: frozenset[int]


@dataclass(slots=True)
class LinkedExcerpt:
    coding_id: int
    document: str
    case: str | None
    speaker: str | None
    code: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Cell:
    row: str
    column: str
    summary: str = ""
    author: str | None = None
    updated_at: str | None = None
    links: list[int] = field(default_factory=list)
    coded: int = 0
    excerpts: list[LinkedExcerpt] = field(default_factory=list)

    @property
    def linked(self) -> int:
        return len(self.links)


@dataclass(slots=True)
class CellRow:
    row: str
    column: str
    group: str
    coded: int
    linked: int
    summary: str
    author: str | None


@dataclass(slots=True)
class MatrixView:
    name: str
    rows_spec: str
    columns_spec: str
    coder: str | None
    rows: list[str]
    columns: list[Column]
    cells: dict[tuple[str, str], Cell]
    notes: list[str] = field(default_factory=list)

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[(row, column)]

    @property
    def groups(self) -> list[str]:
        out: list[str] = []
        for col in self.columns:
            if col.group not in out:
                out.append(col.group)
        return out

    def table(self) -> Table[CellRow]:
        group = {c.key: c.group for c in self.columns}
        rows = [
            CellRow(r, c.key, group[c.key], cell.coded, cell.linked, cell.summary, cell.author)
            for r in self.rows
            for c in self.columns
            for cell in [self.cells[(r, c.key)]]
        ]
        return Table(rows, title=f"Matrix {self.name!r}: {len(self.rows)} x {len(self.columns)}")

    def excerpts(self) -> list[tuple[str, str, LinkedExcerpt]]:
        """Every linked excerpt with its cell's row and column, in matrix order."""
        return [
            (r, c.key, ex)
            for r in self.rows
            for c in self.columns
            for ex in self.cells[(r, c.key)].excerpts
        ]


@dataclass(slots=True)
class _Layout:
    rows: dict[str, set[int]]  # row key -> case ids
    columns: list[Column]
    layer: dict[int, str]  # coder id -> name (empty before anyone codes)
    notes: list[str]
    attributor: Attributor  # who each coding belongs to
    case_ids: dict[str, int]  # case name -> id


def _parse_rows(spec: str) -> str | None:
    """The attribute name of ``attribute:NAME`` rows, None for ``cases``."""
    if spec == "cases":
        return None
    if spec.startswith("attribute:") and spec.split(":", 1)[1].strip():
        return spec.split(":", 1)[1].strip()
    raise InputError(f"rows must be 'cases' or 'attribute:NAME', not {spec!r}")


class Matrices:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- definitions --------------------------------------------------------------------
    @requires(Operation.ANALYSE)
    def create(
        self,
        name: str,
        rows: str = "cases",
        columns: str = "themes",
        coder: str | None = None,
    ) -> MatrixView:
        """Define a matrix; its cells start empty (and are stored only once written)."""
        from thematica.services.project import now

        name = " ".join((name or "").split())
        if not name:
            raise InputError("a matrix needs a name")
        if columns not in ("themes", "codes"):
            raise InputError(f"columns must be 'themes' or 'codes', not {columns!r}")
        definition = {"rows": rows.strip(), "columns": columns, "coder": coder}
        try:
            with self.project.db.write() as conn:
                self._layout(conn, definition)  # checks attribute, themes and coder layer
                conn.execute(
                    insert(t.matrix).values(
                        project_id=self.project.id,
                        name=name,
                        definition=definition,
                        created_at=now(),
                    )
                )
                self.project.audit(conn, "matrix.create", name=name, **definition)
        except ConflictError as exc:  # uq_matrix_name, as worded by Database.write
            if "collision" not in exc.detail:
                raise
            raise ConflictError(f"a matrix named {name!r} already exists", matrix=name) from exc
        return self.get(name)

    @requires(Operation.READ)
    def list(self) -> Table[MatrixRow]:
        m, c = t.matrix.c, t.matrix_cell.c
        out: list[MatrixRow] = []
        with self.project.db.read() as conn:
            for r in conn.execute(
                select(t.matrix).where(m.project_id == self.project.id).order_by(m.name)
            ):
                cells = conn.execute(select(c.summary, c.links).where(c.matrix_id == r.id)).all()
                out.append(
                    MatrixRow(
                        r.name,
                        r.definition["rows"],
                        r.definition["columns"],
                        r.definition.get("coder"),
                        sum(1 for s in cells if s.summary),
                        sum(len(s.links or []) for s in cells),
                    )
                )
        return Table(out, title="Framework matrices")

    @requires(Operation.ANALYSE)
    def remove(self, name: str) -> None:
        with self.project.db.write() as conn:
            mid, _ = self._find(conn, name)
            conn.execute(delete(t.matrix_cell).where(t.matrix_cell.c.matrix_id == mid))
            conn.execute(delete(t.matrix).where(t.matrix.c.id == mid))
            self.project.audit(conn, "matrix.remove", name=name)

    def _find(self, conn: Connection, name: str) -> tuple[int, dict[str, Any]]:
        row = conn.execute(
            select(t.matrix.c.id, t.matrix.c.definition).where(
                t.matrix.c.project_id == self.project.id, t.matrix.c.name == name
            )
        ).first()
        if row is None:
            known = list(
                conn.scalars(
                    select(t.matrix.c.name)
                    .where(t.matrix.c.project_id == self.project.id)
                    .order_by(t.matrix.c.name)
                )
            )
            raise NotFoundError(
                f"no matrix named {name!r} (matrices: {', '.join(known) or 'none yet'})"
            )
        return int(row.id), dict(row.definition)

    # -- layout -------------------------------------------------------------------------
    def _layout(self, conn: Connection, definition: dict[str, Any]) -> _Layout:
        from thematica.services.saturation import attribute_sort_key

        pid = self.project.id
        notes: list[str] = []
        attribute = _parse_rows(definition["rows"])
        cases = dict(
            conn.execute(select(t.case.c.id, t.case.c.name).where(t.case.c.project_id == pid)).all()
        )
        attributor = load_attributor(self.project, conn)
        groups = attributor.group_cases()
        case_ids = {name: cid for cid, name in cases.items()}
        cases = {cid: name for cid, name in cases.items() if name not in groups}
        rows: dict[str, set[int]] = {}
        if attribute is None:
            for cid, cname in sorted(cases.items(), key=lambda kv: kv[1]):
                rows[cname] = {cid}
        else:
            infos = {a.name: a for a in self.project.cases.attribute_info(conn)}
            if attribute not in infos:
                raise NotFoundError(
                    f"no attribute named {attribute!r} (attributes: {', '.join(infos) or 'none'})"
                )
            info = infos[attribute]
            values = self.project.cases.values(conn)
            by_value: dict[str, set[int]] = {}
            for cid, cname in cases.items():
                value = values.get(cname, {}).get(attribute)
                by_value.setdefault(value if value is not None else MISSING_ROW, set()).add(cid)
            present = sorted(
                (v for v in by_value if v != MISSING_ROW),
                key=lambda v: attribute_sort_key(info.type, info.order, v),
            )
            rows = {v: by_value[v] for v in present}
            if MISSING_ROW in by_value:
                rows[MISSING_ROW] = by_value[MISSING_ROW]
        if not rows:
            notes.append("the project has no cases yet, so the matrix has no rows")
        columns = (
            self._theme_columns(conn)
            if definition["columns"] == "themes"
            else self._code_columns(conn)
        )
        layer: dict[int, str] = {}
        coder = definition.get("coder")
        has_coders = conn.execute(
            select(t.coder.c.id).where(t.coder.c.project_id == pid).limit(1)
        ).first()
        if coder is not None or has_coders is not None:
            layer = self.project.coding.coder_ids(conn, coder)
        return _Layout(rows, columns, layer, notes, attributor, case_ids)

    def _theme_columns(self, conn: Connection) -> builtins.list[Column]:
        pid = self.project.id
        themes = {r.id: r for r in conn.execute(select(t.theme).where(t.theme.c.project_id == pid))}
        if not themes:
            raise InputError(
                "the project has no themes yet; create themes first or use columns 'codes'"
            )
        own: dict[int, set[int]] = {}
        for theme_id, code_id in conn.execute(
            select(t.theme_code.c.theme_id, t.theme_code.c.code_id).where(
                t.theme_code.c.theme_id.in_(list(themes))
            )
        ):
            own.setdefault(theme_id, set()).add(code_id)
        children: dict[int | None, list[int]] = {}
        for r in sorted(themes.values(), key=lambda r: (r.position, r.id)):
            children.setdefault(r.parent_id, []).append(r.id)
        levels = self.project.sem_levels
        out: list[Column] = []

        def walk(tid: int, prefix: str, level: str | None) -> set[int]:
            row = themes[tid]
            path = f"{prefix}/{row.name}" if prefix else row.name
            lvl = row.sem_level or level
            index = len(out)
            out.append(Column(path, lvl or NO_LEVEL, frozenset()))
            codes = set(own.get(tid, set()))
            for child in children.get(tid, []):
                codes |= walk(child, path, lvl)
            out[index] = Column(path, lvl or NO_LEVEL, frozenset(codes))
            return codes

        for root in children.get(None, []):
            walk(root, "", None)
        rank = {lvl: i for i, lvl in enumerate(levels)}
        # Stable sort: by SEM level (the project's order; no level last), then theme order.
        out.sort(key=lambda c: rank.get(c.group, len(rank)))
        return out

    def _code_columns(self, conn: Connection) -> builtins.list[Column]:
        index = self.project.codebook.index(conn)
        if not index.rows:
            raise InputError("the codebook is empty; add codes first")
        out = []
        for cid in index.depth_first():
            top = index.chain(cid)[0]  # a name may contain "/": never split the path
            out.append(Column(index.paths[cid], top, frozenset(index.subtree(cid))))
        return out

    # -- the view -----------------------------------------------------------------------
    @requires(Operation.READ)
    def get(self, name: str) -> MatrixView:
        """The matrix with every cell: summary, links, linked excerpts and coded counts."""
        with self.project.db.read() as conn:
            mid, definition = self._find(conn, name)
            layout = self._layout(conn, definition)
            cells: dict[tuple[str, str], Cell] = {
                (r, c.key): Cell(r, c.key) for r in layout.rows for c in layout.columns
            }
            case_rows: dict[int, list[str]] = {}
            for key, in_row in layout.rows.items():
                for cid in in_row:
                    case_rows.setdefault(cid, []).append(key)
            code_cols: dict[int, list[str]] = {}
            for col in layout.columns:
                for code in col.codes:
                    code_cols.setdefault(code, []).append(col.key)
            attr, case_ids = layout.attributor, layout.case_ids
            k = t.coding.c
            if layout.layer:
                for doc_id, code_id, start, end in conn.execute(
                    select(k.document_id, k.code_id, k.start, k.end).where(
                        k.project_id == self.project.id, k.coder_id.in_(list(layout.layer))
                    )
                ):
                    in_rows = {
                        r
                        for owner in attr.owners(doc_id, start, end)
                        if owner.case is not None
                        for r in case_rows.get(case_ids.get(owner.case, -1), [])
                    }
                    for r in in_rows:
                        for c in code_cols.get(code_id, []):
                            cells[(r, c)].coded += 1
            notes = list(layout.notes)
            stale = 0
            for rec in conn.execute(select(t.matrix_cell).where(t.matrix_cell.c.matrix_id == mid)):
                cell = cells.get((rec.row_key, rec.column_key))
                if cell is None:
                    stale += 1
                    continue
                cell.summary = rec.summary or ""
                cell.author = rec.author
                cell.updated_at = _iso(rec.updated_at)
                cell.links = [int(i) for i in rec.links or []]
            if stale:
                notes.append(
                    f"{stale} stored cell(s) no longer match a row or column and are not shown"
                )
            linked = sorted({i for cell in cells.values() for i in cell.links})
            excerpts = self._excerpts(conn, linked, attr)
            gone = 0
            for cell in cells.values():
                cell.excerpts = [excerpts[i] for i in cell.links if i in excerpts]
                gone += sum(1 for i in cell.links if i not in excerpts)
            if gone:
                notes.append(f"{gone} linked coding(s) were deleted since they were linked")
        return MatrixView(
            name,
            definition["rows"],
            definition["columns"],
            definition.get("coder"),
            list(layout.rows),
            layout.columns,
            cells,
            notes,
        )

    def _excerpts(
        self, conn: Connection, ids: Sequence[int], attr: Attributor
    ) -> dict[int, LinkedExcerpt]:
        if not ids:
            return {}
        k, d = t.coding.c, t.document.c
        paths = self.project.codebook.index(conn).paths
        rows = conn.execute(
            select(k.id, k.document_id, k.code_id, k.start, k.end).where(
                k.project_id == self.project.id, k.id.in_(list(ids))
            )
        ).all()
        doc_ids = sorted({r.document_id for r in rows})
        docs = {
            r.id: r
            for r in conn.execute(
                select(d.id, d.name, d.text, t.case.c.name.label("case"))
                .select_from(t.document)
                .outerjoin(t.case, t.case.c.id == d.case_id)
                .where(d.id.in_(doc_ids))
            )
        }
        turns: dict[int, list[Turn]] = {}
        for tr in conn.execute(
            select(t.turn.c.document_id, t.turn.c.start, t.turn.c.end, t.turn.c.speaker)
            .where(t.turn.c.document_id.in_(doc_ids))
            .order_by(t.turn.c.document_id, t.turn.c.start)
        ):
            turns.setdefault(tr.document_id, []).append(Turn(tr.start, tr.end, tr.speaker))
        out: dict[int, LinkedExcerpt] = {}
        for r in rows:
            doc = docs[r.document_id]
            out[int(r.id)] = LinkedExcerpt(
                int(r.id),
                doc.name,
                attr.case_of(r.document_id, r.start, r.end),
                speaker_at(turns.get(r.document_id, []), r.start),
                paths.get(r.code_id, "?"),
                r.start,
                r.end,
                doc.text[r.start : r.end],
            )
        return out

    # -- editing ------------------------------------------------------------------------
    @requires(Operation.ANALYSE)
    def set_cell(
        self,
        matrix: str,
        row: str,
        column: str,
        summary: str | None = None,
        link: Sequence[int] = (),
        unlink: Sequence[int] = (),
        author: str | None = None,
    ) -> Cell:
        """Write a cell's summary and/or change its links; everything is checked first."""
        from thematica.services.project import now

        if summary is None and not link and not unlink:
            raise InputError("nothing to change: give a summary, links or unlinks")
        with self.project.db.write() as conn:
            mid, definition = self._find(conn, matrix)
            layout = self._layout(conn, definition)
            if row not in layout.rows:
                raise NotFoundError(
                    f"matrix {matrix!r} has no row {row!r} (rows: {_few(list(layout.rows))})"
                )
            col = next((c for c in layout.columns if c.key == column), None)
            if col is None:
                raise NotFoundError(
                    f"matrix {matrix!r} has no column {column!r} "
                    f"(columns: {_few([c.key for c in layout.columns])})"
                )
            mc = t.matrix_cell.c
            existing = conn.execute(
                select(mc.id, mc.links, mc.summary).where(
                    mc.matrix_id == mid, mc.row_key == row, mc.column_key == column
                )
            ).first()
            links = [int(i) for i in (existing.links if existing is not None else [])]
            not_linked = [i for i in unlink if i not in links]
            if not_linked:
                raise InputError(
                    f"coding(s) {', '.join(map(str, not_linked))} are not linked to this cell"
                )
            self._check_links(conn, list(dict.fromkeys(link)), layout, row, col)
            links = [i for i in links if i not in set(unlink)]
            links += [i for i in dict.fromkeys(link) if i not in links]
            values: dict[str, Any] = {"links": links, "updated_at": now()}
            if summary is not None:
                values["summary"] = summary.strip()
            if author is not None:
                values["author"] = author
            if existing is None:
                conn.execute(
                    insert(t.matrix_cell).values(
                        matrix_id=mid,
                        row_key=row,
                        column_key=column,
                        summary=values.pop("summary", ""),
                        author=values.pop("author", None),
                        **values,
                    )
                )
            else:
                conn.execute(update(t.matrix_cell).where(mc.id == existing.id).values(**values))
            old_summary = (existing.summary or "") if existing is not None else ""
            layers = sorted(set(layout.layer.values()))
            self.project.audit(
                conn,
                "matrix.set",
                matrix=matrix,
                # the coder layer(s) the matrix reads: its summaries are about that layer's
                # coding, so while coding is blind the log hides them with the layer
                layer=layers[0] if len(layers) == 1 else (layers or None),
                row=row,
                column=column,
                summary=summary is not None,
                link=list(link),
                unlink=list(unlink),
                author=author,
                # old -> new summary, only when this call wrote one
                **({"old": old_summary, "new": summary.strip()} if summary is not None else {}),
            )
        return self.get(matrix).cell(row, column)

    def _check_links(
        self, conn: Connection, ids: Sequence[int], layout: _Layout, row: str, col: Column
    ) -> None:
        if not ids:
            return
        k, d = t.coding.c, t.document.c
        found = {
            r.id: r
            for r in conn.execute(
                select(k.id, k.coder_id, k.code_id, k.document_id, k.start, k.end)
                .join(t.document, d.id == k.document_id)
                .where(k.project_id == self.project.id, k.id.in_(ids))
            )
        }
        attr, case_ids = layout.attributor, layout.case_ids
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(f"no coding with id {', '.join(map(str, missing))}")
        layer = ", ".join(layout.layer.values()) or "none"
        for i in ids:
            rec = found[i]
            if rec.coder_id not in layout.layer:
                raise InputError(f"coding {i} is not in this matrix's coder layer ({layer})")
            owners = attr.owners(rec.document_id, rec.start, rec.end)
            if not any(case_ids.get(o.case or "") in layout.rows[row] for o in owners):
                raise InputError(f"coding {i} is not in a case of row {row!r}")
            if rec.code_id not in col.codes:
                raise InputError(f"coding {i} does not have a code of column {col.key!r}")

    # -- export -------------------------------------------------------------------------
    @requires(Operation.READ)
    def render(self, name: str, fmt: str) -> bytes:
        """The matrix as a file's bytes: xlsx (a sheet per column group + excerpts), csv or md
        (``exporters.project_files.write_matrix`` writes it, choosing by the suffix)."""
        kind = fmt.lower().lstrip(".")
        if kind not in MATRIX_FORMATS:
            raise InputError(
                f"cannot export a matrix as {fmt or 'that'!r}: use xlsx, csv or md",
                choices=list(MATRIX_FORMATS),
            )
        view = self.get(name)
        if kind == "xlsx":
            from thematica.exporters.matrix_xlsx import matrix_xlsx

            return matrix_xlsx(view)
        from thematica.exporters.matrix_xlsx import matrix_csv, matrix_markdown

        text = matrix_csv(view) if kind == "csv" else matrix_markdown(view)
        return text.encode("utf-8")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _few(names: list[str], most: int = 8) -> str:
    if not names:
        return "none"
    more = f", ... ({len(names) - most} more)" if len(names) > most else ""
    return ", ".join(names[:most]) + more
