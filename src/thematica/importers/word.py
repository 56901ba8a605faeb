"""Word .docx: body paragraphs and table cells, in reading order, one paragraph per line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from thematica.core.models import ParsedDocument
from thematica.importers._common import build_document, fail, read_input
from thematica.importers._zip import check_zip
from thematica.importers.options import ImportOptions

_INVALID = "not a valid Word document (corrupt or not a .docx file)"
_PARAGRAPH = qn("w:p")
# Containers whose paragraphs are part of the body text: tables (with nested tables), content
# controls and custom XML wrappers. Property elements (w:tblPr, w:tcPr, ...) are skipped.
_CONTAINERS = frozenset(
    qn(tag) for tag in ("w:tbl", "w:tr", "w:tc", "w:sdt", "w:sdtContent", "w:customXml")
)


def _paragraphs(element: Any, parent: Any) -> Iterator[str]:
    for child in element.iterchildren():
        if child.tag == _PARAGRAPH:
            yield Paragraph(child, parent).text
        elif child.tag in _CONTAINERS:
            yield from _paragraphs(child, parent)


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    check_zip(data, path, options, "word/document.xml", _INVALID)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_paragraphs(document.element.body, document))
    # The archive passed check_zip, so any failure inside python-docx (bad XML, missing part,
    # CRC error, wrong content type) is a malformed file, not a bug of ours.
    except Exception as exc:
        raise fail(path, f"{_INVALID}: {type(exc).__name__}") from exc
    return [build_document(path, "\n".join(lines), options, what="document")]
