"""CSV where each row is one response or transcript (survey exports, pre-split interviews)."""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from thematica.core.models import ParsedDocument
from thematica.core.text import detect_turns, normalise
from thematica.importers._common import fail, read_input
from thematica.importers.decode import decode_bytes
from thematica.importers.options import ImportOptions

if TYPE_CHECKING:
    from _csv import Reader

_DELIMITERS = (",", ";", "\t")
_TEXT_NAMES = frozenset({"text", "response", "answer", "transcript"})
_SNIFF_ROWS = 50


def _rows(text: str, delimiter: str) -> Reader:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _consistent_width(text: str, delimiter: str) -> int:
    """Column count if the first rows agree on it under ``delimiter``, else 0."""
    widths: set[int] = set()
    try:
        reader = _rows(text, delimiter)
        for index, row in enumerate(reader):
            if row:
                widths.add(len(row))
            if index >= _SNIFF_ROWS:
                break
    except csv.Error:
        return 0
    return widths.pop() if len(widths) == 1 else 0


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the first rows into the most, equally wide, columns.

    csv.Sniffer is avoided because commas inside quoted answers regularly mislead it.
    """
    best, best_width = ",", 1
    for delimiter in _DELIMITERS:
        width = _consistent_width(text, delimiter)
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _find_column(header: list[str], wanted: str, path: Path, what: str) -> int:
    if wanted in header:
        return header.index(wanted)
    folded = [i for i, name in enumerate(header) if name.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise fail(path, f"no {what} column {wanted!r} (columns: {', '.join(header)})")


def _text_column(header: list[str], path: Path, options: ImportOptions) -> int:
    if options.csv_text_column is not None:
        return _find_column(header, options.csv_text_column, path, "text")
    candidates = [i for i, name in enumerate(header) if name.casefold() in _TEXT_NAMES]
    if len(candidates) == 1:
        return candidates[0]
    raise fail(
        path,
        f"cannot tell which column holds the text (columns: {', '.join(header)}); "
        "name the text column",
        columns=list(header),
        hint="text_column",
    )


def check_width(width: int, path: Path | str, limit: int) -> None:
    """Refuse an over-wide table before any per-column work (one attribute per column)."""
    if width > limit:
        raise fail(
            path,
            f"the table has {width:,} columns, over the limit of {limit:,}; "
            "raise the limit if they are all wanted",
            columns=width,
            limit=limit,
            hint="max_columns",
        )


#: a column name becomes an attribute (or code) name: longer is a data row, not a header
MAX_COLUMN_NAME = 200


def check_column_name(name: str, index: int, path: Path | str) -> None:
    if len(name) > MAX_COLUMN_NAME:
        raise fail(
            path,
            f"column {index}'s name is {len(name):,} characters long (at most "
            f"{MAX_COLUMN_NAME}): {name[:40]!r}…; is the first row really the header?",
        )


def header_of(row: list[str], path: Path, limit: int) -> list[str]:
    """The stripped column names, refusing unnamed, repeated or too many columns."""
    check_width(len(row), path, limit)
    header = [name.strip() for name in row]
    for index, name in enumerate(header, start=1):
        if not name:
            raise fail(path, f"column {index} has no name in the header row")
        check_column_name(name, index, path)
    duplicates = sorted(name for name, n in Counter(header).items() if n > 1)
    if duplicates:
        raise fail(path, f"duplicate column names in the header: {', '.join(duplicates)}")
    return header


def open_rows(path: Path, options: ImportOptions) -> tuple[Reader, str]:
    """A CSV reader over the decoded, normalised file, and the encoding that decoded it."""
    data = read_input(path, options)
    raw, encoding = decode_bytes(data, path.name, options.encoding)
    text = normalise(raw)
    # Whole transcripts in one cell exceed csv's 128 KiB default field limit.
    csv.field_size_limit(max(csv.field_size_limit(), min(options.max_bytes, sys.maxsize)))
    return _rows(text, sniff_delimiter(text)), encoding


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    if options.csv_text_columns:
        from thematica.importers.survey import parse_wide

        return parse_wide(path, options)
    reader, encoding = open_rows(path, options)
    documents: list[ParsedDocument] = []
    try:
        header_row = next((row for row in reader if row), None)
        if header_row is None:
            raise fail(path, "the file has no text")
        header = header_of(header_row, path, options.max_columns)
        text_at = _text_column(header, path, options)
        id_at = (
            _find_column(header, options.csv_id_column, path, "id")
            if options.csv_id_column is not None
            else None
        )
        for row_number, row in enumerate(reader, start=1):
            if not row:
                continue
            if len(row) != len(header):
                raise fail(
                    path,
                    f"line {reader.line_num} has {len(row)} fields but the header has "
                    f"{len(header)}",
                )
            body = normalise(row[text_at]).strip()
            if not body:
                continue
            case = row[id_at].strip() if id_at is not None else ""
            attributes = {
                name: value.strip()
                for i, (name, value) in enumerate(zip(header, row, strict=True))
                if i not in (text_at, id_at) and value.strip()
            }
            documents.append(
                ParsedDocument(
                    name=f"{path.stem} row {case or row_number}",
                    text=body,
                    turns=detect_turns(body, options.speaker_pattern),
                    source_format="csv",
                    encoding=encoding,
                    source_path=str(path),
                    case=case or None,
                    attributes=attributes,
                )
            )
    except csv.Error as exc:
        raise fail(path, f"line {reader.line_num}: malformed CSV ({exc})") from exc
    if not documents:
        raise fail(path, f"no rows with text in column {header[text_at]!r}")
    return documents
