"""Excel workbooks, one sheet per table, for every export that writes ``.xlsx``.

One writer for :class:`~thematica.core.tables.Table` results and for pandas DataFrames, so both
get the same cells: a bold frozen header, dates as Excel dates, lists joined with ``; ``,
missing values empty, control characters removed and text cut at Excel's cell limit.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thematica.core.tables import Table
from thematica.exporters.atomic import write_atomic
from thematica.exporters.tabular import flat_records

if TYPE_CHECKING:
    import pandas as pd

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters Excel refuses
XLSX_CELL_LIMIT = 32_767

#: A sheet: its column names and its rows of plain values.
Sheet = tuple[Sequence[str], Iterable[Sequence[Any]]]


def _cell(value: Any) -> Any:
    """A value as openpyxl should store it (``None`` = an empty cell)."""
    if value is None or isinstance(value, (bool, int, dt.date)):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN is missing
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if type(value).__name__ == "Timestamp":
        stamp = value.to_pydatetime()
        return stamp.date() if value == value.normalize() else stamp
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _cell(value.item())
    if isinstance(value, (list, tuple, set, frozenset)):
        value = "; ".join(str(v) for v in value)
    return _ILLEGAL.sub("", str(value))[:XLSX_CELL_LIMIT]


def text_cell(cell: Any) -> Any:
    """Keep a value that starts with "=" as text: openpyxl would store it as a formula, which
    a spreadsheet then runs (a quote such as "=HYPERLINK(…)" must stay a quote)."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
    return cell


def _sheet_name(name: str) -> str:
    return _BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet"


def sheets_to_xlsx(sheets: Mapping[str, Sheet]) -> bytes:
    """The workbook, streamed row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(_sheet_name(name))
        sheet.freeze_panes = "A2"
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=_cell(str(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            cells: list[Any] = []
            for value in row:
                value = _cell(value)
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    dated = WriteOnlyCell(sheet, value=value)
                    dated.number_format = "yyyy-mm-dd"
                    cells.append(dated)
                elif isinstance(value, str) and value.startswith("="):
                    cells.append(text_cell(WriteOnlyCell(sheet, value=value)))
                else:
                    cells.append(value)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tables_to_xlsx(sheets: Mapping[str, Table[Any]]) -> bytes:
    """One sheet per table; nested dicts (e.g. each coder's count) spread into columns."""
    prepared: dict[str, Sheet] = {}
    for name, table in sheets.items():
        columns, records = flat_records(table)
        prepared[name] = (columns, [[record.get(c) for c in columns] for record in records])
    return sheets_to_xlsx(prepared)


def frames_to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One sheet per DataFrame, rows streamed from the frame."""
    return sheets_to_xlsx(
        {
            name: ([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))
            for name, frame in sheets.items()
        }
    )


def write_xlsx(path: str | Path, sheets: Mapping[str, Table[Any]]) -> Path:
    """Write the workbook atomically (a crash never leaves half a file)."""
    return write_atomic(path, tables_to_xlsx(sheets))
