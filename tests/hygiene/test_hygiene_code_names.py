"""Code names may contain "/" (the world_after_covid codebook has "optimism / positivity"):
displays take names from the codebook and never split a path back into names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from thematica.cli.main import run

TEXT = "Interviewer: How are you?\nParticipant 1: Hopeful, though afraid of the winter.\n"


def _coded(project: Any, tmp_path: Path) -> None:
    (tmp_path / "P1.txt").write_text(TEXT, encoding="utf-8")
    project.documents.import_files([tmp_path / "P1.txt"])
    project.codebook.add("a / b")
    project.codebook.add("c", parent="a / b")
    project.codebook.add("Fear")
    start = TEXT.index("Hopeful")
    fear = TEXT.index("afraid")
    for coder in ("alex", "sam"):
        project.coding.apply("P1", "a / b/c", start, start + 7, coder=coder)
        project.coding.apply("P1", "Fear", fear, fear + 6, coder=coder)
    project.coding.apply("P1", "a / b", start, fear + 6, coder="alex")


def test_cooccurrence_and_matrix_keep_names_whole(project: Any, tmp_path: Path) -> None:
    _coded(project, tmp_path)
    matrix = project.cooccurrence.matrix("overlap", coder="alex")
    assert matrix.labels == ["a / b", "a / b/c", "Fear"]
    assert matrix.short == ["a / b", "c", "Fear"]  # not "b" / " b" from a split path
    svg = project.cooccurrence.heatmap("overlap", fmt="svg", coder="alex").decode("utf-8")
    assert ">a / b<" in svg and ">c<" in svg
    view = project.matrices.create("m", columns="codes", coder="alex")
    groups = {c.key: c.group for c in view.columns}
    assert groups == {"a / b": "a / b", "a / b/c": "a / b", "Fear": "Fear"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_agreement_and_disagreement_tables_show_names(
    project: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _coded(project, tmp_path)
    db = project.db.url
    assert run(["agreement", "--db", db, "--coders", "alex,sam", "--unit", "character"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split("│")[1].rstrip() for line in lines if line.count("│") > 3]
    # the per-code table: the top code at depth 0, its subcode indented one level
    assert " a / b" in names and "   c" in names
    assert all("  b" not in n for n in names)
    project.consensus.start(("alex", "sam"))
    assert run(["consensus", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "alex: a / b [" in out
