"""The schema is migrated by ``init`` and ``upgrade`` only; opening an older database says
what to run; ``upgrade`` gives projects made before roles existed an owner; processes opening
and upgrading at once are safe. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from concurrency_helpers import old_database, run_all, upgrade_worker
from sqlalchemy import func, select, text

import thematica
from thematica.services.project import open_project, upgrade_database
from thematica.store import SchemaOutOfDate, schema_head
from thematica.store import schema as t


def test_schema_head_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from thematica.store.engine import MIGRATIONS

    assert schema_head() == ScriptDirectory(str(MIGRATIONS)).get_current_head() == "0009"


def test_opening_an_older_database_says_to_upgrade(db_url: str) -> None:
    old_database(db_url)
    with pytest.raises(SchemaOutOfDate) as err:
        open_project(db_url, actor="maria")
    message = str(err.value)
    assert "\n" not in message
    assert (
        "uses an older database schema (revision 0005; this version of Thematica needs 0009)"
        in message
    )
    assert err.value.detail["hint"] == "upgrade"
    assert err.value.detail["revision"] == "0005"
    # opening changed nothing: still at 0005, the user tables not created
    assert _raw_revision(db_url) == "0005"


def _raw_revision(db_url: str) -> str:
    from sqlalchemy import create_engine

    from thematica.store.engine import resolve_url

    engine = create_engine(resolve_url(db_url))
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    return str(found)


def test_upgrade_migrates_and_gives_the_upgrader_ownership(db_url: str) -> None:
    old_database(db_url, projects=("old", "older"))
    rows = [
        (r.project, r.from_revision, r.to_revision, r.owner_added)
        for r in upgrade_database(db_url, actor="maria")
    ]
    assert rows == [("old", "0005", "0009", "maria"), ("older", "0005", "0009", "maria")]
    with open_project(db_url, "old", actor="maria") as p:
        assert [(m.user, m.role, m.added_by) for m in p.members.list()] == [
            ("maria", "owner", "maria")
        ]
        log = p.audit_log().rows
        assert [(a.actor, a.action, a.detail) for a in log] == [
            ("maria", "upgrade", {"from": "0005", "to": "0009", "owner_added": "maria"})
        ]
    # a second run changes nothing and records nothing
    again = [(r.from_revision, r.to_revision, r.owner_added) for r in upgrade_database(db_url)]
    assert again == [("0009", "0009", None), ("0009", "0009", None)]
    with open_project(db_url, "older", actor="maria") as p:
        assert len(p.audit_log().rows) == 1
    # others are not owners any more: the project now has a member
    with open_project(db_url, "old", actor="stranger") as p:
        assert p.actor.role is None or p.actor.role.value != "owner"


def test_upgrade_leaves_a_project_with_members_alone(project: Any) -> None:
    """A current database whose project has its creator as owner: nothing to do."""
    url = project.db.url
    rows = [
        (r.project, r.from_revision, r.to_revision, r.owner_added)
        for r in upgrade_database(url, actor="someone")
    ]
    assert rows == [("study", "0009", "0009", None)]
    with project.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(t.project_member)) == 1
        assert conn.scalar(select(func.count()).select_from(t.audit_log)) == 1  # init only


def test_processes_opening_and_upgrading_at_once(db_url: str) -> None:
    """Six processes upgrade (each as another person) while six open: every upgrade ends
    well, exactly one of them migrates and becomes owner, every open either succeeds or
    is told to upgrade."""
    old_database(db_url)
    results = dict(run_all(upgrade_worker, db_url, 12))
    upgrades = {k: v for k, v in results.items() if k % 2 == 0}
    opens = {k: v for k, v in results.items() if k % 2 == 1}
    assert all(kind == "upgraded" for kind, _ in upgrades.values()), upgrades
    assert all(kind in {"opened", "out of date"} for kind, _ in opens.values()), opens
    firsts = [k for k, (_, rows) in upgrades.items() if rows[0][0] == "0005"]
    assert len(firsts) == 1  # one process migrated; the others found it done
    assert all(rows[0][:2] in {("0005", "0009"), ("0009", "0009")} for _, rows in upgrades.values())
    # exactly one of them (the migrating one, or one that came just after) named an owner
    owners = [(k, rows[0][2]) for k, (_, rows) in upgrades.items() if rows[0][2] is not None]
    assert len(owners) == 1
    winner, owner = owners[0]
    assert owner == f"user{winner}"
    with open_project(db_url, actor=f"user{winner}") as p:
        assert [(m.user, m.role) for m in p.members.list()] == [(f"user{winner}", "owner")]
    assert _raw_revision(db_url) == "0009"


def test_init_on_a_blank_server_database_and_an_empty_one_is_refused(pg_url: str) -> None:
    from thematica.core.errors import NotFoundError

    with pytest.raises(NotFoundError, match="holds no Thematica database yet"):
        open_project(pg_url)
    with thematica.init_project(pg_url, "s", actor="ann") as p:
        assert p.actor.name == "ann"
    assert _raw_revision(pg_url) == "0009"


def test_a_newer_database_is_refused(db_url: str) -> None:
    from thematica.core.errors import InputError

    thematica.init_project(db_url, "s").close()
    from sqlalchemy import create_engine

    from thematica.store.engine import resolve_url

    engine = create_engine(resolve_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(
        InputError, match=r"newer or unknown version of Thematica \(schema revision 0099\)"
    ):
        open_project(db_url)


def test_cli_upgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    db = tmp_path / "old.db"
    old_database(str(db))
    assert run(["codebook", "list", "--db", str(db)]) == 2
    assert capsys.readouterr().err == (
        f"error: {db} uses an older database schema (revision 0005; this version of "
        f"Thematica needs 0009); run 'thematica upgrade --db {db}'\n"
    )
    assert run(["--as", "maria", "upgrade", "--db", str(db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "project,from_revision,to_revision,owner_added",
        "old,0005,0009,maria",
    ]
    assert run(["members", "list", "--db", str(db), "--format", "csv", "--as", "maria"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("maria,maria,owner,")
    assert run(["upgrade", "--db", str(db)]) == 0
    assert "Nothing to do: the schema is current and every project has an owner" in (
        capsys.readouterr().err
    )
