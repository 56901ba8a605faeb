"""Mutually exclusive code groups (``code.exclusive``): API, history, files and CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from intake_helpers import one_error, run_cli, write

import thematica
from thematica import InputError
from thematica.store import schema as t


def _history(project: object) -> list[tuple[str, str, str | None, str | None, str | None]]:
    rows = project.codebook.history().rows  # type: ignore[attr-defined]
    return [(r.action, r.path, r.field, r.old, r.new) for r in rows if r.action != "create"]


def test_set_exclusive_is_stored_logged_and_undone(project: object) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("Stance")
    cb.add("For", "Stance")
    cb.add("Against", "Stance")
    assert cb.get("Stance")["exclusive"] is False
    assert cb.set_exclusive("Stance") is True
    assert cb.get("Stance")["exclusive"] is True
    assert cb.set_exclusive("Stance", True) is False  # already so: nothing recorded
    assert {r.path: r.exclusive for r in cb.tree().rows} == {
        "Stance": True,
        "Stance/For": False,
        "Stance/Against": False,
    }
    cb.update("Stance", exclusive=False)
    assert cb.get("Stance")["exclusive"] is False
    assert _history(project) == [
        ("update", "Stance", "exclusive", "False", "True"),
        ("update", "Stance", "exclusive", "True", "False"),
    ]
    with project.db.read() as conn:  # type: ignore[attr-defined]
        actions = [
            r.action
            for r in conn.execute(t.audit_log.select().order_by(t.audit_log.c.id))
            if r.action in {"set_exclusive", "update_code"}
        ]
    assert actions == ["set_exclusive", "set_exclusive", "update_code"]
    with pytest.raises(InputError, match="exclusive must be true or false, not 'maybe'"):
        cb.update("Stance", exclusive="maybe")
    assert cb.get("Stance")["exclusive"] is False


def test_exclusive_travels_through_yaml_and_csv(project: object, tmp_path: Path) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    write(
        tmp_path / "book.yaml",
        "codes:\n  - name: Stance\n    exclusive: true\n    children:\n"
        "      - name: For\n      - name: Against\n  - name: Open\n",
    )
    report = cb.import_file(tmp_path / "book.yaml")
    assert report.created == ["Stance", "Stance/For", "Stance/Against", "Open"]
    assert [cb.get(p)["exclusive"] for p in ("Stance", "Stance/For", "Open")] == [
        True,
        False,
        False,
    ]
    data = yaml.safe_load(cb.export_text("yaml"))
    assert data["codes"][0] == {
        "name": "Stance",
        "exclusive": True,
        "children": [{"name": "For"}, {"name": "Against"}],
    }
    assert "exclusive" not in data["codes"][1]
    lines = cb.export_text("csv").splitlines()
    header = lines[0].split(",")
    assert header[-1] == "exclusive"
    assert [line.split(",")[-1] for line in lines[1:]] == ["true", "", "", ""]
    # a CSV saying "no" clears it; a blank cell leaves the stored value alone
    write(tmp_path / "off.csv", "path,exclusive\nStance,no\nOpen,\n")
    assert cb.import_file(tmp_path / "off.csv").updated == ["Stance"]
    assert cb.get("Stance")["exclusive"] is False
    write(tmp_path / "bad.csv", "path,exclusive\nOpen,perhaps\n")
    with pytest.raises(InputError, match=r"bad.csv: row 2: exclusive must be true or false"):
        cb.import_file(tmp_path / "bad.csv")


def test_exclusive_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "x.db")
    thematica.init_project(db, "study").close()
    assert run_cli(capsys, "codebook", "add", "Stance", "--exclusive", "--db", db).code == 0
    assert run_cli(capsys, "codebook", "add", "For", "--parent", "Stance", "--db", db).code == 0
    shown = run_cli(capsys, "codebook", "show", "Stance", "--db", db)
    assert "exclusive: yes" in shown.out
    off = run_cli(capsys, "codebook", "exclusive", "Stance", "--off", "--db", db)
    assert off.code == 0 and "not mutually exclusive" in off.err + off.out
    assert "exclusive" not in run_cli(capsys, "codebook", "show", "Stance", "--db", db).out
    assert run_cli(capsys, "codebook", "exclusive", "Stance", "--db", db).code == 0
    listed = run_cli(capsys, "codebook", "list", "--format", "csv", "--db", db)
    assert listed.out.splitlines()[1:] == [
        "Stance,Stance,0,,,,,0,True",
        "Stance/For,For,1,,,,,0,False",
    ]
    tree = run_cli(capsys, "codebook", "list", "--db", db).out.splitlines()
    assert [line for line in tree if "subcodes" in line] == [
        line for line in tree if line.lstrip("│ ").startswith("Stance")
    ]
    assert run_cli(capsys, "codebook", "update", "Stance", "--not-exclusive", "--db", db).code == 0
    with thematica.open_project(db) as p:
        assert p.codebook.get("Stance")["exclusive"] is False
    one_error(run_cli(capsys, "codebook", "exclusive", "Nowhere", "--db", db), "no code 'Nowhere'")
