"""Numbers and lists as a manuscript prints them.

A value that rounds to zero prints as ``0.00`` (never ``-0.00``), negative values take a true
minus sign, and a count that would open a sentence is spelled out ("Two coders ...", not "2
coders ..."), as journal style guides ask.
"""

from __future__ import annotations

from collections.abc import Sequence

MINUS = "\u2212"
DASH = "\u2013"
# fmt: off
_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]
# fmt: on


def num(value: float | None, digits: int = 2) -> str:
    """``value`` to ``digits`` decimals; "–" when undefined; no negative zero."""
    if value is None:
        return DASH
    text = f"{value:.{digits}f}"
    if text.startswith("-"):
        return text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def pct(value: float | None, digits: int = 1) -> str:
    """A share (0..1) as a percent: ``0.923`` -> "92.3%"."""
    return DASH if value is None else f"{num(100 * value, digits)}%"


def ci(low: float | None, high: float | None) -> str:
    """An interval: "0.55–0.68", or "−0.05 to 0.10" when a bound is negative (a dash between
    two signed numbers reads as a minus)."""
    if low is None or high is None:
        return DASH
    a, b = num(low), num(high)
    if a.startswith(MINUS) or b.startswith(MINUS):
        return f"{a} to {b}"
    return f"{a}{DASH}{b}"


def and_list(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def count_word(n: int) -> str:
    """A count as a word up to twenty ("two"), else digits with a thousands separator."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else f"{n:,}"


def sentence_count(n: int) -> str:
    """A count that opens a sentence: "Two", "Twenty", or "A total of 57"."""
    if 0 <= n < len(_WORDS):
        return _WORDS[n].capitalize()
    return f"A total of {n:,}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
