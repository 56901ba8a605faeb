"""Rendering :class:`~thematica.core.tables.Table` results as CSV, JSON and Markdown text."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from thematica.core.tables import Table


def flat_records(table: Table[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Records with nested dicts spread into columns (case attributes) and lists joined."""
    records = table.records()
    columns: list[str] = []
    out: list[dict[str, Any]] = []
    for rec in records:
        flat: dict[str, Any] = {}
        for key, value in rec.items():
            if isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        for key in flat:
            if key not in columns:
                columns.append(key)
        out.append(flat)
    if not records:
        columns = list(table.columns)
    return columns, out


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.1f}" if value == round(value, 1) else f"{value:g}"
    return str(value)


def to_csv(table: Table[Any]) -> str:
    columns, records = flat_records(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([cell_text(rec.get(c)) for c in columns])
    return buf.getvalue()


def to_json(table: Table[Any]) -> str:
    return json.dumps(table.records(), ensure_ascii=False, indent=2, default=str) + "\n"


def _md_cell(value: Any) -> str:
    return cell_text(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table[Any]) -> str:
    columns, records = flat_records(table)
    lines = []
    if table.title:
        lines += [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for rec in records:
        lines.append("| " + " | ".join(_md_cell(rec.get(c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def excerpts_markdown(table: Table[Any]) -> str:
    """Coded excerpts as block quotes attributed the way a results section quotes them."""
    blocks = []
    for row in table.rows:
        quote = "\n".join("> " + line if line else ">" for line in row.text.strip().split("\n"))
        source = f"{row.document}, {row.start}\u2013{row.end}; {', '.join(row.codes)}"
        blocks.append(f"{quote}\n>\n> {row.attribution}\n\n<small>{source}</small>\n")
    return "\n".join(blocks)
