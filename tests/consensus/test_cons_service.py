"""The consensus service on the demo, on SQLite and PostgreSQL: start, each action, refusals,
revisions, the log, and analysis reading the consensus layer by default."""

from __future__ import annotations

from typing import Any

import pytest
from cons_helpers import decision_count, human_codings, layer_codings, state

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.services.consensus import AGREED_REASON


def _identical_spans(p: Any) -> set[tuple[str, str, int, int]]:
    """Counted without the consensus code: (document, code, start, end) both coders have."""
    alex = {(r.document, r.code, r.start, r.end) for r in p.coding.list(coder="alex")}
    sam = {(r.document, r.code, r.start, r.end) for r in p.coding.list(coder="sam")}
    return alex & sam


def _first(p: Any, kind: str, skip: int = 0) -> Any:
    return [d for d in p.consensus.disagreements() if d.kind == kind][skip]


def test_start_puts_exactly_the_identical_spans_into_the_layer(demo: Any) -> None:
    p = demo
    identical = _identical_spans(p)
    assert 0 < len(identical) < len(p.coding.list(coder="alex"))  # imperfect agreement
    before = human_codings(p)
    summary = p.consensus.start(("alex", "sam"))
    assert summary.added == summary.agreed == len(identical)
    assert layer_codings(p) == identical
    assert p.coding.coders() == ["alex", "sam", "consensus"]
    log = p.consensus.log()
    assert len(log) == len(identical)
    assert {r.action for r in log} == {"agreed"}
    assert all(r.reason == AGREED_REASON and r.decided_by == "alex+sam" for r in log)
    open_ = p.consensus.disagreements()
    assert summary.open == len(open_) > 0
    # multi-label: no code group is declared exclusive, so X against Y is two disagreements
    assert {d.kind for d in open_} == {"boundary", "only_a", "only_b"}
    # in document order, ids unique and made of the source coding ids
    keys = [(d.document, d.start) for d in open_]
    assert keys == sorted(keys)
    assert len({d.id for d in open_}) == len(open_)
    for d in open_:
        expected = "-".join(([f"a{d.a.id}"] if d.a else []) + ([f"b{d.b.id}"] if d.b else []))
        assert d.id == expected
        assert (d.coder_a, d.coder_b) == ("alex", "sam")
    # running again adds nothing
    again = p.consensus.start(("alex", "sam"))
    assert (again.added, again.agreed, again.open) == (0, summary.agreed, summary.open)
    assert decision_count(p) == len(identical)
    assert human_codings(p) == before
    status = p.consensus.status().rows[0]
    assert (status.agreed, status.open, status.decided) == (len(identical), summary.open, 0)
    assert status.consensus_codings == len(identical)
    assert status.compared == status.agreed + status.open


def test_each_action_writes_its_consensus_codings(started: Any) -> None:
    p = started
    before_humans = human_codings(p)

    def decide(d: Any, action: str, **kw: Any) -> set[tuple[str, str, int, int]]:
        layer_before = layer_codings(p)
        row = p.consensus.decide(d.id, action, f"because {action}", **kw)
        assert row.action == action and row.disagreement == d.id
        results = {(d.document, r["code"], r["start"], r["end"]) for r in row.result_codings}
        assert results <= layer_codings(p)
        assert layer_codings(p) - layer_before <= results
        return results

    b = [d for d in p.consensus.disagreements() if d.kind == "boundary"][:5]
    assert decide(b[0], "keep_a") == {(b[0].document, b[0].code_a, b[0].start_a, b[0].end_a)}
    assert decide(b[1], "keep_b") == {(b[1].document, b[1].code_b, b[1].start_b, b[1].end_b)}
    assert decide(b[2], "keep_both") == {
        (b[2].document, b[2].code_a, b[2].start_a, b[2].end_a),
        (b[2].document, b[2].code_b, b[2].start_b, b[2].end_b),
    }
    union = (min(b[3].start_a, b[3].start_b), max(b[3].end_a, b[3].end_b))
    assert decide(b[3], "merge") == {(b[3].document, b[3].code_a, *union)}
    assert decide(b[4], "edit", start=b[4].start_a + 1, end=b[4].end_a - 1) == {
        (b[4].document, b[4].code_a, b[4].start_a + 1, b[4].end_a - 1)
    }
    only_a = _first(p, "only_a")
    assert decide(only_a, "drop") == set()
    only_b = _first(p, "only_b")
    assert decide(only_b, "keep_a") == set()  # alex was right not to code it
    only_b = _first(p, "only_b")
    assert decide(only_b, "keep_b") == {
        (only_b.document, only_b.code_b, only_b.start_b, only_b.end_b)
    }
    diff = _first(p, "different_code")
    assert decide(diff, "keep_both") == {
        (diff.document, diff.code_a, diff.start_a, diff.end_a),
        (diff.document, diff.code_b, diff.start_b, diff.end_b),
    }
    diff = _first(p, "different_code")
    assert decide(diff, "merge", code=diff.code_b) == {
        (diff.document, diff.code_b, min(diff.start_a, diff.start_b), max(diff.end_a, diff.end_b))
    }
    only_a = _first(p, "only_a")  # an edit may also change the code
    assert decide(only_a, "edit", start=only_a.start_a, end=only_a.end_a, code="Staffing") == {
        (
            only_a.document,
            "Organizational/Receiving resources and benefits from the organization/Staffing",
            only_a.start_a,
            only_a.end_a,
        )
    }
    status = p.consensus.status().rows[0]
    assert (status.keep_a, status.keep_b, status.keep_both, status.merge, status.edit) == (
        2,
        2,
        2,
        2,
        2,
    )
    assert status.drop == 1 and status.decided == 11
    assert human_codings(p) == before_humans  # the coders' own work is never touched


def test_refusals_are_one_line_and_write_nothing(started: Any) -> None:
    p = started
    boundary = _first(p, "boundary")
    only_a = _first(p, "only_a")
    diff = _first(p, "different_code")
    length = len(p.documents.get(boundary.document).text)
    cases: list[tuple[type[Exception], str, tuple[Any, ...], dict[str, Any]]] = [
        (NotFoundError, "no open disagreement", ("a999999-b1", "keep_a"), {}),
        (InputError, "unknown action", (boundary.id, "keep_all"), {}),
        (InputError, "edit needs a start", (boundary.id, "edit"), {"start": 3}),
        (InputError, "outside", (boundary.id, "edit"), {"start": 0, "end": length + 1}),
        (InputError, "or empty", (boundary.id, "edit"), {"start": 10, "end": 10}),
        (InputError, "only for edit", (boundary.id, "keep_a"), {"start": 1, "end": 2}),
        (InputError, "only for edit or merge", (boundary.id, "drop"), {"code": "Staffing"}),
        (
            NotFoundError,
            "no code 'Nope'",
            (boundary.id, "edit"),
            {"start": 1, "end": 2, "code": "Nope"},
        ),
        (InputError, "merge needs both", (only_a.id, "merge"), {}),
        (InputError, "different codes", (diff.id, "merge"), {}),
        (InputError, "different codes", (diff.id, "edit"), {"start": 1, "end": 2}),
        (InputError, "nothing to revise", (boundary.id, "drop"), {"revise": True}),
    ]
    before = state(p)
    for error, fragment, args, kw in cases:
        with pytest.raises(error, match=fragment) as info:
            p.consensus.decide(*args, **kw)
        assert "\n" not in str(info.value)
        assert state(p) == before, (fragment, args)
    p.consensus.decide(boundary.id, "keep_a", "alex's span is the whole thought")
    after = state(p)
    with pytest.raises(ConflictError, match="already decided"):
        p.consensus.decide(boundary.id, "keep_b")
    agreed = next(r for r in p.consensus.log() if r.action == "agreed")
    with pytest.raises(ConflictError, match="already decided"):
        p.consensus.decide(agreed.disagreement, "drop")
    assert state(p) == after
    with pytest.raises(InputError, match="exactly two"):
        p.consensus.start(("alex",))
    with pytest.raises(NotFoundError, match="no coder named 'kim'"):
        p.consensus.start(("alex", "kim"), name="other")
    with pytest.raises(ConflictError, match="compares alex, sam"):
        p.consensus.start(("sam", "alex"))
    with pytest.raises(InputError, match="named after a coder"):
        p.consensus.start(("alex", "sam"), name="alex")
    with pytest.raises(InputError, match="unknown kind"):
        p.consensus.disagreements(kind="boundry")
    assert state(p) == after


def test_revise_supersedes_and_keeps_the_old_decision(started: Any) -> None:
    p = started
    d = _first(p, "boundary")
    first = p.consensus.decide(d.id, "keep_both", "both spans matter", decided_by="kim")
    assert first.decided_by == "kim"
    both = {(r["code"], r["start"], r["end"]) for r in first.result_codings}
    assert len(both) == 2
    second = p.consensus.decide(
        d.id, "keep_b", "on reflection sam's span", decided_by="kim", revise=True
    )
    assert second.supersedes == first.decision
    log = {r.decision: r for r in p.consensus.log()}
    assert log[first.decision].superseded_by == second.decision
    assert log[second.decision].superseded_by is None
    layer = layer_codings(p)
    assert (d.document, d.code_b, d.start_b, d.end_b) in layer
    assert (d.document, d.code_a, d.start_a, d.end_a) not in layer
    assert p.consensus.status().rows[0].revised == 1
    # an agreed coding can be revised too, e.g. dropped after all
    agreed = next(r for r in p.consensus.log() if r.action == "agreed")
    span = agreed.result_codings[0]
    p.consensus.decide(agreed.disagreement, "drop", "too thin for this code", revise=True)
    assert (agreed.document, span["code"], span["start"], span["end"]) not in layer_codings(p)
    # and start does not bring it back
    p.consensus.start(("alex", "sam"))
    assert (agreed.document, span["code"], span["start"], span["end"]) not in layer_codings(p)


def test_analysis_reads_the_consensus_layer_by_default(demo: Any) -> None:
    p = demo
    with pytest.raises(InputError, match=r"2 coders .*no consensus layer: choose which") as exc:
        p.query("Feelings of guilt")
    assert exc.value.detail == {"choices": ["alex", "sam"], "hint": "coder"}
    assert "--" not in str(exc.value)
    p.consensus.start(("alex", "sam"))
    excerpts = p.query("Feelings of guilt")
    assert len(excerpts) > 0
    assert {tuple(e.coders) for e in excerpts} == {("consensus",)}
    assert {(r.document, r.start, r.end) for r in p.coding.list()} == {
        (doc, s, e) for doc, _code, s, e in layer_codings(p)
    }
    # a named coder is still read as asked
    assert {tuple(e.coders) for e in p.query("Feelings of guilt", coder="alex")} == {("alex",)}
    guilt = _first(p, "only_a")
    n = len(excerpts)
    p.consensus.decide(guilt.id, "keep_a", "alex is right")
    assert len(p.coding.list()) == len(layer_codings(p))
    assert len(p.query(f'"{guilt.code_a}"')) >= 1
    assert len(p.query("Feelings of guilt")) >= n


def test_a_second_layer_needs_a_name(started: Any) -> None:
    p = started
    p.consensus.start(("alex", "sam"), name="strict", min_overlap=0.5)
    assert p.consensus.layers() == ["consensus", "strict"]
    with pytest.raises(InputError, match="2 consensus layers"):
        p.consensus.status()
    with pytest.raises(InputError, match=r"consensus layers: choose which to read") as exc:
        p.coding.list()
    assert exc.value.detail["hint"] == "coder"
    strict = p.consensus.status(name="strict").rows[0]
    loose = p.consensus.status(name="consensus").rows[0]
    assert strict.agreed == loose.agreed
    assert strict.min_overlap == 0.5
    with pytest.raises(NotFoundError, match="no consensus layer named 'nope'"):
        p.consensus.log(name="nope")
