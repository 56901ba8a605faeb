"""Creating and opening projects on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

import thematica
from thematica import ConflictError, InputError, NotFoundError


def test_init_then_open_finds_the_single_project(db_url: str) -> None:
    created = thematica.init_project(db_url, "study")
    created.close()
    with thematica.open_project(db_url) as p:
        assert p.name == "study"
        assert p.id == created.id
        assert p.sem_levels == [
            "individual",
            "interpersonal",
            "organizational",
            "community",
            "policy",
        ]
    assert thematica.list_projects(db_url) == ["study"]


def test_several_projects_need_a_name_to_open(db_url: str) -> None:
    thematica.init_project(db_url, "alpha").close()
    thematica.init_project(db_url, "beta", sem_levels=["Self", "Others"]).close()
    assert thematica.list_projects(db_url) == ["alpha", "beta"]
    with pytest.raises(InputError, match=r"2 projects \(alpha, beta\); choose one$") as exc:
        thematica.open_project(db_url)
    assert exc.value.detail == {"choices": ["alpha", "beta"], "hint": "project"}
    with thematica.open_project(db_url, "beta") as beta:
        assert beta.name == "beta"
        assert beta.sem_levels == ["self", "others"]
    with pytest.raises(NotFoundError, match="no project named 'gamma'"):
        thematica.open_project(db_url, "gamma")
    with pytest.raises(ConflictError, match="already has a project named 'alpha'"):
        thematica.init_project(db_url, "alpha")
    assert thematica.list_projects(db_url) == ["alpha", "beta"]


def test_projects_in_one_database_do_not_see_each_other(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Only in alpha.\n", encoding="utf-8")
    with thematica.init_project(db_url, "alpha") as alpha:
        alpha.documents.import_files([tmp_path / "a.txt"])
        alpha.codebook.add("Theme")
    with thematica.init_project(db_url, "beta") as beta:
        assert len(beta.documents.list()) == 0
        assert len(beta.codebook.tree()) == 0
        # the same file and code name are free in the other project
        assert beta.documents.import_files([tmp_path / "a.txt"]).imported == ["a"]
        assert beta.codebook.add("Theme") == "Theme"


def test_open_on_a_database_without_projects(db_url: str) -> None:
    if db_url.startswith("postgresql"):
        with pytest.raises(NotFoundError, match="no project yet"):
            thematica.open_project(db_url)
    else:
        with pytest.raises(NotFoundError, match="no Thematica database"):
            thematica.open_project(db_url)
        assert not Path(db_url).exists()


def test_opening_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "study.db"
    with pytest.raises(NotFoundError):
        thematica.open_project(missing)
    with pytest.raises(NotFoundError):
        thematica.list_projects(tmp_path / "also-missing.db")
    assert list(tmp_path.iterdir()) == []


def test_a_non_thematica_sqlite_file_is_refused(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    with pytest.raises(InputError, match="not a Thematica one"):
        thematica.open_project(other)
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["notes"]


def test_settings_survive_reopening(db_url: str) -> None:
    with thematica.init_project(db_url, "study") as p:
        p.update_settings(case_pattern=r"(P\d+)")
    with thematica.open_project(db_url) as p:
        assert p.settings["case_pattern"] == r"(P\d+)"


def test_init_migrates_a_blank_postgresql_database(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "P1.txt").write_text("Interviewer: hello\n", encoding="utf-8")
    with thematica.init_project(pg_url, "study") as p:
        assert p.db.dialect == "postgresql"
        p.documents.import_files([tmp_path / "P1.txt"])
        assert [h.match for h in p.search("hello").rows] == ["hello"]
    assert thematica.list_projects(pg_url) == ["study"]
