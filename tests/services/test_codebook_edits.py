"""Conflict-safe codebook edits (revisions), merge and split, on both backends.

The small session project (svc_helpers): codes Org, Org/Staffing, Org/Pay, Support, Question;
alex coded P03 [52, 79) Staffing, [75, 114) Pay, [60, 99) Org, [161, 208) Support,
[129, 145) Question and P04 [15, 23) Staffing; sam coded P03 [52, 69) Staffing.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select
from svc_helpers import P03_TEXT

from thematica.core.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDenied,
    StaleEdit,
)
from thematica.services.accounts import open_project_for
from thematica.store import schema as t


def as_user(p: Any, user: str) -> Any:
    return open_project_for(p.db, p.name, user)


@pytest.fixture
def team(session_project: Any) -> Any:
    """The session project with two owners (olivia, priya), a coder and a viewer."""
    p = session_project
    p.members.add("olivia", "owner")
    p.members.add("priya", "owner")
    p.members.add("alex", "coder")
    p.members.add("vera", "viewer")
    return p


def code_id(p: Any, path: str) -> int:
    return int(p.codebook.get(path)["id"])


def footprint(p: Any) -> tuple[Any, ...]:
    """Everything an edit could touch: the codes (name, parent, fields, revision), the codings
    (code of each), history rows, audit entries, theme links and memos."""
    with p.db.read() as conn:
        codes = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    t.code.c.id,
                    t.code.c.name,
                    t.code.c.parent_id,
                    t.code.c.definition,
                    t.code.c.exclusive,
                    t.code.c.revision,
                ).where(t.code.c.project_id == p.id)
            )
        )
        codings = sorted(
            tuple(r)
            for r in conn.execute(
                select(t.coding.c.id, t.coding.c.code_id, t.coding.c.memo).where(
                    t.coding.c.project_id == p.id
                )
            )
        )
        counts = tuple(
            conn.scalar(select(func.count()).select_from(tb).where(tb.c.project_id == p.id))
            for tb in (t.codebook_change, t.audit_log, t.memo)
        )
        links = conn.scalar(select(func.count()).select_from(t.theme_code))
    return codes, codings, counts, links


def spans(p: Any, code: str) -> set[tuple[str, str, int, int]]:
    """(document, coder, start, end) of the codings of exactly this code."""
    return {
        (r.document, r.coder, r.start, r.end)
        for r in p.coding.list(coder="all", code=code)
        if r.code == code
    }


# -- revisions -------------------------------------------------------------------------------


def test_second_owner_editing_an_old_revision_is_refused(team: Any) -> None:
    olivia, priya = as_user(team, "olivia"), as_user(team, "priya")
    cid = code_id(team, "Org/Staffing")
    r = olivia.codebook.get_by_id(cid).revision
    assert priya.codebook.get_by_id(cid).revision == r  # both loaded the same revision

    olivia.codebook.update(cid, name="Staff shortages", revision=r)
    assert olivia.codebook.get_by_id(cid).revision == r + 1

    before = footprint(team)
    with pytest.raises(StaleEdit) as caught:
        priya.codebook.update(cid, name="Staffing levels", definition="Mine.", revision=r)
    message = str(caught.value)
    assert "olivia" in message and "Staff shortages" in message
    assert "\n" not in message
    current = caught.value.detail["current"]
    assert current["name"] == "Staff shortages"
    assert current["path"] == "Org/Staff shortages"
    assert current["revision"] == r + 1
    assert caught.value.detail["changed_by"] == "olivia"
    assert footprint(team) == before  # nothing written, not even an audit entry
    entry = team.codebook.get_by_id(cid)
    assert (entry.name, entry.definition, entry.revision) == ("Staff shortages", "", r + 1)

    # priya reloads and applies her edit on the new revision: it goes through
    priya.codebook.update(cid, definition="Mine.", revision=r + 1)
    assert team.codebook.get_by_id(cid).definition == "Mine."
    # the command line gives no revision and keeps working
    team.codebook.update("Org/Staff shortages", example="We lost two peers.")
    assert team.codebook.get_by_id(cid).revision == r + 3


def test_every_change_bumps_the_revision_once(team: Any) -> None:
    cb = team.codebook
    cid = code_id(team, "Org/Pay")
    r = cb.get_by_id(cid).revision
    assert r == 1  # new codes start at 1

    cb.update(cid, name="Wages", definition="Pay levels.", revision=1)  # two fields: one bump
    assert cb.get_by_id(cid).revision == 2
    cb.update(cid, definition="Pay levels.", revision=2)  # no change: no bump
    assert cb.get_by_id(cid).revision == 2
    cb.move(cid, None, revision=2)
    assert (cb.get_by_id(cid).revision, cb.get_by_id(cid).path) == (3, "Wages")
    cb.set_exclusive(cid, True, revision=3)
    assert cb.get_by_id(cid).revision == 4
    cb.apply_specs(cb.parse_yaml("codes:\n  - name: Wages\n    memo: from a file\n"), source="test")
    assert cb.get_by_id(cid).revision == 5

    # an old revision is refused by every kind of edit, and nothing changes
    before = footprint(team)
    for edit in (
        lambda: cb.update(cid, memo="x", revision=4),
        lambda: cb.move(cid, "Org", revision=4),
        lambda: cb.set_exclusive(cid, False, revision=4),
        lambda: cb.remove(cid, force=True, revision=4),
        lambda: cb.merge(cid, "Support", revision=4),
        lambda: cb.split(cid, "Part", [1], revision=4),
    ):
        with pytest.raises(StaleEdit, match="now revision 5"):
            edit()
    assert footprint(team) == before


@pytest.mark.parametrize("kind", ["rename", "exclusive"])
def test_two_owners_racing_exactly_one_wins(team: Any, kind: str) -> None:
    """Both save against the same revision at the same moment: one wins, one is told. (A
    rename also queues on the codebook lock; marking subcodes exclusive relies on the
    compare-and-set alone.)"""
    cid = code_id(team, "Org")
    for round_ in range(4):
        r = team.codebook.get_by_id(cid).revision
        people = [as_user(team, "olivia"), as_user(team, "priya")]
        if kind == "rename":
            edits = [
                partial(p.codebook.update, cid, name=f"Org {round_}-{i}", revision=r)
                for i, p in enumerate(people)
            ]
        else:
            edits = [
                partial(p.codebook.set_exclusive, cid, round_ % 2 == 0, revision=r) for p in people
            ]
        results = race(edits)
        assert sorted(x.split()[0] for x in results) == ["stale", "won"], results
        winner = next(x for x in results if x.startswith("won")).split()[1]
        entry = team.codebook.get_by_id(cid)
        assert entry.revision == r + 1
        if kind == "rename":
            assert entry.name == f"Org {round_}-{winner}"
        else:
            assert entry.exclusive is (round_ % 2 == 0)


def race(edits: list[Any]) -> list[str]:
    """Run the edits in threads released at the same moment: "won i" or "stale" for each."""
    barrier = threading.Barrier(len(edits))
    results: list[str] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            edits[i]()
            results.append(f"won {i}")
        except StaleEdit:
            results.append("stale")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(edits))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    return results


# -- merge -----------------------------------------------------------------------------------


def test_merge_moves_codings_subcodes_themes_and_collapses_duplicates(team: Any) -> None:
    p = team
    # Pay also coded alex's "We lost two peers this year" [52, 79), which Staffing has: a
    # duplicate; both codings carry a memo, and a memo note hangs on Pay's one
    assert P03_TEXT[52:79] == "We lost two peers this year"
    pay_dupe = p.coding.apply("P03-session", "Org/Pay", 52, 79, coder="alex", memo="pay memo")
    staff_kept = next(
        r.id
        for r in p.coding.list(coder="alex", code="Org/Staffing")
        if (r.document, r.start, r.end) == ("P03-session", 52, 79)
    )
    p.coding.set_memo(staff_kept, "staff memo")
    p.memos.add("coding", str(pay_dupe), "a note on the pay coding")
    p.codebook.add("Wages", "Org/Pay")
    p.coding.apply("P04-session", "Org/Pay/Wages", 0, 13, coder="alex")
    p.themes.add("Working conditions", codes=["Org/Pay"])
    p.themes.add("Money", codes=["Org/Pay", "Org/Staffing"])

    pay, staffing = spans(p, "Org/Pay"), spans(p, "Org/Staffing")
    assert pay == {("P03-session", "alex", 75, 114), ("P03-session", "alex", 52, 79)}
    assert staffing == {
        ("P03-session", "alex", 52, 79),
        ("P04-session", "alex", 15, 23),
        ("P03-session", "sam", 52, 69),
    }
    codings_before = p.coding.count()
    sid, tid = code_id(p, "Org/Pay"), code_id(p, "Org/Staffing")
    target_rev = p.codebook.get_by_id(tid).revision

    olivia = as_user(p, "olivia")
    report = olivia.codebook.merge(sid, tid, revision=p.codebook.get_by_id(sid).revision)

    assert (report.moved, report.collapsed) == (1, 1)
    assert report.subcodes == ["Org/Staffing/Wages"]
    assert report.themes == 2
    assert spans(p, "Org/Staffing") == pay | staffing  # the union, the duplicate once
    assert p.coding.count() == codings_before - 1
    with pytest.raises(NotFoundError):
        p.codebook.get("Org/Pay")
    kept = next(r for r in p.coding.list(coder="alex", code="Org/Staffing") if r.id == staff_kept)
    assert kept.memo == "staff memo\n\npay memo"
    notes = p.memos.list("coding", str(staff_kept))
    assert [m.text for m in notes] == ["a note on the pay coding"]
    assert spans(p, "Org/Staffing/Wages") == {("P04-session", "alex", 0, 13)}
    themes = {th.name: th.codes for th in p.themes.list()}
    assert themes["Working conditions"] == ["Org/Staffing"]
    assert sorted(themes["Money"]) == ["Org/Staffing"]
    assert p.codebook.get_by_id(tid).revision == target_rev + 1

    last = p.codebook.history().rows[-1]
    assert (last.action, last.path, last.old, last.actor) == (
        "merge",
        "Org/Staffing",
        "Org/Pay",
        "olivia",
    )
    assert last.new == "2 codings, 1 of them already there, 1 subcodes"
    assert [h.action for h in p.codebook.code_history(tid).rows][-1] == "merge"
    entry = p.audit_log(limit=1).rows[0]
    assert (entry.actor, entry.action) == ("olivia", "merge_codes")
    assert entry.detail["moved"] == 1 and entry.detail["collapsed"] == 1
    assert entry.detail["source"] == "Org/Pay" and entry.detail["target"] == "Org/Staffing"


def test_merge_refuses_bad_requests_and_changes_nothing(team: Any) -> None:
    p = team
    team.codebook.add("Staffing", "Support")  # Support/Staffing: a name clash under Org
    before = footprint(p)
    org, staffing, support = (code_id(p, x) for x in ("Org", "Org/Staffing", "Support"))
    with pytest.raises(InputError, match="into itself"):
        p.codebook.merge(org, org)
    with pytest.raises(InputError, match="its own subcode 'Org/Staffing'"):
        p.codebook.merge(org, staffing)
    with pytest.raises(NotFoundError, match="no code with id 987654"):
        p.codebook.merge(987654, org)
    with pytest.raises(ConflictError, match="already has a subcode named 'Staffing'"):
        p.codebook.merge(support, org)
    assert footprint(p) == before


# -- split -----------------------------------------------------------------------------------


def test_split_moves_exactly_the_chosen_codings(team: Any) -> None:
    p = team
    p.codebook.update("Org/Staffing", definition="Too few staff.", sem_level="organizational")
    rows = p.coding.list(coder="all", code="Org/Staffing")
    chosen = [
        r.id
        for r in rows
        if (r.document, r.coder, r.start)
        in {("P03-session", "alex", 52), ("P03-session", "sam", 52)}
    ]
    assert len(chosen) == 2
    cid = code_id(p, "Org/Staffing")
    rev = p.codebook.get_by_id(cid).revision

    report = as_user(p, "priya").codebook.split(cid, "Staff turnover", chosen, revision=rev)

    assert (report.new, report.moved, report.revision) == ("Org/Staff turnover", 2, rev + 1)
    assert spans(p, "Org/Staff turnover") == {
        ("P03-session", "alex", 52, 79),
        ("P03-session", "sam", 52, 69),
    }
    assert spans(p, "Org/Staffing") == {("P04-session", "alex", 15, 23)}
    new = p.codebook.get_by_id(report.new_id)
    assert (new.parent_id, new.definition, new.sem_level) == (
        code_id(p, "Org"),
        "",
        "organizational",
    )
    last = p.codebook.code_history(cid).rows[-1]
    assert (last.action, last.old, last.new, last.actor) == (
        "split",
        "2 codings",
        "Org/Staff turnover",
        "priya",
    )
    assert p.audit_log(limit=1).rows[0].detail["codings"] == sorted(chosen)

    # as a subcode, the definition copied
    rest = [
        r.id for r in p.coding.list(coder="all", code="Org/Staffing") if r.code == "Org/Staffing"
    ]
    report = p.codebook.split("Org/Staffing", "Rural", rest, child=True, copy_definition=True)
    assert report.new == "Org/Staffing/Rural"
    assert p.codebook.get("Org/Staffing/Rural")["definition"] == "Too few staff."
    assert spans(p, "Org/Staffing") == set()


def test_split_refuses_bad_requests_and_changes_nothing(team: Any) -> None:
    p = team
    pay = next(r.id for r in p.coding.list(coder="alex", code="Org/Pay"))
    mine = next(r.id for r in p.coding.list(coder="alex", code="Org/Staffing"))
    before = footprint(p)
    with pytest.raises(InputError, match="not codings of 'Org/Staffing'"):
        p.codebook.split("Org/Staffing", "Part", [mine, pay])
    with pytest.raises(InputError, match="at least one coding"):
        p.codebook.split("Org/Staffing", "Part", [])
    with pytest.raises(InputError, match="needs a name"):
        p.codebook.split("Org/Staffing", "   ", [mine])
    with pytest.raises(ConflictError, match="already exists"):
        p.codebook.split("Org/Staffing", "pay", [mine])
    assert footprint(p) == before


# -- who may ---------------------------------------------------------------------------------


def test_coders_and_viewers_may_not_edit_the_codebook(team: Any) -> None:
    cid = code_id(team, "Org/Staffing")
    some = next(r.id for r in team.coding.list(coder="alex", code="Org/Staffing"))
    before = footprint(team)
    for user in ("alex", "vera"):
        p = as_user(team, user)
        assert p.codebook.get_by_id(cid).name == "Staffing"  # reading is fine
        cb = p.codebook
        for edit in (
            lambda cb=cb: cb.update(cid, name="Mine", revision=1),
            lambda cb=cb: cb.move(cid, None),
            lambda cb=cb: cb.merge(cid, "Support"),
            lambda cb=cb: cb.split(cid, "Part", [some]),
            lambda cb=cb: cb.remove(cid, force=True),
            lambda cb=cb: cb.set_exclusive(cid, True),
        ):
            with pytest.raises(PermissionDenied, match="may not change the codebook"):
                edit()
    assert footprint(team) == before


def test_bad_edits_change_nothing(team: Any) -> None:
    cb = team.codebook
    org = code_id(team, "Org")
    before = footprint(team)
    with pytest.raises(InputError, match="needs a name"):
        cb.update(org, name="   ", revision=1)
    with pytest.raises(InputError, match="under itself"):
        cb.move(org, "Org/Staffing", revision=1)
    with pytest.raises(NotFoundError, match="no code with id 55555"):
        cb.update(55555, name="X")
    assert footprint(team) == before
    # a code removed meanwhile: the second editor learns who removed it
    question = code_id(team, "Question")
    as_user(team, "olivia").codebook.remove("Question", force=True)
    with pytest.raises(NotFoundError, match="'Question' was removed by olivia") as caught:
        cb.update(question, name="Q", revision=1)
    assert "\n" not in str(caught.value)


def test_a_reused_id_never_takes_an_edit_meant_for_the_removed_code(team: Any) -> None:
    """SQLite gives a new code the id of the newest code removed: an editor still holding the
    removed one must not save onto the new one, and the new one's history starts afresh."""
    cb = team.codebook
    cb.add("Temp")
    old = code_id(team, "Temp")
    cb.remove(old, revision=1)  # someone else still has Temp open at revision 1
    cb.add("Fresh")
    new = code_id(team, "Fresh")
    if team.db.dialect == "sqlite":
        assert new == old  # the reuse this guards against
    with pytest.raises((StaleEdit, NotFoundError)):
        cb.update(old, name="Edited", revision=1)
    assert cb.get_by_id(new).name == "Fresh"
    assert [h.action for h in cb.code_history(new)] == ["create"]


def test_consensus_and_saved_agreement_survive_a_merge(team: Any) -> None:
    """Decisions and saved runs name codes by path in their own records (no key to the code
    table): after a merge they still read, and the consensus layer's codings follow."""
    p = team
    p.coding.apply("P03-session", "Org/Pay", 75, 114, coder="sam")  # as alex: agreed
    started = p.consensus.start(("alex", "sam"))
    assert started.agreed == 1
    p.agreement.compute(("alex", "sam"), "segment", bootstrap=0, save="round 1")
    decisions = len(p.consensus.log())
    assert decisions == started.agreed + started.decided
    layer = started.layer
    consensus_before = {
        (r.document, r.start, r.end) for r in p.coding.list(coder=layer, code="Org")
    }

    p.codebook.merge("Org/Pay", "Org/Staffing")

    assert len(p.consensus.log()) == decisions
    p.consensus.disagreements()
    p.consensus.status()
    assert [r.name for r in p.agreement.runs()] == ["round 1"]
    assert {
        (r.document, r.start, r.end) for r in p.coding.list(coder=layer, code="Org")
    } == consensus_before
    assert {(r.code, r.start, r.end) for r in p.coding.list(coder=layer)} == {
        ("Org/Staffing", 75, 114)
    }
