"""``thematica documents speakers`` and the focus-group flags, in-process (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fg_helpers import build_focus_groups

import thematica
from thematica.cli.main import run


@pytest.fixture
def fg_db(tmp_path: Path) -> str:
    db = str(tmp_path / "fg.db")
    p = thematica.init_project(db, "study")
    build_focus_groups(p, tmp_path / "files", mapped=False)
    p.close()
    return db


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[dict[str, object]]:
    assert run(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_speakers_command_maps_lists_and_refuses_bad_input(
    fg_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", fg_db, "--format", "json"]
    rows = _json(capsys, ["documents", "speakers", "FG1", *base])
    assert [(r["speaker"], r["turns"], r["status"]) for r in rows] == [
        ("Moderator", 2, "unmapped"),
        ("P1", 2, "unmapped"),
        ("P2", 1, "unmapped"),
        ("P3", 1, "unmapped"),
    ]
    argv = ["documents", "speakers", "FG1", "--map", "Moderator=", "--map", "P1=P1"]
    rows = _json(capsys, [*argv, "--map", "P2 = P2", "--map", "P3=Participant 3", *base])
    assert [(r["speaker"], r["case"], r["status"]) for r in rows] == [
        ("Moderator", None, "no case"),
        ("P1", "P1", "mapped"),
        ("P2", "P2", "mapped"),
        ("P3", "Participant 3", "mapped"),
    ]
    # many at once from a file; a bad row names row and column, and nothing is written
    sheet = tmp_path / "speakers.csv"
    sheet.write_text("document,speaker,case\nFG2,P4,P4\nFG2,P8,P8\n", "utf-8")
    assert run(["documents", "speakers", "--from", str(sheet), "--db", fg_db]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: speakers.csv: row 3, column 'speaker': document 'FG2'")
    assert [r["document"] for r in _json(capsys, ["documents", "speakers", *base])] == ["FG1"] * 4
    sheet.write_text("document,speaker,case\nFG2,P4,P4\nFG2,Moderator,\n", "utf-8")
    assert run(["documents", "speakers", "--from", str(sheet), "--db", fg_db, "-q"]) == 0
    capsys.readouterr()
    rows = _json(capsys, ["documents", "speakers", "FG2", *base])
    assert [(r["speaker"], r["status"]) for r in rows] == [
        (None, "unmapped"),
        ("Moderator", "no case"),
        ("P4", "mapped"),
        ("P5", "unmapped"),
        ("P6", "unmapped"),
    ]
    assert run(["documents", "speakers", "FG1", "--map", "P1", "--db", fg_db]) == 2
    assert (
        capsys.readouterr().err == "error: 'P1' is not SPEAKER=CASE (use 'SPEAKER=' for no case)\n"
    )
    assert run(["documents", "speakers", "--map", "P1=P1", "--db", fg_db]) == 2
    assert "name the document" in capsys.readouterr().err


def test_group_flags(fg_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    p = thematica.open_project(fg_db)
    p.speakers.map("FG1", {"Moderator": None, "P1": "P1", "P2": "P2", "P3": "P3"})
    p.speakers.map("FG2", {"Moderator": None, "P4": "P4", "P5": "P5", "P6": "P6"})
    p.close()
    base = ["--db", fg_db, "--format", "json"]
    rows = _json(capsys, ["prevalence", "--codes", "--coder", "ann", *base])
    assert {(r["name"], r["cases"], r["total"], r["unit"]) for r in rows} >= {
        ("Staffing", 4, 7, "participants")
    }
    rows = _json(capsys, ["prevalence", "--codes", "--groups", "--coder", "ann", *base])
    assert {(r["name"], r["cases"], r["total"], r["unit"]) for r in rows} >= {
        ("Support", 1, 3, "groups")
    }
    rows = _json(capsys, ["cases", "describe", "--groups", *base])
    assert [(r["value"], r["n"]) for r in rows] == [("north", 1), ("south", 1)]
    argv = ["saturation", "--by-group", "--order-by", "site", "--base", "1", "--run", "1"]
    result = _json(capsys, [*argv, "--coder", "ann", *base])
    assert [d["case"] for d in result["documents"]] == ["FG2", "FG1", "P7"]  # type: ignore[call-overload]
