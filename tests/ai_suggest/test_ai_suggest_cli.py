"""``thematica suggest`` in-process: the JSON rows, what stderr says about the backend, the
model and the layer, and a bad code as one line of error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ai_suggest_helpers import build, expected_rows

import thematica


@pytest.fixture
def study_file(tmp_path: Path) -> str:
    db = str(tmp_path / "cli.db")
    with thematica.init_project(db, "study", actor="pi") as p:
        build(p, tmp_path / "files")
    return db


def test_suggest_json_rows_and_the_backend_on_stderr(
    run_cli: Callable[..., Any], study_file: str
) -> None:
    args = ["--db", study_file, "--backend", "tfidf", "--top", "1", "--min-score", "0"]
    result = run_cli("suggest", *args, "--format", "json", "--as", "pi")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert all(set(r) == {"document", "start", "end", "code", "score"} for r in rows)
    assert {(r["document"], r["start"], r["end"], r["code"]) for r in rows} == expected_rows()
    assert all(isinstance(r["score"], float) and 0 < r["score"] <= 1 for r in rows)
    assert "backend tfidf" in result.stderr and "model tfidf" in result.stderr
    assert "ai:tfidf" in result.stderr and "Traceback" not in result.stderr
    # again: everything is already suggested
    again = run_cli("suggest", *args, "--format", "json", "--as", "pi")
    assert again.returncode == 0 and json.loads(again.stdout) == []
    assert "6 already suggested" in again.stderr
    # the table names the passages
    table = run_cli("suggest", *args, "--documents", "d1", "--learn-from", "none", "--as", "pi")
    assert table.returncode == 0 and "6 already" not in table.stderr


def test_suggest_errors_are_one_line(run_cli: Callable[..., Any], study_file: str) -> None:
    result = run_cli(
        "suggest", "--db", study_file, "--backend", "tfidf", "--codes", "Nope", "--as", "pi"
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "error: no code 'Nope' in the codebook\n"
    result = run_cli("suggest", "--db", study_file, "--as", "kim")
    assert result.returncode == 2
    assert result.stderr == "error: kim (not a member) may not code in project 'study'\n"
    result = run_cli("suggest", "--db", study_file, "--resume", "--as", "pi")
    assert result.returncode == 2
    assert result.stderr == "error: no unfinished suggestion run to resume\n"
