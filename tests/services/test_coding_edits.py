"""One coding at a time (``coding_edits.py``) and inductive codes (``proposals.py``), through the
services on both backends: edits keep the coding and say what changed, whole turns, coder
layers, proposals whose document has gone, and in-vivo names."""

from __future__ import annotations

from typing import Any

import pytest
from svc_helpers import P03_TEXT

import thematica
from thematica.core.errors import InputError, NotFoundError, PermissionDenied
from thematica.services.proposals import in_vivo_name


def as_member(p: Any, user: str, role: str) -> Any:
    p.members.add(user, role)
    return thematica.open_project(p.db.url, p.name, actor=user)


def alex_coding(p: Any, start: int, end: int) -> Any:
    return next(
        c
        for c in p.coding.in_document("P03-session", coder="alex")
        if (c.start, c.end) == (start, end)
    )


def test_edit_keeps_the_coding_and_logs_the_change(session_project: Any) -> None:
    p = session_project
    alex = as_member(p, "alex", "coder")
    staffing = alex_coding(p, 52, 79)  # "We lost two peers this year"
    assert P03_TEXT[55:79] == "lost two peers this year"
    row = alex.coding.edit(staffing.id, start=55, memo="attrition")
    assert (row.id, row.text, row.memo, row.path) == (
        staffing.id,
        "lost two peers this year",
        "attrition",
        "Org/Staffing",
    )
    entry = next(iter(p.audit_log(1)))
    assert (entry.actor, entry.action) == ("alex", "edit_coding")
    assert entry.detail["changes"] == {"start": [52, 55], "memo": [None, "attrition"]}
    # nothing to change: nothing logged
    alex.coding.edit(staffing.id, start=55)
    assert next(iter(p.audit_log(1))).id == entry.id
    # sam may neither change nor read it while coding is blind
    sam = as_member(p, "sam", "coder")
    with pytest.raises(PermissionDenied):
        sam.coding.edit(staffing.id, end=70)
    with pytest.raises(PermissionDenied):
        sam.coding.get(staffing.id)
    assert [c.coder for c in sam.coding.in_document("P03-session")] == ["sam"]


def test_delete_returns_what_was_removed(session_project: Any) -> None:
    p = session_project
    alex = as_member(p, "alex", "coder")
    pay = alex_coding(p, 75, 114)
    gone = alex.coding.delete(pay.id)
    assert (gone.path, gone.text) == ("Org/Pay", "year. The pay is too low to keep anyone")
    with pytest.raises(NotFoundError):
        alex.coding.get(pay.id)
    assert next(iter(p.audit_log(1))).detail["coding"] == pay.id


def test_whole_turn_and_whole_document(session_project: Any) -> None:
    alex = as_member(session_project, "alex", "coder")
    turn = alex.coding.get(alex.coding.apply_unit("P03-session", "Support", coder="alex", turn=1))
    assert (turn.start, turn.end) == (37, 115)  # the newline at 115 is not in the turn
    assert (
        turn.text
        == "Participant 3: We lost two peers this year. The pay is too low to keep anyone."
    )
    whole = alex.coding.get(alex.coding.apply_unit("P03-session", "Support", coder="alex"))
    assert (whole.start, whole.end) == (0, len(P03_TEXT) - 1)  # the final newline left out
    with pytest.raises(NotFoundError):
        alex.coding.apply_unit("P03-session", "Support", coder="alex", turn=9)


def test_proposal_accepted_after_its_document_was_removed(session_project: Any) -> None:
    p = session_project
    p.configure(coders_add_codes=False)
    sam = as_member(p, "sam", "coder")
    made = sam.proposals.new_code("P04-session", 15, 23, "Morale")
    assert made.outcome == "proposed"
    p.documents.remove("P04-session")
    done = p.proposals.accept(made.proposal)
    assert (done.outcome, done.path, done.coding) == ("created", "Morale", None)
    assert [r.status for r in p.proposals.list(None)] == ["accepted"]


def test_an_existing_code_is_applied_not_duplicated(session_project: Any) -> None:
    alex = as_member(session_project, "alex", "coder")
    made = alex.proposals.new_code("P03-session", 129, 145, "support")  # "Support" exists
    assert (made.outcome, made.path) == ("existing", "Support")
    assert len(session_project.codebook.tree()) == 5


def test_in_vivo_names() -> None:
    assert in_vivo_name('  "We just   keep\n going."  ') == "We just keep going"
    long = "word " * 30
    name = in_vivo_name(long)
    assert len(name) <= 80 and name == ("word " * 16).strip()
    with pytest.raises(InputError):
        in_vivo_name(" ... ")
