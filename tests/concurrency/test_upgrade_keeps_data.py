"""Upgrading a database made before batches, exclusive groups, speaker maps and roles keeps
every row: a migration that rebuilt a table could cascade-delete the codings hanging off it."""

from __future__ import annotations

from pathlib import Path

import pytest
from concurrency_helpers import old_database
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from thematica.services.project import init_project, open_project, upgrade_database
from thematica.store import schema as t
from thematica.store.engine import _sqlite_engine, resolve_url


def test_upgrade_from_0004_keeps_codes_codings_and_themes(db_url: str, tmp_path: Path) -> None:
    old_database(db_url, revision="0004", projects=("old",))
    url = resolve_url(db_url)
    engine = (
        _sqlite_engine(url) if make_url(url).drivername.startswith("sqlite") else create_engine(url)
    )
    with engine.begin() as conn:
        pid = conn.scalar(select(t.project.c.id))
        now = conn.scalar(select(t.project.c.created_at))
        doc = conn.execute(
            text(
                "INSERT INTO document (project_id, name, text, length, sha256, source_format, "
                "imported_at, meta) VALUES (:p, 'P1', 'Staffing is short.', 18, 'x', 'txt', :n, "
                "'{}') RETURNING id"
            ),
            {"p": pid, "n": now},
        ).scalar_one()
        code = conn.execute(
            text(
                "INSERT INTO code (project_id, name, definition, inclusion, exclusion, example, "
                "memo, position, created_at, updated_at) VALUES (:p, 'Staffing', '', '', '', "
                "'', '', 0, :n, :n) RETURNING id"
            ),
            {"p": pid, "n": now},
        ).scalar_one()
        coder = conn.execute(
            insert(t.coder).values(project_id=pid, name="alex", kind="human", created_at=now)
        ).inserted_primary_key[0]
        conn.execute(
            text(
                'INSERT INTO coding (project_id, document_id, code_id, coder_id, start, "end", '
                "starred, created_at) VALUES (:p, :d, :c, :k, 0, 8, false, :n)"
            ),
            {"p": pid, "d": doc, "c": code, "k": coder, "n": now},
        )
    engine.dispose()
    upgrade_database(db_url, actor="pi")
    with open_project(db_url, actor="pi") as p:
        with p.db.read() as conn:
            assert conn.scalar(select(func.count()).select_from(t.coding)) == 1
            assert conn.scalar(select(t.code.c.exclusive)) is False
        assert [e.text for e in p.query("Staffing", coder="alex")] == ["Staffing"]


def test_init_refuses_an_outdated_database(tmp_path: Path) -> None:
    from thematica.store.engine import SchemaOutOfDate

    db = str(tmp_path / "old.db")
    old_database(db, revision="0005", projects=("old",))
    with pytest.raises(SchemaOutOfDate) as err:
        init_project(db, "second", actor="pi")
    assert err.value.detail["hint"] == "upgrade"
