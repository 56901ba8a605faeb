"""Retrieval on a hand-built session (see svc_helpers): code queries, filters, excerpts, search.

alex coded P03-session (offsets worked out by hand):
  Org/Staffing [52, 79)   Org/Pay [75, 114)   Org [60, 99)   Support [161, 208)
  Question [129, 145)
and P04-session: Org/Staffing [15, 23). sam coded Org/Staffing [52, 69) in P03-session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_helpers import P03_TEXT, P04_TEXT, write

from thematica import InputError, NotFoundError, QuerySyntaxError

P03, P04 = "P03-session", "P04-session"


def spans(project: object, expression: str, **kwargs: object) -> list[tuple[str, int, int]]:
    table = project.query(expression, coder=kwargs.pop("coder", "alex"), **kwargs)  # type: ignore[attr-defined]
    return [(e.document, e.start, e.end) for e in table.rows]


def test_hand_offsets_mean_what_the_tests_say() -> None:
    assert P03_TEXT[52:79] == "We lost two peers this year"
    assert P03_TEXT[75:114] == "year. The pay is too low to keep anyone"
    assert P03_TEXT[60:99] == "two peers this year. The pay is too low"
    assert P03_TEXT[161:208] == "My supervisor checks in every week, which helps"
    assert P03_TEXT[129:145] == "And supervision?"
    assert P04_TEXT[15:23] == "Staffing"


def test_code_includes_its_subcodes_unless_asked_not_to(session_project: object) -> None:
    p = session_project
    assert spans(p, "Org") == [(P03, 52, 79), (P03, 60, 99), (P03, 75, 114), (P04, 15, 23)]
    assert spans(p, "Org", include_subcodes=False) == [(P03, 60, 99)]
    assert spans(p, "Staffing") == [(P03, 52, 79), (P04, 15, 23)]
    assert spans(p, "Org", documents=[P04]) == [(P04, 15, 23)]
    assert spans(p, "Org", limit=2) == [(P03, 52, 79), (P03, 60, 99)]


def test_boolean_operators(session_project: object) -> None:
    p = session_project
    # AND: the characters coded by both
    and_rows = p.query("Staffing AND Pay", coder="alex").rows
    assert [(e.start, e.end, e.text) for e in and_rows] == [(75, 79, "year")]
    assert and_rows[0].codes == ["Org/Pay", "Org/Staffing"]
    # OR: every span of either
    assert spans(p, "Staffing OR Pay") == [(P03, 52, 79), (P03, 75, 114), (P04, 15, 23)]
    # AND NOT: Staffing minus Pay's coverage
    not_rows = p.query("Staffing AND NOT Pay", coder="alex").rows
    assert [(e.document, e.start, e.end, e.text) for e in not_rows] == [
        (P03, 52, 75, "We lost two peers this "),
        (P04, 15, 23, "Staffing"),
    ]
    # OVERLAPS: whole spans of the left side that share a character with the right side
    assert spans(p, "Pay OVERLAPS Staffing") == [(P03, 75, 114)]
    assert spans(p, "Support OVERLAPS Pay") == []
    # NEAR/N: gap from Pay's end (114) to Support's start (161) is 47 characters
    assert spans(p, "Support NEAR/47 Pay") == [(P03, 161, 208)]
    assert spans(p, "Support NEAR/46 Pay") == []
    assert spans(p, "Support WITHIN 47 Pay") == [(P03, 161, 208)]
    # precedence and grouping: AND binds tighter than OR
    assert spans(p, "Question OR Staffing AND Pay") == [(P03, 75, 79), (P03, 129, 145)]
    assert spans(p, "(Question OR Staffing) AND Pay") == [(P03, 75, 79)]
    # keywords are case-insensitive
    assert spans(p, "staffing and not pay") == spans(p, "Staffing AND NOT Pay")


def test_query_errors(session_project: object) -> None:
    p = session_project
    with pytest.raises(NotFoundError, match="no code 'Nope'"):
        p.query("Staffing AND Nope", coder="alex")
    with pytest.raises(QuerySyntaxError, match="position"):
        p.query("Staffing AND", coder="alex")
    with pytest.raises(QuerySyntaxError):
        p.query("(Staffing OR Pay", coder="alex")
    with pytest.raises(NotFoundError, match="no attribute named 'age'"):
        p.query("Staffing", coder="alex", where=["age > 3"])
    with pytest.raises(QuerySyntaxError):
        p.query("Staffing", coder="alex", where=["lived_experience ~ yes"])


def test_attribute_filter(session_project: object) -> None:
    p = session_project
    assert spans(p, "Staffing", where=["lived_experience = yes"]) == [(P03, 52, 79)]
    assert spans(p, "Staffing", where=["lived_experience = no"]) == [(P04, 15, 23)]
    assert spans(p, "Staffing", where=["lived_experience = Y"]) == [(P03, 52, 79)]
    assert spans(p, "Staffing", where=["lived_experience is missing"]) == []
    # all conditions must hold
    assert spans(p, "Org", where=["lived_experience = yes", "lived_experience = no"]) == []


def test_excerpts_carry_speaker_case_and_attribution(session_project: object) -> None:
    p = session_project
    rows = p.query("Question OR Support", coder="alex").rows
    assert [(e.speaker, e.case, e.attribution, e.text) for e in rows] == [
        ("Interviewer", "P03", "\u2013 Participant 3", "And supervision?"),
        (
            "Participant 3",
            "P03",
            "\u2013 Participant 3",
            "My supervisor checks in every week, which helps",
        ),
    ]
    (p04,) = p.query("Staffing", coder="alex", documents=[P04]).rows
    assert (p04.speaker, p04.attribution) == ("Participant 4", "\u2013 Participant 4")
    frame = p.query("Staffing", coder="alex").to_dataframe()
    assert list(frame["text"]) == ["We lost two peers this year", "Staffing"]


def test_search_kwic(session_project: object) -> None:
    p = session_project

    def hits(query: str, **kwargs: object) -> list[tuple[str, int, int, str]]:
        return [(h.document, h.start, h.end, h.match) for h in p.search(query, **kwargs).rows]

    assert hits("PAY") == [(P03, 85, 88, "pay")]
    assert hits("supervis*") == [(P03, 133, 144, "supervision"), (P03, 164, 174, "supervisor")]
    assert hits('"too low"') == [(P03, 92, 99, "too low")]
    assert hits('"low too"') == []
    # several words: all must be in the document; each is shown
    assert hits("pay supervisor") == [(P03, 85, 88, "pay"), (P03, 164, 174, "supervisor")]
    assert hits("pay nobody") == []
    assert hits("staffing") == [(P03, 27, 35, "staffing"), (P04, 15, 23, "Staffing")]
    assert hits("staffing", where=["lived_experience = no"]) == [(P04, 15, 23, "Staffing")]
    assert hits("staffing", documents=[P03]) == [(P03, 27, 35, "staffing")]
    assert hits("staff") == []  # whole words unless a * asks for a prefix
    assert len(hits("staffing", limit=1)) == 1
    (hit,) = p.search("pay", width=8).rows
    assert (hit.left, hit.match, hit.right) == ("ar. The ", "pay", " is too ")
    assert hit.speaker == "Participant 3"
    assert hit.case == "P03"
    for row in p.search("supervis* staffing").rows:
        text = P03_TEXT if row.document == P03 else P04_TEXT
        assert text[row.start : row.end] == row.match
    with pytest.raises(InputError, match="nothing to search for"):
        p.search("  *  ")
    with pytest.raises(InputError, match="unbalanced"):
        p.search('"too low')


def test_search_tokenisation_agrees_across_backends(project: object, tmp_path: Path) -> None:
    p = project
    text = (
        "P1: I don't carry it on the post-overdose visits; my co-worker does.\n"
        "P1: Naloxone, NALOXONE and naloxone's box.\n"
    )
    p.documents.import_files([write(tmp_path / "P1.txt", text)])

    def found(query: str) -> list[str]:
        return [text[h.start : h.end] for h in p.search(query).rows]

    assert found("don't") == ["don't"]
    assert found('"post overdose"') == ["post-overdose"]
    assert found("overdose") == ["overdose"]
    assert found("co-worker") == ["co-worker"]
    assert found("naloxone") == ["Naloxone", "NALOXONE", "naloxone"]
    assert found("nalox*") == ["Naloxone", "NALOXONE", "naloxone"]


def test_search_finds_words_inside_dotted_tokens(project: object, tmp_path: Path) -> None:
    """Transcripts have "3.5 years", "visits.Then" (a missing space) and web addresses.

    PostgreSQL's own parser keeps such strings as one token; migration 0002 indexes the text
    with punctuation split off so both backends find the same words.
    """
    p = project
    text = "P1: I went on visits.Then after 3.5 years I moved to www.harmreduction.org.\n"
    p.documents.import_files([write(tmp_path / "P1.txt", text)])
    for word in ("visits", "then", "3", "5", "harmreduction"):
        assert [text[h.start : h.end].lower() for h in p.search(word).rows] == [word], word


def test_demo_attribute_filter_partitions_the_excerpts(demo: object) -> None:
    p = demo
    # participants.csv: lived_experience yes for P01, P02, P07; no for P03, P05, P06; P04 blank
    everything = p.query("Organizational", coder="alex").rows
    parts = {
        cond: p.query("Organizational", coder="alex", where=[f"lived_experience {cond}"]).rows
        for cond in ("= yes", "= no", "is missing")
    }
    assert {e.case for e in parts["= yes"]} == {"P01", "P02", "P07"}
    assert {e.case for e in parts["= no"]} <= {"P03", "P05", "P06"}
    assert {e.case for e in parts["is missing"]} == {"P04"}
    key = [(e.document, e.start, e.end) for e in everything]
    split = sorted((e.document, e.start, e.end) for rows in parts.values() for e in rows)
    assert split == sorted(key)
    texts = {d: p.documents.get(d).text for d in {e.document for e in everything}}
    for e in everything:
        assert texts[e.document][e.start : e.end] == e.text
        assert e.attribution == f"\u2013 Participant {int(e.case[1:])}"
