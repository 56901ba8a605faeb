"""A whole consensus meeting scripted from a decisions file: nothing left open, a complete log,
the original codings untouched; and a bad file changes nothing at all."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from cons_helpers import human_codings, layer_codings, state
from sqlalchemy import select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.services.consensus import ACTIONS
from thematica.store import schema as t

#: What the meeting decides for each kind of disagreement.
PLAN = {"boundary": "merge", "only_a": "keep_a", "only_b": "drop", "different_code": "keep_b"}


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _session_rows(p: Any) -> list[list[object]]:
    rows: list[list[object]] = []
    for n, d in enumerate(p.consensus.disagreements()):
        who = "alex" if n % 2 else "sam"
        if n == 0:  # one edit: the shorter span, as the team worded it
            s = d.start_a if d.start_a is not None else d.start_b
            rows.append([d.id, "edit", "the core of the passage", s, s + 10, "", who])
        else:
            action = PLAN[d.kind]
            rows.append([d.id, action, f"{d.kind}: {action} after discussion", "", "", "", who])
    return rows


HEADER = ["id", "action", "reason", "start", "end", "code", "decided_by"]


def test_scripted_session_leaves_nothing_open_and_a_complete_log(
    started: Any, tmp_path: Path
) -> None:
    p = started
    humans = human_codings(p)
    open_before = p.consensus.disagreements()
    rows = _session_rows(p)
    path = _write(tmp_path / "decisions.csv", HEADER, rows)
    assert p.consensus.apply_file(path) == len(rows) == len(open_before)
    assert len(p.consensus.disagreements()) == 0
    status = p.consensus.status().rows[0]
    assert status.open == 0 and status.decided == len(rows)
    assert status.edit == 1

    log = p.consensus.log()
    assert len(log) == status.agreed + len(rows)
    by_disagreement = {r.disagreement: r for r in log}
    for row in rows:
        entry = by_disagreement[str(row[0])]
        assert entry.action == row[1] and entry.reason == row[2] and entry.decided_by == row[6]
    stored = {h[0]: h for h in humans}
    index_paths = {r.path for r in p.codebook.tree()}
    for entry in log:
        # who, when, what, why
        assert entry.decided_by and entry.decided_at and entry.action in (*ACTIONS, "agreed")
        assert entry.reason
        assert entry.document and entry.disagreement
        # the original codings it refers to still exist, unchanged
        assert entry.source_codings
        for ref in entry.source_codings:
            row_ = stored[ref["id"]]
            assert (row_[1], row_[4], row_[5]) == (ref["coder"], ref["start"], ref["end"])
            assert ref["code"] in index_paths
        for ref in entry.result_codings:
            assert ref["coder"] == "consensus"
    assert human_codings(p) == humans
    # the consensus layer is exactly what the log says it wrote
    written = {(e.document, r["code"], r["start"], r["end"]) for e in log for r in e.result_codings}
    assert layer_codings(p) == written
    # every decision row is stored with its snapshot and timestamp
    with p.db.read() as conn:
        stored_rows = conn.execute(
            select(t.consensus_decision).where(t.consensus_decision.c.project_id == p.id)
        ).all()
    assert len(stored_rows) == len(log)
    for r in stored_rows:
        assert r.decided_at is not None and r.disagreement["layer"] == "consensus"
        assert r.disagreement["coders"] == ["alex", "sam"]
    # applying the same file again is refused as a whole
    with pytest.raises(ConflictError, match=r"decisions\.csv: row 2: .*already decided"):
        p.consensus.apply_file(path)


CASES = ["bad action", "unknown id", "twice", "bad number", "edit without span", "missing column"]


def _bad_file(rows: list[list[object]], case: str) -> tuple[list[str], type[Exception], str]:
    """Spoil a good session file one way: (header, error expected, message fragment)."""
    header = list(HEADER)
    error: type[Exception] = InputError
    if case == "bad action":
        rows[-1][1] = "keep-all"
        fragment = f"row {len(rows) + 1}: unknown action 'keep-all'"
    elif case == "unknown id":
        rows[3][0] = "a1-b2-c3"
        error, fragment = NotFoundError, "row 5: no open disagreement 'a1-b2-c3'"
    elif case == "twice":
        rows.append(list(rows[2]))
        fragment = f"row {len(rows) + 1}: disagreement {rows[2][0]} is decided twice"
    elif case == "bad number":
        rows[4][3] = "ten"
        fragment = "row 6: start and end must be whole numbers"
    elif case == "edit without span":
        rows[5][1], rows[5][3], rows[5][4] = "edit", "", ""
        fragment = "row 7: edit needs a start"
    else:
        header = ["id", "reason"]
        rows[:] = [[r[0], r[2]] for r in rows]
        fragment = "needs an 'action' column"
    return header, error, fragment


def test_a_bad_decisions_file_changes_nothing(started: Any, tmp_path: Path) -> None:
    p = started
    before = state(p)
    n_open = len(p.consensus.disagreements())
    for case in CASES:
        rows = _session_rows(p)
        header, error, fragment = _bad_file(rows, case)
        path = _write(tmp_path / "decisions.csv", header, rows)
        with pytest.raises(error, match=re.escape(fragment)) as info:
            p.consensus.apply_file(path)
        assert "decisions.csv" in str(info.value) and "\n" not in str(info.value), case
        assert state(p) == before, case
        assert len(p.consensus.disagreements()) == n_open, case
