"""The codings a framework-matrix cell may link to: what an analyst picks from when writing a
cell's summary and choosing the passages behind it.

A candidate is exactly what :meth:`~thematica.services.matrix.Matrices.set_cell` accepts as a
link: a coding of the matrix's coder layer, in one of the row's cases (speaker-mapped focus
groups count the case of the speaker who said it), with one of the column's codes. Reading
them reads the matrix's layer, so blind coding applies as for the matrix itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from thematica.core.access import Operation
from thematica.core.errors import NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.matrix import LinkedExcerpt
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["CellCandidate", "MatrixLinks"]


@dataclass(slots=True)
class CellCandidate:
    """A coding a cell may link to, and whether it is linked already."""

    coding_id: int
    document: str
    case: str | None
    speaker: str | None
    code: str
    start: int
    end: int
    text: str
    linked: bool


class MatrixLinks:
    """Candidates for a matrix cell's links (``MatrixLinks(project).candidates(...)``)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.READ)
    def candidates(
        self, matrix: str, row: str, column: str, *, limit: int = 500
    ) -> Table[CellCandidate]:
        """Every coding the cell (``row``, ``column``) of ``matrix`` may link to, in document
        order, linked ones marked; at most ``limit`` (the table's ``total`` counts them all)."""
        matrices = self.project.matrices
        with self.project.db.read() as conn:
            # the matrix's own lookups: one definition of rows, columns and layer
            mid, definition = matrices._find(conn, matrix)
            layout = matrices._layout(conn, definition)  # checks the layer may be read
            if row not in layout.rows:
                raise NotFoundError(f"matrix {matrix!r} has no row {row!r}", row=row)
            col = next((c for c in layout.columns if c.key == column), None)
            if col is None:
                raise NotFoundError(f"matrix {matrix!r} has no column {column!r}", column=column)
            mc = t.matrix_cell.c
            stored = conn.scalar(
                select(mc.links).where(
                    mc.matrix_id == mid, mc.row_key == row, mc.column_key == column
                )
            )
            linked = {int(i) for i in stored or []}
            ids: list[int] = []
            if layout.layer and col.codes:
                k = t.coding.c
                in_row = layout.rows[row]
                attr, case_ids = layout.attributor, layout.case_ids
                for cid, doc_id, start, end in conn.execute(
                    select(k.id, k.document_id, k.start, k.end)
                    .where(
                        k.project_id == self.project.id,
                        k.coder_id.in_(list(layout.layer)),
                        k.code_id.in_(list(col.codes)),
                    )
                    .order_by(k.document_id, k.start, k.end, k.id)
                ):
                    owners = attr.owners(doc_id, start, end)
                    if any(case_ids.get(o.case or "") in in_row for o in owners):
                        ids.append(int(cid))
            shown = ids[: max(0, limit)]
            excerpts = matrices._excerpts(conn, shown, layout.attributor)
        rows = [_candidate(excerpts[i], i in linked) for i in shown if i in excerpts]
        rows.sort(key=lambda c: (c.document, c.start, c.end, c.coding_id))
        table = Table.of(CellCandidate, rows, title=f"Codings for {row} × {column}")
        table.total = len(ids)
        return table


def _candidate(ex: LinkedExcerpt, linked: bool) -> CellCandidate:
    return CellCandidate(
        ex.coding_id, ex.document, ex.case, ex.speaker, ex.code, ex.start, ex.end, ex.text, linked
    )
