"""Many processes coding, and creating the same coder and member, at the same moment.

20 real OS processes each open the project themselves and apply 200 codings one at a time:
150 spans of their own and the same 50 shared spans as every other process. Worked out by
hand: 20 x 150 + 50 = 3,050 distinct codings must be stored, each exactly once, and the other
19 x 50 = 950 attempts must each be refused as a conflict ("already coded") - never a raw
database error - on SQLite (writers queue) and PostgreSQL (transactions collide).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from concurrency_helpers import (
    CODER,
    DOC_LENGTH,
    OWN,
    OWNER,
    PER_PROCESS,
    PROCESSES,
    SHARED,
    code_worker,
    codebook_worker,
    document_worker,
    member_worker,
    run_all,
)

import thematica
from thematica.core.errors import ConflictError


def _setup(db_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("x" * DOC_LENGTH, encoding="utf-8")
    with thematica.init_project(db_url, "study", actor=OWNER) as p:
        p.documents.import_files([doc])
        p.codebook.add("Theme")


def test_twenty_processes_code_at_once(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    began = time.perf_counter()
    results = run_all(code_worker, db_url, PROCESSES)
    elapsed = time.perf_counter() - began
    backend = "postgresql" if "://" in db_url else "sqlite"
    print(f"\n{backend}: {PROCESSES} processes x {PER_PROCESS} codings in {elapsed:.1f} s")

    assert [others for *_, others in results] == [[]] * PROCESSES  # no raw error anywhere
    assert sum(r[1] for r in results) == PROCESSES * OWN + SHARED == 3050
    assert sum(r[2] for r in results) == (PROCESSES - 1) * SHARED == 950
    # each process stored all 150 of its own spans; the shared ones went to whoever was first
    assert all(applied >= OWN for _, applied, _, _ in results)

    with thematica.open_project(db_url, actor=OWNER) as p:
        stored = [(r.start, r.end) for r in p.coding.list(coder=CODER).rows]
        assert p.coding.coders() == [CODER]  # created once, by 20 processes racing
    expected = {(s, s + 1) for s in range(PROCESSES * OWN + SHARED)}
    assert len(stored) == len(set(stored)) == 3050
    assert set(stored) == expected
    assert elapsed < 120


def test_same_new_member_added_at_once(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    results = run_all(member_worker, db_url, 6)
    outcomes = sorted(r for _, r in results)
    assert outcomes == ["added"] + ["conflict"] * 5
    with thematica.open_project(db_url, actor=OWNER) as p:
        members = {(m.user, m.role) for m in p.members.list()}
    assert members == {(OWNER, "owner"), ("zoe", "coder")}


def test_same_new_code_added_at_once(db_url: str, tmp_path: Path) -> None:
    _setup(db_url, tmp_path)
    outcomes = sorted(r for _, r in run_all(codebook_worker, db_url, 6))
    assert outcomes == ["added"] + ["conflict"] * 5
    with thematica.open_project(db_url, actor=OWNER) as p:
        assert sorted(r.path for r in p.codebook.tree()) == ["Stigma", "Theme"]


def test_transcripts_of_one_new_case_imported_at_once(db_url: str, tmp_path: Path) -> None:
    """Six parts of participant P07's interview imported by six processes: all six land,
    under one case P07 (created by whoever came first)."""
    _setup(db_url, tmp_path)
    results = dict(run_all(document_worker, db_url, 6))
    assert all(r.startswith(f"imported ['P07-part{k}'], cases ") for k, r in results.items()), (
        results
    )
    with thematica.open_project(db_url, actor=OWNER) as p:
        docs = {r.name: r.case for r in p.documents.list()}
        cases = [(r.case, r.documents) for r in p.cases.list()]
    assert docs == {"doc": None, **{f"P07-part{k}": "P07" for k in range(6)}}
    assert cases == [("P07", 6)]


def test_a_collision_in_any_write_is_a_conflict_not_a_crash(project: Any) -> None:
    """The safety net under every service: a duplicate key reaching the database (as two
    PostgreSQL transactions racing can make happen) is a ConflictError, and nothing stays."""
    from sqlalchemy import func, insert, select

    from thematica.services.project import now
    from thematica.store import schema as t

    with pytest.raises(ConflictError) as err, project.db.write() as conn:
        for _ in range(2):
            conn.execute(
                insert(t.coder).values(
                    project_id=project.id, name="dup", kind="human", created_at=now()
                )
            )
    message = str(err.value)
    assert message == (
        "the change was not saved: a coder with the same name was saved at the same time; "
        "nothing was changed, try again"
    )
    assert err.value.detail["collision"] == "a coder with the same name was saved at the same time"
    # a row pointing at something gone (deleted by someone else a moment ago)
    gone = "something it refers to was deleted at the same time"
    with pytest.raises(ConflictError, match=gone), project.db.write() as conn:
        conn.execute(
            insert(t.case).values(project_id=project.id + 1000, name="x", created_at=now())
        )
    with project.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(t.coder)) == 0


def test_ensure_coder_is_idempotent(project: Any) -> None:
    with project.db.write() as conn:
        first = project.coding.ensure_coder(conn, "kim")
        second = project.coding.ensure_coder(conn, "kim")
    assert first == second
    assert project.coding.coders() == ["kim"]


def test_bulk_coding_counts_a_concurrent_duplicate(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL only (SQLite writers queue, so this cannot happen there): another process
    stores one of the codings after this batch read the existing ones and before it inserts.
    That coding is counted as a duplicate and the rest land; nothing fails."""
    from thematica.services.coding import CodingInput

    _setup(pg_url, tmp_path)
    with (
        thematica.open_project(pg_url, actor=OWNER) as p,
        thematica.open_project(pg_url, actor=OWNER) as other,
    ):
        p.coding.apply("doc", "Theme", 0, 1, coder=CODER)  # the coder exists already
        real_open = p.batches.open

        def open_after_a_rival(*args: Any, **kwargs: Any) -> Any:
            other.coding.apply("doc", "Theme", 5, 6, coder=CODER)  # commits on its own
            return real_open(*args, **kwargs)

        p.batches.open = open_after_a_rival  # type: ignore[method-assign]
        items = [CodingInput("doc", "Theme", s, s + 1) for s in (0, 3, 4, 5)]
        report = p.coding.apply_many(items, coder=CODER, batch="table")
        # (0,1) was there before the batch: a duplicate; (5,6) arrived during it: also one
        assert (report.applied, report.duplicates) == (2, 2)
        stored = sorted((r.start, r.end) for r in p.coding.list(coder=CODER).rows)
    assert stored == [(0, 1), (3, 4), (4, 5), (5, 6)]
