"""Reading "since when" the way people write it, for filtering logs by time.

Kept apart from any face: the CLI's ``--since`` and a web form's field accept the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from thematica.core.errors import InputError

__all__ = ["parse_since", "split_names"]

_SPAN = re.compile(r"(\d+)\s*(m|min|h|d|w)", re.I)
_UNIT = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """``2h``, ``30m``, ``3d``, ``1w`` back from ``now``; or an ISO date (midnight UTC) or
    datetime (without a zone: UTC). The result is timezone-aware, in UTC."""
    value = text.strip()
    span = _SPAN.fullmatch(value)
    if span:
        amount, unit = int(span.group(1)), _UNIT[span.group(2).lower()]
        try:
            return now.astimezone(UTC) - timedelta(**{unit: amount})
        except (OverflowError, ValueError):  # further back than the calendar goes
            return datetime.min.replace(tzinfo=UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"since {text!r} is neither a date/time (2026-12-06, 2026-12-06T07:00) nor a span "
            "back from now (30m, 2h, 3d, 1w)",
            since=text,
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def split_names(value: str | Sequence[str] | None) -> list[str]:
    """One name, several, or comma lists of them, as a flat list without blanks."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]
