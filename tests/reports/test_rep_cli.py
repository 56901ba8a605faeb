"""The report and star commands: files written, and bad requests that write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rep_helpers import with_consensus

import thematica
from thematica.cli.main import run


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("rep-cli")
    db = str(folder / "demo.db")
    project, _ = thematica.build_demo(db)
    with_consensus(project, close=True)
    project.close()
    yield db


def test_report_command_writes_markdown(demo_db: str, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "results.md"
    assert run(["report", "--db", demo_db, "--format", "md", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}" in err
    assert (tmp_path / "results.sem.png").exists()
    assert (tmp_path / "results.saturation.png").exists()
    assert out.read_text("utf-8").startswith("# Results: demo")


def test_report_order_by_another_attribute(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    argv = ["report", "--db", demo_db, "-o", str(out), "--order-by", "time_in_role", "-q"]
    assert run([*argv, "--coder", "sam", "--title", "Sam"]) == 0
    from docx import Document

    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "with interviews taken in order of time_in_role (a base of 4" in text


def test_star_command(demo_db: str, capsys: Any) -> None:
    with thematica.open_project(demo_db) as p:
        first = p.coding.list(coder="consensus").rows[0].id
    assert run(["star", str(first), "--db", demo_db]) == 0
    assert f"starred coding {first}" in capsys.readouterr().err
    assert run(["star", str(first), "--unstar", "--db", demo_db]) == 0
    assert f"unstarred coding {first}" in capsys.readouterr().err
    with thematica.open_project(demo_db) as p:
        assert not p.coding.list(coder="consensus").rows[0].starred
    assert run(["star", "999999", "--db", demo_db]) == 2
    assert capsys.readouterr().err.strip() == "error: no coding with id 999999"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--coder", "nobody"], "error: no coder named 'nobody'"),
        (["--order-by", "shoe_size"], "error: no attribute named 'shoe_size'"),
        (["--format", "pdf"], "error: a report is written as md, html or docx"),
    ],
)
def test_bad_requests_write_nothing(
    demo_db: str, tmp_path: Path, capsys: Any, extra: list[str], message: str
) -> None:
    out = tmp_path / "results.md"
    assert run(["report", "--db", demo_db, "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_empty_project(tmp_path: Path, capsys: Any) -> None:
    db = str(tmp_path / "empty.db")
    thematica.init_project(db, "empty").close()
    out = tmp_path / "out"
    out.mkdir()
    assert run(["report", "--db", db, "-o", str(out / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err == "error: the project has no documents yet; import transcripts first\n"
    assert list(out.iterdir()) == []
