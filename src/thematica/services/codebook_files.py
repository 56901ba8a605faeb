"""Codebook files: YAML trees and tables (CSV, XLSX, Word) read into specs and written back.

A table has one row per code. Its hierarchy comes from a ``parent`` column (the parent's path or
unique name; blank = top level) next to ``name``, so a ``/`` inside a name such as "optimism /
positivity" never makes a subcode. A ``path`` column alone is split on a separator, ``/`` unless
the caller names another (``" > "``, ``"\\"``). Exports write ``path``, ``name`` and ``parent``
(path for reading; on import ``name`` and ``parent`` decide, and a ``path`` that disagrees
with them is an error rather than silently ignored).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from thematica.core.codebook import (
    FIELDS,
    PATH_SEP,
    CodeSpec,
    FieldValue,
    check_fields,
    check_name,
    join_path,
    specs_from_tree,
)
from thematica.core.errors import InputError

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex

#: Columns of an exported codebook table, in order (``path`` is there for human readers).
TABLE_COLUMNS = ("path", "name", "parent", *FIELDS)
#: Every column a codebook table may have.
KNOWN_COLUMNS = frozenset(TABLE_COLUMNS)
#: Headers Word and spreadsheet codebooks often use for the same columns.
ALIASES = {
    "code": "name",
    "code name": "name",
    "parent code": "parent",
    "description": "definition",
}
MAX_CODEBOOK_CHARS = 5_000_000
FORMAT_VERSION = 1
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".docx")


class _PlainLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases, which a codebook never needs and which let a
    small hostile file expand into an enormous tree (the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise InputError("YAML aliases (*name) are not allowed in a codebook file")
        return super().compose_node(parent, index)


def parse_yaml(text: str, name: str, sem_levels: Sequence[str]) -> list[CodeSpec]:
    if len(text) > MAX_CODEBOOK_CHARS:
        raise InputError(f"{name}: a codebook file over {MAX_CODEBOOK_CHARS:,} characters")
    try:
        data = yaml.load(text, Loader=_PlainLoader)  # a SafeLoader subclass
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"{name}: not valid YAML{line}") from exc
    if not isinstance(data, dict) or "codes" not in data:
        raise InputError(f"{name}: a codebook file needs a top-level 'codes:' list")
    wanted = data.get("sem_levels") or []
    unknown = [lvl for lvl in wanted if str(lvl).lower() not in sem_levels]
    if unknown:
        raise InputError(
            f"{name}: uses SEM levels this project lacks: {', '.join(map(str, unknown))}"
        )
    try:
        return specs_from_tree(data["codes"], sem_levels)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from exc


@dataclass(slots=True)
class _Row:
    number: int
    name: str
    parent: str
    path: str
    values: dict[str, FieldValue]


class _Loop(InputError):
    """A parent chain that comes back to where it started."""


class _TableTree:
    """Rows with ``name`` and ``parent`` resolved into a tree of specs."""

    def __init__(self, rows: list[_Row], index: CodeIndex | None, file: str) -> None:
        self.rows = rows
        self.index = index
        self.file = file
        self.by_name: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            self.by_name.setdefault(row.name.casefold(), []).append(i)
        self.parts: dict[int, list[str]] = {}
        self.visiting: set[int] = set()

    def _fail(self, row: _Row, message: str) -> InputError:
        return InputError(f"{self.file}: row {row.number}: {message}")

    def path_of(self, i: int) -> list[str]:
        """Names from the root to row ``i``'s code (its parents resolved first)."""
        if i in self.parts:
            return self.parts[i]
        row = self.rows[i]
        if i in self.visiting:
            raise _Loop(
                f"{self.file}: row {row.number}: code {row.name!r} is its own ancestor "
                "(a parent loop)"
            )
        self.visiting.add(i)
        try:
            parts = [*self._parent_parts(row), row.name] if row.parent else [row.name]
        finally:
            self.visiting.discard(i)
        self.parts[i] = parts
        return parts

    def _parent_parts(self, row: _Row) -> list[str]:
        ref = " ".join(row.parent.split())
        folded = ref.casefold()
        # 1. a code of this file whose full path is the reference (names may hold "/", so only
        #    rows whose name ends the reference can be it)
        by_path = [
            i
            for i, other in enumerate(self.rows)
            if folded.endswith(other.name.casefold())
            and other is not row
            and self._path_is(i, folded)
        ]
        if len(by_path) == 1:
            return self.path_of(by_path[0])
        # 2. a code of this file with that name
        named = [i for i in self.by_name.get(folded, []) if self.rows[i] is not row]
        if len(named) == 1:
            return self.path_of(named[0])
        if len(by_path) > 1 or len(named) > 1:
            rows = sorted(self.rows[i].number for i in (by_path or named))
            raise self._fail(
                row, f"parent {ref!r} could be the codes of rows {', '.join(map(str, rows))}"
            )
        # 3. a code already in the codebook (by path or unique name)
        if self.index is not None:
            try:
                found = self.index.find(ref)
            except InputError as exc:
                raise self._fail(row, str(exc)) from exc
            if found is not None:
                return self.index.chain(found)
        raise self._fail(row, f"parent {ref!r} is neither a code in this file nor in the codebook")

    def _path_is(self, i: int, folded: str) -> bool:
        try:
            return join_path(self.path_of(i)).casefold() == folded
        except _Loop:  # a code below this row cannot be its parent
            return False

    def specs(self) -> list[CodeSpec]:
        roots: list[CodeSpec] = []
        nodes: dict[tuple[str, ...], CodeSpec] = {}
        owner: dict[tuple[str, ...], int] = {}
        for i, row in enumerate(self.rows):
            parts = self.path_of(i)
            if row.path and " ".join(row.path.split()).casefold() != join_path(parts).casefold():
                raise self._fail(
                    row,
                    f"path {row.path!r} does not match name and parent ({join_path(parts)!r}); "
                    "correct one of them",
                )
            key = tuple(p.casefold() for p in parts)
            if key in owner:
                raise self._fail(
                    row,
                    f"code {join_path(parts)!r} is listed twice (rows {owner[key]} and "
                    f"{row.number})",
                )
            owner[key] = row.number
            spec = _node(nodes, roots, parts)
            for k, v in row.values.items():
                setattr(spec, k, v)
        return roots


def _node(
    nodes: dict[tuple[str, ...], CodeSpec], roots: list[CodeSpec], parts: list[str]
) -> CodeSpec:
    """The spec at ``parts``, creating bare specs for the levels above it."""
    siblings = roots
    spec: CodeSpec | None = None
    for depth in range(len(parts)):
        key = tuple(p.casefold() for p in parts[: depth + 1])
        if key not in nodes:
            nodes[key] = CodeSpec(name=parts[depth])
            siblings.append(nodes[key])
        spec = nodes[key]
        siblings = spec.children
    assert spec is not None
    return spec


def parse_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    name: str,
    sem_levels: Sequence[str],
    *,
    index: CodeIndex | None = None,
    path_separator: str | None = None,
) -> list[CodeSpec]:
    """Specs from a codebook table (see the module docstring for its columns)."""
    header = [" ".join(h.split()).lower() for h in header]
    header = [h if h in KNOWN_COLUMNS else ALIASES.get(h, h) for h in header]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError(f"{name}: column {repeated[0]!r} appears twice (or under two names)")
    unknown = [h for h in header if h and h not in KNOWN_COLUMNS]
    if unknown:
        raise InputError(
            f"{name}: unknown columns {', '.join(unknown)} (known: {', '.join(TABLE_COLUMNS)})"
        )
    has_name = "name" in header
    if not has_name and "path" not in header:
        raise InputError(f"{name}: a codebook table needs a 'name' column (or a 'path' column)")
    if "parent" in header and not has_name:
        raise InputError(f"{name}: a 'parent' column needs a 'name' column beside it")
    if has_name and path_separator not in (None, PATH_SEP):
        raise InputError(f"{name}: a path separator only applies to a table without 'name'")
    separator = path_separator or PATH_SEP
    if not separator.strip():
        raise InputError("the path separator cannot be blank")
    parsed: list[_Row] = []
    roots: list[CodeSpec] = []
    nodes: dict[tuple[str, ...], CodeSpec] = {}
    for n, cells in enumerate(rows, 2):
        data = dict(zip(header, cells, strict=True))
        if not any(str(v).strip() for v in data.values()):
            continue
        try:
            values = check_fields({k: v for k, v in data.items() if k in FIELDS}, sem_levels)
        except InputError as exc:
            raise InputError(f"{name}: row {n}: {exc}") from exc
        if has_name:
            if not data["name"].strip():
                raise InputError(f"{name}: row {n} has an empty name")
            parsed.append(
                _Row(
                    n,
                    check_name(data["name"]),
                    data.get("parent", "").strip(),
                    data.get("path", "").strip(),
                    values,
                )
            )
            continue
        parts = [check_name(p) for p in data["path"].split(separator) if p.strip()]
        if not parts:
            raise InputError(f"{name}: row {n} has an empty path")
        spec = _node(nodes, roots, parts)
        for k, v in values.items():
            setattr(spec, k, v)
    return _TableTree(parsed, index, name).specs() if has_name else roots


def _cell(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    return value or ""


def table_rows(specs: Sequence[CodeSpec]) -> list[list[str]]:
    """One row per code, depth first, in :data:`TABLE_COLUMNS` order."""
    out: list[list[str]] = []

    def visit(items: Sequence[CodeSpec], parent: str) -> None:
        for spec in items:
            path = join_path([parent, spec.name]) if parent else spec.name
            fields = spec.fields()
            out.append([path, spec.name, parent, *(_cell(fields[f]) for f in FIELDS)])
            visit(spec.children, path)

    visit(specs, "")
    return out


def yaml_text(specs: Sequence[CodeSpec], project_name: str, sem_levels: Sequence[str]) -> str:
    from thematica.core.codebook import tree_to_data

    data = {
        "thematica_codebook": FORMAT_VERSION,
        "name": project_name,
        "sem_levels": list(sem_levels),
        "codes": tree_to_data(specs),
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def csv_text(specs: Sequence[CodeSpec]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(table_rows(specs))
    return buf.getvalue()


def read_table_file(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a codebook table in any of :data:`TABLE_SUFFIXES`."""
    if path.suffix.lower() == ".docx":
        from thematica.importers.docx_grid import read_docx_table

        return read_docx_table(path)
    from thematica.services.tabular import read_table

    return read_table(path)
