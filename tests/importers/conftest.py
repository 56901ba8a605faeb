"""Shared builders: real files written by the real libraries, in tmp_path."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

try:
    import thematica.core.text  # noqa: F401
except ModuleNotFoundError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


@pytest.fixture
def make_docx(tmp_path: Path) -> Callable[..., Path]:
    """Build a .docx with body paragraphs and, optionally, a table after them."""
    import docx

    def build(
        paragraphs: Sequence[str],
        table: Sequence[Sequence[str]] | None = None,
        after: Sequence[str] = (),
        name: str = "interview.docx",
    ) -> Path:
        document = docx.Document()
        for text in paragraphs:
            document.add_paragraph(text)
        if table is not None:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
        for text in after:
            document.add_paragraph(text)
        path = tmp_path / name
        document.save(str(path))
        return path

    return build


@pytest.fixture
def make_odt(tmp_path: Path) -> Callable[..., Path]:
    """Build an .odt from (kind, text) blocks, kind being "h" or "p"."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    def build(blocks: Sequence[tuple[str, str]], name: str = "interview.odt") -> Path:
        document = OpenDocumentText()
        for kind, text in blocks:
            element = H(outlinelevel=1, text=text) if kind == "h" else P(text=text)
            document.text.addElement(element)
        path = tmp_path / name
        document.save(str(path))
        return path

    return build


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Build a PDF with one page per entry; an empty string makes a page without text."""
    from fpdf import FPDF

    def build(
        pages: Sequence[str], name: str = "interview.pdf", user_password: str | None = None
    ) -> Path:
        pdf = FPDF()
        pdf.set_font("Helvetica", size=12)
        for text in pages:
            pdf.add_page()
            if text:
                pdf.multi_cell(0, 8, text)
            else:
                pdf.rect(20, 20, 100, 60, style="F")  # a drawing, but no text
        if user_password is not None:
            pdf.set_encryption(owner_password="owner", user_password=user_password)
        path = tmp_path / name
        pdf.output(str(path))
        return path

    return build


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return write
