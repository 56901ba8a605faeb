"""``thematica stats``: JSON shape and one-line errors with exit code 2 (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thematica.cli.main import run

KEYS = {"coefficient", "value", "ci_low", "ci_high", "n_units", "n_coders"}


def _csv(tmp_path: Path, text: str, name: str = "ratings.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


GOOD = "anna,ben,cleo\n1,1,1\n2,2,3\n3,3,3\n1,2,1\n2,2,\n3,1,3\n"


@pytest.mark.parametrize("coefficient", ["percent", "fleiss", "bp", "ac1", "alpha"])
def test_json_output_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], coefficient: str
) -> None:
    code = run(
        [
            "stats",
            coefficient,
            _csv(tmp_path, GOOD),
            "--format",
            "json",
            "--seed",
            "1",
            "--bootstrap",
            "200",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    payload = json.loads(out)
    assert KEYS <= set(payload) <= KEYS | {"label"}
    assert payload["n_coders"] == 3
    assert payload["ci_low"] <= payload["value"] <= payload["ci_high"]


def test_two_coder_kappa_with_weights_and_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path, "a;b\nlow;low\nmid;high\nhigh;high\nlow;mid\nmid;mid\n")
    args = ["--categories", "low,mid,high", "--format", "json", "--bootstrap", "0"]
    assert run(["stats", "cohen", path, "--weights", "quadratic", *args]) == 0
    kappa = json.loads(capsys.readouterr().out)
    assert "quadratic" in kappa["coefficient"] and kappa["ci_low"] is None
    assert run(["stats", "alpha", path, "--level", "ordinal", *args]) == 0
    assert json.loads(capsys.readouterr().out)["n_units"] == 5


def test_cp1252_file_and_table_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, "Zoë,Jürgen\nja,ja\nnee,nee\nja,nee\nnee,nee\n", encoding="cp1252")
    assert run(["stats", "scott", path, "--seed", "3"]) == 0
    assert "Scott" in capsys.readouterr().out


def test_json_is_reproducible_with_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path, GOOD)
    run(["stats", "alpha", path, "--format", "json", "--seed", "9"])
    first = capsys.readouterr().out
    run(["stats", "alpha", path, "--format", "json", "--seed", "9"])
    assert capsys.readouterr().out == first


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["alpha"], "a,b\n1,2\n1\n2,2\n", "not rectangular"),
        (["cohen"], "a\n1\n2\n3\n", "at least 2 coder"),
        (["cohen"], "a,b\nx,x\nx,x\nx,\n", "only one category"),
        (["alpha"], "a,b\nx,x\nx,x\n", "only one category"),
        (["fleiss"], "a,b,c\n,,\n,,\n", "all values are missing"),
        (["kappa"], GOOD, "unknown coefficient"),
        (["cohen"], GOOD, "exactly 2 coders"),
        (["alpha", "--level", "circular"], GOOD, "level must be"),
        (["ac1", "--weights", "cubic"], GOOD, "linear or quadratic"),
        (["alpha", "--level", "interval"], "a,b\nx,y\ny,y\n", "numeric values"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    content: str,
    message: str,
) -> None:
    coefficient, *options = args
    code = run(["stats", coefficient, _csv(tmp_path, content), *options, "--bootstrap", "0"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""
