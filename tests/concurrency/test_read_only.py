"""Reading a SQLite study that may not be written: a read-only file or folder (an archive, a
shared drive, a copy on a CD), or read-only asked for. Reading works and leaves no file
behind (no -wal, no -shm); every write is refused in one line and changes nothing.

The tests run as root here, for whom every file is writable, so most ask for read-only
explicitly or make ``os.access`` answer as it would for an ordinary user; the real chmod test
runs when the suite is not root.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.core.errors import InputError
from thematica.store import engine as store_engine
from thematica.store import open_database

TEXT = "We talked about money and about health."  # "money" is [16, 21), "health" [32, 38)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "study.db"
    doc = tmp_path / "talk.txt"
    doc.write_text(TEXT, encoding="utf-8")
    with thematica.init_project(db, "study", actor="ann") as p:
        p.documents.import_files([doc])
        p.codebook.add("Money")
        p.coding.apply("talk", "Money", 16, 21, coder="ann")
    assert sorted(x.name for x in folder.iterdir()) == ["study.db"]  # WAL checkpointed away
    return db


def _read(p: Any) -> list[tuple[str, int, int]]:
    return [(r.code, r.start, r.end) for r in p.coding.list(coder="ann").rows]


def _files(db: Path) -> list[str]:
    return sorted(x.name for x in db.parent.iterdir())


def test_read_only_open_reads_and_leaves_no_files(study: Path) -> None:
    before = study.stat().st_mtime_ns, study.read_bytes()
    with thematica.open_project(study, actor="ann", read_only=True) as p:
        assert p.db.read_only
        assert _read(p) == [("Money", 16, 21)]
        assert TEXT[16:21] == "money" and TEXT[32:38] == "health"
        assert [r.name for r in p.documents.list().rows] == ["talk"]
        assert _files(study) == ["study.db"]  # not even while open
        with pytest.raises(InputError) as err:
            p.codebook.add("Health")
        assert str(err.value) == (
            f"{study} is open read-only (read-only was asked for); nothing was changed"
        )
        with pytest.raises(InputError, match="is open read-only"):
            p.coding.apply("talk", "Money", 32, 38, coder="ann")
        assert _read(p) == [("Money", 16, 21)]
    assert _files(study) == ["study.db"]
    assert (study.stat().st_mtime_ns, study.read_bytes()) == before


def test_environment_variable_asks_for_read_only(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THEMATICA_READ_ONLY", "1")
    with thematica.open_project(study, actor="ann") as p:
        assert p.db.read_only_reason == "read-only was asked for"
        assert _read(p) == [("Money", 16, 21)]
    assert _files(study) == ["study.db"]


@pytest.mark.parametrize(
    ("unwritable", "reason"),
    [("file", "the file is not writable"), ("folder", "its folder is not writable")],
)
def test_unwritable_file_or_folder_opens_read_only(
    study: Path, monkeypatch: pytest.MonkeyPatch, unwritable: str, reason: str
) -> None:
    """What an ordinary user meets with ``chmod a-w``: ``os.access`` says no."""
    target = study if unwritable == "file" else study.parent
    real_access = os.access

    def access(path: Any, mode: int) -> bool:
        if Path(path) == target and mode & os.W_OK:
            return False
        return real_access(path, mode)

    monkeypatch.setattr(store_engine.os, "access", access)
    with thematica.open_project(study, actor="ann") as p:
        assert p.db.read_only_reason == reason
        assert _read(p) == [("Money", 16, 21)]
        with pytest.raises(InputError, match=f"is open read-only \\({reason}\\)"):
            p.codebook.add("Health")
    assert _files(study) == ["study.db"]
    with pytest.raises(InputError, match="cannot be changed"):
        thematica.init_project(study, "second")


def test_read_only_sees_what_a_live_writer_committed(study: Path) -> None:
    """A writer still has the database open, so its last change is only in the -wal: a
    read-only reader must see it too (``immutable`` would not), and adds no file."""
    writer = sqlite3.connect(study)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE document SET name = 'talk-renamed'")
    writer.commit()
    try:
        assert _files(study) == ["study.db", "study.db-shm", "study.db-wal"]
        with thematica.open_project(study, actor="ann", read_only=True) as p:
            assert [r.name for r in p.documents.list().rows] == ["talk-renamed"]
        assert _files(study) == ["study.db", "study.db-shm", "study.db-wal"]
    finally:
        writer.close()
    assert _files(study) == ["study.db"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anything")
def test_really_read_only_folder(study: Path) -> None:
    study.chmod(0o444)
    study.parent.chmod(0o555)
    try:
        with thematica.open_project(study, actor="ann") as p:
            assert p.db.read_only
            assert _read(p) == [("Money", 16, 21)]
        assert _files(study) == ["study.db"]
    finally:
        study.parent.chmod(0o755)
        study.chmod(0o644)


def test_cli_write_on_read_only_is_one_line(
    study: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from thematica.cli.main import run

    monkeypatch.setenv("THEMATICA_READ_ONLY", "yes")
    assert run(["codebook", "add", "Health", "--db", str(study), "--as", "ann"]) == 2
    assert capsys.readouterr().err == (
        f"error: {study} is open read-only (read-only was asked for); nothing was changed\n"
    )
    assert (
        run(["codings", "--db", str(study), "--coder", "ann", "--format", "csv", "--as", "ann"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "Money" in out[1]
    assert _files(study) == ["study.db"]


def test_read_only_on_both_backends(db_url: str, tmp_path: Path) -> None:
    """Asked for on SQLite or PostgreSQL: reads work, the service refuses writes in one line,
    and even a statement that went around the service is refused by the database."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    doc = tmp_path / "talk.txt"
    doc.write_text(TEXT, encoding="utf-8")
    with thematica.init_project(db_url, "study", actor="ann") as p:
        p.documents.import_files([doc])
        p.codebook.add("Money")
    with thematica.open_project(db_url, actor="ann", read_only=True) as p:
        assert [r.path for r in p.codebook.tree()] == ["Money"]
        with pytest.raises(InputError) as err:
            p.codebook.add("Health")
        assert str(err.value) == (
            f"{p.db.label} is open read-only (read-only was asked for); nothing was changed"
        )
        assert err.value.detail == {"database": p.db.label, "read_only": True}
        with pytest.raises(DBAPIError), p.db.read() as conn:
            conn.execute(text("DELETE FROM code"))
    with thematica.open_project(db_url, actor="ann") as p:
        assert [r.path for r in p.codebook.tree()] == ["Money"]
    with pytest.raises(InputError, match="cannot be changed"):
        open_database(db_url, create=True, read_only=True)
