"""Fixtures for the suggestion tests: a project on each backend (SQLite file, or a new project
in one PostgreSQL database per session), owned by ``pi``; and an in-process command runner."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import thematica


@pytest.fixture(scope="session")
def suggest_pg_url(pg_admin: Any) -> Iterator[str]:
    from thematica.store import open_database

    name = f"thematica_suggest_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(str(pg_admin.url)).set(database=name).render_as_string(hide_password=False)
    open_database(url, create=True).dispose()
    yield url
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def suggest_db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(database URL, a project name not used yet in it)."""
    if request.param == "sqlite":
        return str(tmp_path / "study.db"), "study"
    return request.getfixturevalue("suggest_pg_url"), f"study-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def owner_project(suggest_db: tuple[str, str]) -> Iterator[Any]:
    url, name = suggest_db
    p = thematica.init_project(url, name, actor="pi")
    yield p
    p.close()


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``run_cli("suggest", "--db", db)`` -> CompletedProcess, run in this process."""
    from thematica.cli.main import run as run_main

    for key in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_main(argv)
        return subprocess.CompletedProcess(
            [sys.executable, *argv], code, out.getvalue(), err.getvalue()
        )

    return run
