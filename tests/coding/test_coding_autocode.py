"""Auto-coding by speaker, section, search (widened to sentence, paragraph or turn) and case
attribute; dry runs write nothing. Expected spans come from the texts by string search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import A, B, C, batch_count, span, spans

from thematica.core.errors import InputError, NotFoundError


def test_speaker_glob_codes_every_matching_turn(small: Any) -> None:
    result = small.autocode.run(coder="alex", code="Wellbeing", speaker="interview*")
    assert (result.passages, result.documents, result.added) == (2, 1, 2)
    assert spans(small, "alex") == {
        ("a", "Wellbeing", *span(A, "Interviewer: How", "you?")),
        ("a", "Wellbeing", *span(A, "Interviewer: Good", "Good.")),
    }
    assert small.batches.list().rows[0].operation == "autocode"


def test_speaker_with_no_match_names_the_speakers(small: Any) -> None:
    with pytest.raises(NotFoundError, match=r"'Moderator'.*Interviewer, Participant 1"):
        small.autocode.run(coder="alex", code="Wellbeing", speaker="Moderator")
    assert small.coding.count() == 0 and batch_count(small) == 0


def test_section_by_speaker_label_or_first_line(small: Any, tmp_path: Path) -> None:
    # a document with headed sections (no speaker labels: turns are paragraphs)
    text = "## Q1 What helped?\nFriends.\n\n## Q2 What was hard?\nMoney.\n\nQ2) More?\nNo."
    (tmp_path / "survey.txt").write_text(text, encoding="utf-8")
    small.documents.import_files([tmp_path / "survey.txt"])
    small.autocode.run(coder="alex", code="Money", section="q2")
    assert spans(small, "alex") == {
        ("survey", "Money", *span(text, "## Q2 What", "Money.")),
        ("survey", "Money", *span(text, "Q2) More", "No.")),
    }
    # by speaker label: "Participant 1" is a section label too
    small.autocode.run(coder="sam", code="Health", section="Participant 1")
    assert spans(small, "sam") == {("a", "Health", *span(A, "Participant 1:", "I mean it."))}


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        (
            "sentence",
            {("b", span(B, "Second", "money.")), ("c", span(C, "Line two", "money."))},
        ),
        (
            "paragraph",
            {("b", span(B, "Second", "money.")), ("c", span(C, "Line two", "money."))},
        ),
        # b has no speaker labels, so its turns are its paragraphs; c is one turn
        ("turn", {("b", span(B, "Second", "money.")), ("c", (0, len(C)))}),
    ],
)
def test_search_widened_to_unit(
    small: Any, unit: str, expected: set[tuple[str, tuple[int, int]]]
) -> None:
    small.autocode.run(coder="alex", code="Money", search="MONEY", unit=unit)
    assert spans(small, "alex") == {(d, "Money", *s) for d, s in expected}


def test_search_sentence_in_a_turn_and_regex(small: Any) -> None:
    # "fine" occurs twice in one turn, in two sentences
    small.autocode.run(coder="alex", code="Mood", search="fine", unit="sentence")
    assert spans(small, "alex") == {
        ("a", "Health/Mood", *span(A, "Participant 1: Fine", "Fine.")),
        ("a", "Health/Mood", *span(A, "Really", "fine.")),
    }
    small.autocode.run(
        coder="sam", code="Mood", search=r"line (one|three)", regex=True, unit="paragraph"
    )
    assert spans(small, "sam") == {
        ("b", "Health/Mood", *span(B, "First para line one", "line two.")),
        ("c", "Health/Mood", *span(C, "Line one", "short.")),
        ("c", "Health/Mood", *span(C, "Line three", "three.")),
    }


def test_where_codes_whole_documents_of_matching_cases(small: Any) -> None:
    small.documents.link_case("a", "P1")
    small.documents.link_case("b", "P2")
    small.cases.set("P1", "role", "peer")
    small.cases.set("P2", "role", "staff")
    result = small.autocode.run(coder="alex", code="Wellbeing", where=["role = peer"])
    assert result.added == 1
    assert spans(small, "alex") == {("a", "Wellbeing", 0, len(A) + 1)}


def test_documents_restrict_and_dry_run_writes_nothing(small: Any) -> None:
    preview = small.autocode.run(
        coder="alex", code="Money", search="line", unit="sentence", documents=["c"], dry_run=True
    )
    # c: "Line one is short." | "Line two talks about money." | "Line three."
    assert [(d.document, d.passages, d.new) for d in preview.per_document] == [("c", 3, 3)]
    assert [s.text for s in preview.sample] == [
        "Line one is short.",
        "Line two talks about money.",
        "Line three.",
    ]
    assert small.coding.count() == 0 and batch_count(small) == 0 and small.coding.coders() == []
    small.coding.apply("c", "Money", *span(C, "Line three", "three."), coder="alex")
    again = small.autocode.run(
        coder="alex", code="Money", search="line", unit="sentence", documents=["c"], dry_run=True
    )
    assert (again.passages, again.new) == (3, 2)
    assert small.coding.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speaker": "P*", "section": "Q1"}, "exactly one rule"),
        ({}, "exactly one rule"),
        ({"search": "money"}, "widened to a unit"),
        ({"speaker": "P*", "unit": "sentence"}, "only to a search"),
        ({"search": "(", "regex": True, "unit": "turn"}, "not a valid regular expression"),
        ({"speaker": "P*", "documents": ["zz"]}, "no document named 'zz'"),
        ({"where": ["colour = red"]}, "no attribute named 'colour'"),
    ],
)
def test_bad_requests_write_nothing(small: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((InputError, NotFoundError), match=message):
        small.autocode.run(coder="alex", code="Money", **kwargs)
    assert small.coding.count() == 0 and batch_count(small) == 0
