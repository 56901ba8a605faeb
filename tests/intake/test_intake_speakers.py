"""Default speaker labels: the common roles are recognised, prose is not mistaken for a label."""

from __future__ import annotations

import pytest

from thematica.core.text import detect_turns


def _turns(text: str) -> list[tuple[str | None, str]]:
    return [(t.speaker, text[t.start : t.end]) for t in detect_turns(text)]


@pytest.mark.parametrize(
    "label",
    [
        "Interviewer",
        "Moderator",
        "Facilitator",
        "Therapist",
        "Counsellor",
        "Counselor",
        "Client",
        "Respondent",
        "Participant 12",
        "P 3",
        "P07",
        "I",
        "R",
        "IV",
        "Q1",
        "Q 12",
        "MODERATOR",
        "Respondent 4",
    ],
)
def test_each_common_role_opens_a_turn(label: str) -> None:
    text = f"Intro line.\n{label}: What happened?\nThey left.\n"
    # the label line opens a turn that runs to the end; the intro stays a turn of its own
    assert _turns(text) == [(None, "Intro line."), (label, f"{label}: What happened?\nThey left.")]


def test_therapy_session_and_interview_abbreviations() -> None:
    text = (
        "Therapist: How was the week?\n"  # 0..28
        "Client: Hard. I think: nobody listens.\n"  # 29..67
        "I think: this is prose, not a label.\n"
        "Counselor 2: Go on.\n"
        "IV: And then?\n"
        "R: Then I stopped.\n"
    )
    assert _turns(text) == [
        ("Therapist", "Therapist: How was the week?"),
        (
            "Client",
            "Client: Hard. I think: nobody listens.\nI think: this is prose, not a label.",
        ),
        ("Counselor 2", "Counselor 2: Go on."),
        ("IV", "IV: And then?"),
        ("R", "R: Then I stopped."),
    ]
    turns = detect_turns(text)
    assert (turns[0].start, turns[0].end, turns[1].start) == (0, 28, 29)


@pytest.mark.parametrize(
    "line",
    [
        "I think: this is not a label.",
        "Note: the recorder stopped.",
        "Time: 10am",
        "Clients: are not one speaker.",
        "i: lower-case letters are prose",
        "Q1:no space after the colon",
    ],
)
def test_prose_lines_are_not_labels(line: str) -> None:
    text = f"{line}\nMore words.\n"
    assert [t.speaker for t in detect_turns(text)] == [None]
