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
from typing import Any

import numpy as np
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
    assert "P01" in done.stdout and "session 1.wav" in done.stdout  # the source column
    assert "processing speed" in done.stdout and "× as fast as playback" in done.stdout
    hints = done.stderr
    assert 'thematica documents rename-speaker P01 --map "Speaker 1=Interviewer"' in hints
    assert "thematica deid P01" in hints and "thematica export captions P01" in hints
    assert "--speakers 2" not in hints  # two voices were asked for

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
    # the same file again (a batch run again): skipped, not refused
    again = _ok(cli("transcribe", clip.path, "--name", "P01", "--db", db))
    assert "Skipped session 1.wav: already transcribed as 'P01'" in again.stderr
    assert again.stdout == ""
    _user_error(
        cli("transcribe", clip.path, "--name", "P01", "--no-resume", "--db", db),
        "'P01'",
        "already",
    )
    _user_error(
        cli("documents", "rename-speaker", "P01", "Speaker 7", "X", "--db", db), "Speaker 7"
    )
    _user_error(
        cli("documents", "rename-speaker", "P01", "A", "B", "--map", "C=D", "--db", db),
        "not both",
    )
    _user_error(cli("documents", "rename-speaker", "P01", "--map", "C", "--db", db), "'C'")
    assert json.loads(cli("transcripts", "--db", db, "--format", "json").stdout) == [run]

    # several at once, swapping names
    _ok(
        cli(
            "documents",
            "rename-speaker",
            "P01",
            "--map",
            "Interviewer=Speaker 2",
            "--map",
            "Speaker 2=Interviewer",
            "--db",
            db,
        )
    )
    lines = _ok(cli("documents", "show", "P01", "--db", db)).stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["Speaker 2", "Interviewer"]


def test_skips_interruptions_and_errors_are_reported(
    cli: Callable[..., Result], clip: Clip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a stand-in engine: silence exits 1 with a warning even under --quiet; an
    interruption names the file whose run it stopped; an error after a stored file names it."""
    from speech_clips import silence, write_audio

    from thematica.core.errors import InputError
    from thematica.intake import transcriber
    from thematica.intake.audio import decode
    from thematica.intake.transcriber import Segment, TranscriptionInfo

    db = tmp_path / "batch.db"
    _ok(cli("init", "--db", db))
    room = silence(tmp_path, 3.0, name="room")
    quiet = cli("transcribe", room, "--quiet", "--db", db)
    assert quiet.returncode == 1 and quiet.stdout == ""
    assert (
        quiet.stderr == "warning: skipped room.wav: no speech found (silence); no document made\n"
    )

    samples = decode(clip.path)
    longer = write_audio(tmp_path / "second.wav", np.concatenate([samples, samples * 0]))
    said = [Segment(0.6, 1.4, "One."), Segment(1.8, 2.6, "Two."), Segment(3.0, 3.8, "Three.")]
    failing: dict[str, BaseException] = {}

    def fake(audio: Any, model_name: str, **kw: Any) -> Any:
        info = TranscriptionInfo("en", 1.0, len(audio) / 16_000, "cpu", "int8")
        heard = [s for s in said if s.start >= kw["start_at"]]
        for segment in heard:
            if segment.text == "Three." and len(audio) > len(samples) and "second" in failing:
                raise failing["second"]
            kw["on_segment"](segment)
        return heard, info

    monkeypatch.setattr(transcriber, "transcribe", fake)
    failing["second"] = KeyboardInterrupt()
    stopped = cli("transcribe", longer, "--speakers", "1", "--db", db)
    assert stopped.returncode == 130
    assert stopped.stderr == (
        "interrupted; second.wav: 2 segment(s) (0:03 of audio) kept: run the same command "
        "again to carry on\n"
    )
    # a batch: the clip is stored, the second file resumes and fails
    failing["second"] = InputError("the speech model tiny.en failed at 0:01 of the recording")
    failed = cli("transcribe", clip.path, longer, "--speakers", "1", "--db", db)
    assert failed.returncode == 2
    assert failed.stderr.splitlines() == [
        "stored before the error: session 1",
        "error: the speech model tiny.en failed at 0:01 of the recording",
    ]
    # run again: the stored file is skipped, the second carries on
    failing.clear()
    done = _ok(cli("transcribe", clip.path, longer, "--speakers", "1", "--db", db))
    assert "already transcribed as 'session 1'" in done.stderr
    assert "second" in done.stdout and "second: carried on from 0:01" in done.stderr


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
