"""A results draft as a Word document (python-docx), laid out as a manuscript.

* Tables are three-line (APA) tables at the text width, with **column widths fitted to the
  content**: every column is at least as wide as its longest word (estimated from per-glyph
  widths of Times New Roman, with a margin), and the rest of the width goes to the columns with
  the most text, so no word is broken inside. Code paths get a break opportunity after each
  "/". The layout is fixed (``w:tblLayout``), so Word and LibreOffice use these widths.
* Every table's header row repeats on each page (``w:tblHeader``) and no row is split across
  pages (``w:cantSplit``); a table's caption stays with the table.
* The per-code agreement table goes to an appendix after the findings.

The document does not depend on the clock: the core properties' created/modified dates are the
report state's own time stamp and the zip entries carry a fixed date, so the same project state
gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thematica.services.reports import Figure, ReportData, SimpleTable

FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FONT = "Times New Roman"
BODY_PT = 11
TABLE_PT = 9.5
CELL_PAD_IN = 0.16  # left + right cell margins (0.08 in each)
SAFETY = 1.12  # estimated widths are widened by this factor
ZWSP = "\u200b"

_NARROW = set("iljtfrI.,;:!'|()[]{} ")
_WIDE = set("mwMW@%")


def text_width_in(text: str, size_pt: float, bold: bool = False) -> float:
    """Estimated printed width of ``text`` in inches (Times New Roman metrics, rounded up)."""
    em = 0.0
    for ch in text:
        if ch == ZWSP:
            continue
        if ch in _WIDE:
            em += 0.8
        elif ch in _NARROW:
            em += 0.3
        elif ch.isupper():
            em += 0.7
        elif ch.isdigit() or ch.islower():
            em += 0.5
        else:
            em += 0.56
    if bold:
        em *= 1.08
    return em * size_pt / 72 * SAFETY


def breakable(text: str) -> str:
    """Allow a line break after each "/" of a code path (a zero-width space)."""
    return text.replace("/", "/" + ZWSP) if "/" in text else text


def column_widths(table: SimpleTable, total_in: float, size_pt: float = TABLE_PT) -> list[float]:
    """Column widths (inches) summing to ``total_in``: each column at least its longest word,
    the remaining width shared in proportion to how much more each column's longest cell
    needs to fit on one line."""
    n = len(table.columns)
    least = [0.0] * n
    most = [0.0] * n
    for r, row in enumerate([table.columns, *table.rows]):
        bold = r == 0
        for j, value in enumerate(row):
            text = breakable(value)
            words = text.replace(ZWSP, " ").split() or [""]
            least[j] = max(least[j], max(text_width_in(w, size_pt, bold) for w in words))
            most[j] = max(most[j], text_width_in(text, size_pt, bold))
    least = [w + CELL_PAD_IN for w in least]
    most = [max(m + CELL_PAD_IN, lo) for m, lo in zip(most, least, strict=True)]
    if sum(most) <= total_in:
        spare = total_in - sum(most)
        return [m + spare * m / sum(most) for m in most]
    room = total_in - sum(least)
    if room <= 0:  # not even the longest words fit: shrink in proportion (rare)
        return [lo * total_in / sum(least) for lo in least]
    extra = [m - lo for m, lo in zip(most, least, strict=True)]
    return [lo + room * e / sum(extra) for lo, e in zip(least, extra, strict=True)]


def _flag(parent: Any, tag: str, val: str | None = "true") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    if val is not None:
        element.set(qn("w:val"), val)
    parent.append(element)


def _borders(tbl: Any) -> None:
    """Three-line table: a rule above and below the table (the header rule is per cell).
    Call after ``table.autofit = False``, which sets the fixed layout."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        if side in ("top", "bottom"):
            edge.set(qn("w:val"), "single")
            edge.set(qn("w:sz"), "8")
            edge.set(qn("w:color"), "000000")
        else:
            edge.set(qn("w:val"), "nil")
        borders.append(edge)
    # the schema orders tblPr's children: borders come before shading, layout and the rest
    later = {qn(f"w:{tag}") for tag in ("shd", "tblLayout", "tblCellMar", "tblLook")}
    follower = next((child for child in tbl_pr if child.tag in later), None)
    if follower is None:
        tbl_pr.append(borders)
    else:
        follower.addprevious(borders)


def _cell_bottom_rule(cell: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "4")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    tc_pr.append(borders)


def _write_cell(cell: Any, text: str, align: str, bold: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.paragraph_format.space_after = Pt(0)
    para.paragraph_format.space_before = Pt(0)
    # the paragraph mark sets the line height of an empty cell: at the body size it would make
    # every row with a blank first column taller than the rest
    p_pr = para._p.get_or_add_pPr()
    mark = OxmlElement("w:rPr")
    p_pr.append(mark)
    _flag(mark, "w:sz", str(int(TABLE_PT * 2)))
    if align == "r":
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = para.add_run(breakable(text))
    run.font.size = Pt(TABLE_PT)
    run.bold = bold


def _table(doc: Any, table: SimpleTable, width_in: float) -> None:
    from docx.shared import Inches, Pt

    caption = doc.add_paragraph()
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_after = Pt(4)
    caption.add_run(table.title).bold = True
    widths = column_widths(table, width_in)
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.autofit = False  # w:tblLayout fixed: the widths below are used as given
    _borders(grid._tbl)
    for col, w in zip(grid.columns, widths, strict=True):
        col.width = Inches(w)
    for r, values in enumerate([table.columns, *table.rows]):
        row = grid.rows[r]
        tr_pr = row._tr.get_or_add_trPr()
        _flag(tr_pr, "w:cantSplit")
        if r == 0:
            _flag(tr_pr, "w:tblHeader")
        for j, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Inches(widths[j])
            _write_cell(cell, value, table.alignment(j), r == 0)
            if r == 0:
                _cell_bottom_rule(cell)
    note = doc.add_paragraph()
    note.paragraph_format.space_before = Pt(4)
    if table.note:
        run = note.add_run(f"Note. {table.note}")
        run.italic = True
        run.font.size = Pt(TABLE_PT)


def _figure(doc: Any, figure: Figure, width_in: float) -> None:
    from docx.shared import Inches

    picture = doc.add_paragraph()
    picture.paragraph_format.keep_with_next = True
    picture.add_run().add_picture(io.BytesIO(figure.png), width=Inches(min(6.0, width_in)))
    caption = doc.add_paragraph()
    caption.add_run(figure.caption).italic = True


def fixed_zip(blob: bytes) -> bytes:
    """Re-pack a zip with every entry dated :data:`FIXED_ZIP_DATE`, in the same order."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(blob)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def _setup(doc: Any) -> float:
    """Page, margins and styles; returns the text width in inches."""
    from docx.shared import Inches, Pt, RGBColor

    section = doc.sections[0]
    section.page_width = Inches(8.5)
    section.page_height = Inches(11)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(1))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.keep_with_next = True
    # East Asian and complex-script fonts too, so LibreOffice does not substitute another face
    from docx.oxml.ns import qn

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        rpr = doc.styles[name].element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            continue
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
            fonts.attrib.pop(qn(attr), None)
    return 6.5


def _heading(doc: Any, text: str, level: int) -> None:
    doc.add_heading(text, level=level)


def render_docx(data: ReportData) -> bytes:
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    width = _setup(doc)
    doc.add_heading(data.title, level=0)
    stamp = doc.add_paragraph()
    stamp.add_run(
        f"Generated by Thematica from project state {data.state_hash} (coding layer: {data.layer})."
    ).italic = True

    _heading(doc, "Methods", 1)
    doc.add_paragraph(data.methods)

    _heading(doc, "Participants", 1)
    if data.participants is not None:
        _table(doc, data.participants, width)
    else:
        doc.add_paragraph(data.notes.get("participants", ""))

    _heading(doc, "Themes", 1)
    _table(doc, data.themes, width)
    _figure(doc, data.sem_figure, width)

    _heading(doc, "Inter-coder agreement", 1)
    if data.agreement_overall is not None:
        _table(doc, data.agreement_overall, width)
        if data.appendix:
            doc.add_paragraph("Agreement per code is given in the appendix (Table A1).")
    else:
        doc.add_paragraph(data.notes.get("agreement", ""))

    _heading(doc, "Saturation", 1)
    if data.saturation is not None and data.saturation.png:
        _figure(doc, data.saturation, width)
    if "saturation" in data.notes:
        doc.add_paragraph(data.notes["saturation"])

    _heading(doc, "Findings by theme", 1)
    if data.open_notice:
        notice = doc.add_paragraph()
        notice.add_run(data.open_notice).bold = True
    for s in data.sections:
        kind = "Theme" if s.kind == "theme" else "Subtheme"
        level = f" ({s.level} level)" if s.level and s.kind == "theme" else ""
        _heading(doc, f"{kind} {s.number}. {s.name}{level}", 2 if s.kind == "theme" else 3)
        if s.description:
            doc.add_paragraph(s.description)
        segments = "coded segment" if s.segments == 1 else "coded segments"
        doc.add_paragraph(f"Raised by {s.prevalence}, in {s.segments} {segments}.")
        for q in s.quotes:
            quote = doc.add_paragraph()
            quote.paragraph_format.left_indent = Inches(0.5)
            quote.paragraph_format.right_indent = Inches(0.5)
            quote.paragraph_format.space_after = Pt(0)
            quote.paragraph_format.keep_with_next = True
            quote.add_run(q.text).italic = True
            who = doc.add_paragraph(q.attribution)
            who.paragraph_format.left_indent = Inches(0.5)
        if not s.quotes:
            doc.add_paragraph().add_run("No coded excerpt to quote.").italic = True

    if data.appendix:
        from docx.enum.text import WD_BREAK

        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _heading(doc, "Appendix", 1)
        for table in data.appendix:
            _table(doc, table, width)

    doc.add_paragraph().add_run(
        f"State hash (SHA-256): {data.state_hash}. Regenerating this report from the same "
        "project state gives the same document."
    ).italic = True

    props = doc.core_properties
    props.author = "Thematica"
    props.last_modified_by = "Thematica"
    props.title = data.title
    props.subject = "Results draft"
    props.identifier = f"thematica-state:{data.state_hash}"
    props.keywords = "thematica results"
    props.comments = f"Project state {data.state_hash}"
    props.category = ""
    props.revision = 1
    as_of = data.as_of.replace(tzinfo=None)
    props.created = as_of
    props.modified = as_of
    props.last_printed = as_of
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue())
