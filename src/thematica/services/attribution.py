"""How a quote is attributed in a report: "– Participant 11"."""

from __future__ import annotations

import re

_NUMBERED = re.compile(r"^(?:p|participant|respondent|r)[\s_-]*0*(\d+)$", re.IGNORECASE)


def attribution(case: str | None, document: str) -> str:
    """``P11``/``participant_011`` become "– Participant 11"; other case names stand as they are.

    Documents without a case are attributed by their document name.
    """
    label = case or document
    match = _NUMBERED.match(label.strip())
    if match:
        label = f"Participant {int(match.group(1))}"
    return f"\u2013 {label}"
