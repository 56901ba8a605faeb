"""Carrying offsets through a change of text: redactions and re-imported corrected transcripts.

Codings, turns, consensus decisions and proposals point into a document's text by code-point
offsets. When the text changes — identifiers replaced by placeholders, a transcript corrected
in an editor and imported again — each span is carried to the new text through a
:class:`TextChange`: the list of edited regions, in order, each an old range and the new text
that replaced it. A span that shares no character with an edited region moves exactly and still
covers the same characters; a span that touches one is stretched or shrunk to cover what became
of those characters and is reported as *touched*; a span whose every character was removed is
*lost* (the caller decides what to keep of it and says so).

Plain Python, no I/O: the services call it inside their transactions.
"""

from __future__ import annotations

import difflib
import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from thematica.core.errors import InputError

__all__ = ["Edit", "MappedSpan", "TextChange", "apply_edits", "diff_change"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``old[start:end]`` by ``new`` (an insertion when start == end)."""

    start: int
    end: int
    new: str


@dataclass(frozen=True, slots=True)
class MappedSpan:
    """Where a span landed: ``start``/``end`` in the new text; ``touched`` when an edited region
    overlaps it (its characters are no longer exactly the old ones), ``lost`` when nothing of it
    is left (start == end then)."""

    start: int
    end: int
    touched: bool
    lost: bool


class TextChange:
    """Sorted, non-overlapping edits of one text, and the arithmetic to move offsets through
    them. ``new_text`` is the edited text."""

    def __init__(self, old_text: str, edits: Iterable[Edit]) -> None:
        ordered = sorted(edits, key=lambda e: (e.start, e.end))
        for prev, cur in itertools.pairwise(ordered):
            if cur.start < prev.end:
                raise InputError(
                    f"edits overlap: {prev.start}-{prev.end} and {cur.start}-{cur.end}"
                )
        for e in ordered:
            if not 0 <= e.start <= e.end <= len(old_text):
                raise InputError(f"edit {e.start}-{e.end} is outside the text (0-{len(old_text)})")
        self.old_text = old_text
        self.edits: list[Edit] = [e for e in ordered if not (e.start == e.end and not e.new)]
        parts: list[str] = []
        at = 0
        # new-text start of each edit, for mapping positions
        self._new_starts: list[int] = []
        shift = 0
        for e in self.edits:
            parts.append(old_text[at : e.start])
            self._new_starts.append(e.start + shift)
            parts.append(e.new)
            shift += len(e.new) - (e.end - e.start)
            at = e.end
        parts.append(old_text[at:])
        self.new_text = "".join(parts)
        self._old_starts = [e.start for e in self.edits]

    def __bool__(self) -> bool:
        return bool(self.edits)

    def position(self, offset: int, *, side: str = "start") -> int:
        """Where an old boundary lands. Inside an edited region a start goes to the start of
        its replacement and an end to the end of it (so a span keeps what replaced its
        characters); at a pure insertion point a start goes after the inserted text and an end
        before it (so an untouched neighbour keeps exactly its characters)."""
        i = bisect_right(self._old_starts, offset) - 1
        if i < 0:
            return offset
        e = self.edits[i]
        ns = self._new_starts[i]
        if e.start == e.end:  # a pure insertion at e.start
            if offset == e.start:
                return ns + len(e.new) if side == "start" else ns
            return offset + ns + len(e.new) - e.end
        if offset == e.start:
            return ns
        if offset < e.end:
            return ns if side == "start" else ns + len(e.new)
        return offset + ns + len(e.new) - e.end

    def span(self, start: int, end: int) -> MappedSpan:
        """Carry ``[start, end)`` into the new text."""
        touched = False
        i = max(bisect_right(self._old_starts, start) - 1, 0)
        while i < len(self.edits) and self.edits[i].start <= end:
            e = self.edits[i]
            lo, hi = max(start, e.start), min(end, e.end)
            inserted_inside = e.start == e.end and start < e.start < end
            empty_inside = start == end and e.start < start < e.end
            if lo < hi or inserted_inside or empty_inside:
                touched = True
            i += 1
        new_start = self.position(start, side="start")
        new_end = self.position(end, side="end")
        if new_end < new_start:
            new_end = new_start
        lost = new_end == new_start and end > start
        return MappedSpan(new_start, new_end, touched, lost)

    def spans(self, spans: Sequence[tuple[int, int]]) -> list[MappedSpan]:
        return [self.span(s, e) for s, e in spans]


def apply_edits(text: str, edits: Iterable[Edit]) -> TextChange:
    """The change made by ``edits`` (checked: inside the text, not overlapping)."""
    return TextChange(text, edits)


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def diff_change(old: str, new: str) -> TextChange:
    """The edits that turn ``old`` into ``new``, found word by word (a corrected transcript
    differs in a few words; aligning whole words keeps an untouched coding exactly in place)."""
    old_tokens = _TOKEN.findall(old)
    new_tokens = _TOKEN.findall(new)
    old_at = _starts(old_tokens)
    new_at = _starts(new_tokens)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(Edit(old_at[i1], old_at[i2], new[new_at[j1] : new_at[j2]]))
    change = TextChange(old, edits)
    if change.new_text != new:  # the tokenizer must cover every character
        raise AssertionError("diff_change: tokens did not cover the text")
    return change


def _starts(tokens: Sequence[str]) -> list[int]:
    out = [0]
    for tok in tokens:
        out.append(out[-1] + len(tok))
    return out
