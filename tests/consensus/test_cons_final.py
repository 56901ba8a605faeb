"""``consensus apply --final``: a reconciled wide coding table becomes the consensus layer, and
every unit-and-code is recorded as the decision it was (agreed, kept A, kept B, added,
overturned, dropped), on SQLite and PostgreSQL. Expected counts are worked out by hand from the
table in :func:`cons_helpers.small_study`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cons_helpers import TURNS, batch_count, human_codings, layer_codings, small_study, state
from sqlalchemy import select

from thematica.core.errors import ConflictError, InputError
from thematica.store import schema as t

FINAL = (
    "document,turn,Staffing,Support,Coping,Pay\n"
    "s1,2,1,0,0,0\n"
    "s1,4,0,1,0,0\n"
    "s2,2,0,1,,0\n"
    "s2,3,0,0,0,0\n"
    "s2,4,1,0,0,1\n"
)
#: The layer the table describes: each positive cell over its turn's whole span.
EXPECTED_LAYER = {
    ("s1", "Staffing", *TURNS["s1"][1]),
    ("s1", "Support", *TURNS["s1"][3]),
    ("s2", "Support", *TURNS["s2"][1]),
    ("s2", "Staffing", *TURNS["s2"][3]),
    ("s2", "Pay", *TURNS["s2"][3]),
}
#: (document, turn, code) -> decision, by hand from the small study's coding plan:
#: s1 t2 Coping is alex's part-turn coding (40-50 lies in turn 2); s2 t2 Coping counts sam's
#: part-turn coding, so both coders have it; Staffing [100, 130) touches turns 3 and 4 of s2.
EXPECTED_DECISIONS = {
    ("s1", 2, "Staffing"): ("agreed", "both"),
    ("s1", 2, "Coping"): ("drop", "only_a"),
    ("s1", 4, "Support"): ("keep_a", "only_a"),
    ("s1", 4, "Coping"): ("drop", "only_b"),
    ("s2", 2, "Coping"): ("overturn", "both"),
    ("s2", 2, "Support"): ("keep_b", "only_b"),
    ("s2", 3, "Staffing"): ("overturn", "both"),
    ("s2", 4, "Staffing"): ("agreed", "both"),
    ("s2", 4, "Pay"): ("add", "neither"),
}


def _final(folder: Path, text: str = FINAL) -> Path:
    path = folder / "final.csv"
    path.write_text(text, "utf-8")
    return path


def test_final_table_records_every_decision_and_becomes_the_layer(
    project: Any, tmp_path: Path
) -> None:
    p = project
    ids = small_study(p, tmp_path)
    humans = human_codings(p)
    start = p.consensus.start(("alex", "sam"))
    # identical spans: Staffing on s1 turn 2 and Staffing [100, 130) on s2; open: Coping in s1
    # (alex 40-50 and sam's turn 4 do not overlap: two), Support in s1 (alex), Coping in s2
    # (a boundary), Support in s2 (sam)
    assert (start.agreed, start.open) == (2, 5)
    before = p.consensus.log()

    s = p.consensus.apply_final(_final(tmp_path), "turn")
    counts = (s.agreed, s.kept_a, s.kept_b, s.added, s.overturned, s.dropped_a, s.dropped_b)
    assert counts == (2, 1, 1, 1, 2, 1, 1)
    assert (s.decisions, s.outside, s.consensus_codings) == (9, 0, 5)
    # s1 turn 2 Staffing was already in the layer (agreed at start); [100, 130) is not a turn
    assert (s.inserted, s.removed) == (4, 1)
    assert (s.layer, s.coders, s.unit, s.source) == (
        "consensus",
        ["alex", "sam"],
        "turn",
        "final.csv",
    )

    # the layer is exactly the table
    assert layer_codings(p) == EXPECTED_LAYER
    assert human_codings(p) == humans

    log = p.consensus.log()
    new = log.rows[len(before) :]
    got = {}
    for r in new:
        unit, _doc, turn, code = r.disagreement.split(":")
        assert unit == "turn"
        got[(r.document, int(turn), p.codebook.index().paths[int(code)])] = (r.action, r.kind)
        assert r.decided_by == "alex+sam" and "final table" in r.reason
    assert got == EXPECTED_DECISIONS
    by_key = {(r.document, r.action, r.kind): r for r in new}
    overturned = by_key[("s2", "overturn", "both")]
    assert overturned.result_codings == []
    # both coders' codings of that unit are the decision's sources
    sources = {x["id"] for r in new if r.action == "overturn" for x in r.source_codings}
    assert sources == {ids["a_coping_s2"], ids["b_coping_s2"], ids["a_staff_s2"], ids["b_staff_s2"]}
    added = by_key[("s2", "add", "neither")]
    assert added.source_codings == []
    assert [(x["code"], x["start"], x["end"]) for x in added.result_codings] == [
        ("Pay", *TURNS["s2"][3])
    ]
    # the two agreed decisions of start are superseded, not deleted
    old = {r.decision: r for r in log}
    assert all(old[r.decision].superseded_by is not None for r in before)

    status = p.consensus.status().rows[0]
    assert (status.agreed, status.keep_a, status.keep_b, status.added, status.overturned) == (
        2,
        1,
        1,
        1,
        2,
    )
    assert (status.drop, status.open, status.decided, status.revised) == (2, 0, 7, 2)
    assert status.consensus_codings == 5
    assert len(p.consensus.disagreements()) == 0
    # the table is corrected by applying a corrected table, not decision by decision
    after = state(p)
    with pytest.raises(ConflictError, match="apply a corrected final table instead"):
        p.consensus.decide(new[0].disagreement, "drop", "no", revise=True)
    with pytest.raises(ConflictError, match=r"already settled by decision \d+ \(keep_a of turn:"):
        p.consensus.decide(f"a{ids['a_support_s1']}", "drop", "no")
    assert state(p) == after
    # start adds nothing back (the agreed [100, 130) stays overturned)
    again = p.consensus.start(("alex", "sam"))
    assert (again.added, again.open) == (0, 0)
    assert layer_codings(p) == EXPECTED_LAYER

    # one batch: the inserted codings and every decision carry its id
    with p.db.read() as conn:
        batch = conn.execute(select(t.coding_batch)).one()
        stamped = conn.execute(select(t.coding.c.id).where(t.coding.c.batch_id == batch.id)).all()
        decisions = conn.execute(
            select(t.consensus_decision.c.id).where(t.consensus_decision.c.batch_id == batch.id)
        ).all()
    assert (batch.id, batch.operation, batch.coder, batch.added) == (
        s.batch,
        "consensus_apply",
        "consensus",
        4,
    )
    assert (len(stamped), len(decisions)) == (4, 9)


def test_applying_the_same_table_again_changes_only_the_log(project: Any, tmp_path: Path) -> None:
    p = project
    small_study(p, tmp_path)
    path = _final(tmp_path)
    p.consensus.apply_final(path, "turn", coders="alex,sam")  # starts the layer
    first = layer_codings(p)
    s = p.consensus.apply_final(path, "turn")
    assert layer_codings(p) == first == EXPECTED_LAYER
    assert (s.agreed, s.added, s.overturned, s.inserted, s.removed) == (2, 1, 2, 0, 0)
    status = p.consensus.status().rows[0]
    assert (status.agreed, status.revised) == (2, 9)  # the first 9 are superseded


def test_a_code_group_table_and_the_codes_column(project: Any, tmp_path: Path) -> None:
    """The ``codes`` column form, unit document: s1 gets Support only, s2 nothing at all."""
    p = project
    small_study(p, tmp_path)
    path = _final(tmp_path, "document,codes\ns1,Support\ns2,\n")
    s = p.consensus.apply_final(path, "document", coders=("alex", "sam"))
    # per document: s1 Staffing both -> overturned, Coping both (alex in t2, sam in t4) ->
    # overturned, Support alex only -> kept A; s2 Coping both, Staffing both -> overturned,
    # Support sam only -> dropped B
    assert (s.agreed, s.kept_a, s.kept_b, s.added, s.overturned, s.dropped_a, s.dropped_b) == (
        0,
        1,
        0,
        0,
        4,
        0,
        1,
    )
    assert layer_codings(p) == {("s1", "Support", 0, len(p.documents.get("s1").text))}


#: A bad file: FINAL's five good rows, then one bad row (row 7), or a bad header.
BAD = [
    (FINAL + "s9,1,1,0,0,0\n", "final.csv: row 7, column 'document': no document named 's9'"),
    (FINAL + "s1,7,1,0,0,0\n", "final.csv: row 7, column 'turn': 's1' has 4 turn(s)"),
    (FINAL + "s1,3,maybe,0,0,0\n", "final.csv: row 7, column 'Staffing': 'maybe' is not 1"),
    (FINAL + "s1,2,0,0,0,1\n", "final.csv: row 7: 's1' turn 2 is already coded in row 2"),
    (FINAL.replace("Pay", "Nope"), "final.csv: row 1, column 'Nope': no code 'Nope'"),
    (FINAL.replace("turn,", "number,", 1), "final.csv: coding by turn needs a 'turn' column"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_final_table_changes_nothing(
    project: Any, tmp_path: Path, text: str, message: str
) -> None:
    p = project
    small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    before = state(p), batch_count(p)
    with pytest.raises(InputError, match=re.escape(message)) as info:
        p.consensus.apply_final(_final(tmp_path, text), "turn")
    assert "\n" not in str(info.value)
    assert (state(p), batch_count(p)) == before
    with pytest.raises(InputError, match="unknown unit 'sentence'"):
        p.consensus.apply_final(_final(tmp_path), "sentence")
    assert (state(p), batch_count(p)) == before


def test_undoing_the_batch_puts_the_layer_back(project: Any, tmp_path: Path) -> None:
    p = project
    small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    agreed = {("s1", "Staffing", 34, 91), ("s2", "Staffing", 100, 130)}
    assert layer_codings(p) == agreed
    first = p.consensus.apply_final(_final(tmp_path), "turn")
    second = p.consensus.apply_final(
        _final(tmp_path, FINAL.replace("s2,4,1,0,0,1", "s2,4,1,0,0,0")), "turn"
    )
    assert layer_codings(p) == EXPECTED_LAYER - {("s2", "Pay", *TURNS["s2"][3])}
    with pytest.raises(ConflictError, match=rf"batch {first.batch}: decision \d+ has since been"):
        p.batches.undo(first.batch)
    assert second.batch is not None
    p.batches.undo(second.batch, actor="lead")
    assert layer_codings(p) == EXPECTED_LAYER
    p.batches.undo(first.batch, actor="lead")
    # back to the two agreed spans of start, and the meeting's agenda is open again
    assert layer_codings(p) == agreed
    status = p.consensus.status().rows[0]
    # in the log: 2 agreed + 9 + 8 decisions of the batches (out of force; the second table has
    # no Pay, which neither coder coded, so nothing to record there) + 2 undo rows
    assert (status.agreed, status.open, status.decided, status.revised) == (2, 5, 0, 17)
    assert status.consensus_codings == 2
    log = p.consensus.log()
    assert [r.action for r in log][-1] == "undo_batch"
    assert len(log) == 2 + 9 + 8 + 2
    assert all(r.superseded_by is None for r in log.rows[:2])
    # the agreed ones can be overturned as usual: their state is whole again
    row = p.consensus.overturn(log.rows[1].disagreement, "after all")
    assert row.supersedes == log.rows[1].decision
    assert len(layer_codings(p)) == 1


def test_a_table_speaks_only_for_its_code_columns(project: Any, tmp_path: Path) -> None:
    """One code reconciled by turn, another by document: two tables, neither undoes the other."""
    p = project
    ids = small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    by_turn = tmp_path / "staffing.csv"
    by_turn.write_text("document,turn,Staffing\ns1,2,1\ns2,4,1\n", "utf-8")
    # Staffing: s1 t2 both -> agreed; [100, 130) makes s2 t3 both (left out -> overturned) and
    # s2 t4 both -> agreed
    s = p.consensus.apply_final(by_turn, "turn")
    assert (s.agreed, s.overturned, s.decisions, s.inserted, s.removed) == (2, 1, 3, 1, 1)
    assert layer_codings(p) == {("s1", "Staffing", 34, 91), ("s2", "Staffing", *TURNS["s2"][3])}
    # the other codes' disagreements are still open, untouched
    assert p.consensus.status().rows[0].open == 5
    by_doc = tmp_path / "coping.csv"
    by_doc.write_text("document,Coping\ns1,1\ns2,0\n", "utf-8")
    # Coping per document: s1 both (alex 40-50, sam turn 4) -> agreed; s2 both -> overturned
    s = p.consensus.apply_final(by_doc, "document")
    assert (s.agreed, s.overturned, s.decisions, s.consensus_codings) == (1, 1, 2, 3)
    assert layer_codings(p) == {
        ("s1", "Staffing", 34, 91),
        ("s2", "Staffing", *TURNS["s2"][3]),
        ("s1", "Coping", 0, len(p.documents.get("s1").text)),
    }
    status = p.consensus.status().rows[0]
    assert (status.agreed, status.overturned, status.decided, status.revised) == (3, 2, 2, 2)
    # open: alex's Support in s1 and sam's Support in s2
    assert {d.id for d in p.consensus.disagreements()} == {
        f"a{ids['a_support_s1']}",
        f"b{ids['b_support_s2']}",
    }
    staffing_rows = [r for r in p.consensus.log() if r.disagreement.startswith("turn:")]
    assert len(staffing_rows) == 3 and all(r.superseded_by is None for r in staffing_rows)
