"""A codebook as a Word table: the columns of the CSV export, one row per code.

Many teams keep and review their codebook in Word; the same file imports back unchanged.
The header row repeats on every page and rows are never split across pages.
"""

from __future__ import annotations

import io
from collections.abc import Sequence


def codebook_docx_bytes(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading(title, level=1)
    grid = doc.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    header = grid.rows[0]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(flag)
    for cell, name in zip(header.cells, columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        row = grid.add_row()
        keep = OxmlElement("w:cantSplit")
        keep.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(keep)
        for cell, value in zip(row.cells, values, strict=True):
            lines = str(value).split("\n")
            cell.text = lines[0]
            for line in lines[1:]:
                cell.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
