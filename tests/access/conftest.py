"""Fixtures for the access tests: a fresh database per backend that a whole module shares (the
role walks make many calls, so they build their project once, not once per test)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from thematica.store import schema as t


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database on SQLite and on the PostgreSQL server, for one test module."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("access") / "study.db")
        return
    from sqlalchemy import text

    admin = request.getfixturevalue("pg_admin")  # tests/conftest.py: skips if no server
    name = f"thematica_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def footprint(project: Any) -> tuple[int, ...]:
    """How many rows every table holds, and the newest audit entry's id (one round trip): if
    this is unchanged, a call wrote nothing."""
    tables = sorted(t.metadata.tables.values(), key=lambda tb: tb.name)
    columns = [select(func.count()).select_from(tb).scalar_subquery() for tb in tables]
    columns.append(select(func.max(t.audit_log.c.id)).scalar_subquery())
    with project.db.read() as conn:
        row = conn.execute(select(*columns)).one()
    return tuple(-1 if v is None else int(v) for v in row)


@pytest.fixture
def rows_of() -> Callable[[Any], tuple[int, ...]]:
    return footprint
