"""Framework matrices on the demo, on both backends: create, fill, link checks, exports, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from mx_helpers import add_theme, clear_themes, codings
from openpyxl import load_workbook

from thematica.cli.main import run
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.exporters import project_files as files

ENV = "Individual/Navigating the variability of the physical environment"
GUILT = "Individual/Navigating boundary setting and self-care/Feelings of guilt"
STAFF = "Organizational/Receiving resources and benefits from the organization/Staffing"


def test_mx_codes_matrix_fill_and_validate(demo: object) -> None:
    m = demo.matrices  # type: ignore[attr-defined]
    view = m.create("chart", rows="cases", columns="codes", coder="alex")
    assert view.rows == [f"P0{i}" for i in range(1, 8)] and len(view.columns) == 21
    with pytest.raises(ConflictError):
        m.create("chart", columns="codes", coder="alex")
    env = codings(demo, "alex", "P01-interview", ENV)
    assert env
    cell = m.set_cell(
        "chart", "P01", ENV, summary="Mud and long drives.", link=env[:1], author="kim"
    )
    assert (cell.summary, cell.linked, cell.coded, cell.author) == (
        "Mud and long drives.",
        1,
        len(env),
        "kim",
    )
    assert cell.excerpts[0].document == "P01-interview" and cell.excerpts[0].text
    # parent code columns count their subcodes' segments
    assert m.get("chart").cell("P01", "Individual").coded >= len(env)
    before = m.get("chart").cell("P01", ENV)
    other_case = codings(
        demo, "alex", "P02-interview", "Individual/Navigating boundary setting and self-care"
    )
    sams = codings(demo, "sam", "P01-interview", ENV)
    staff = codings(demo, "alex", "P01-interview", STAFF)
    bad = [
        ({"row": "P99", "column": ENV, "summary": "x"}, NotFoundError, "no row 'P99'"),
        ({"row": "P01", "column": "Nope", "summary": "x"}, NotFoundError, "no column 'Nope'"),
        ({"row": "P01", "column": ENV, "link": [999999]}, NotFoundError, "no coding with id"),
        ({"row": "P01", "column": ENV, "link": other_case[:1]}, InputError, "case of row 'P01'"),
        ({"row": "P01", "column": ENV, "link": staff[:1]}, InputError, "code of column"),
        ({"row": "P01", "column": ENV, "link": sams[:1]}, InputError, r"coder layer \(alex\)"),
        ({"row": "P01", "column": ENV, "unlink": [12345]}, InputError, "not linked"),
        ({"row": "P01", "column": ENV}, InputError, "nothing to change"),
    ]
    for kwargs, error, message in bad:
        with pytest.raises(error, match=message):
            m.set_cell("chart", **kwargs)
    after = m.get("chart").cell("P01", ENV)
    assert (after.summary, after.links) == (before.summary, before.links)  # nothing written
    cell = m.set_cell("chart", "P01", ENV, unlink=env[:1], link=env[1:])
    assert cell.links == env[1:] and cell.summary == "Mud and long drives."
    listed = m.list().records()
    assert listed[0]["name"] == "chart" and listed[0]["cells"] == 1
    by_attr = m.create("lived", rows="attribute:lived_experience", columns="codes", coder="alex")
    assert by_attr.rows == ["no", "yes", "(missing)"]
    with pytest.raises(NotFoundError, match="no attribute named 'nope'"):
        m.create("x", rows="attribute:nope", columns="codes", coder="alex")
    with pytest.raises(InputError, match=r"no consensus layer: choose which to read$"):
        m.create("x", columns="codes")  # two coders, no consensus layer
    m.remove("lived")
    with pytest.raises(NotFoundError, match="no matrix named 'lived'"):
        m.get("lived")


def test_mx_themes_export_xlsx_csv_md(demo: object, tmp_path: Path) -> None:
    clear_themes(demo)  # the demo may ship themes; this test works on its own three
    with pytest.raises(InputError, match="no themes yet"):
        demo.matrices.create("x", columns="themes", coder="alex")  # type: ignore[attr-defined]
    add_theme(demo, "Physical environment", "individual", [ENV])
    add_theme(demo, "Guilt", "individual", [GUILT])
    add_theme(demo, "Staffing", "organizational", [STAFF])
    m = demo.matrices  # type: ignore[attr-defined]
    view = m.create("themes", columns="themes", coder="alex")
    assert [c.key for c in view.columns] == ["Physical environment", "Guilt", "Staffing"]
    assert view.groups == ["individual", "organizational"]
    env = codings(demo, "alex", "P01-interview", ENV)
    m.set_cell("themes", "P01", "Physical environment", summary="Weather | mud", link=env)
    xlsx = files.write_matrix(demo, "themes", tmp_path / "m.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["individual", "organizational", "Excerpts"]
    ws = wb["individual"]
    assert ws["B1"].value == "Physical environment" and ws["A2"].value == "P01"
    assert ws["B2"].value.startswith("Weather | mud\n[linked")
    assert ws["B2"].alignment.wrap_text and ws.column_dimensions["B"].width >= 30
    ex = wb["Excerpts"]
    header = [c.value for c in ex[1]]
    assert header[:9] == [
        "row",
        "column",
        "coding",
        "document",
        "case",
        "speaker",
        "start",
        "end",
        "code",
    ]
    texts = [r[9] for r in ex.iter_rows(min_row=2, values_only=True)]
    linked = demo.coding.list(coder="alex", document="P01-interview", code=ENV).rows  # type: ignore[attr-defined]
    assert len(texts) == len(env) and linked[0].text in texts
    csv_text = files.write_matrix(demo, "themes", tmp_path / "m.csv").read_text("utf-8")
    assert csv_text.splitlines()[0] == "row,column,group,coded,linked,summary,author,links"
    md = files.write_matrix(demo, "themes", tmp_path / "m.md").read_text("utf-8")
    assert "## individual" in md and "Weather \\| mud" in md and "## Linked excerpts" in md
    with pytest.raises(InputError, match=r"use \.xlsx, \.csv or \.md"):
        files.write_matrix(demo, "themes", tmp_path / "m.pdf")


def test_mx_cli(demo: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = demo.db.url  # type: ignore[attr-defined]
    env = codings(demo, "alex", "P02-interview", ENV) or codings(demo, "alex", "P01-interview", ENV)
    doc_case = "P02" if codings(demo, "alex", "P02-interview", ENV) else "P01"
    base = ["--db", db]
    assert run(["matrix", "create", "chart", "--columns", "codes", "--coder", "alex", *base]) == 0
    assert (
        run(
            [
                "matrix",
                "set",
                "chart",
                "--row",
                doc_case,
                "--column",
                ENV,
                "--summary",
                "S",
                "--link",
                str(env[0]),
                *base,
            ]
        )
        == 0
    )
    assert (
        run(
            [
                "matrix",
                "set",
                "chart",
                "--row",
                doc_case,
                "--column",
                ENV,
                "--link",
                "999999",
                *base,
            ]
        )
        == 2
    )
    assert "error: no coding with id 999999" in capsys.readouterr().err
    assert run(["matrix", "show", "chart", "--format", "csv", *base]) == 0
    out = capsys.readouterr().out
    assert out.startswith("row,column,group,coded,linked,summary,author") and ",1,S," in out
    assert run(["matrix", "list", "--format", "json", *base]) == 0
    assert '"chart"' in capsys.readouterr().out
    target = tmp_path / "chart.xlsx"
    assert run(["matrix", "export", "chart", "-o", str(target), *base]) == 0
    assert load_workbook(target)["Excerpts"]["J2"].value
    assert run(["matrix", "remove", "chart", *base]) == 0
