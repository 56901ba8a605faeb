"""``thematica clusters`` (propose), ``clusters show|list|runs|accept`` as a user runs them:
results on stdout, messages on stderr, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ai_clusters_study import HOUSING, POLICE, build_study, run_cli

import thematica

#: worked out by hand (see test_ai_clusters_service.py)
HOUSING_LABEL = "flat, rent, landlord"
POLICE_LABEL = "officers, police, station"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The study in a SQLite file, owned by pi; kim views."""
    import os

    for name in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "study.db")
    folder = tmp_path / "files"
    folder.mkdir()
    with thematica.init_project(path, "study", actor="pi") as p:
        build_study(p, folder)
        p.members.add("kim", "viewer")
    return path


def _error(result: object, *fragments: str) -> str:
    """Exit 2, one stderr line 'error: ...' holding every fragment, nothing on stdout."""
    code, out, err = result.returncode, result.stdout, result.stderr  # type: ignore[attr-defined]
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert out == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return str(lines[0])


def test_propose_prints_the_groups_and_says_what_made_them(db: str) -> None:
    result = run_cli("clusters", "--backend", "tfidf", "--db", db, "--as", "pi")
    assert result.returncode == 0, result.stderr
    assert HOUSING_LABEL in result.stdout and POLICE_LABEL in result.stdout
    assert "Grouping uncoded sentences with backend tfidf." in result.stderr
    assert "Run 1 (tfidf, tfidf): 12 uncoded sentence(s), 12 in 2 group(s)" in result.stderr
    assert "Coding counted from: pi." in result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(
        run_cli(
            "clusters", "--backend", "tfidf", "--format", "json", "--db", db, "--as", "pi"
        ).stdout
    )
    assert {(r["label"], r["size"]) for r in data} == {(HOUSING_LABEL, 6), (POLICE_LABEL, 6)}
    runs = json.loads(run_cli("clusters", "runs", "-f", "json", "--db", db, "--as", "pi").stdout)
    assert [(r["id"], r["clusters"], r["passages"]) for r in runs] == [(2, 2, 12), (1, 2, 12)]


def test_show_lists_a_groups_passages(db: str) -> None:
    run_cli("clusters", "--backend", "tfidf", "--db", db, "--as", "pi")
    listed = json.loads(run_cli("clusters", "list", "-f", "json", "--db", db, "--as", "pi").stdout)
    housing = next(r["number"] for r in listed if r["label"] == HOUSING_LABEL)
    shown = run_cli("clusters", "show", housing, "-f", "json", "--db", db, "--as", "pi")
    assert {m["text"] for m in json.loads(shown.stdout)} == set(HOUSING)
    again = run_cli("clusters", "show", 1, housing, "-f", "json", "--db", db, "--as", "pi")
    assert again.stdout == shown.stdout
    _error(run_cli("clusters", "show", 1, 2, 3, "--db", db, "--as", "pi"), "RUN NUMBER")
    _error(run_cli("clusters", "show", 7, 1, "--db", db, "--as", "pi"), "no clusters run 7")


def test_accept_with_members_then_undo_the_batch(db: str) -> None:
    run_cli("clusters", "--backend", "tfidf", "--db", db, "--as", "pi")
    listed = json.loads(run_cli("clusters", "list", "-f", "json", "--db", db, "--as", "pi").stdout)
    police = next(r["number"] for r in listed if r["label"] == POLICE_LABEL)
    done = run_cli(
        "clusters", "accept", police, "--name", "Policing", "--code-members", "--db", db,
        "--as", "pi",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        f"Code 'Policing' added from group {police} of run 1; coded 6 passage(s) in pi "
        "(batch 1; undo with 'thematica batches undo 1')."
    )
    with thematica.open_project(db, actor="pi") as p:
        assert {r.text for r in p.coding.list(coder="pi", code="Policing")} == set(POLICE)
        assert p.codebook.get("Policing")["origin"] == "inductive"
    undo = run_cli("batches", "undo", 1, "--db", db, "--as", "pi")
    assert undo.returncode == 0, undo.stderr
    with thematica.open_project(db, actor="pi") as p:
        assert len(p.coding.list(coder="pi", code="Policing")) == 0
    listed = json.loads(run_cli("clusters", "list", "-f", "json", "--db", db, "--as", "pi").stdout)
    assert {r["number"]: r["accepted"] for r in listed}[police] == "Policing"
    _error(
        run_cli("clusters", "accept", police, "--db", db, "--as", "pi"),
        f"group {police} of run 1 was already accepted as code 'Policing'",
    )


def test_errors_are_one_line_and_change_nothing(db: str) -> None:
    run_cli("clusters", "--backend", "tfidf", "--db", db, "--as", "pi")
    _error(
        run_cli("clusters", "accept", 1, "--name", "Staffing", "--db", db, "--as", "pi"),
        "a code named 'Staffing' already exists",
    )
    _error(
        run_cli("clusters", "--backend", "tfidf", "--db", db, "--as", "kim"),
        "kim (viewer) may not code",
    )
    _error(
        run_cli("clusters", "--backend", "bogus", "--db", db, "--as", "pi"), "unknown AI backend"
    )
    _error(run_cli("clusters", "--min-size", "1", "--db", db, "--as", "pi"), "at least 2")
    with thematica.open_project(db, actor="pi") as p:
        assert [r.path for r in p.codebook.tree()] == ["Staffing"]
        assert len(p.clusters.runs()) == 1
