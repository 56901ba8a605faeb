"""core.text: normalisation, offsets and speaker turns."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thematica.core.errors import InputError
from thematica.core.models import Turn
from thematica.core.text import DEFAULT_SPEAKER_PATTERN, detect_turns, normalise, speaker_at


def spans(text: str, turns: list[Turn]) -> list[tuple[str | None, str]]:
    return [(turn.speaker, text[turn.start : turn.end]) for turn in turns]


# --- normalise ---------------------------------------------------------------------------


def test_normalise_strips_leading_bom_only() -> None:
    assert normalise("\ufeffa\ufeffb") == "a\ufeffb"


def test_normalise_line_endings() -> None:
    assert normalise("a\r\nb\rc\n\r\nd") == "a\nb\nc\n\nd"


def test_normalise_composes_nfd() -> None:
    decomposed = "Cafe\u0301 Zu\u0308rich"
    result = normalise(decomposed)
    assert result == "Café Zürich"
    assert len(result) == len(decomposed) - 2
    assert unicodedata.is_normalized("NFC", result)


def test_offsets_slice_words_after_normalisation() -> None:
    raw = "\ufeffP1: I love the cafe\u0301 🙂🙂 on the corner.\r\nI: Why the cafe\u0301?\r\n"
    text = normalise(raw)
    for word in ("café", "🙂🙂", "corner", "Why"):
        start = text.index(word)
        assert text[start : start + len(word)] == word
    # the emoji are astral code points: one index each, not two UTF-16 units
    assert text.index("corner") - text.index("🙂🙂") == len("🙂🙂 on the ")


def test_uncomposable_combining_marks_keep_their_offsets() -> None:
    # q + combining dot below + combining acute has no precomposed form: stays 3 code points.
    word = "q\u0323\u0301"
    text = normalise(f"say {word} now")
    start = text.index("q")
    assert text[start : start + 3] == unicodedata.normalize("NFC", word)
    assert text[start + 3 :] == " now"


@given(st.text())
def test_normalise_is_idempotent_and_clean(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert "\r" not in once
    assert not once.startswith("\ufeff") or text.startswith("\ufeff\ufeff")


# --- speaker pattern ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "speaker"),
    [
        ("Interviewer: So tell me", "Interviewer"),
        ("Interviewee: Well", "Interviewee"),
        ("Moderator: Welcome", "Moderator"),
        ("Facilitator: Next", "Facilitator"),
        ("Participant 11: Yes", "Participant 11"),
        ("P11: Yes", "P11"),
        ("Respondent 3: No", "Respondent 3"),
        ("Speaker 2: Hm", "Speaker 2"),
        ("I: Question", "I"),
        ("R: Reply", "R"),
        ("Q: Question", "Q"),
        ("A: Answer", "A"),
        ("[Interviewer]: Hello", "Interviewer"),
        ("[P4:] Hello", "P4"),
        ("**Interviewer:** Hello", "Interviewer"),
        ("**Participant 2**: Hello", "Participant 2"),
        ("  Interviewer: indented", "Interviewer"),
    ],
)
def test_default_pattern_recognises_labels(line: str, speaker: str) -> None:
    match = re.compile(DEFAULT_SPEAKER_PATTERN, re.MULTILINE).match(line)
    assert match is not None
    assert match.group("speaker") == speaker


@pytest.mark.parametrize(
    "line",
    [
        "Note: the recorder stopped here",
        "Time: 10am",
        "Location: the clinic",
        "a: lower-case letters are prose",
        "Interviewers: plural is prose",
        "So I said: no way",
        "Answer: it depends",
        "I:nterrupted",
    ],
)
def test_default_pattern_ignores_prose(line: str) -> None:
    assert re.compile(DEFAULT_SPEAKER_PATTERN, re.MULTILINE).match(line) is None


# --- detect_turns ------------------------------------------------------------------------


def test_turns_with_header_and_continuation_paragraphs() -> None:
    text = (
        "Interview 7, 3 May\nSite: clinic\n\n"
        "Interviewer: How did it start?\n\n"
        "P7: It started slowly.\n\nThen it got worse.\nNote: she paused.\n\n\n"
        "Interviewer: And then?\n"
    )
    assert spans(text, detect_turns(text)) == [
        (None, "Interview 7, 3 May\nSite: clinic"),
        ("Interviewer", "Interviewer: How did it start?"),
        ("P7", "P7: It started slowly.\n\nThen it got worse.\nNote: she paused."),
        ("Interviewer", "Interviewer: And then?"),
    ]


def test_turn_spans_are_contiguous_coverage_of_labelled_text() -> None:
    text = "I: one\nR: two\ncontinued\nI: three"
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == ["I", "R", "I"]
    assert turns[1].start == turns[0].end + 1
    assert text[turns[1].start : turns[1].end] == "R: two\ncontinued"
    assert turns[-1].end == len(text)


def test_blank_header_is_not_a_turn() -> None:
    turns = detect_turns("\n\n  \nQ: first\nA: second")
    assert [t.speaker for t in turns] == ["Q", "A"]
    assert turns[0].start == len("\n\n  \n")


def test_unlabelled_text_gives_paragraph_turns() -> None:
    text = "\nFirst paragraph\nstill first.\n \t\nSecond.\n\n\nThird.  \n"
    assert spans(text, detect_turns(text)) == [
        (None, "First paragraph\nstill first."),
        (None, "Second."),
        (None, "Third."),
    ]


def test_empty_text_has_no_turns() -> None:
    assert detect_turns("") == []
    assert detect_turns("\n \n") == []


def test_custom_pattern() -> None:
    text = "ALICE > hello\nBOB > hi\nhow are you\n"
    turns = detect_turns(text, r"^(?P<speaker>[A-Z]+) >")
    assert spans(text, turns) == [("ALICE", "ALICE > hello"), ("BOB", "BOB > hi\nhow are you")]


def test_custom_pattern_replaces_default() -> None:
    # With a custom pattern, the default labels are no longer special.
    text = "Interviewer: hi\n- Jo - hello"
    turns = detect_turns(text, r"^- (?P<speaker>\w+) -")
    assert spans(text, turns) == [(None, "Interviewer: hi"), ("Jo", "- Jo - hello")]


def test_pattern_without_speaker_group_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"no group named 'speaker'") as info:
        detect_turns("x", r"^(\w+):")
    assert "\n" not in str(info.value)


def test_invalid_regex_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"invalid speaker pattern") as info:
        detect_turns("x", r"^(?P<speaker>\w+")
    assert "\n" not in str(info.value)


def test_turn_offsets_survive_astral_and_combining_characters() -> None:
    text = normalise("P1: 👩🏽‍⚕️ said cafe\u0301\nP2: ok\n")
    turns = detect_turns(text)
    assert spans(text, turns) == [("P1", "P1: 👩🏽‍⚕️ said café"), ("P2", "P2: ok")]


# --- speaker_at --------------------------------------------------------------------------


def test_speaker_at() -> None:
    text = "Header\n\nI: question\nR: answer"
    turns = detect_turns(text)
    assert speaker_at(turns, 0) is None  # header turn has no speaker
    assert speaker_at(turns, 6) is None  # gap between turns
    assert speaker_at(turns, text.index("question")) == "I"
    assert speaker_at(turns, text.index("answer")) == "R"
    assert speaker_at(turns, len(text)) is None
    assert speaker_at(turns, -1) is None
    assert speaker_at([], 3) is None


@given(st.lists(st.sampled_from(["I: a", "R: bb", "text", "", "P2: c c"]), max_size=12))
def test_speaker_at_agrees_with_linear_scan(lines: list[str]) -> None:
    text = "\n".join(lines)
    turns = detect_turns(text)
    for offset in range(len(text) + 1):
        expected = next((t.speaker for t in turns if t.start <= offset < t.end), None)
        assert speaker_at(turns, offset) == expected
