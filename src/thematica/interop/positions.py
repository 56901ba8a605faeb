"""Which unit a REFI-QDA file counts text positions in, and mapping them onto our text.

The standard counts Unicode code points with an exclusive end. Tools disagree (NOTES.md §5):
NVivo counts UTF-16 code units (an emoji is 2) over the .txt with CRLF counted as 2, ATLAS.ti
counts code points with a line break as 1, most others count code points over the file as
stored. The rule used here, per source file:

1. strip a leading BOM (never counted);
2. try four readings: {code points, UTF-16 units} x {line breaks as stored, CRLF as 1};
3. score each over all the source's selections: a selection scores when it lies inside the
   text, does not split a surrogate pair or a CRLF, and starts and ends on a word boundary;
   a selection whose ``name`` is a text preview (ATLAS.ti) scores extra when the text under
   it starts with that preview;
4. keep the best-scoring reading; ties go to the producer's known habit (UTF-16 + CRLF for
   NVivo, LF code points for ATLAS.ti, otherwise code points over the file as stored);
5. map the chosen offsets onto the stored text (``core.text.normalise``: LF, NFC), so that
   ``document.text[start:end]`` is the excerpt the source tool showed.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from thematica.core.text import normalise


@dataclass(frozen=True, slots=True)
class Reading:
    utf16: bool
    crlf_as_one: bool

    @property
    def label(self) -> str:
        unit = "UTF-16 code units" if self.utf16 else "code points"
        breaks = "CRLF counted as 1" if self.crlf_as_one else "line breaks as stored"
        return f"{unit}, {breaks}"


READINGS = (
    Reading(False, False),
    Reading(True, False),
    Reading(False, True),
    Reading(True, True),
)


def preferred(origin: str) -> Reading:
    o = origin.casefold()
    if "nvivo" in o:
        return Reading(True, False)
    if "atlas" in o:
        return Reading(False, True)
    return Reading(False, False)


#: Characters outside the Basic Multilingual Plane (two UTF-16 units each), and CRLF pairs;
#: found with the regex engine, not a Python loop per character (see BENCHMARKS.md).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CRLF = re.compile("\r\n")


class TextView:
    """One source text seen through one reading, with offset maps to the stored text."""

    def __init__(self, raw: str, reading: Reading) -> None:
        self.reading = reading
        text = raw
        if reading.crlf_as_one:
            text = text.replace("\r\n", "\n")
        self.text = text  # the text the offsets count in (code points)
        # UTF-16 offsets of astral characters, so a UTF-16 offset maps back to a code point
        self._astral_u16: list[int] = []
        if reading.utf16:
            # the k-th astral character sits k UTF-16 units later than its code-point index
            self._astral_u16 = [m.start() + k for k, m in enumerate(_ASTRAL.finditer(text))]
        self.length = len(text) + len(self._astral_u16)
        # code-point positions whose character normalise() drops (the CR of a CRLF)
        self._dropped = [m.start() for m in _CRLF.finditer(text)] if "\r" in text else []
        self.stored = normalise(text)
        self._identity_nfc = unicodedata.is_normalized("NFC", text.replace("\r", "\n"))

    def to_cp(self, pos: int) -> tuple[int, bool]:
        """A reading offset as a code-point index into ``self.text``; False if it splits a pair."""
        if not self._astral_u16:
            return pos, True
        k = bisect_left(self._astral_u16, pos)
        clean = not (k > 0 and self._astral_u16[k - 1] == pos - 1)
        if not clean:
            return pos - k, False
        return pos - k, True

    def to_stored(self, cp: int) -> int:
        """A code-point index into ``self.text`` as an index into the stored (normalised) text."""
        idx = cp - bisect_left(self._dropped, cp)
        if self._identity_nfc:
            return idx
        return len(normalise(self.text[:cp]))

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Stored-text offsets for a selection, or None when it lies outside the text."""
        if start < 0 or end < start or end > self.length:
            return None
        s, _ = self.to_cp(start)
        e, _ = self.to_cp(end)
        return self.to_stored(s), self.to_stored(e)

    def score(self, start: int, end: int, name: str) -> float:
        if start < 0 or end < start or end > self.length:
            return -5.0
        s, ok_s = self.to_cp(start)
        e, ok_e = self.to_cp(end)
        if not (ok_s and ok_e):
            return -1.0
        text = self.text
        points = 0.0
        for pos in (s, e):
            if 0 < pos < len(text) and text[pos - 1] == "\r" and text[pos] == "\n":
                return -1.0
            if pos in (0, len(text)) or not (text[pos - 1].isalnum() and text[pos].isalnum()):
                points += 0.5
        preview = name.strip().rstrip("…").rstrip(".").strip()
        if len(preview) >= 4 and not preview.casefold().startswith("line:"):
            excerpt = " ".join(text[s:e].split())
            if excerpt.startswith(" ".join(preview.split())[:40]):
                points += 2.0
        return points


def choose(raw: str, selections: Sequence[tuple[int, int, str]], origin: str) -> TextView:
    """The reading under which ``selections`` (start, end, name) best fit ``raw``."""
    raw = raw.removeprefix("\ufeff")
    first = preferred(origin)
    plain = "\r" not in raw and _ASTRAL.search(raw) is None
    if plain or not selections:
        return TextView(raw, first)
    best: TextView | None = None
    best_score = float("-inf")
    for reading in (first, *[r for r in READINGS if r != first]):
        view = TextView(raw, reading)
        total = sum(view.score(s, e, n) for s, e, n in selections)
        if total > best_score:
            best, best_score = view, total
    assert best is not None
    return best
