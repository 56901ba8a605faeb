"""Reading spreadsheets (CSV with detected encoding, XLSX) into header + rows of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import Counter
from pathlib import Path

from thematica.core.errors import InputError
from thematica.importers.csv_rows import check_column_name, check_width, sniff_delimiter
from thematica.importers.decode import decode_bytes

MAX_TABLE_BYTES = 100 * 1024 * 1024
#: Widest table read by default: each column becomes an attribute or a code.
MAX_COLUMNS = 1000


def read_table(
    path: Path, *, encoding: str | None = None, max_columns: int = MAX_COLUMNS
) -> tuple[list[str], list[list[str]]]:
    """Header and rows (all text, ``""`` for empty cells) from a .csv/.tsv/.xlsx file.

    A header wider than ``max_columns`` is refused before the rows are read.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise InputError(f"{path.name}: file is over the {MAX_TABLE_BYTES // 2**20} MB limit")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        header, rows = _read_xlsx(path, max_columns)
    elif suffix in {".csv", ".tsv", ".txt"}:
        header, rows = _read_csv(path, encoding, max_columns)
    else:
        raise InputError(f"{path.name}: expected a .csv or .xlsx file")
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{path.name}: the first row must hold the column names")
    header = [h.strip() for h in header]
    for index, name in enumerate(header, start=1):
        check_column_name(name, index, path)
    dupes = sorted(h for h, n in Counter(header).items() if h and n > 1)
    if dupes:
        raise InputError(f"{path.name}: column names appear twice: {', '.join(dupes)}")
    return header, rows


def _read_csv(
    path: Path, encoding: str | None, max_columns: int
) -> tuple[list[str], list[list[str]]]:
    text, _used = decode_bytes(path.read_bytes(), path.name, encoding)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_TABLE_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    all_rows: list[list[str]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if not all_rows:
                check_width(len(row), path, max_columns)
            all_rows.append(row)
    except csv.Error as exc:
        raise InputError(f"{path.name}: not valid CSV ({exc})") from exc
    if not all_rows:
        raise InputError(f"{path.name}: the file has no rows")
    header, rows = all_rows[0], all_rows[1:]
    for n, row in enumerate(rows, 2):
        if len(row) != len(header):
            raise InputError(
                f"{path.name}: row {n} has {len(row)} cells but the header has {len(header)}"
            )
    return header, rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, max_columns: int) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
        if total > 20 * MAX_TABLE_BYTES:
            raise InputError(f"{path.name}: the workbook unpacks to {total // 2**20} MB; refusing")
        wb = load_workbook(path, read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__})"
        ) from exc
    try:
        sheet = wb.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            if not rows:
                check_width(len(values), path, max_columns)
            rows.append([_cell(v) for v in values])
    except InputError:
        raise
    except Exception as exc:  # read-only mode parses the sheet only now, as rows are read
        raise InputError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__})"
        ) from exc
    finally:
        wb.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{path.name}: the first sheet is empty")
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return rows[0], rows[1:]
