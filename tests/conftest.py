"""Fixtures shared by the whole suite: databases on both backends, the demo, shared data.

PostgreSQL is a real server (127.0.0.1:5432, trust auth on this machine kind); each test gets
a fresh database that is dropped afterwards. Under CI=true nothing here may be skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "THEMATICA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[object]:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # server down or not installed
        engine.dispose()
        _skip_or_fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    dropper = _Dropper(engine)
    engine.thematica_dropper = dropper  # type: ignore[attr-defined]
    yield engine
    dropper.finish()
    engine.dispose()


class _Dropper:
    """Drops finished test databases in a background thread.

    ``DROP DATABASE`` waits for a checkpoint (over a second each here), which is disk work, not
    CPU: done in the background it overlaps the next tests instead of adding to every one. The
    session waits for the last drops before it ends, so no database is left behind.
    """

    def __init__(self, engine: Any) -> None:
        import queue
        import threading

        self.engine = engine
        self.names: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="pg-dropper", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from sqlalchemy import text

        while (name := self.names.get()) is not None:
            try:
                with self.engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception:  # the server went away: nothing left to drop
                pass

    def drop(self, name: str) -> None:
        self.names.put(name)

    def finish(self) -> None:
        self.names.put(None)
        self.thread.join()


@pytest.fixture
def pg_url(pg_admin: object) -> Iterator[str]:
    """A URL to a brand-new, empty PostgreSQL database."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"thematica_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    pg_admin.thematica_dropper.drop(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on embedded SQLite and on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "study.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def project(db_url: str) -> Iterator[object]:
    import thematica

    p = thematica.init_project(db_url, "study")
    yield p
    p.close()


@pytest.fixture(scope="session")
def demo_template_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once per test session: each test gets a copy (building it takes seconds,
    copying a file milliseconds)."""
    import sqlite3

    import thematica

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    thematica.build_demo(str(path))[0].close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, to copy it
    con.close()
    return path


@pytest.fixture(scope="session")
def demo_template_pg(pg_admin: object) -> Iterator[str]:
    """The demo built once per session in a PostgreSQL database that tests clone as a template."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    import thematica

    name = f"thematica_demo_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    thematica.build_demo(url)[0].close()
    yield name
    with pg_admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def demo(db_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """The demo project on each backend: a fresh copy of the session's demo for every test."""
    import shutil

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    import thematica

    if db_url.startswith("postgresql"):
        template = request.getfixturevalue("demo_template_pg")
        pg_admin = request.getfixturevalue("pg_admin")
        name = make_url(db_url).database
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    else:
        shutil.copyfile(request.getfixturevalue("demo_template_sqlite"), db_url)
    p = thematica.open_project(db_url)
    yield p
    p.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        _skip_or_fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


#: tests that take far longer than the rest (measured: 15-75 s each on this 2-core machine);
#: handed to the workers first, so none of them is left running alone at the end of the suite
_LONG_FIRST = (
    "tests/test_readme.py::test_every_console_example_runs_as_documented",
    "tests/web/test_api_fuzz.py",
    "tests/web/test_route_matrix.py",
    "tests/access/test_access_matrix.py",
    "tests/intake/test_intake_limits.py::test_a_large_transcript_imports_in_linear_time",
    "tests/deid_engine/test_deid_engine_detect.py::test_no_network_is_used",
    "tests/web/test_deid_web_api.py::test_finding_identifiers_runs_as_a_job",
    "tests/web/test_audio_web_browser.py",
    "tests/ai_suggest/test_ai_suggest_minilm.py",
    "tests/concurrency/test_concurrent_coding.py",
    "tests/core/test_query.py",
    "tests/startup/test_start_command_tree.py",
    "tests/cli/test_cli_server.py",
    "tests/ai_server/test_ai_server_llama.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for i, prefix in enumerate(_LONG_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(_LONG_FIRST)

    items.sort(key=rank)  # stable: everything else keeps its order
