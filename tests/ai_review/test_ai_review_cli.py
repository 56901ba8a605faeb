"""``thematica suggestions list|accept|reject``, ``evaluate-suggestions`` and ``agreement`` with
an AI layer, run in this process on the study of ``ai_review_helpers`` (SQLite file)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from ai_review_helpers import LAYER

from thematica.cli.main import run


def _run(capsys: Any, db: str, *args: str, who: str = "pi") -> tuple[int, str, str]:
    capsys.readouterr()
    code = run([*args, "--db", db, "--as", who])
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_error(result: tuple[int, str, str], *fragments: str) -> str:
    code, out, err = result
    assert code == 2, result
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and out == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def test_list_formats(study_db: tuple[str, list[int]], capsys: Any) -> None:
    db, ids = study_db
    code, out, _err = _run(capsys, db, "suggestions", "list", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [ids[0], ids[3], ids[2], ids[5], ids[4], ids[6], ids[1]]
    assert rows[0] == {
        "id": ids[0],
        "document": "A",
        "start": 0,
        "end": 11,
        "code": "Pay",
        "score": 0.9,
        "rank": 1,
        "status": "open",
        "layer": LAYER,
        "model": "test-model",
        "text": "Pay is low.",
    }
    code, out, err = _run(
        capsys, db, "suggestions", "list", "--format", "csv", "--limit", "2", "--min-score", ".5"
    )
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == [
        "id",
        "document",
        "start",
        "end",
        "code",
        "score",
        "rank",
        "status",
        "layer",
        "model",
        "text",
    ]
    assert [r[0] for r in table[1:]] == [str(ids[0]), str(ids[3])]
    assert "showing 2 of 4 suggestion(s)" in err
    code, out, _err = _run(capsys, db, "suggestions", "list", "--document", "B")
    assert code == 0 and "Nobody helps." in out and "Pay is low." not in out


def test_accept_reject_and_undo(study_db: tuple[str, list[int]], capsys: Any) -> None:
    db, ids = study_db
    code, _out, err = _run(capsys, db, "suggestions", "accept", str(ids[0]), str(ids[3]), who="sam")
    assert code == 0
    assert "accepted 2 suggestion(s) into sam" in err
    assert "'thematica batches undo 1' takes them back" in err
    code, out, _err = _run(
        capsys, db, "suggestions", "list", "--status", "accepted", "--format", "json"
    )
    assert [r["id"] for r in json.loads(out)] == [ids[0], ids[3]]
    code, _out, err = _run(capsys, db, "suggestions", "accept", str(ids[0]), who="sam")
    assert code == 0 and "accepted 0 suggestion(s) into sam; skipped 1" in err
    code, _out, err = _run(capsys, db, "suggestions", "reject", "--max-score", "0.4")
    assert code == 0 and err.startswith("rejected 3 suggestion(s).")
    code, out, _err = _run(capsys, db, "suggestions", "list", "--format", "json")
    assert sorted(r["id"] for r in json.loads(out)) == sorted([ids[1], ids[5]])
    code, _out, err = _run(capsys, db, "batches", "undo", "1")
    assert code == 0 and "removed 2 coding(s)" in err
    code, out, _err = _run(capsys, db, "suggestions", "list", "--format", "json")
    assert sorted(r["id"] for r in json.loads(out)) == sorted([ids[0], ids[1], ids[3], ids[5]])


def test_one_line_errors(study_db: tuple[str, list[int]], capsys: Any) -> None:
    db, ids = study_db
    _one_error(_run(capsys, db, "suggestions", "accept"), "say which suggestions")
    _one_error(_run(capsys, db, "suggestions", "reject"), "say which suggestions")
    _one_error(_run(capsys, db, "suggestions", "accept", "999"), "no suggestion with id 999")
    _one_error(
        _run(capsys, db, "suggestions", "list", "--layer", "ai:nope"),
        "no AI layer named 'ai:nope'",
        LAYER,
    )
    _one_error(
        _run(capsys, db, "suggestions", "accept", str(ids[0]), "--into", "alex", who="sam"),
        "sam (coder) may not code in coder layer 'alex'",
    )
    _one_error(
        _run(capsys, db, "suggestions", "reject", str(ids[0]), who="kim"),
        "kim (viewer) may not code",
    )
    _one_error(_run(capsys, db, "evaluate-suggestions", "--gold", "nobody"), "no coder named")
    _one_error(
        _run(capsys, db, "evaluate-suggestions", "--gold", "alex", who="sam"),
        "read coder layer 'alex'",
    )
    _one_error(_run(capsys, db, "suggestions", "list", "--status", "maybe"), "--status")


def test_evaluate_output(study_db: tuple[str, list[int]], capsys: Any) -> None:
    db, _ids = study_db
    code, out, _err = _run(capsys, db, "evaluate-suggestions", "--gold", "alex", "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["gold"], data["layer"], data["unit"], data["units"]) == (
        "alex",
        LAYER,
        "sentence",
        7,
    )
    pay = data["codes"][0]
    assert (pay["code"], pay["tp"], pay["fp"], pay["fn"]) == ("Pay", 2, 1, 0)
    assert data["macro_f1"] == pytest.approx(59 / 120)  # worked in test_ai_evaluate.py
    code, out, err = _run(capsys, db, "evaluate-suggestions", "--gold", "alex")
    assert code == 0
    assert "Pay" in out and "0.696" in out  # kappa 16/23, shown to 3 decimals
    assert "macro F1" in out and "0.492" in out
    assert "7 sentence(s) in 2 document(s)" in err
    # --documents takes A,B like suggest's, and --document one at a time
    for args in (["--documents", "A,B"], ["--document", "A", "--document", "B"]):
        code, _out, err = _run(capsys, db, "evaluate-suggestions", "--gold", "alex", *args)
        assert code == 0 and "7 sentence(s) in 2 document(s)" in err, err
    code, _out, err = _run(capsys, db, "evaluate-suggestions", "--gold", "alex", "--documents", "B")
    assert code == 0 and "in 1 document(s)" in err, err
    code, out, _err = _run(
        capsys, db, "evaluate-suggestions", "--gold", "alex", "--unit", "document", "-f", "csv"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["code"] for r in rows] == ["Pay", "Staffing", "Support", "Morale", "Workload"]
    assert rows[2]["kappa"] == "1.0"


def test_agreement_with_an_ai_layer_like_any_pair(
    study_db: tuple[str, list[int]], capsys: Any
) -> None:
    """7 sentences × 5 codes = 35 cells (every code is used by one of the two): alex marks 7,
    the AI 7, both 4 (Pay s0, s5; Staffing s1; Support s2), neither 25. By hand:
    po = 29/35, pe = (7/35)² + (28/35)² = 833/1225, kappa = (1015 − 833)/(1225 − 833) = 13/28;
    for Pay alone (7 sentences): 16/23 as in test_ai_evaluate.py."""
    db, _ids = study_db
    code, out, err = _run(
        capsys,
        db,
        "agreement",
        "--coders",
        f"alex,{LAYER}",
        "--unit",
        "sentence",
        "--bootstrap",
        "0",
        "--format",
        "json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["coders"] == ["alex", LAYER]
    (pair,) = report["pairs"]
    assert pair["units"] == 35
    assert pair["percent"] == pytest.approx(29 / 35)
    assert pair["kappa"] == pytest.approx(13 / 28)
    pay = next(c for c in report["codes"] if c["code"] == "Pay")
    assert pay["kappa"] == pytest.approx(16 / 23)
