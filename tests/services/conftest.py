"""Fixtures for the service tests: a small hand-built project on both backends.

Creating and migrating a PostgreSQL database costs about 0.7 s, so these fixtures save it:

* ``db_url`` (for tests about databases themselves) gives a brand-new database copied from a
  template whose schema is already migrated; migrating a blank server database is tested once,
  with the shared ``pg_url``.
* ``project`` on PostgreSQL is a new project with a unique name in one database shared by the
  session. Every service is scoped by project, so this also checks that projects stay apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from svc_helpers import ALEX_P03, P03_TEXT, P04_TEXT, write


def _url(admin: object, name: str) -> str:
    return make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg_template(pg_admin: object) -> Iterator[str]:
    from thematica.store import open_database

    name = f"thematica_tmpl_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    open_database(_url(pg_admin, name), create=True).dispose()  # runs the migrations
    yield name
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def migrated_pg_url(pg_admin: object, pg_template: str) -> Iterator[str]:
    """A brand-new PostgreSQL database with the current schema and no project."""
    name = f"thematica_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _url(pg_admin, name)
    pg_admin.thematica_dropper.drop(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on embedded SQLite and on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "study.db")
    return str(request.getfixturevalue("migrated_pg_url"))


@pytest.fixture(scope="session")
def shared_pg_url(pg_admin: object, pg_template: str) -> Iterator[str]:
    name = f"thematica_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _url(pg_admin, name)
    pg_admin.thematica_dropper.drop(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A new, empty project: its own SQLite file, or a new project in the shared server db."""
    import thematica

    if request.param == "sqlite":
        p = thematica.init_project(tmp_path / "study.db", "study")
    else:
        url = request.getfixturevalue("shared_pg_url")
        p = thematica.init_project(url, f"study-{uuid.uuid4().hex[:8]}")
    yield p
    p.close()


@pytest.fixture
def session_project(project: object, tmp_path: Path) -> Iterator[object]:
    """Two documents (P03 lived experience yes, P04 no), four codes, alex and sam coding."""
    import thematica

    p = project
    files = tmp_path / "in"
    files.mkdir()
    write(files / "P03-session.txt", P03_TEXT)
    write(files / "P04-session.txt", P04_TEXT)
    write(files / "people.csv", "case,lived_experience\nP03,yes\nP04,no\n")
    p.cases.import_table(files / "people.csv", id_column="case")  # type: ignore[attr-defined]
    p.documents.import_files(  # type: ignore[attr-defined]
        [files / "P03-session.txt", files / "P04-session.txt"], case_pattern=r"(P\d+)"
    )
    cb = p.codebook  # type: ignore[attr-defined]
    cb.add("Org")
    cb.add("Staffing", "Org")
    cb.add("Pay", "Org")
    cb.add("Support")
    cb.add("Question")
    items = [thematica.CodingInput("P03-session", c, s, e) for c, s, e in ALEX_P03]
    items.append(thematica.CodingInput("P04-session", "Org/Staffing", 15, 23))  # "Staffing"
    p.coding.apply_many(items, coder="alex")  # type: ignore[attr-defined]
    p.coding.apply_many(  # type: ignore[attr-defined]
        [thematica.CodingInput("P03-session", "Org/Staffing", 52, 69)], coder="sam"
    )
    yield p
