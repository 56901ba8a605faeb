"""CSV/XLSX exports of codings, the codebook and case attributes, and their typed DataFrames."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from thematica.cli.main import run
from thematica.core.errors import InputError, NotFoundError
from thematica.exporters import project_files as files
from thematica.store import schema as t


def _texts(project: Any) -> dict[str, str]:
    with project.db.read() as conn:
        return dict(
            conn.execute(
                select(t.document.c.name, t.document.c.text).where(
                    t.document.c.project_id == project.id
                )
            ).all()
        )


def _count(project: Any, coder: str) -> int:
    with project.db.read() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(t.coding.join(t.coder, t.coder.c.id == t.coding.c.coder_id))
                .where(t.coding.c.project_id == project.id, t.coder.c.name == coder)
            )
            or 0
        )


def test_exp_demo_codings_csv_one_row_per_coding(demo: Any, tmp_path: Path) -> None:
    out = files.write_export(demo, "codings", tmp_path / "codings.csv", coder="alex")
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == _count(demo, "alex") > 0
    texts = _texts(demo)
    paths = {r.path for r in demo.codebook.tree()}
    for row in rows:
        assert row["coder"] == "alex"
        assert row["text"] == texts[row["document"]][int(row["start"]) : int(row["end"])]
        assert row["case"] == row["document"].split("-")[0]
        assert row["code"] in paths
    first = list(rows[0])
    assert first[:3] == ["id", "document", "case"]
    assert first[-6:] == ["code", "coder", "start", "end", "text", "memo"]
    for attribute in ("time_in_role", "lived_experience", "interview_date"):
        assert attribute in first
    assert {r["interview_date"] for r in rows} <= {
        "2026-02-09", "2026-02-13", "2026-02-20", "2026-02-26", "2026-03-05", "2026-03-12",
        "2026-03-19",
    }  # fmt: skip
    # P04's lived_experience is missing: an empty cell, not "None" / "<NA>"
    p04 = [r for r in rows if r["case"] == "P04"]
    assert p04 and {r["lived_experience"] for r in p04} == {""}
    assert not any("None" in v or "<NA>" in v for r in rows for k, v in r.items() if k != "text")


def test_exp_demo_all_coders_and_default_layer(demo: Any) -> None:
    frame = demo.exports.codings_frame(coder="all")
    assert len(frame) == _count(demo, "alex") + _count(demo, "sam")
    assert set(frame["coder"]) == {"alex", "sam"}
    with pytest.raises(InputError, match="2 coders"):
        demo.exports.codings_frame()  # two coders, no consensus layer: a choice is needed
    with pytest.raises(NotFoundError, match="no coder named 'bob'"):
        demo.exports.codings_frame(coder="bob")


def test_exp_demo_xlsx_opens_with_openpyxl(demo: Any, tmp_path: Path) -> None:
    files.write_export(demo, "codings", tmp_path / "codings.xlsx", coder="sam")
    book = load_workbook(tmp_path / "codings.xlsx")
    assert book.sheetnames == ["codings", "attributes"]
    rows = list(book["codings"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == _count(demo, "sam")
    texts = _texts(demo)
    col = {name: i for i, name in enumerate(header)}
    for row in body:
        doc, start, end = row[col["document"]], row[col["start"]], row[col["end"]]
        assert isinstance(start, int)
        assert row[col["text"]] == texts[doc][start:end]
        assert isinstance(row[col["interview_date"]], dt.datetime)
        assert row[col["lived_experience"]] in (True, False, None)
    types = {r[0]: (r[1], r[2]) for r in book["attributes"].iter_rows(min_row=2, values_only=True)}
    assert types["time_in_role"] == ("ordinal", "<1 year; 1-3 years; 3-5 years; >5 years")
    assert types["interview_date"] == ("date", None)

    files.write_export(demo, "cases", tmp_path / "cases.xlsx")
    cases = load_workbook(tmp_path / "cases.xlsx")
    assert cases.sheetnames == ["cases", "attributes"]
    assert cases["cases"].max_row == 1 + 7

    files.write_export(demo, "codebook", tmp_path / "codebook.xlsx")
    sheet = load_workbook(tmp_path / "codebook.xlsx")["codebook"]
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    for column in ("path", "definition", "inclusion", "exclusion", "example", "origin",
                   "sem_level", "colour", "memo", "codings"):  # fmt: skip
        assert column in header
    assert sheet.max_row == 1 + len(demo.codebook.tree())


def test_exp_demo_codebook_csv_every_field(demo: Any, tmp_path: Path) -> None:
    files.write_export(demo, "codebook", tmp_path / "codebook.csv")
    with (tmp_path / "codebook.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    tree = demo.codebook.tree()
    assert [r["path"] for r in rows] == [r.path for r in tree]
    one = demo.codebook.get(rows[1]["path"])
    for field in ("definition", "inclusion", "exclusion", "example", "origin", "sem_level"):
        assert rows[1][field] == (one[field] or "")
    assert sum(int(r["codings"]) for r in rows) == _count(demo, "alex") + _count(demo, "sam")


def test_exp_demo_cases_frame_types(demo: Any) -> None:
    frame = demo.exports.cases_frame()
    assert list(frame["case"]) == [f"P0{n}" for n in range(1, 8)]
    role = frame["time_in_role"]
    assert isinstance(role.dtype, pd.CategoricalDtype) and role.cat.ordered
    assert list(role.cat.categories) == ["<1 year", "1-3 years", "3-5 years", ">5 years"]
    assert role.min() == "<1 year" and role.max() == ">5 years"
    assert pd.api.types.is_datetime64_any_dtype(frame["interview_date"])
    assert frame["interview_date"].iloc[0] == pd.Timestamp("2026-02-09")
    assert str(frame["lived_experience"].dtype) == "boolean"
    p04 = frame.set_index("case").loc["P04"]
    assert p04["lived_experience"] is pd.NA
    assert str(frame["documents"].dtype) == "Int64"


def test_exp_types_and_missing_values(project: Any, tmp_path: Path) -> None:
    table = tmp_path / "cases.csv"
    table.write_text(
        "id,age,score,joined,active,band,site\n"
        "A,34,1.5,2024-01-31,yes,low,north\n"
        "B,,2.25,,no,high,\n"
        "C,51,,2023-12-01,,mid,south\n",
        encoding="utf-8",
    )
    project.cases.import_table(table, id_column="id", orders={"band": ["low", "mid", "high"]})
    frame = project.exports.cases_frame().set_index("case")
    assert str(frame["age"].dtype) == "Int64" and frame.loc["A", "age"] == 34
    assert frame.loc["B", "age"] is pd.NA
    assert str(frame["score"].dtype) == "Float64" and frame.loc["B", "score"] == 2.25
    assert frame.loc["C", "score"] is pd.NA
    assert pd.api.types.is_datetime64_any_dtype(frame["joined"])
    assert pd.isna(frame.loc["B", "joined"])
    assert frame.loc["A", "active"] is True or frame.loc["A", "active"] == True  # noqa: E712
    assert frame.loc["C", "active"] is pd.NA
    assert list(frame["band"].cat.categories) == ["low", "mid", "high"]
    assert frame["band"].cat.ordered
    assert frame.sort_values("band").index.tolist() == ["A", "C", "B"]
    assert frame.loc["B", "site"] is pd.NA
    out = files.write_export(project, "cases", tmp_path / "out.csv")
    csv_text = out.read_text(encoding="utf-8")
    assert "None" not in csv_text and "<NA>" not in csv_text and "NaT" not in csv_text
    assert csv_text.splitlines()[2] == "B,0,,2.25,,False,high,"
    # no codings yet: an empty table with the columns, not an error
    empty = project.exports.codings_frame()
    assert len(empty) == 0 and "age" in empty.columns and "text" in empty.columns


def test_exp_attribute_named_like_a_column(project: Any, tmp_path: Path) -> None:
    (tmp_path / "P1.txt").write_text("hello there world", encoding="utf-8")
    project.documents.import_files([tmp_path / "P1.txt"], case_pattern=r"(P\d)")
    table = tmp_path / "cases.csv"
    table.write_text("id,text,code\nP1,a note,7\n", encoding="utf-8")
    project.cases.import_table(table, id_column="id")
    project.codebook.add("Greeting")
    project.coding.apply("P1", "Greeting", 0, 5, coder="ann", memo="first word")
    frame = project.exports.codings_frame()
    assert frame.loc[0, "text"] == "hello"
    assert frame.loc[0, "text (attribute)"] == "a note"
    assert frame.loc[0, "code (attribute)"] == 7
    assert frame.loc[0, "code"] == "Greeting"
    assert frame.loc[0, "memo"] == "first word"


def test_exp_errors_are_one_line(demo: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        files.write_export(demo, "cases", tmp_path / "missing" / "cases.csv")
    with pytest.raises(InputError, match=r"\.csv or \.xlsx"):
        files.write_export(demo, "cases", tmp_path / "cases.txt")
    with pytest.raises(InputError, match="unknown export"):
        files.write_export(demo, "themes", tmp_path / "x.csv")
    with pytest.raises(NotFoundError):
        files.write_export(demo, "codings", tmp_path / "x.csv", coder="nobody")
    assert not (tmp_path / "x.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_exp_cli(demo: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = demo.db.url
    out = tmp_path / "codings.csv"
    assert run(["export", "codings", "--db", str(db), "-o", str(out), "--coder", "alex"]) == 0
    assert "coding(s)" in capsys.readouterr().err
    with out.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == _count(demo, "alex")
    for argv, message in (
        (["export", "codings", "-o", str(out), "--coder", "bob"], "no coder named 'bob'"),
        (["export", "cases", "-o", str(tmp_path / "no" / "c.xlsx")], "does not exist"),
        (["export", "codings", "-o", str(out)], "choose which to read with --coder NAME"),
    ):
        assert run([*argv[:2], "--db", str(db), *argv[2:]]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert run(["export", "cases", "--db", str(db), "-o", str(tmp_path / "c.xlsx")]) == 0
    assert load_workbook(tmp_path / "c.xlsx")["cases"].max_row == 8
