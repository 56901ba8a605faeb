"""``thematica consensus add | overturn | apply --final`` in-process: what a user sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cons_helpers import layer_codings, small_study, state
from test_cons_final import EXPECTED_LAYER, FINAL

from thematica.cli.main import run


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_overturn_and_final_from_the_command_line(
    project: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = project
    ids = small_study(p, tmp_path)
    db = ("--db", db_url)
    final = tmp_path / "final.csv"
    final.write_text(FINAL, "utf-8")
    # no layer yet and no coders: one line, nothing written
    before = state(p)
    code, out, err = _cli(capsys, "consensus", "apply", "--final", final, "--unit", "turn", *db)
    assert (code, out) == (2, "") and err.startswith("error: no consensus layer yet")
    assert len(err.splitlines()) == 1 and state(p) == before

    code, _out, err = _cli(capsys, "consensus", "start", "--coders", "alex,sam", *db)
    assert code == 0, err
    code, _out, err = _cli(
        capsys, "consensus", "add", "s2", "--code", "Pay", "--quote", "the pay is bad",
        "--reason", "pay is named outright", "--by", "kim", *db,
    )  # fmt: skip
    assert code == 0, err
    assert "add add-" in err and "consensus" in err and "Pay [144, 158)" in err
    agreed = f"a{ids['a_staff_s1']}-b{ids['b_staff_s1']}"
    code, _out, err = _cli(capsys, "consensus", "overturn", agreed, *db)
    assert code == 2 and "--reason" in err  # required option
    code, _out, err = _cli(
        capsys, "consensus", "overturn", agreed, "--reason", "context, not the topic", *db
    )
    assert code == 0 and f"overturn {agreed}" in err, err
    code, out, _err = _cli(capsys, "consensus", "status", *db, "--format", "csv")
    header, values = out.splitlines()[:2]
    row = dict(zip(header.split(","), values.split(","), strict=True))
    assert (row["added"], row["overturned"], row["agreed"]) == ("1", "1", "1")

    # a bad table: one line naming file, row and column; nothing changes
    bad = tmp_path / "bad.csv"
    bad.write_text(FINAL + "s1,9,1,0,0,0\n", "utf-8")
    before = state(p)
    code, out, err = _cli(capsys, "consensus", "apply", "--final", bad, "--unit", "turn", *db)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith("error: bad.csv: row 7, column 'turn': 's1' has 4 turn(s)")
    assert state(p) == before
    for args, fragment in (
        (("--unit", "turn"), "give a decisions file, or --final FILE with --unit"),
        (("--final", final), "--final needs --unit"),
        ((final, "--final", final, "--unit", "turn"), "give a decisions file, or --final"),
        ((final, "--unit", "turn"), "--unit and --coders go with --final"),
    ):
        code, out, err = _cli(capsys, "consensus", "apply", *args, *db)
        assert (code, out) == (2, "") and err.startswith(f"error: {fragment}"), err
        assert len(err.splitlines()) == 1 and state(p) == before

    code, _out, err = _cli(
        capsys, "consensus", "apply", "--final", final, "--unit", "turn", "--coders", "alex,sam",
        *db,
    )  # fmt: skip
    assert code == 0, err
    # hand-worked (tests/consensus/test_cons_final.py); the add and overturn are superseded
    assert (
        "consensus (alex, sam) from final.csv by turn: 2 agreed, 1 kept from alex, 1 kept from "
        "sam, 1 added, 2 overturned, 1 dropped from alex, 1 dropped from sam; the layer now has "
        "5 coding(s) (batch 1)."
    ) in err
    assert layer_codings(p) == EXPECTED_LAYER
