"""Speaker turns with their times, carried through a ``.qdpx`` next to a TextSource.

REFI-QDA (Project-mrt2019.xsd) gives times to text only inside an ``AudioSource`` or
``VideoSource``: its ``Transcript`` holds ``SyncPoint`` elements (milliseconds and a character
position) and ``TranscriptSelection`` elements coded between two sync points. A ``TextSource``
has no place for times. Writing a timed document as an AudioSource would tell every other tool
that there is a recording (we may not keep one) and would move its codings from exact character
selections to selections between sync points; writing both would import the interview twice.
So a timed document stays a TextSource, exactly as before, and its turns (offsets, speaker,
start and end in seconds) travel in the ``<?thematica {"turns": [...]}?>`` processing
instruction the writer already uses for Thematica-only fields: XSD validation and other tools
ignore it, and a Thematica import reads the turns back instead of detecting them again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from thematica.core.models import Turn

__all__ = ["TURNS_KEY", "turns_extra", "turns_from_extra"]

TURNS_KEY = "turns"


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def turns_extra(turns: Sequence[Turn]) -> dict[str, Any]:
    """The processing-instruction data for a document's turns (empty when none is timed)."""
    if not any(turn.time_start is not None for turn in turns):
        return {}
    return {
        TURNS_KEY: [
            [turn.start, turn.end, turn.speaker, _seconds(turn.time_start), _seconds(turn.time_end)]
            for turn in turns
        ]
    }


def _time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(value)
    if value < 0:
        raise ValueError(value)
    return float(value)


def turns_from_extra(extra: dict[str, Any], length: int) -> list[Turn] | None:
    """The turns a Thematica export recorded for a text of ``length`` characters; None when
    there are none or they do not fit the text (the importer then detects turns as usual)."""
    rows = extra.get(TURNS_KEY)
    if not isinstance(rows, list) or not rows:
        return None
    turns: list[Turn] = []
    at = 0
    try:
        for row in rows:
            start, end, speaker, time_start, time_end = row
            if not (isinstance(start, int) and isinstance(end, int) and at <= start <= end):
                return None
            if end > length:
                return None
            if speaker is not None and (not isinstance(speaker, str) or len(speaker) > 200):
                return None
            turns.append(Turn(start, end, speaker or None, _time(time_start), _time(time_end)))
            at = end
    except (TypeError, ValueError):
        return None
    return turns
