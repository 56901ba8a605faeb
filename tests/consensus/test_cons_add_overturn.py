"""The consensus is the team's judgement: ``add`` a coding neither coder made, ``overturn`` one
both made; each with a reason, logged and counted apart; SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cons_helpers import S2, layer_codings, small_study, state

from thematica.core.errors import ConflictError, InputError, NotFoundError


def test_add_a_coding_neither_coder_made(project: Any, tmp_path: Path) -> None:
    p = project
    small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    before = layer_codings(p)
    # "the pay is bad" in S2: turn 4 starts at 117, "Participant: Nothing much, " is 27 long
    assert S2[144:158] == "the pay is bad"
    row = p.consensus.add("s2", "Pay", quote="the pay is bad", reason="pay is named outright")
    assert (row.action, row.kind, row.reason) == ("add", "added", "pay is named outright")
    assert row.disagreement == f"add-{row.decision}"
    assert row.source_codings == [] and row.source == "(neither coder)"
    assert [(x["code"], x["start"], x["end"]) for x in row.result_codings] == [("Pay", 144, 158)]
    assert layer_codings(p) == before | {("s2", "Pay", 144, 158)}
    by_span = p.consensus.add(
        "s1", "Support", 93, 117, reason="asking who helped", decided_by="kim"
    )
    assert by_span.decided_by == "kim"
    status = p.consensus.status().rows[0]
    assert (status.added, status.decided, status.open) == (2, 2, 5)
    assert status.consensus_codings == len(before) + 2

    after = state(p)
    refusals: list[tuple[type[Exception], str, tuple[Any, ...], dict[str, Any]]] = [
        (InputError, "needs a reason", ("s1", "Pay", 0, 5), {"reason": "  "}),
        (ConflictError, "already coded Pay", ("s2", "Pay", 144, 158), {"reason": "again"}),
        (InputError, "outside s1", ("s1", "Pay", 170, 999), {"reason": "r"}),
        (InputError, "or empty", ("s1", "Pay", 5, 5), {"reason": "r"}),
        (InputError, "not both", ("s1", "Pay", 0, 5), {"reason": "r", "quote": "Cold"}),
        (InputError, "needs a start", ("s1", "Pay"), {"reason": "r"}),
        (NotFoundError, "no code 'Wages'", ("s1", "Wages", 0, 5), {"reason": "r"}),
        (NotFoundError, "no document named 's3'", ("s3", "Pay", 0, 5), {"reason": "r"}),
    ]
    for error, fragment, args, kw in refusals:
        with pytest.raises(error, match=fragment) as info:
            p.consensus.add(*args, **kw)
        assert "\n" not in str(info.value)
        assert state(p) == after, fragment

    # an addition is revised like any decision: dropped after all
    with pytest.raises(InputError, match="revise it with drop or edit"):
        p.consensus.decide(row.disagreement, "keep_a", revise=True)
    p.consensus.decide(row.disagreement, "drop", "pay is context here", revise=True)
    assert ("s2", "Pay", 144, 158) not in layer_codings(p)
    status = p.consensus.status().rows[0]
    assert (status.added, status.drop, status.revised) == (1, 1, 1)


def test_overturn_a_coding_both_coders_made(project: Any, tmp_path: Path) -> None:
    p = project
    ids = small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    agreed_id = f"a{ids['a_staff_s1']}-b{ids['b_staff_s1']}"
    boundary_id = f"a{ids['a_coping_s2']}-b{ids['b_coping_s2']}"
    before = state(p)
    with pytest.raises(InputError, match=f"overturning {agreed_id} needs a reason"):
        p.consensus.overturn(agreed_id, "")
    with pytest.raises(InputError, match="overturn is for a coding both coders made"):
        p.consensus.overturn(f"a{ids['a_support_s1']}", "not support")
    with pytest.raises(NotFoundError, match="no open disagreement 'a1-b1'"):
        p.consensus.overturn("a1-b1", "nothing")
    assert state(p) == before

    row = p.consensus.overturn(agreed_id, "short of staff is context, not the topic")
    assert (row.action, row.kind) == ("overturn", "agreed")
    assert {x["id"] for x in row.source_codings} == {ids["a_staff_s1"], ids["b_staff_s1"]}
    assert row.result_codings == []
    assert ("s1", "Staffing", 34, 91) not in layer_codings(p)
    log = {r.decision: r for r in p.consensus.log()}
    assert log[row.supersedes].action == "agreed"
    assert log[row.supersedes].superseded_by == row.decision
    # a boundary (same code, different spans) can be overturned too
    p.consensus.overturn(boundary_id, "coping is not what this is about", decided_by="kim")
    status = p.consensus.status().rows[0]
    assert (status.agreed, status.overturned, status.open, status.decided) == (1, 2, 4, 2)
    assert status.consensus_codings == 1
    with pytest.raises(ConflictError, match="already decided"):
        p.consensus.overturn(agreed_id, "twice")
    # start does not bring the overturned agreement back
    assert p.consensus.start(("alex", "sam")).added == 0
    assert ("s1", "Staffing", 34, 91) not in layer_codings(p)
