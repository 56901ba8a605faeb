"""The descriptive "Table 1" of a qualitative paper: who was interviewed, in counts and percents.

Percents are rounded half-up from the exact fraction with integer arithmetic, so a table
reads the same as a hand calculation (1/16 = 6.25 % prints as 6.3, not float's 6.2).
Every percent uses all cases as its denominator, missing values included, so each attribute's
rows add up to N.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thematica.core.filters import AttributeInfo, normalise_boolean, parse_date, parse_number
from thematica.core.models import AttributeType

__all__ = ["DescribeRow", "describe", "natural_key", "percent"]


def percent(n: int, total: int) -> float:
    """``100 * n / total`` to one decimal, rounded half-up exactly; 0.0 when ``total`` is 0."""
    if n < 0 or total < 0:
        raise ValueError(f"percent needs non-negative counts, got {n}/{total}")
    if total == 0:
        return 0.0
    tenths = (2000 * n + total) // (2 * total)  # floor(1000 n / total + 1/2)
    return tenths / 10


@dataclass(frozen=True, slots=True)
class DescribeRow:
    """One line of Table 1; ``value`` None is the attribute's "missing" row."""

    attribute: str
    value: str | None
    n: int
    percent: float


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Case-insensitive sort key with digit runs compared as numbers ("Site 2" < "Site 10")."""
    parts = _DIGITS.split(text.casefold())
    return tuple(
        (0, int(part), "") if i % 2 else (1, 0, part) for i, part in enumerate(parts) if part
    )


def _natural(value: str) -> tuple[Any, ...]:
    return (natural_key(value), value)


def _typed_sort(info: AttributeInfo) -> tuple[Callable[[str], object], Callable[[str], Any]]:
    """(grouping key, sort key) for a trimmed, non-missing value of this attribute.

    Values that do not parse as the attribute's type are kept (a Table 1 should show dirty data,
    not hide it) and sort after the valid ones, in natural order.
    """
    parse: Callable[[str], object | None]
    kind = info.type
    if kind is AttributeType.NUMERIC:
        parse = parse_number
    elif kind is AttributeType.DATE:
        parse = parse_date
    elif kind is AttributeType.BOOLEAN:

        def parse(v: str) -> object | None:
            b = normalise_boolean(v)
            return None if b is None else not b  # yes (False) sorts before no (True)

    else:
        return str.casefold, lambda v: (0, _natural(v))

    def group(v: str) -> object:
        parsed = parse(v)
        return ("text", v.casefold()) if parsed is None else ("typed", parsed)

    def sort(v: str) -> Any:
        parsed = parse(v)
        return (1, _natural(v)) if parsed is None else (0, parsed)

    return group, sort


def describe(
    attributes: Sequence[AttributeInfo], cases: Mapping[str, Mapping[str, str | None]]
) -> list[DescribeRow]:
    """Counts and percents of every value of every attribute, over all ``cases``.

    ``cases`` maps case id -> attribute name -> value; an absent, None, empty or
    whitespace-only value is missing, reported last as one row with ``value`` None (only when
    there are any). Values are trimmed. Values equal under the attribute's type count as one
    ("30" and "30.0"; "Rural" and "rural"), shown as spelled in ``order`` if listed there, as
    "yes"/"no" for booleans, else in the first spelling met. Order: the attribute's ``order``
    first (ordinal attributes also list its unused values, with n = 0), then the other values:
    numbers ascending, dates chronologically, yes before no, anything else in natural,
    case-insensitive order.
    """
    total = len(cases)
    rows: list[DescribeRow] = []
    for info in attributes:
        group, sort = _typed_sort(info)
        counts: dict[object, int] = {}
        spelling: dict[object, str] = {}
        missing = 0
        for values in cases.values():
            raw = values.get(info.name)
            value = raw.strip() if raw is not None else ""
            if not value:
                missing += 1
                continue
            key = group(value)
            counts[key] = counts.get(key, 0) + 1
            spelling.setdefault(key, value)

        ordered: list[tuple[str, int]] = []
        listed_keys: set[object] = set()
        for listed in info.order or ():
            key = group(listed.strip())
            if key in listed_keys:
                continue
            listed_keys.add(key)
            n = counts.pop(key, 0)
            if n or info.type is AttributeType.ORDINAL:
                ordered.append((listed.strip(), n))
        rest = sorted(counts, key=lambda k: sort(spelling[k]))
        ordered.extend((spelling[k], counts[k]) for k in rest)

        for value, n in ordered:
            if info.type is AttributeType.BOOLEAN:
                flag = normalise_boolean(value)
                value = value if flag is None else ("yes" if flag else "no")
            rows.append(DescribeRow(info.name, value, n, percent(n, total)))
        if missing:
            rows.append(DescribeRow(info.name, None, missing, percent(missing, total)))
    return rows
