"""The results draft of a focus-group study quotes and counts participants, not documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fg_helpers import build_focus_groups


def test_report_quotes_speakers_and_counts_participants(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    p.themes.add("Short staffing", codes=["Staffing"])
    p.themes.add("Being supported", codes=["Support"])
    data = p.reports.data(coder="ann", figures=())
    sections = {s.name: s for s in data.sections}

    staffing = sections["Short staffing"]
    # said by P1 and P2 (focus group 1), P5 (focus group 2) and P7 (an interview): 4 of 7
    assert (staffing.cases, staffing.total) == (4, 7)
    assert {q.attribution for q in staffing.quotes} <= {
        "\u2013 Participant 1, focus group 1",
        "\u2013 Participant 2, focus group 1",
        "\u2013 Participant 5, focus group 2",
        "\u2013 Participant 7",
    }
    assert len({q.case for q in staffing.quotes}) == len(staffing.quotes)  # one per person

    support = sections["Being supported"]
    # the moderator's "What helps you at work?" is coded Support but is nobody's view
    assert (support.cases, support.total) == (1, 7)
    assert [(q.attribution, q.text) for q in support.quotes] == [
        ("\u2013 Participant 2, focus group 1", "my supervisor helps")
    ]


def test_methods_count_participants_in_focus_groups(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    p.themes.add("Short staffing", codes=["Staffing"])
    methods = p.reports.data(coder="ann", figures=()).methods
    # FG1, FG2 and one interview: 3 documents, but P1..P7 are the participants
    assert methods.startswith(
        "The analysis drew on 3 documents (interviews and focus groups) with 7 participants, "
        "each counted by what they said."
    )


def test_a_moderator_inside_a_quote_is_not_credited(project: Any, tmp_path: Path) -> None:
    from fg_helpers import FG1, span

    p = build_focus_groups(project, tmp_path)
    # from P1's first answer through the moderator's "Anything else?"
    start = span(FG1, "Staffing is the problem")[0]
    end = span(FG1, "Anything else?")[1]
    with p.db.read() as conn:
        attr = p.speakers.attributor(conn)
        doc_id = p.documents.get("FG1").id
        assert attr.attribution(doc_id, start, end) == (
            "\u2013 Participant 1 and Participant 2 and Participant 3, focus group 1"
        )
        only = span(FG1, "Anything else?")
        assert attr.attribution(doc_id, *only) == "\u2013 Moderator, focus group 1"
