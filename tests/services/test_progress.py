"""``project.progress``: each coder's codings, turn coverage and status per document, with the
numbers worked out by hand on the session project (svc_helpers), and who may see and set what.

P03-session's turns (read off the text): [0, 36) Interviewer, [37, 115) Participant 3,
[116, 145) Interviewer, [146, 209) Participant 3. alex coded [52, 79), [75, 114), [60, 99)
(all in turn 1), [161, 208) (turn 3) and [129, 145) (turn 2): 5 codings touching 3 of 4 turns.
sam coded [52, 69): 1 coding, 1 turn. P04-session is one turn; alex coded it once, sam not.
"""

from __future__ import annotations

from typing import Any

import pytest

import thematica
from thematica.core.errors import InputError, NotFoundError, PermissionDenied
from thematica.services.progress import count_words


@pytest.fixture
def team(session_project: Any) -> Any:
    p = session_project
    p.members.add("alex", "coder")
    p.members.add("sam", "coder")
    p.members.add("cleo", "coder")  # has not coded yet
    p.members.add("vic", "viewer")
    return p


def _as(p: Any, user: str) -> Any:
    return thematica.open_project(p.db.url, p.name, actor=user)


def _cell(overview: Any, document: str, coder: str) -> Any:
    row = next(r for r in overview.documents if r.document == document)
    return next(c for c in row.coders if c.coder == coder)


def test_counts_coverage_size_and_case_by_hand(team: Any) -> None:
    ov = team.progress.overview()
    assert [r.document for r in ov.documents] == ["P03-session", "P04-session"]
    p03 = ov.documents[0]
    assert (p03.case, p03.turns, p03.characters) == ("P03", 4, 210)  # 209 and a newline
    assert p03.words == 5 + 16 + 3 + 10  # the four lines' words, counted by eye
    assert p03.speakers == ["Interviewer", "Participant 3"]
    assert p03.attributes == {"lived_experience": "yes"}
    assert ov.documents[1].words == 9 and ov.documents[1].attributes == {"lived_experience": "no"}
    alex = _cell(ov, "P03-session", "alex")
    assert (alex.codings, alex.coded_turns, alex.coverage) == (5, 3, 0.75)
    sam = _cell(ov, "P03-session", "sam")
    assert (sam.codings, sam.coded_turns, sam.coverage) == (1, 1, 0.25)
    assert _cell(ov, "P04-session", "alex").coverage == 1.0
    assert _cell(ov, "P04-session", "sam").coverage == 0.0
    # every coder is a column, cleo (a coder who has not coded) too; totals per layer
    assert [(c.name, c.codings, c.readable) for c in ov.coders] == [
        ("alex", 6, True),
        ("cleo", 0, True),
        ("sam", 1, True),
    ]
    assert _cell(ov, "P03-session", "cleo").codings == 0
    assert [a.name for a in ov.attributes] == ["lived_experience"]


def test_blind_coders_and_viewers_get_counts_but_coverage_only_of_what_they_read(
    team: Any,
) -> None:
    with _as(team, "sam") as sam:
        ov = sam.progress.overview()
        alex = _cell(ov, "P03-session", "alex")
        assert alex.codings == 5 and alex.coverage is None and alex.coded_turns is None
        assert _cell(ov, "P03-session", "sam").coverage == 0.25
        assert {c.name: (c.readable, c.mine) for c in ov.coders} == {
            "alex": (False, False),
            "cleo": (False, False),
            "sam": (True, True),
        }
    with _as(team, "vic") as vic:
        ov = vic.progress.overview()
        assert all(c.coverage is None for r in ov.documents for c in r.coders)
        assert _cell(ov, "P03-session", "sam").codings == 1
    team.configure(blind=False)
    with _as(team, "sam") as sam:
        assert _cell(sam.progress.overview(), "P03-session", "alex").coverage == 0.75


def test_a_coder_sets_only_their_own_status(team: Any) -> None:
    with _as(team, "alex") as alex:
        assert alex.progress.set_status("P03-session", "done") == "done"
        assert alex.progress.set_status("P03-session", "done") == "done"  # no change, no entry
        with pytest.raises(PermissionDenied, match="set the status of coder layer 'sam'"):
            alex.progress.set_status("P03-session", "done", coder="sam")
        with pytest.raises(InputError, match="unknown status"):
            alex.progress.set_status("P03-session", "half done")
        with pytest.raises(NotFoundError):
            alex.progress.set_status("P99", "done")
    with _as(team, "vic") as vic, pytest.raises(PermissionDenied):
        vic.progress.set_status("P03-session", "done")
    ov = team.progress.overview()
    assert _cell(ov, "P03-session", "alex").status == "done"
    assert _cell(ov, "P03-session", "sam").status is None
    assert next(c for c in ov.coders if c.name == "alex").documents_done == 1
    log = team.audit_log(10, action="document_status").rows
    assert [(e.actor, e.detail) for e in log] == [
        ("alex", {"coder": "alex", "document": "P03-session", "old": None, "new": "done"})
    ]
    # an owner may set a coder's; a name that is neither a layer nor a member is refused
    assert team.progress.set_status("P04-session", "in progress", coder="sam") == "in progress"
    with pytest.raises(NotFoundError, match="nobody"):
        team.progress.set_status("P04-session", "done", coder="nobody")
    assert team.progress.set_status("P04-session", "not started", coder="sam") is None
    assert _cell(team.progress.overview(), "P04-session", "sam").status is None


def test_overview_of_named_documents_and_facets(team: Any) -> None:
    ov = team.progress.overview(["P04-session"])
    assert [r.document for r in ov.documents] == ["P04-session"]
    with pytest.raises(NotFoundError, match="P99"):
        team.progress.overview(["P99"])
    facets = team.progress.audit_facets()
    assert {"init", "import", "code", "member_add"} <= set(facets.actions)
    assert facets.actions == sorted(facets.actions)


def test_words_are_counted_as_a_word_processor_does() -> None:
    assert count_words("— hello , world … 1-3 don't") == 4
    assert count_words("") == 0
    assert count_words("Zoë  naïve\n\tcafé") == 3
