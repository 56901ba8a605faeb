"""How a quote is attributed in a report: "– Participant 11", or "– Participant 3, focus group 2"
for a speaker of a focus group (see :mod:`thematica.services.speakers` for who said what)."""

from __future__ import annotations

import re

_NUMBERED = re.compile(r"^(?:p|participant|respondent|r)[\s_-]*0*(\d+)$", re.IGNORECASE)
_GROUP = re.compile(r"^(?:fg|focus[\s_-]*group|group)[\s_-]*0*(\d+)$", re.IGNORECASE)


def participant_label(label: str) -> str:
    """``P11``/``participant_011`` -> "Participant 11"; other names stand as they are."""
    match = _NUMBERED.match(label.strip())
    return f"Participant {int(match.group(1))}" if match else label


def group_label(label: str) -> str:
    """``FG2``/``Focus group 02``/``group_2`` -> "focus group 2"; other names as they are."""
    match = _GROUP.match(label.strip())
    return f"focus group {int(match.group(1))}" if match else label


def attribution(case: str | None, document: str, group: str | None = None) -> str:
    """``P11``/``participant_011`` become "– Participant 11"; other case names stand as they are.

    Documents without a case are attributed by their document name; a ``group`` (the focus
    group the participant spoke in) follows after a comma.
    """
    label = participant_label(case or document)
    if group:
        label = f"{label}, {group_label(group)}"
    return f"\u2013 {label}"
