"""Exemplar quotes and prevalence in words.

Quotes come from the codings of the layer the report reads (the consensus layer by default) of
the theme's codes (with their subcodes; a theme includes its subthemes' codes). Codings an
analyst **starred** (``project.coding.star(id)``) are the theme's quotes, all of them, in
document and offset order (unless the report's quote rules turn starring off). A theme with no
starred coding gets the **default rule**: at most ``limit`` quotes (:data:`MAX_QUOTES`), each
from a different case; excerpts of ``words`` (:data:`QUOTE_WORDS`, 15–80) words come first,
longest first; then the others, closest to that range first; ties are broken by document name,
then start and end offset. An excerpt (same document and span) is quoted at most once in a
report: the first theme that can use it takes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_QUOTES = 3
QUOTE_WORDS = (15, 80)


@dataclass(slots=True)
class _Candidate:
    coding_id: int
    doc_id: int
    document: str
    case: str | None
    unit: str
    start: int
    end: int
    starred: bool
    text: str  # filled in for the chosen quotes only
    words: int
    attribution: str  # "– Participant 3, focus group 2"


def prevalence_words(quantifier: str, cases: int, total: int, percent: float, none: str) -> str:
    """ "most participants (5 of 7, 71.4%)"; "one participant (1 of 7, 14.3%)"."""
    if quantifier == none:
        word = "no participants"
    elif cases == 1 and total != 1:
        word = f"{quantifier} participant"
    else:
        word = f"{quantifier} participants"
    return f"{word} ({cases} of {total}, {percent:.1f}%)"


def default_quote_key(
    c: _Candidate, words: tuple[int, int] = QUOTE_WORDS
) -> tuple[int, int, str, int, int]:
    """Sort key of the default rule: in-range excerpts first (longest first), then the others
    by distance to that range; ties by document name, start, end."""
    low, high = words
    if low <= c.words <= high:
        return (0, -c.words, c.document, c.start, c.end)
    distance = low - c.words if c.words < low else c.words - high
    return (1, distance, c.document, c.start, c.end)


def choose_quotes(
    candidates: Iterable[_Candidate],
    used: set[tuple[int, int, int]],
    limit: int = MAX_QUOTES,
    *,
    words: tuple[int, int] = QUOTE_WORDS,
    starred_first: bool = True,
) -> tuple[list[_Candidate], str]:
    """The exemplar rule (see the module docstring); ``used`` spans are skipped and updated."""
    pool: dict[tuple[int, int, int], _Candidate] = {}
    for c in candidates:
        span = (c.doc_id, c.start, c.end)
        if span in used or not c.words:
            continue
        if span not in pool or (c.starred and not pool[span].starred):
            pool[span] = c
    starred = sorted(
        (c for c in pool.values() if c.starred and starred_first),
        key=lambda c: (c.document, c.start, c.end),
    )
    chosen: list[_Candidate]
    if starred:
        chosen, rule = starred, "starred"
    else:
        chosen, seen_units = [], set()
        for c in sorted(pool.values(), key=lambda c: default_quote_key(c, words)):
            if len(chosen) >= limit:
                break
            if c.unit in seen_units:
                continue
            chosen.append(c)
            seen_units.add(c.unit)
        rule = "default" if chosen else "none"
    used.update((c.doc_id, c.start, c.end) for c in chosen)
    return chosen, rule
