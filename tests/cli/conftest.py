"""Fixtures that run the real ``thematica`` command in a subprocess, as a user's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cli_helpers import ENTRY

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    """``cli("import", "--db", db, "x.txt")`` -> CompletedProcess (text, stdout/stderr piped)."""
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
def cli_many(cli: Callable[..., Result]) -> Callable[[Sequence[Sequence[object]]], list[Result]]:
    """Run independent commands side by side (each only reads, or fails before writing)."""

    def run_all(commands: Sequence[Sequence[object]]) -> list[Result]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda args: cli(*args), commands))

    return run_all
