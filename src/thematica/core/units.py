"""Cutting a normalised text into the units researchers code whole: sentences and paragraphs.

Every span is ``[start, end)`` in code points, trimmed of surrounding white space, so coding a
unit covers exactly its visible text. Speaker turns are detected at import
(:func:`thematica.core.text.detect_turns`) and stored; they are not recomputed here.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

__all__ = ["split_paragraphs", "split_sentences", "units_hit"]

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n[ \t]*\n\s*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _trim(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append((start, end))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: a sentence ends at ``.``, ``?`` or ``!`` followed by white space, and at
    every blank line.

    The agreement module's ``sentence`` unit uses this function too, so a passage auto-coded
    by sentence is exactly one unit when agreement is computed by sentence.
    """
    out: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        _trim(text, pos, match.start(), out)
        pos = match.end()
    _trim(text, pos, len(text), out)
    return out


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: blocks of text separated by blank lines.

    A text with no blank line at all (many transcripts and exports put each paragraph on one
    line) has one paragraph per non-empty line instead, so that "paragraph 3" means what a
    reader of the file would count as the third paragraph rather than the whole document.
    """
    out: list[tuple[int, int]] = []
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else re.compile(r"\n")
    pos = 0
    for match in separator.finditer(text):
        _trim(text, pos, match.start(), out)
        pos = match.end()
    _trim(text, pos, len(text), out)
    return out


def units_hit(units: Sequence[tuple[int, int]], spans: Iterable[tuple[int, int]]) -> list[int]:
    """Indexes (sorted) of the units, sorted and non-overlapping, that any span overlaps.

    A span that falls wholly in the white space between two units overlaps none.
    """
    starts = [s for s, _e in units]
    ends = [e for _s, e in units]
    hit: set[int] = set()
    for start, end in spans:
        lo = bisect_right(ends, start)
        hi = bisect_left(starts, max(end, start + 1))
        hit.update(range(lo, hi))
    return sorted(hit)
