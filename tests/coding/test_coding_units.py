"""Paragraph and sentence units (pure functions), worked out by hand."""

from __future__ import annotations

from thematica.core.units import split_paragraphs, split_sentences, units_hit


def test_paragraphs_by_blank_lines() -> None:
    text = "  One a.\nOne b.\n \n\nTwo.\n\t\nThree.  \n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == ["One a.\nOne b.", "Two.", "Three."]


def test_paragraphs_by_lines_when_no_blank_line() -> None:
    text = "First.\nSecond line\n   \tThird\n"
    assert split_paragraphs(text) == [(0, 6), (7, 18), (23, 28)]
    assert split_paragraphs("") == [] and split_paragraphs("\n\n") == []


def test_sentences() -> None:
    text = "A b. C d? E!\n\nF g.  H"
    assert [text[s:e] for s, e in split_sentences(text)] == ["A b.", "C d?", "E!", "F g.", "H"]
    # "Dr." ends a sentence (simple and predictable); a line break alone does not
    text = "Dr. Smith said so.\nNo split"
    assert [text[s:e] for s, e in split_sentences(text)] == ["Dr.", "Smith said so.", "No split"]
    assert split_sentences("") == [] and split_sentences("x") == [(0, 1)]
    assert split_sentences("Hi there. Bye!") == [(0, 9), (10, 14)]


def test_units_hit() -> None:
    units = [(0, 5), (7, 10), (12, 20)]
    assert units_hit(units, [(1, 2)]) == [0]
    assert units_hit(units, [(5, 7)]) == []  # only white space between units
    assert units_hit(units, [(4, 8), (15, 16)]) == [0, 1, 2]
    assert units_hit(units, [(9, 9)]) == [1]  # an empty hit counts as its one character
