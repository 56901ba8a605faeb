"""``thematica transcribe``, ``thematica transcripts`` and ``thematica documents rename-speaker``
as a user runs them: in this process for the flow and the refusals, and once as a real
subprocess end to end.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, synthesize

from thematica.intake.wer import word_error_rate

ENTRY = "from thematica.cli.main import main; main()"
Result = subprocess.CompletedProcess[str]
TWO_TURNS = [
    (INTERVIEWER, "How long have you worked in outreach?"),
    (PARTICIPANT, "About six years now at the needle exchange."),
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return synthesize(tmp_path_factory.mktemp("cli-clip"), TWO_TURNS, name="session 1")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``thematica ARGS`` run in this process, in ``tmp_path``, without THEMATICA_ settings."""
    from thematica.cli.main import run as run_cli

    for name in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: object) -> Result:
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli(argv)
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

    return run


def _ok(result: Result) -> Result:
    assert result.returncode == 0, (result.args, result.stderr)
    assert "Traceback" not in result.stderr
    assert "\x1b[" not in result.stdout + result.stderr  # piped: no terminal codes
    return result


def _user_error(result: Result, *fragments: str) -> str:
    assert result.returncode == 2, (result.args, result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.stdout == ""
    return lines[0]


def test_transcribe_list_and_rename_from_the_command_line(
    cli: Callable[..., Result], clip: Clip, tmp_path: Path
) -> None:
    db = tmp_path / "study.db"
    _ok(cli("init", "--db", db, "--name", "study"))
    done = _ok(cli("transcribe", clip.path, "--speakers", "2", "--name", "P01", "--db", db))
    assert "P01" in done.stdout and "× real time" in done.stdout
    assert "thematica documents rename-speaker P01" in done.stderr

    [run] = json.loads(_ok(cli("transcripts", "--db", db, "--format", "json")).stdout)
    assert (run["source"], run["document"], run["status"]) == ("session 1.wav", "P01", "done")

    _ok(cli("documents", "rename-speaker", "P01", "Speaker 1", "Interviewer", "--db", db))
    text = _ok(cli("documents", "show", "P01", "--db", db)).stdout
    lines = text.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["Interviewer", "Speaker 2"]
    spoken = " ".join(line.split(": ", 1)[1] for line in lines)
    assert word_error_rate(" ".join(s for _, s in TWO_TURNS), spoken) <= 0.25

    # refusals: one line, exit 2, nothing stored
    _user_error(cli("transcribe", tmp_path / "none.wav", "--db", db), "none.wav", "no such file")
    _user_error(
        cli("transcribe", clip.path, "--name", "P02", "--language", "fr", "--db", db),
        "English",
    )
    _user_error(
        cli("transcribe", clip.path, "--name", "P02", "--max-hours", "0.001", "--db", db),
        "the limit is 0.001 hours (--max-hours)",
    )
    _user_error(cli("transcribe", clip.path, "--name", "P01", "--db", db), "'P01'", "already")
    _user_error(
        cli("documents", "rename-speaker", "P01", "Speaker 7", "X", "--db", db), "Speaker 7"
    )
    assert json.loads(cli("transcripts", "--db", db, "--format", "json").stdout) == [run]


def test_transcribe_end_to_end_in_a_real_process(clip: Clip, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEMATICA_")}
    env["PYTHONIOENCODING"] = "utf-8"
    db = tmp_path / "e2e.db"

    def thematica(*args: object) -> Result:
        return subprocess.run(
            [sys.executable, "-c", ENTRY, *map(str, args)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=env,
            timeout=180,
        )

    _ok(thematica("init", "--db", db))
    done = _ok(thematica("transcribe", clip.path, "--db", db, "--format", "csv"))
    header, row = done.stdout.splitlines()[:2]
    assert header.split(",")[:3] == ["document", "source", "duration"]
    assert row.startswith("session 1,session 1.wav,")
