"""Table 1: which case attributes it describes, under which labels, in which order.

By default it leaves out what a participant table should not print: dates (an interview date
describes the study, not the participant), identifiers and names, free text, and any attribute
whose values are all different (one value per case: a table of it would list every
participant, which in a small community identifies them). The report configuration can name
the attributes, their order and their labels instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from thematica.core.errors import NotFoundError
from thematica.core.filters import AttributeInfo
from thematica.core.models import AttributeType
from thematica.services.reports.settings import AttributeChoice, AttributeDefault, default_label

_IDENTIFIER = re.compile(r"(^|[_\s-])(id|ids|identifier|name|names|email|e-mail|phone)$", re.I)
FREE_TEXT_WORDS = 7
FREE_TEXT_CHARS = 60


def left_out_reason(info: AttributeInfo, values: Sequence[str | None]) -> str:
    """Why Table 1 leaves this attribute out by default ("" when it keeps it)."""
    present = [v.strip() for v in values if v is not None and v.strip()]
    if info.type is AttributeType.DATE:
        return "a date"
    if _IDENTIFIER.search(info.name):
        return "an identifier or name"
    if any(len(v) > FREE_TEXT_CHARS or len(v.split()) >= FREE_TEXT_WORDS for v in present):
        return "free text"
    if len(present) >= 3 and len({v.casefold() for v in present}) == len(present):
        return "one value per case"
    return ""


def attribute_defaults(
    infos: Sequence[AttributeInfo], values: Mapping[str, Mapping[str, str | None]]
) -> list[AttributeDefault]:
    """Every attribute with its default label and, when left out by default, why."""
    return [
        AttributeDefault(
            a.name,
            default_label(a.name),
            left_out_reason(a, [row.get(a.name) for row in values.values()]),
        )
        for a in infos
    ]


def choose_attributes(
    chosen: Sequence[AttributeChoice] | None,
    infos: Sequence[AttributeInfo],
    values: Mapping[str, Mapping[str, str | None]],
) -> list[AttributeChoice]:
    """The configured attributes (checked to exist), or the default selection."""
    if chosen is None:
        return [
            AttributeChoice(d.name, d.label)
            for d in attribute_defaults(infos, values)
            if not d.left_out
        ]
    known = [a.name for a in infos]
    for a in chosen:
        if a.name not in known:
            raise NotFoundError(
                f"table1.attributes: no attribute named {a.name!r} "
                f"(attributes: {', '.join(known) or 'none yet'})"
            )
    return list(chosen)
