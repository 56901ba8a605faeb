"""Tables as Word documents, for the tables a paper reports (Table 1)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from thematica.core.tables import Table
from thematica.exporters.tabular import cell_text, flat_records


def table_docx_bytes(table: Table[Any], *, note: str = "") -> bytes:
    from docx import Document

    doc = Document()
    if table.title:
        doc.add_heading(table.title, level=2)
    columns, records = flat_records(table)
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for rec in records:
        cells = grid.add_row().cells
        for cell, name in zip(cells, columns, strict=True):
            value = rec.get(name)
            cell.text = "Missing" if value is None and name == "value" else cell_text(value)
    if note:
        doc.add_paragraph(note)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_table_docx(table: Table[Any], path: str | Path, *, note: str = "") -> Path:
    from thematica.exporters.atomic import write_atomic

    return write_atomic(path, table_docx_bytes(table, note=note))
