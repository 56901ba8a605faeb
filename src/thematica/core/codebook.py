"""Codebook documents and their comparison, independent of storage.

A codebook travels as a tree of :class:`CodeSpec` (YAML/CSV/XLSX/DOCX files, templates,
snapshots of a frozen version). Codes are addressed by *path*: names from the root joined by
``/``, or by a unique name. A name may itself contain ``/``; lookups try the exact path and name
before splitting, and report a term that could mean two codes as ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thematica.core.errors import InputError
from thematica.core.models import Origin

PATH_SEP = "/"
TEXT_FIELDS = ("definition", "inclusion", "exclusion", "example", "memo")
#: Every field a user can set on a code, in the order files list them.
FIELDS = (
    "definition",
    "inclusion",
    "exclusion",
    "example",
    "origin",
    "sem_level",
    "colour",
    "memo",
    "exclusive",
)
#: Fields holding a yes/no value (``None`` in a file means "not stated": an import leaves it).
BOOL_FIELDS = ("exclusive",)
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0"}
#: A code field's cleaned value: text, yes/no, or ``None`` (not set).
FieldValue = str | bool | None
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(slots=True)
class CodeSpec:
    """One code as written in a codebook file, with its children."""

    name: str
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""
    origin: str | None = None
    sem_level: str | None = None
    colour: str | None = None
    memo: str = ""
    #: the direct subcodes are mutually exclusive alternatives; ``None``: the file does not say
    exclusive: bool | None = None
    children: list[CodeSpec] = field(default_factory=list)

    def fields(self) -> dict[str, FieldValue]:
        return {f: getattr(self, f) for f in FIELDS}


def join_path(parts: Iterable[str]) -> str:
    return PATH_SEP.join(parts)


def split_path(path: str) -> list[str]:
    return [p.strip() for p in path.split(PATH_SEP) if p.strip()]


def check_name(name: str) -> str:
    """A code name, whitespace collapsed. It may contain ``/`` ("optimism / positivity"): a
    name is always one code; only ``parent`` (or an explicit path separator) makes subcodes."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("a code needs a name")
    if len(cleaned) > 300:
        raise InputError(f"code name {cleaned[:40]!r}... is longer than 300 characters")
    return cleaned


def parse_bool(raw: Any, what: str) -> bool | None:
    """A yes/no cell or YAML value; blank means "not stated" (``None``)."""
    if raw is None or isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"{what} must be true or false, not {str(raw)!r}")


def check_fields(
    values: Mapping[str, Any], sem_levels: Sequence[str], where: str = ""
) -> dict[str, FieldValue]:
    """Validate user-supplied code fields; returns them cleaned (empty optional -> None)."""
    out: dict[str, FieldValue] = {}
    prefix = f"{where}: " if where else ""
    for key, raw in values.items():
        if key not in FIELDS:
            raise InputError(f"{prefix}unknown code field {key!r} (known: {', '.join(FIELDS)})")
        if key in BOOL_FIELDS:
            try:
                out[key] = parse_bool(raw, key)
            except InputError as exc:
                raise InputError(f"{prefix}{exc}") from exc
            continue
        value = None if raw is None else str(raw).strip()
        if key in TEXT_FIELDS:
            out[key] = value or ""
            continue
        if not value:
            out[key] = None
        elif key == "origin":
            if value.lower() not in {o.value for o in Origin}:
                raise InputError(f"{prefix}origin must be deductive or inductive, not {value!r}")
            out[key] = value.lower()
        elif key == "sem_level":
            if value.lower() not in sem_levels:
                raise InputError(
                    f"{prefix}unknown SEM level {value!r} (this project has: "
                    f"{', '.join(sem_levels)})"
                )
            out[key] = value.lower()
        else:  # colour
            if not _COLOUR.match(value):
                raise InputError(f"{prefix}colour must look like #1b9e77, not {value!r}")
            out[key] = value.lower()
    return out


def specs_from_tree(items: Any, sem_levels: Sequence[str], where: str = "codes") -> list[CodeSpec]:
    """Build specs from the nested ``codes:`` list of a YAML codebook, validating every field."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"{where} must be a list of codes")
    specs: list[CodeSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{here} must be a mapping with at least a name")
        name = check_name(str(item.get("name") or ""))
        if name.casefold() in seen:
            raise InputError(f"{here}: code {name!r} appears twice under the same parent")
        seen.add(name.casefold())
        values = {k: v for k, v in item.items() if k not in {"name", "children"}}
        spec = CodeSpec(name=name, **check_fields(values, sem_levels, f"{here} ({name})"))  # type: ignore[arg-type]
        spec.children = specs_from_tree(item.get("children"), sem_levels, f"{here}.children")
        specs.append(spec)
    return specs


def tree_to_data(specs: Sequence[CodeSpec]) -> list[dict[str, Any]]:
    """The inverse of :func:`specs_from_tree`, omitting empty fields for readable YAML."""
    out = []
    for spec in specs:
        item: dict[str, Any] = {"name": spec.name}
        item.update({k: v for k, v in spec.fields().items() if v})
        if spec.children:
            item["children"] = tree_to_data(spec.children)
        out.append(item)
    return out


def walk(specs: Sequence[CodeSpec], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, CodeSpec]]:
    """Depth-first (path, spec) pairs, parents before children."""
    for spec in specs:
        path = (*prefix, spec.name)
        yield join_path(path), spec
        yield from walk(spec.children, path)


@dataclass(frozen=True, slots=True)
class CodebookChange:
    """One difference between two codebook versions."""

    change: str  # added | removed | renamed | moved | changed
    path: str
    field: str | None = None
    old: str | None = None
    new: str | None = None


def diff_snapshots(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[CodebookChange]:
    """Compare two flat snapshots (rows with id, path, name, parent path and fields).

    Codes are matched by their stable id, so a renamed or moved code is reported as such rather
    than as one removal plus one addition.
    """
    old_by_id = {row["id"]: row for row in old}
    new_by_id = {row["id"]: row for row in new}
    changes: list[CodebookChange] = []
    for row in new:
        before = old_by_id.get(row["id"])
        if before is None:
            changes.append(CodebookChange("added", row["path"]))
            continue
        if before["name"] != row["name"]:
            changes.append(
                CodebookChange("renamed", row["path"], "name", before["name"], row["name"])
            )
        if before["parent"] != row["parent"]:
            changes.append(
                CodebookChange("moved", row["path"], "parent", before["parent"], row["parent"])
            )
        for key in FIELDS:
            if (before.get(key) or None) != (row.get(key) or None):
                changes.append(
                    CodebookChange("changed", row["path"], key, before.get(key), row.get(key))
                )
    for row in old:
        if row["id"] not in new_by_id:
            changes.append(CodebookChange("removed", row["path"]))
    return changes
