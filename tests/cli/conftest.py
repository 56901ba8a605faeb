"""Fixtures that run the ``thematica`` command: in-process by default (``cli``), and as a real
subprocess, as a user's shell would (``cli_process``), for the few smoke tests that need it.

Both return a ``subprocess.CompletedProcess`` (``args`` is ``[python, -c, ENTRY, *args]`` in
both, so helpers can show ``result.args[3:]``): in-process runs skip the ~1 s of interpreter and
library start-up per command that made these tests among the slowest of the suite.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from cli_helpers import ENTRY

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def cli_process(tmp_path: Path) -> Callable[..., Result]:
    """``cli_process("import", "--db", db, "x.txt")`` -> CompletedProcess of a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEMATICA_")}
    env["PYTHONIOENCODING"] = "utf-8"

    def run(*args: object) -> Result:
        return subprocess.run(
            [sys.executable, "-c", ENTRY, *map(str, args)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    return run


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``cli("import", "--db", db, "x.txt")`` -> CompletedProcess, run in this process with
    the same working folder and environment as :func:`cli_process` gives a child."""
    from thematica.cli.main import run as run_cli

    for name in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: object) -> Result:
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli(argv)
        return subprocess.CompletedProcess(
            [sys.executable, "-c", ENTRY, *argv], code, out.getvalue(), err.getvalue()
        )

    return run


@pytest.fixture
def cli_many(cli: Callable[..., Result]) -> Callable[[Sequence[Sequence[object]]], list[Result]]:
    """Run independent commands (each only reads, or fails before writing) one after another:
    in-process runs share sys.stdout, so they cannot run side by side."""

    def run_all(commands: Sequence[Sequence[object]]) -> list[Result]:
        return [cli(*args) for args in commands]

    return run_all
