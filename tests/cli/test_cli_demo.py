"""``thematica demo``: builds the demo, says where to look next, rebuilds, never overwrites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli_helpers import ok, user_error

import thematica


def _summary(db: Path) -> tuple[list[str], int, int, list[str]]:
    with thematica.open_project(db) as p:
        return (
            [d.name for d in p.documents.list().rows],
            len(p.cases.list().rows),
            p.coding.count(),
            p.coding.coders(),
        )


def test_demo_builds_rebuilds_and_points_onwards(
    cli_process: Callable[..., Any], tmp_path: Path
) -> None:
    """A real process (a smoke test of the entry point): the in-process runs cover the rest."""
    cli = cli_process
    db = tmp_path / "demo.db"
    first = ok(cli("demo", "--db", db))
    assert first.stdout == ""
    assert "Demo project ready" in first.stderr
    assert "7 transcripts" in first.stderr
    assert "Where to look next:" in first.stderr
    assert f"thematica cases describe --db {db}" in first.stderr
    assert "Building the demo" not in first.stderr  # no progress bar when piped
    docs, cases, codings, coders = _summary(db)
    assert docs == [f"P0{i}-interview" for i in range(1, 8)]
    assert (cases, coders) == (7, ["alex", "sam"])
    assert codings > 0

    # work added to the demo is thrown away by a rebuild
    (tmp_path / "extra.txt").write_text("Interviewer: extra\n", encoding="utf-8")
    with thematica.open_project(db) as p:
        p.documents.import_files([tmp_path / "extra.txt"])
        audit_entries = len(p.audit_log(limit=1000).rows)
    second = ok(cli("demo", "--db", db, "--quiet"))
    assert (second.stdout, second.stderr) == ("", "")
    assert _summary(db) == (docs, cases, codings, coders)
    with thematica.open_project(db) as p:
        assert len(p.audit_log(limit=1000).rows) == audit_entries - 1


def test_demo_refuses_a_database_that_is_not_a_demo(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "study.db"
    (tmp_path / "P1.txt").write_text("Interviewer: my real work\n", encoding="utf-8")
    with thematica.init_project(db, "study") as p:
        p.documents.import_files([tmp_path / "P1.txt"])
    size = db.stat().st_size
    user_error(cli("demo", "--db", db), "not a demo database")
    with thematica.open_project(db) as p:
        assert p.name == "study"
        assert [d.name for d in p.documents.list().rows] == ["P1"]
    assert db.stat().st_size == size
