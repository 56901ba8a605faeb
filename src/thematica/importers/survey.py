"""Wide survey tables: one row per respondent, one column per open question.

Each row becomes one document named by its id cell, holding one turn per answered question
(speaker = the column header). The document text is the answers as labelled paragraphs,
``"Q1: answer"`` separated by a blank line, so the text reads like a transcript; each turn's
span covers the *answer only* (not the ``Q1:`` label), so coding a whole turn codes exactly the
respondent's words. Blank answers are left out, the others keep the column order. The remaining
columns are the respondent's case attributes (their types are inferred over all rows when
stored).
"""

from __future__ import annotations

import csv
from pathlib import Path

from thematica.core.models import ParsedDocument, Turn
from thematica.core.text import normalise
from thematica.importers._common import fail
from thematica.importers.csv_rows import header_of, open_rows
from thematica.importers.options import ImportOptions

__all__ = ["ANSWER_SEPARATOR", "parse_wide"]

#: Between two labelled answers in a survey document's text.
ANSWER_SEPARATOR = "\n\n"
_SHOWN = 12
#: The longest speaker label the store keeps (``turn.speaker``).
MAX_SPEAKER = 200


def _columns_listed(header: list[str]) -> str:
    shown = ", ".join(header[:_SHOWN])
    return shown + (f", … ({len(header)} in all)" if len(header) > _SHOWN else "")


def _locate(header: list[str], wanted: str, path: Path, what: str) -> int:
    """Index of ``wanted`` (exact, else the one case-insensitive match)."""
    exact = {name: i for i, name in enumerate(header)}
    if wanted in exact:
        return exact[wanted]
    folded = [i for i, name in enumerate(header) if name.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise fail(path, f"no {what} column {wanted!r} (columns: {_columns_listed(header)})")


def answers_document(
    answers: list[tuple[str, str]],
) -> tuple[str, list[Turn]]:
    """Text and turns for (question, answer) pairs; answers are already normalised."""
    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for question, answer in answers:
        label = f"{question}: "
        start = offset + len(label)
        parts.append(label + answer)
        turns.append(Turn(start, start + len(answer), question))
        offset += len(label) + len(answer) + len(ANSWER_SEPARATOR)
    return ANSWER_SEPARATOR.join(parts), turns


def parse_wide(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    """One document per respondent row; see the module docstring for the layout."""
    wanted = [c.strip() for c in options.csv_text_columns or () if c.strip()]
    if not wanted:
        raise fail(path, "name at least one text column")
    if options.csv_id_column is None:
        raise fail(path, "a wide survey table needs an id column naming each respondent")
    reader, encoding = open_rows(path, options)
    documents: list[ParsedDocument] = []
    try:
        header_row = next((row for row in reader if row), None)
        if header_row is None:
            raise fail(path, "the file has no text")
        header = header_of(header_row, path, options.max_columns)
        text_at = [_locate(header, name, path, "text") for name in wanted]
        repeated = sorted({header[i] for i in text_at if text_at.count(i) > 1})
        if repeated:
            raise fail(path, f"text column {repeated[0]!r} is named twice")
        too_long = next((header[i] for i in text_at if len(header[i]) > MAX_SPEAKER), None)
        if too_long is not None:
            raise fail(
                path,
                f"text column {too_long[:40]!r}… has a header over {MAX_SPEAKER} characters, "
                "too long for a speaker label; shorten it in the file",
            )
        id_at = _locate(header, options.csv_id_column, path, "id")
        if id_at in text_at:
            raise fail(path, f"column {header[id_at]!r} cannot be both the id and a text column")
        skip = {*text_at, id_at}
        others = [(i, name) for i, name in enumerate(header) if i not in skip]
        seen: dict[str, int] = {}
        line = 1  # rows as a spreadsheet numbers them: the header is row 1
        for row in reader:
            if not row:
                continue
            line += 1
            if len(row) != len(header):
                raise fail(
                    path, f"row {line} has {len(row)} cells but the header has {len(header)}"
                )
            name = " ".join(row[id_at].split())
            if not name:
                raise fail(path, f"row {line}: the id column {header[id_at]!r} is empty")
            if name in seen:
                raise fail(
                    path,
                    f"row {line}: id {name!r} in column {header[id_at]!r} already "
                    f"appears in row {seen[name]}",
                )
            seen[name] = line
            answers = [(header[i], normalise(row[i]).strip()) for i in text_at]
            text, turns = answers_document([(q, a) for q, a in answers if a])
            documents.append(
                ParsedDocument(
                    name=name,
                    text=text,
                    turns=turns,
                    source_format="csv",
                    encoding=encoding,
                    source_path=str(path),
                    case=name,
                    attributes={h: row[i].strip() for i, h in others if row[i].strip()},
                    metadata={"row": str(line)},
                )
            )
    except csv.Error as exc:
        raise fail(path, f"line {reader.line_num}: malformed CSV ({exc})") from exc
    if not documents:
        raise fail(path, "the table has no rows")
    return documents
