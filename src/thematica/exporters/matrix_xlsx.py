"""Framework matrix files: XLSX (a sheet per column group, plus the linked excerpts), CSV, Markdown.

* XLSX: one sheet per column group (themes by SEM level, codes by top-level code) with rows x
  columns; each cell holds the analyst's summary and a last line ``[linked n / coded m]``. A
  sheet ``Excerpts`` lists every linked segment: row, column, coding id, document, case,
  speaker, start, end, code and text. Text wraps; widths are set for reading.
* CSV: one line per cell (row, column, group, coded, linked, summary, author, links).
* Markdown: a table per group and, under it, the linked excerpts cell by cell.
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thematica.services.matrix import Cell, MatrixView

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
EXCERPT_SHEET = "Excerpts"


def _cell_text(cell: Cell) -> str:
    counts = f"[linked {cell.linked} / coded {cell.coded}]"
    return f"{cell.summary}\n{counts}" if cell.summary else counts


def _sheet_title(name: str, used: set[str]) -> str:
    base = _BAD_SHEET.sub("-", name).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title.casefold())
    return title


def matrix_xlsx(view: MatrixView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = {EXCERPT_SHEET.casefold()}
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    groups = view.groups or ["Matrix"]
    for group in groups:
        cols = [c for c in view.columns if c.group == group]
        ws = wb.create_sheet(_sheet_title(group, used))
        ws.cell(1, 1, view.rows_spec if view.rows_spec != "cases" else "case")
        for j, col in enumerate(cols, start=2):
            ws.cell(1, j, col.key)
        for i, row in enumerate(view.rows, start=2):
            ws.cell(i, 1, row)
            for j, col in enumerate(cols, start=2):
                ws.cell(i, j, _cell_text(view.cells[(row, col.key)]))
        for cells in ws.iter_rows():
            for c in cells:
                c.alignment = wrap
        for c in ws[1]:
            c.font = bold
            c.fill = head_fill
        for i in range(2, len(view.rows) + 2):
            ws.cell(i, 1).font = bold
        ws.column_dimensions["A"].width = 22
        for j in range(2, len(cols) + 2):
            ws.column_dimensions[ws.cell(1, j).column_letter].width = 45
        ws.freeze_panes = "B2"
    ex = wb.create_sheet(EXCERPT_SHEET)
    header = ["row", "column", "coding", "document", "case", "speaker", "start", "end", "code"]
    ex.append([*header, "text"])
    for row, column, excerpt in view.excerpts():
        ex.append(
            [
                row,
                column,
                excerpt.coding_id,
                excerpt.document,
                excerpt.case,
                excerpt.speaker,
                excerpt.start,
                excerpt.end,
                excerpt.code,
                excerpt.text,
            ]
        )
    widths = [18, 30, 8, 18, 10, 16, 8, 8, 30, 80]
    for j, width in enumerate(widths, start=1):
        ex.column_dimensions[ex.cell(1, j).column_letter].width = width
    for cells in ex.iter_rows():
        for c in cells:
            c.alignment = wrap
    for c in ex[1]:
        c.font = bold
        c.fill = head_fill
    ex.freeze_panes = "A2"
    buf = io.BytesIO()
    from thematica.exporters.xlsx_tables import text_cell

    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text_cell(cell)
    wb.save(buf)
    return buf.getvalue()


def matrix_csv(view: MatrixView) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["row", "column", "group", "coded", "linked", "summary", "author", "links"])
    for row in view.rows:
        for col in view.columns:
            cell = view.cells[(row, col.key)]
            writer.writerow(
                [
                    row,
                    col.key,
                    col.group,
                    cell.coded,
                    cell.linked,
                    cell.summary,
                    cell.author or "",
                    ";".join(map(str, cell.links)),
                ]
            )
    return buf.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def matrix_markdown(view: MatrixView) -> str:
    out = [f"# Framework matrix: {view.name}", ""]
    for group in view.groups:
        cols = [c for c in view.columns if c.group == group]
        out += [f"## {group}", ""]
        out.append("| " + " | ".join([_md(view.rows_spec), *(_md(c.key) for c in cols)]) + " |")
        out.append("|" + "---|" * (len(cols) + 1))
        for row in view.rows:
            cells = [_md(_cell_text(view.cells[(row, c.key)])) for c in cols]
            out.append("| " + " | ".join([_md(row), *cells]) + " |")
        out.append("")
    excerpts = view.excerpts()
    if excerpts:
        out += ["## Linked excerpts", ""]
        for row, column, ex in excerpts:
            who = f", {ex.speaker}" if ex.speaker else ""
            quote = " ".join(ex.text.split())
            out.append(
                f"- **{_md(row)} x {_md(column)}** (coding {ex.coding_id}, {ex.document}{who}, "
                f"{ex.start}-{ex.end}): {quote}"
            )
        out.append("")
    return "\n".join(out)
