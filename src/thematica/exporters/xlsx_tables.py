"""Several :class:`~thematica.core.tables.Table` results as one Excel workbook, a sheet each."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from thematica.core.tables import Table
from thematica.exporters.atomic import write_atomic
from thematica.exporters.tabular import flat_records

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters Excel refuses


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        value = "; ".join(str(v) for v in value)
    return _ILLEGAL.sub("", str(value))


def tables_to_xlsx(sheets: Mapping[str, Table[Any]]) -> bytes:
    """A workbook with one sheet per table: a bold header row, then one row per record.

    Nested dicts (e.g. each coder's count) are spread into columns as in the CSV output.
    Sheet names are cut to Excel's 31 characters and cleaned of the characters it refuses.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, table in sheets.items():
        sheet = workbook.create_sheet(_BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet")
        columns, records = flat_records(table)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for record in records:
            sheet.append([_cell(record.get(c)) for c in columns])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(path: str | Path, sheets: Mapping[str, Table[Any]]) -> Path:
    """Write the workbook atomically (a crash never leaves half a file)."""
    return write_atomic(path, tables_to_xlsx(sheets))
