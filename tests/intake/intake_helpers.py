"""Helpers for the intake tests (import, cases, codebook files): the CLI run in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> Outcome:
    """``thematica ARGS`` in this process, as ``main`` runs it (exit code, stdout, stderr)."""
    from thematica.cli.main import run

    capsys.readouterr()
    code = run([str(a) for a in args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def one_error(outcome: Outcome, *fragments: str) -> str:
    """Exit 2 with exactly one ``error:`` line on stderr naming every fragment."""
    assert outcome.code == 2, (outcome.code, outcome.err, outcome.out)
    lines = outcome.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
