"""Case-attribute filters such as ``county_type in (Rural, Suburban)`` or ``age > 30``.

:func:`parse_filter` turns one filter into a :class:`Condition`; :func:`matches` tests a case's
value against it, comparing by the attribute's type so that ``age > 9`` is numeric,
``time_in_role >= "1-3 years"`` follows the ordinal order and ``lived_experience = yes`` also
matches ``Y`` or ``true``.

Syntax: ``ATTRIBUTE OPERATOR VALUE``. The attribute is a bare name or quoted; the operators are
``=`` (or ``==``), ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in (V1, V2, ...)``, ``is missing``
and ``is not missing`` (keywords case-insensitive). A value is quoted ("..." or '...', with a
backslash escaping the quote) or bare: for a comparison the rest of the text, for ``in`` the
text up to the next comma or ')'. Bare values are trimmed and inner whitespace runs collapse
to one space.

A missing value (``None``, empty or whitespace-only) matches only ``is missing``: in particular
``!=`` does not match it, because "not Rural" should not silently include unknown cases.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

from thematica.core.errors import InputError, QuerySyntaxError
from thematica.core.models import AttributeType

__all__ = [
    "AttributeInfo",
    "Condition",
    "Operator",
    "matches",
    "normalise_boolean",
    "parse_date",
    "parse_filter",
    "parse_number",
]

Operator: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">=", "in", "is missing", "is not missing"]

#: Ordering comparisons; both sides are then the same comparable type (float, date or int).
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITY: dict[str, tuple[int, int | None]] = {
    "=": (1, 1),
    "!=": (1, 1),
    "<": (1, 1),
    "<=": (1, 1),
    ">": (1, 1),
    ">=": (1, 1),
    "in": (1, None),
    "is missing": (0, 0),
    "is not missing": (0, 0),
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed filter: ``attribute op values`` (no values for the ``is missing`` forms)."""

    attribute: str
    op: Operator
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        low, high = _ARITY[self.op]
        if len(self.values) < low or (high is not None and len(self.values) > high):
            raise ValueError(f"operator {self.op!r} cannot take {len(self.values)} value(s)")


@dataclass(frozen=True, slots=True)
class AttributeInfo:
    """What a filter or a Table 1 needs to know about an attribute to compare its values."""

    name: str
    type: AttributeType
    #: The ranked values of an ordinal attribute (or a preferred display order), else None.
    order: tuple[str, ...] | None = None


# --------------------------------------------------------------------------- parsing

_OPERATOR_HINT = "=, !=, <, <=, >, >=, in (...), is missing or is not missing"
_SYMBOLS: dict[str, Operator] = {
    "==": "=",
    "!=": "!=",
    "<=": "<=",
    ">=": ">=",
    "=": "=",
    "<": "<",
    ">": ">",
}
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in _SYMBOLS))
_BARE_ATTRIBUTE_RE = re.compile(r"[^\s=!<>()\"',]+")
_WORD_RE = re.compile(r"[A-Za-z]+")


def _error(message: str, pos: int) -> QuerySyntaxError:
    return QuerySyntaxError(f"{message} at position {pos + 1}")


class _Scanner:
    """Cursor over the filter text; positions in errors are 1-based."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word(self) -> str:
        """The next run of letters (lower-cased), consumed; '' when there is none."""
        self.skip_space()
        match = _WORD_RE.match(self.text, self.pos)
        if not match:
            return ""
        self.pos = match.end()
        return match.group().lower()

    def quoted(self) -> str:
        quote, start = self.text[self.pos], self.pos
        self.pos += 1
        chars: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise _error(f"unterminated quote {quote} starting", start)
            ch = self.text[self.pos]
            nxt = self.text[self.pos + 1 : self.pos + 2]
            if ch == "\\" and nxt in (quote, "\\"):
                chars.append(nxt)
                self.pos += 2
            elif ch == quote:
                self.pos += 1
                return "".join(chars)
            else:
                chars.append(ch)
                self.pos += 1

    def bare_until(self, stops: str) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stops:
            self.pos += 1
        return " ".join(self.text[start : self.pos].split())


def parse_filter(text: str) -> Condition:
    """Parse one attribute filter; raises :class:`QuerySyntaxError` saying what and where."""
    scan = _Scanner(text)
    if scan.at_end():
        raise QuerySyntaxError("empty filter: expected ATTRIBUTE OPERATOR VALUE, as in age > 30")

    # Attribute name.
    start = scan.pos
    if scan.peek() in ("'", '"'):
        attribute = scan.quoted().strip()
    else:
        match = _BARE_ATTRIBUTE_RE.match(text, scan.pos)
        if not match:
            raise _error("expected an attribute name", scan.pos)
        attribute = match.group()
        scan.pos = match.end()
    if not attribute:
        raise _error("empty attribute name", start)

    # Operator.
    if scan.at_end():
        raise _error(f"expected an operator ({_OPERATOR_HINT}) after {attribute!r}", scan.pos)
    op_pos = scan.pos
    symbol = _SYMBOL_RE.match(text, scan.pos)
    op: Operator
    if symbol:
        scan.pos = symbol.end()
        op = _SYMBOLS[symbol.group()]
    else:
        word = scan.word()
        if word == "in":
            op = "in"
        elif word == "is":
            after_is = scan.word()
            if after_is == "missing":
                op = "is missing"
            elif after_is == "not" and scan.word() == "missing":
                op = "is not missing"
            else:
                raise _error("expected 'is missing' or 'is not missing'", op_pos)
        else:
            raise _error(f"expected an operator ({_OPERATOR_HINT}) after {attribute!r}", op_pos)

    # Values.
    values: tuple[str, ...] = ()
    if op == "in":
        values = _parse_list(scan, attribute)
    elif op not in ("is missing", "is not missing"):
        values = (_parse_value(scan, op),)
    if not scan.at_end():
        raise _error(f"unexpected text {text[scan.pos :]!r}", scan.pos)
    return Condition(attribute, op, values)


def _parse_value(scan: _Scanner, op: str) -> str:
    if scan.at_end():
        raise _error(f"expected a value after {op!r}", scan.pos)
    if scan.peek() in ("'", '"'):
        return scan.quoted()
    return scan.bare_until("")


def _parse_list(scan: _Scanner, attribute: str) -> tuple[str, ...]:
    if scan.peek() != "(":
        raise QuerySyntaxError(
            f"'in' needs a list in parentheses, as in {attribute} in (Rural, Suburban) "
            f"(position {scan.pos + 1})"
        )
    scan.pos += 1
    values: list[str] = []
    while True:
        if scan.at_end():
            raise _error("unbalanced parenthesis: the list is never closed", scan.pos)
        item_pos = scan.pos
        if scan.peek() in ("'", '"'):
            value = scan.quoted()
        else:
            value = scan.bare_until(",)")
            if not value:
                raise _error("expected a value in the list", item_pos)
        values.append(value)
        sep = scan.peek()
        if sep == ")":
            scan.pos += 1
            return tuple(values)
        if sep != ",":
            if sep == "":
                raise _error("unbalanced parenthesis: the list is never closed", scan.pos)
            raise _error("expected ',' or ')' in the list", scan.pos)
        scan.pos += 1


# --------------------------------------------------------------------------- matching

_TRUE = frozenset({"yes", "true", "1", "y"})
_FALSE = frozenset({"no", "false", "0", "n"})


def normalise_boolean(value: str) -> bool | None:
    """``yes/no/true/false/1/0/y/n`` (any case, trimmed) as a bool; None if not a boolean."""
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return None


def _categorical_key(value: str) -> str:
    return value.strip().casefold()


def parse_number(value: str) -> float | None:
    """A finite number written as Python's ``float`` reads it, or None."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_date(value: str) -> date | None:
    """An ISO 8601 calendar date (``2026-03-01``), or None."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _converter(info: AttributeInfo) -> tuple[Callable[[str], object | None], str]:
    """How to read a value of this attribute, and what to call a valid one in errors."""
    kind = info.type
    if kind is AttributeType.NUMERIC:
        return parse_number, "a number"
    if kind is AttributeType.DATE:
        return parse_date, "an ISO date (YYYY-MM-DD)"
    if kind is AttributeType.BOOLEAN:
        return normalise_boolean, "yes or no"
    if kind is AttributeType.ORDINAL and info.order is not None:
        positions = {_categorical_key(v): i for i, v in enumerate(info.order)}
        allowed = ", ".join(info.order)
        return (lambda v: positions.get(_categorical_key(v))), f"one of: {allowed}"
    return _categorical_key, "a value"


def matches(cond: Condition, info: AttributeInfo, value: str | None) -> bool:
    """Whether a case whose ``info.name`` attribute is ``value`` passes ``cond``.

    The condition is checked against the attribute's type before the value is looked at, so
    a bad filter fails on every case, not only on cases that happen to have a value.
    """
    if cond.op in _ORDERINGS:
        if info.type in (AttributeType.CATEGORICAL, AttributeType.BOOLEAN):
            raise InputError(f"attribute {info.name} is {info.type.value}; use =, != or in")
        if info.type is AttributeType.ORDINAL and info.order is None:
            raise InputError(
                f"attribute {info.name} is ordinal but has no order of values; use =, != or in"
            )
    convert, expected = _converter(info)
    wanted: list[object] = []
    for raw in cond.values:
        converted = convert(raw)
        if converted is None:
            raise InputError(
                f"attribute {info.name} is {info.type.value}: {raw!r} is not {expected}"
            )
        wanted.append(converted)

    missing = value is None or not value.strip()
    if cond.op == "is missing":
        return missing
    if cond.op == "is not missing":
        return not missing
    if value is None or missing:
        return False
    actual = convert(value)
    if actual is None:
        raise InputError(
            f"attribute {info.name} is {info.type.value} but a case has {value!r}, "
            f"which is not {expected}"
        )
    if cond.op == "=":
        return actual == wanted[0]
    if cond.op == "!=":
        return actual != wanted[0]
    if cond.op == "in":
        return actual in wanted
    return _ORDERINGS[cond.op](actual, wanted[0])
