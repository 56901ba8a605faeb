"""The first table of a Word document as a header and rows of text (codebooks kept in Word)."""

from __future__ import annotations

import io
from pathlib import Path

from thematica.core.errors import InputError
from thematica.importers._common import fail, read_input
from thematica.importers._zip import check_zip
from thematica.importers.csv_rows import check_width
from thematica.importers.options import ImportOptions

_INVALID = "not a valid Word document (corrupt or not a .docx file)"


def read_docx_table(
    path: Path, options: ImportOptions | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header (first row) and rows of the document's first table; a cell's paragraphs are
    joined with newlines. A cell merged across columns gives its text to the first of them;
    one merged down a column repeats it in each row (a parent named once for its children)."""
    import docx

    options = options or ImportOptions()
    data = read_input(path, options)
    check_zip(data, path, options, "word/document.xml", _INVALID)
    try:
        document = docx.Document(io.BytesIO(data))
        tables = document.tables
        if not tables:
            raise fail(path, "the document has no table (expected one row per code)")
        grid: list[list[str]] = []
        for row in tables[0].rows:
            cells = row.cells
            if not grid:
                check_width(len(cells), path, options.max_columns)
            seen: list[object] = []  # the cells' XML elements, kept alive so identity holds
            texts: list[str] = []
            for cell in cells:
                # a cell merged across columns is reported once per column: its text belongs to
                # the first only (a vertical merge repeating down a column is kept)
                first = not any(tc is cell._tc for tc in seen)
                seen.append(cell._tc)
                texts.append("\n".join(p.text for p in cell.paragraphs).strip() if first else "")
            grid.append(texts)
    except InputError:
        raise
    except Exception as exc:  # python-docx fails in many ways on a malformed part
        raise fail(path, f"{_INVALID}: {type(exc).__name__}") from exc
    grid = [row for row in grid if any(row)]
    if not grid:
        raise fail(path, "the table is empty")
    width = max(len(row) for row in grid)
    grid = [row + [""] * (width - len(row)) for row in grid]
    return grid[0], grid[1:]
