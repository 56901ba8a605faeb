from __future__ import annotations

import json
from pathlib import Path

import pytest

import thematica
from thematica.cli.main import run


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    p, _ = thematica.build_demo(str(path))
    p.close()
    return str(path)


def test_ana_cli_outputs(demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["prevalence", "--db", demo_db, "--coder", "alex", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["name"] == "Navigating the variability of the physical environment"
    assert {"cases", "total", "percent", "segments", "quantifier"} <= set(rows[0])
    assert (
        run(
            [
                "prevalence",
                "--db",
                demo_db,
                "--coder",
                "sam",
                "--codes",
                "--by",
                "lived_experience",
                "-f",
                "csv",
            ]
        )
        == 0
    )
    assert "group" in capsys.readouterr().out.splitlines()[0]
    assert (
        run(
            [
                "cooccurrence",
                "--db",
                demo_db,
                "--coder",
                "alex",
                "--mode",
                "turn",
                "--levels",
                "-f",
                "json",
                "--heatmap",
                str(tmp_path / "h.png"),
            ]
        )
        == 0
    )
    pairs = json.loads(capsys.readouterr().out)
    assert {"code_a", "code_b", "count", "jaccard"} <= set(pairs[0])
    assert (tmp_path / "h.png").exists()
    assert run(["themes", "--db", demo_db, "-f", "csv"]) == 0
    assert capsys.readouterr().out.startswith("level,theme,subthemes,codes")
    assert (
        run(["themes", "list", "--db", demo_db, "-f", "docx", "-o", str(tmp_path / "t.docx")]) == 0
    )
    assert run(["themes", "figure", "--db", demo_db, "-o", str(tmp_path / "sem.svg")]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prevalence", "--coder", "alex", "--by", "nope"], "no attribute named 'nope'"),
        (["prevalence"], "choose which to read with --coder NAME"),
        (["themes", "link", "Nope", "Staffing"], "no theme 'Nope'"),
        (["themes", "add", "X", "--level", "galaxy"], "no SEM level 'galaxy'"),
        (["cooccurrence", "--coder", "alex", "--mode", "bogus"], "mode must be"),
        (["themes", "figure", "-o", "x.jpg"], ".png or .svg"),
    ],
)
def test_ana_cli_errors(
    demo_db: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*argv, "--db", demo_db]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_ana_cli_theme_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "d.db")
    thematica.build_demo(db)[0].close()
    assert (
        run(
            [
                "themes",
                "add",
                "Secondary trauma",
                "--level",
                "individual",
                "-c",
                "Feelings of guilt",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert (
        run(
            [
                "themes",
                "update",
                "Secondary trauma",
                "--name",
                "Vicarious trauma",
                "--position",
                "1",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert run(["themes", "list", "--db", db, "-f", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["theme"] == "1 Vicarious trauma"
    assert run(["themes", "remove", "Vicarious trauma", "--db", db]) == 0
    empty = str(tmp_path / "e.db")
    thematica.init_project(empty).close()
    assert run(["prevalence", "--db", empty]) == 2
    assert "no documents" in capsys.readouterr().err
