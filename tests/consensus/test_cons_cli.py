"""``thematica consensus``: the commands in-process, and the interactive walk as a real process
whose answers come from stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from thematica.cli.main import run

ENTRY = "from thematica.cli.main import main; main()"


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _walk(db: str, answers: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEMATICA_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "consensus", "walk", "--coders", "alex,sam", "--db", db],
        input=answers,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def test_commands_start_list_decide_apply_log(
    demo: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", db_url)
    code, _out, err = _cli(capsys, "consensus", "status", *db)
    assert code == 2 and err.startswith("error: no consensus layer yet")
    code, _out, err = _cli(capsys, "query", *db, "Feelings of guilt")
    assert code == 2 and "no consensus layer" in err and len(err.splitlines()) == 1
    code, _out, err = _cli(capsys, "consensus", "start", *db, "--coders", "alex,sam")
    assert code == 0, err
    assert "agreed coding(s) added" in err
    code, out, _err = _cli(capsys, "consensus", "status", *db, "--format", "json")
    status = json.loads(out)[0]
    assert status["coders"] == ["alex", "sam"] and status["open"] > 2
    code, out, _err = _cli(capsys, "consensus", "list", *db, "--format", "json")
    items = json.loads(out)
    assert len(items) == status["open"]
    assert {"id", "document", "kind", "coder_a", "text_a", "coder_b", "text_b"} <= set(items[0])
    code, out, _err = _cli(capsys, "consensus", "list", *db, "--limit", "2")
    assert code == 0 and items[0]["id"] in out and items[2]["id"] not in out
    first = items[0]["id"]
    code, _out, err = _cli(
        capsys, "consensus", "decide", first, "keep_b", "--reason", "sam's span", "--by", "kim", *db
    )
    assert code == 0, err
    code, out, err = _cli(capsys, "consensus", "decide", first, "keep_a", *db)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "already decided" in err
    code, _out, err = _cli(
        capsys,
        "consensus",
        "decide",
        first,
        "keep_a",
        "--revise",
        "-r",
        "alex after all",
        "--by",
        "kim",
        *db,
    )
    assert code == 0, err
    rest = [[i["id"], "drop", "out of scope", "kim"] for i in items[1:]]
    path = tmp_path / "decisions.csv"
    path.write_text(
        "disagreement,action,reason,decided_by\n" + "".join(",".join(r) + "\n" for r in rest),
        "utf-8",
    )
    code, _out, err = _cli(capsys, "consensus", "apply", path, *db)
    assert code == 0 and "0 disagreement(s) still open" in err, err
    code, out, _err = _cli(capsys, "consensus", "log", *db, "--no-agreed", "--format", "json")
    log = json.loads(out)
    assert len(log) == len(items) + 1
    assert log[0]["superseded_by"] == log[1]["decision"]
    assert [e["action"] for e in log[:2]] == ["keep_b", "keep_a"]
    assert all(e["decided_by"] == "kim" and e["reason"] and e["source"] for e in log)
    code, out, _err = _cli(capsys, "consensus", "log", *db)
    assert code == 0 and "agreed" in out
    code, out, _err = _cli(capsys, "query", *db, "Feelings of guilt", "--format", "json")
    assert code == 0 and {tuple(e["coders"]) for e in json.loads(out)} == {("consensus",)}


def test_walk_takes_answers_from_stdin_and_stops_cleanly(demo: Any, db_url: str) -> None:
    # first: keep alex's; second: a wrong answer, then drop; third: skip; then quit
    result = _walk(db_url, "a\nalex's span is the thought\nbogus\nd\nnot this code\ns\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "1/" in result.stderr and "unknown action 'bogus'" in result.stderr
    assert "Decided 2 disagreement(s) this session" in result.stderr
    log = demo.consensus.log(include_agreed=False)
    assert [(r.action, r.reason) for r in log] == [
        ("keep_a", "alex's span is the thought"),
        ("drop", "not this code"),
    ]
    assert all(r.decided_by == "alex+sam" for r in log)
    open_ = demo.consensus.disagreements().rows
    skipped = open_[0]
    # the next walk starts where the meeting stopped: an edit, then input ends mid-question
    answers = f"e\n{skipped.start}\n{skipped.start + 5}\n\ntrimmed\nm\n"
    result = _walk(db_url, answers)
    assert result.returncode == 0, result.stderr
    assert f"1/{len(open_)}  {skipped.id}" in result.stderr
    assert "Decided 1 disagreement(s) this session" in result.stderr
    log = demo.consensus.log(include_agreed=False)
    assert [(r.disagreement, r.action) for r in log][-1] == (skipped.id, "edit")
    assert len(demo.consensus.disagreements()) == len(open_) - 1
    # nothing to read at all
    result = _walk(db_url, "")
    assert result.returncode == 0 and "Decided 0" in result.stderr
