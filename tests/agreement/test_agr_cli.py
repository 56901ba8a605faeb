"""``thematica agreement`` and ``agreement-compare``: JSON shape, XLSX, errors (in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from thematica.cli.main import run


@pytest.fixture
def small_db(tmp_path: Path) -> str:
    from agr_helpers import build_small

    import thematica

    db = str(tmp_path / "small.db")
    p = thematica.init_project(db, "small")
    build_small(p, tmp_path / "files")
    p.close()
    return db


def _run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_report(small_db: str, capsys: Any) -> None:
    code, out, _err = _run(
        capsys,
        "agreement",
        "--db",
        small_db,
        "--coders",
        "a,b",
        "--unit",
        "sentence",
        "--bootstrap",
        "20",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {
        "coders",
        "unit",
        "parameters",
        "overall",
        "codes",
        "documents",
        "pairs",
        "disagreements",
        "notes",
    }
    assert data["coders"] == ["a", "b"] and data["unit"] == "sentence"
    assert [c["code"] for c in data["codes"]] == ["X", "Y"]
    assert data["codes"][0]["coded"] == {"a": 3, "b": 1}
    assert {"code", "document", "kind", "a_text", "b_text"} <= set(data["disagreements"][0])


def test_table_csv_and_save_compare(small_db: str, capsys: Any) -> None:
    code, out, _err = _run(
        capsys,
        "agreement",
        "--db",
        small_db,
        "--coders",
        "a,b",
        "--unit",
        "document",
        "--save",
        "v1",
        "--bootstrap",
        "0",
    )
    assert code == 0 and "Disagreements" in out and "Agreement per code" in out
    code, out, _err = _run(
        capsys,
        "agreement",
        "--db",
        small_db,
        "--coders",
        "a,b",
        "--unit",
        "document",
        "--format",
        "csv",
        "--bootstrap",
        "0",
    )
    assert code == 0
    assert out.splitlines()[0].startswith("code,prevalence,a,b,units,percent,kappa,alpha")
    code, out, _err = _run(capsys, "agreement-compare", "v1", "--db", small_db, "--format", "json")
    assert code == 0
    assert {r["status"] for r in json.loads(out)["codes"]} == {"same"}


def test_xlsx(small_db: str, tmp_path: Path, capsys: Any) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "agreement.xlsx"
    code, _out, _err = _run(
        capsys,
        "agreement",
        "--db",
        small_db,
        "--coders",
        "a,b",
        "--unit",
        "segment",
        "--bootstrap",
        "0",
        "--format",
        "xlsx",
        "-o",
        str(target),
    )
    assert code == 0
    book = load_workbook(target)
    assert book.sheetnames == ["overall", "codes", "documents", "pairs", "disagreements"]
    codes = book["codes"]
    header = [c.value for c in codes[1]]
    assert header[:4] == ["code", "prevalence", "a", "b"]
    assert codes.cell(row=2, column=1).value == "X"
    assert codes.cell(row=2, column=header.index("percent") + 1).value == 0
    assert book["disagreements"].max_row == 6  # header + 5


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--coders", "a"), "at least 2 coders"),
        (("--coders", "a,zed"), "no coder named 'zed'"),
        (("--coders", "a,b", "--unit", "word"), "unknown unit"),
        (("--coders", "a,b", "--format", "xlsx"), "needs --output"),
    ],
)
def test_errors_are_one_line(
    small_db: str, capsys: Any, args: tuple[str, ...], fragment: str
) -> None:
    code, out, err = _run(capsys, "agreement", "--db", small_db, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err


def test_empty_project_error(tmp_path: Path, capsys: Any) -> None:
    import thematica

    db = str(tmp_path / "empty.db")
    thematica.init_project(db, "empty").close()
    code, _out, err = _run(capsys, "agreement", "--db", db, "--coders", "a,b")
    assert code == 2 and "no documents" in err
