"""Typed case attributes: inferring a type from a spreadsheet column and storing values canonically.

Values are stored as text in one canonical spelling per type (numbers without trailing zeros,
ISO dates, ``yes``/``no``) so that filters and Table 1 see one value, not three spellings of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from thematica.core.errors import InputError
from thematica.core.models import AttributeType

_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_missing(value: str | None) -> bool:
    return value is None or not str(value).strip()


def _as_bool(value: str) -> str | None:
    low = value.strip().lower()
    if low in _TRUE:
        return "yes"
    if low in _FALSE:
        return "no"
    return None


def _as_number(value: str) -> str | None:
    text = value.strip().replace(",", "") if value.count(",") and "." in value else value.strip()
    if not _NUMBER.match(text):
        return None
    number = float(text)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


#: dates with the month as a word are unambiguous ("3-Jul-20", "3 July 2020", "Jul 3, 2020");
#: all-number forms other than ISO (07/03/2020) are not, so they stay text
_NAMED_MONTH = (
    "%d-%b-%y", "%d-%b-%Y", "%d-%B-%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
)  # fmt: skip


def _as_date(value: str) -> str | None:
    text = value.strip()
    for parse in (dt.date.fromisoformat, lambda s: dt.datetime.fromisoformat(s).date()):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    if not any(ch.isalpha() for ch in text):
        return None
    for form in _NAMED_MONTH:
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    return None


def infer_type(values: Iterable[str | None]) -> AttributeType:
    """The narrowest type every non-missing value fits; categorical when nothing narrower does."""
    present = [str(v).strip() for v in values if not is_missing(v)]
    if not present:
        return AttributeType.CATEGORICAL
    # Booleans first: a column of 0/1 reads better as yes/no than as numbers.
    if all(_as_bool(v) for v in present) and {v.lower() for v in present} - {"0", "1"}:
        return AttributeType.BOOLEAN
    if all(_as_number(v) is not None for v in present):
        return AttributeType.NUMERIC
    if all(_as_date(v) is not None for v in present):
        return AttributeType.DATE
    return AttributeType.CATEGORICAL


def canonical(
    value: str | None, kind: AttributeType, order: Sequence[str] | None = None, name: str = ""
) -> str | None:
    """The stored spelling of ``value`` for an attribute of type ``kind`` (``None`` = missing)."""
    if is_missing(value):
        return None
    text = " ".join(str(value).split())
    label = f"attribute {name!r}: " if name else ""
    if kind is AttributeType.BOOLEAN:
        out = _as_bool(text)
        if out is None:
            raise InputError(f"{label}{text!r} is not yes/no")
        return out
    if kind is AttributeType.NUMERIC:
        out = _as_number(text)
        if out is None:
            raise InputError(f"{label}{text!r} is not a number")
        return out
    if kind is AttributeType.DATE:
        out = _as_date(text)
        if out is None:
            raise InputError(f"{label}{text!r} is not a date (use YYYY-MM-DD)")
        return out
    if kind is AttributeType.ORDINAL and order:
        for allowed in order:
            if allowed.casefold() == text.casefold():
                return allowed
        raise InputError(f"{label}{text!r} is not one of its ordered values: {'; '.join(order)}")
    return text
