"""The coding commands in-process: --from-table, autocode, batches, coders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coding_helpers import A, build, span, write

import thematica
from thematica.cli.main import run


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "study.db")
    p = thematica.init_project(path, "study")
    build(p, tmp_path)
    p.close()
    return path


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert run([*args, "--format", "json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_table_autocode_batches_coders(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = write(tmp_path, "t.csv", "document,turn,Wellbeing\na,2,1\na,1,0\n")
    args = ["code", "--db", db, "--coder", "alex", "--from-table", str(table), "--unit", "turn"]
    assert run([*args, "--kind", "imported"]) == 0
    assert "applied 1 coding(s) in 1 document(s) (batch 1)." in capsys.readouterr().err
    rows = _json(capsys, "codings", "--db", db, "--coder", "alex")
    start, end = span(A, "Participant 1:", "I mean it.")
    assert [(r["document"], r["code"], r["start"], r["end"]) for r in rows] == [
        ("a", "Wellbeing", start, end)
    ]

    auto = ["autocode", "--db", db, "--coder", "bot", "--code", "Money", "--speaker", "Inter*"]
    assert run([*auto, "--dry-run", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [{"document": "a", "passages": 2, "new": 2}]
    assert "nothing was written" in out.err
    assert run([*auto, "--kind", "ai"]) == 0
    assert "undo with 'thematica batches undo 2'" in capsys.readouterr().err

    batches = _json(capsys, "batches", "list", "--db", db)
    assert [(b["id"], b["operation"], b["coder"], b["added"], b["undone"]) for b in batches] == [
        (1, "table", "alex", 1, None),
        (2, "autocode", "bot", 2, None),
    ]
    coders = _json(capsys, "coders", "list", "--db", db)
    assert [(c["name"], c["kind"], c["codings"]) for c in coders] == [
        ("alex", "imported", 1),
        ("bot", "ai", 2),
    ]
    assert run(["batches", "undo", "--db", db, "2"]) == 0
    assert "removed 2 coding(s)" in capsys.readouterr().err
    assert run(["batches", "undo", "--db", db, "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: batch 2 (autocode) was already undone") and err.count("\n") == 1
    assert run(["coders", "kind", "--db", db, "alex", "human"]) == 0
    assert "alex: imported -> human." in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--from-table", "{t}"], "--from-table needs --unit"),
        (["--from-table", "{t}", "--unit", "turn"], "row 2, column 'turn'"),
        (["--unit", "turn", "--document", "a"], "--unit goes with --from-table"),
    ],
)
def test_code_errors(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    table = write(tmp_path, "bad.csv", "document,turn,Money\na,9,1\n")
    argv = ["code", "--db", db, "--coder", "alex", *[a.format(t=table) for a in args]]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fragment in err and err.count("\n") == 1
    p = thematica.open_project(db)
    try:
        assert p.coding.count() == 0
    finally:
        p.close()
