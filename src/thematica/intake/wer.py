"""Word error rate, for bounding transcription quality in tests and the speed bench.

Both texts are normalised the same way first (case, punctuation, hyphens), so the rate counts
words heard wrongly rather than Whisper's choices of capitals and commas. Numbers are left as
written: "six" against "6" is one substitution, as a reader of the transcript would see it.
"""

from __future__ import annotations

import re

#: hyphens and dashes split words ("well-known" -> "well known")
_DASHES = re.compile(r"[-‐‑‒–—―]")
#: thousands separators inside numbers go ("1,000" -> "1000")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
#: apostrophes inside words go ("don't" -> "dont") so straight and curly quotes agree
_APOSTROPHE = re.compile(r"(?<=\w)['’ʼ](?=\w)")
#: a word: a number with optional decimal part, or a run of letters/digits
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")


def normalise_words(text: str) -> list[str]:
    """The words of ``text``: casefolded, punctuation stripped, hyphenated words split."""
    text = text.casefold()
    text = _DASHES.sub(" ", text)
    text = _DIGIT_COMMA.sub("", text)
    text = _APOSTROPHE.sub("", text)
    return _WORD.findall(text)


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance on words (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(
                min(
                    previous[j] + 1,  # reference word deleted
                    current[j - 1] + 1,  # hypothesis word inserted
                    previous[j - 1] + (ref_word != hyp_word),  # substituted or matched
                )
            )
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits needed to turn the reference into the hypothesis, per reference word.

    Can exceed 1.0 when the hypothesis adds many words. An empty reference gives 0.0 against
    an empty hypothesis and 1.0 against anything else (the rate is otherwise undefined).
    """
    ref = normalise_words(reference)
    hyp = normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
