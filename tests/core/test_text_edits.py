"""Offsets carried through text changes (redactions, corrected transcripts): hand-worked cases
and a property — a span that no edit touches still covers exactly the same characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thematica.core.errors import InputError
from thematica.core.text_edits import Edit, apply_edits, diff_change

TEXT = "I met Maria at Eastside Clinic yesterday."
#        0123456789012345678901234567890123456789 0
#        "Maria" = 6..11, "Eastside Clinic" = 15..30


def test_redactions_replace_and_shift() -> None:
    change = apply_edits(TEXT, [Edit(15, 30, "[clinic]"), Edit(6, 11, "[person 1]")])
    assert change.new_text == "I met [person 1] at [clinic] yesterday."
    # untouched before the first edit: same offsets
    assert change.span(0, 5) == type(change.span(0, 5))(0, 5, False, False)
    # after both edits: shifted by +5 then -7 = -2 ("yesterday." was 31..41)
    moved = change.span(31, 41)
    assert (moved.start, moved.end, moved.touched) == (29, 39, False)
    assert change.new_text[29:39] == "yesterday."
    # exactly an identifier: becomes exactly its placeholder
    ident = change.span(6, 11)
    assert change.new_text[ident.start : ident.end] == "[person 1]" and ident.touched
    # a passage holding an identifier: the same words around the placeholder
    passage = change.span(12, 30)  # "at Eastside Clinic"
    assert change.new_text[passage.start : passage.end] == "at [clinic]"
    # part of an identifier: stretched to the whole placeholder, never half of one
    part = change.span(8, 20)  # "ria at Easts"
    assert change.new_text[part.start : part.end] == "[person 1] at [clinic]"


def test_deleted_text_is_lost_and_insertion_touches_only_spans_around_it() -> None:
    change = apply_edits("abc def ghi", [Edit(4, 8, "")])
    assert change.new_text == "abc ghi"
    gone = change.span(4, 7)
    assert gone.lost and gone.start == gone.end == 4
    assert not change.span(0, 3).touched
    ins = apply_edits("abc ghi", [Edit(4, 4, "def ")])
    assert ins.new_text == "abc def ghi"
    around = ins.span(0, 7)
    assert around.touched and ins.new_text[around.start : around.end] == "abc def ghi"
    before = ins.span(0, 3)
    assert not before.touched and (before.start, before.end) == (0, 3)
    after = ins.span(4, 7)  # "ghi" starts where the insertion is: it moves, untouched
    assert ins.new_text[after.start : after.end] == "ghi" and not after.touched


def test_bad_edits_are_refused() -> None:
    with pytest.raises(InputError, match="overlap"):
        apply_edits(TEXT, [Edit(5, 12, "x"), Edit(10, 14, "y")])
    with pytest.raises(InputError, match="outside the text"):
        apply_edits(TEXT, [Edit(40, 50, "x")])


def test_diff_of_a_corrected_transcript_edits_only_the_changed_words() -> None:
    old = "Speaker 1: we drove the man to the clinic.\nSpeaker 2: okay, thanks."
    new = "Speaker 1: we drove the van to the clinic.\nSpeaker 2: okay, thanks!"
    change = diff_change(old, new)
    assert change.new_text == new
    assert [(e.start, e.end, e.new) for e in change.edits] == [(24, 27, "van"), (66, 67, "!")]
    # "to the clinic." untouched: same characters, same offsets
    span = change.span(28, 42)
    assert not span.touched and new[span.start : span.end] == old[28:42] == "to the clinic."
    # a coding on the corrected word is touched and now covers the correction
    word = change.span(24, 27)
    assert word.touched and new[word.start : word.end] == "van"


words = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "é", "👍", " ", "\n", "."]))


@settings(max_examples=150, deadline=None)
@given(
    old=words.map("".join),
    new=words.map("".join),
    spans=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8),
)
def test_untouched_spans_keep_their_characters(old: str, new: str, spans: list) -> None:
    change = diff_change(old, new)
    assert change.new_text == new
    for a, b in spans:
        start, end = sorted((min(a, len(old)), min(b, len(old))))
        mapped = change.span(start, end)
        assert 0 <= mapped.start <= mapped.end <= len(new)
        if not mapped.touched:
            assert new[mapped.start : mapped.end] == old[start:end]
