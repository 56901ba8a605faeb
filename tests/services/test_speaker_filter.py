"""Queries and full-text search filtered by speaker: what the participants said, without the
interviewer's questions (expected values from the documents' own turns, not from retrieval)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from thematica.core.errors import InputError


def _speaker(project: Any, document: str, offset: int) -> str | None:
    for turn in project.documents.get(document).turns:
        if turn.start <= offset < turn.end:
            return str(turn.speaker)
    return None


def test_query_keeps_the_excerpts_of_the_speakers_asked_for(demo: Any) -> None:
    codings = demo.coding.list(coder="alex", code="Staffing")
    expected = sorted(
        (c.document, c.start, c.end)
        for c in codings
        if _speaker(demo, c.document, c.start) == "Participant 5"
    )
    assert expected  # P05 talks about staffing
    table = demo.query("Staffing", coder="alex", speakers=["participant 5"])
    assert sorted((r.document, r.start, r.end) for r in table.rows) == expected
    assert table.total == len(expected)
    everyone = demo.query("Staffing", coder="alex")
    assert len(everyone.rows) == len(codings) > len(expected)


def test_search_keeps_the_hits_in_the_speakers_turns(demo: Any) -> None:
    expected = []
    for doc in sorted(d.name for d in demo.documents.list()):
        text = demo.documents.get(doc).text
        for m in re.finditer(r"(?i)\bweek\b", text):
            if _speaker(demo, doc, m.start()) == "Interviewer":
                expected.append((doc, m.start()))
    assert expected
    hits = demo.search("week", speakers=["Interviewer"], limit=1000)
    assert [(h.document, h.start) for h in hits.rows] == expected
    assert all(h.speaker == "Interviewer" for h in hits.rows)
    paged = demo.search("week", speakers=["Interviewer"], limit=1, offset=0)
    assert paged.total == len(expected) and len(paged.rows) == 1


def test_an_empty_speaker_list_is_refused(demo: Any) -> None:
    with pytest.raises(InputError, match="speaker"):
        demo.query("Staffing", coder="alex", speakers=[" "])
