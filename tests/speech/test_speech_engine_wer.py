"""Word error rate and its normalisation, on hand-worked examples."""

from __future__ import annotations

import pytest

from thematica.intake.wer import edit_distance, normalise_words, word_error_rate


def test_normalise_casefolds_strips_punctuation_and_splits_hyphens() -> None:
    assert normalise_words("Well-known, DON'T stop: 1,000 times!") == [
        "well",
        "known",
        "dont",
        "stop",
        "1000",
        "times",
    ]


def test_normalise_keeps_numbers_as_written_and_decimals_whole() -> None:
    assert normalise_words("About 6 years, 2.5 days — six.") == [
        "about",
        "6",
        "years",
        "2.5",
        "days",
        "six",
    ]


def test_normalise_treats_curly_and_straight_apostrophes_alike() -> None:
    assert normalise_words("I’m here") == normalise_words("I'm here") == ["im", "here"]


def test_normalise_of_nothing_is_empty() -> None:
    assert normalise_words("  ... -- !") == []


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        # one substitution in four words
        ("the cat sat down", "the cat sat dawn", 0.25),
        # one insertion
        ("the cat sat down", "the cat sat right down", 0.25),
        # one deletion
        ("the cat sat down", "the cat down", 0.25),
        # substitution b->x, deletion of d, insertion of g: 3 edits over 6 words
        ("a b c d e f", "a x c e f g", 0.5),
        # nothing heard
        ("the cat sat down", "", 1.0),
        # case and punctuation do not count
        ("Thank you, today.", "thank you today", 0.0),
        # insertions can push the rate past 1
        ("yes", "yes yes yes", 2.0),
        # numbers are words as written: "six" heard as "6" is a substitution (1 of 3)
        ("about six years", "about 6 years", 1 / 3),
    ],
)
def test_word_error_rate(reference: str, hypothesis: str, expected: float) -> None:
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "anything") == 1.0


def test_edit_distance_is_symmetric_in_cost() -> None:
    assert edit_distance(["a", "b"], ["b", "a"]) == 2
    assert edit_distance([], ["a", "b", "c"]) == 3
    assert edit_distance(["a", "b", "c"], []) == 3
