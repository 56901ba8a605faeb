"""Text normalisation and speaker-turn detection.

Every stored position is a code-point offset into the string :func:`normalise` returns, so the
text must be normalised exactly once, at import, before any offset is computed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence

from thematica.core.errors import InputError
from thematica.core.models import Turn

__all__ = ["DEFAULT_SPEAKER_PATTERN", "detect_turns", "normalise", "speaker_at"]

_BOM = "\ufeff"


def normalise(text: str) -> str:
    """Canonical form of a document's text, so offsets agree across platforms and editors.

    NFC matters because macOS and some word processors emit decomposed accents (NFD); without
    it, the same visible word would have different lengths and a search for "café" would miss.
    """
    text = text.removeprefix(_BOM)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # page and line-tabulation breaks are line breaks; other control characters (NUL from an
    # RTF \'00, say) are dropped: a browser drops them from a page, which would shift every
    # offset after them between what a coder selects and what is stored
    text = _BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


_BREAKS = re.compile("[\x0b\x0c\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


# Label words that can stand alone or take a number/letter ("Participant 11", "Speaker B"):
# the roles of interview, focus-group, survey and therapy transcripts.
_ROLES = (
    "Interviewer|Interviewee|Moderator|Facilitator|Participant|Respondent|Speaker|Researcher"
    "|Therapist|Counsell?or|Client|Patient"
)
# Capitalised or upper case only: "client: Acme Ltd" or "patient: 45 y/o" in a note is prose.
_ROLE_WORDS = "|".join(w for role in _ROLES.split("|") for w in (role, role.upper()))
_LABEL = (
    r"(?P<speaker>"
    rf"(?:{_ROLE_WORDS})(?:[ \t]?(?:\d{{1,4}}|[A-Z]))?"  # Interviewer, Participant 11, Speaker B
    r"|P[ \t]?\d{1,4}"  # P11, P 3
    r"|Q[ \t]?\d{1,3}"  # Q1, Q 12 (question-numbered transcripts)
    r"|IV|IE"  # interviewer / interviewee abbreviations
    r"|[IRQA]"  # single-letter Q/A styles; capital only, so "a:" in prose is not a label
    r")"
)

#: A line-start transcript label followed by a colon, optionally in ``[...]`` or ``**...**``.
#: The vocabulary is closed on purpose: an open "Word:" rule would turn ``Note:`` or
#: ``Time: 10am`` into speakers and split turns wrongly.
DEFAULT_SPEAKER_PATTERN: str = (
    r"^[ \t]*"
    r"(?:[\[(]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?[\])][ \t]*)?"  # optional [00:12:03] stamp
    r"(?:(?P<bold>\*\*)|(?P<bracket>\[))?"
    + _LABEL
    + r"(?(bold)(?::\*\*|\*\*:)"  # **Interviewer:** or **Interviewer**:
    r"|(?(bracket)(?::\]|\]:)"  # [Interviewer:] or [Interviewer]:
    r"|:))"
    r"(?=\s|$)"
)


def _compile(pattern: str | None) -> re.Pattern[str]:
    source = DEFAULT_SPEAKER_PATTERN if pattern is None else pattern
    try:
        compiled = re.compile(source, re.MULTILINE)
    except re.error as exc:
        raise InputError(f"invalid speaker pattern {source!r}: {exc}") from exc
    if "speaker" not in compiled.groupindex:
        raise InputError(
            f"speaker pattern {source!r} has no group named 'speaker' (use (?P<speaker>...))"
        )
    return compiled


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding whitespace so spans cover only visible text."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _lines(text: str) -> list[tuple[int, int]]:
    """[start, end) of every line, newline excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        newline = text.find("\n", start)
        if newline == -1:
            spans.append((start, len(text)))
            return spans
        spans.append((start, newline))
        start = newline + 1


def _paragraph_turns(text: str) -> list[Turn]:
    turns: list[Turn] = []
    para_start: int | None = None
    para_end = 0
    for start, end in _lines(text):
        if text[start:end].strip():
            if para_start is None:
                para_start = start
            para_end = end
        elif para_start is not None:
            turns.append(Turn(*_trimmed(text, para_start, para_end)))
            para_start = None
    if para_start is not None:
        turns.append(Turn(*_trimmed(text, para_start, para_end)))
    return turns


def detect_turns(text: str, pattern: str | None = None) -> list[Turn]:
    """Split normalised text into speaker turns.

    A label line opens a turn that runs to the next label line, because interviewees often speak
    in several paragraphs. Text with no label at all still gets paragraph turns, so that every
    document offers the same unit for "code the whole turn".
    """
    compiled = _compile(pattern)
    starts: list[tuple[int, str]] = []
    for line_start, line_end in _lines(text):
        match = compiled.match(text, line_start, line_end)
        if match is not None:
            speaker = (match.group("speaker") or "").strip()
            if speaker:
                starts.append((line_start, speaker))

    if not starts:
        return _paragraph_turns(text)

    turns: list[Turn] = []
    head_start, head_end = _trimmed(text, 0, starts[0][0])
    if head_start < head_end:
        turns.append(Turn(head_start, head_end))
    for index, (begin, speaker) in enumerate(starts):
        stop = starts[index + 1][0] if index + 1 < len(starts) else len(text)
        start, end = _trimmed(text, begin, stop)
        turns.append(Turn(start, end, speaker))
    return turns


def speaker_at(turns: Sequence[Turn], offset: int) -> str | None:
    """Who is speaking at ``offset``; ``turns`` must be sorted and non-overlapping."""
    index = bisect_right(turns, offset, key=lambda turn: turn.start) - 1
    if index < 0:
        return None
    turn = turns[index]
    return turn.speaker if offset < turn.end else None
