"""Fixtures for the suggestion-review tests: the hand-built study of ``ai_review_helpers`` on
each backend, opened by its owner ``pi`` (fresh per test, or shared by a module's read-only
tests), and the same study as a SQLite file for the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ai_review_helpers import add_ai_layer, build_study

import thematica


@pytest.fixture
def study(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """(owner's project, database URL, suggestion ids in the order of ``AI``)."""
    p = thematica.init_project(db_url, "study", actor="pi")
    build_study(p, tmp_path / "files")
    ids = add_ai_layer(p)
    yield p, db_url, ids
    p.close()


@pytest.fixture
def study_db(tmp_path: Path) -> tuple[str, list[int]]:
    """The study in a SQLite file (closed), for the command line; and the suggestion ids."""
    db = str(tmp_path / "cli.db")
    with thematica.init_project(db, "study", actor="pi") as p:
        build_study(p, tmp_path / "files")
        ids = add_ai_layer(p)
    return db, ids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_study(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str, list[int]]]:
    """The study built once per test module and backend, for tests that only read it."""
    folder = tmp_path_factory.mktemp("ai-review")
    if request.param == "sqlite":
        url = str(folder / "study.db")
        name = None
    else:
        from sqlalchemy import text

        admin = request.getfixturevalue("pg_admin")  # tests/conftest.py: skips if no server
        name = f"thematica_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    p = thematica.init_project(url, "study", actor="pi")
    build_study(p, folder / "files")
    ids = add_ai_layer(p)
    yield p, url, ids
    p.close()
    if name is not None:
        from sqlalchemy import text

        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
