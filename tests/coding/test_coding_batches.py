"""Coding batches: each bulk operation is one batch; undo removes exactly what it added."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import A, B, span, spans, write

from thematica.core.errors import ConflictError, NotFoundError


def test_undo_removes_exactly_what_the_batch_added(small: Any, tmp_path: Path) -> None:
    participant = span(A, "Participant 1:", "I mean it.")
    # made before the batch, by hand: the table repeats it, so the batch must not claim it
    before = small.coding.apply("a", "Wellbeing", *participant, coder="alex")
    table = write(tmp_path, "t.csv", "document,turn,Wellbeing,Money\na,2,1,1\nb,2,0,1\n")
    report = small.coding.apply_table(table, coder="alex", unit="turn")
    assert (report.applied, report.duplicates) == (2, 1)
    # another coder's identical coding is another layer and stays too
    small.coding.apply("a", "Money", *participant, coder="sam")
    assert len(spans(small, "alex")) == 3

    undo = small.batches.undo(report.batch_id, actor="lead")
    assert (undo.added, undo.removed, undo.operation, undo.coder) == (2, 2, "table", "alex")
    assert spans(small, "alex") == {("a", "Wellbeing", *participant)}
    assert [r.id for r in small.coding.list(coder="alex").rows] == [before]
    assert spans(small, "sam") == {("a", "Money", *participant)}
    row = small.batches.list().rows[0]
    assert row.undone is not None and row.added == 2
    entry = small.audit_log(1).rows[0]
    assert entry.action == "undo_batch" and entry.actor == small.access.name
    assert entry.detail["on_behalf_of"] == "lead"
    assert entry.detail["batch"] == report.batch_id and entry.detail["removed"] == 2

    with pytest.raises(ConflictError, match=f"batch {report.batch_id} .*already undone"):
        small.batches.undo(report.batch_id)
    assert len(spans(small, "alex")) == 1


def test_undo_counts_only_codings_that_still_exist(small: Any, tmp_path: Path) -> None:
    table = write(tmp_path, "t.csv", "document,Money\nb,1\nc,1\n")
    report = small.coding.apply_table(table, coder="alex", unit="document")
    small.coding.remove("b", "Money", 0, len(B) + 1, coder="alex")
    undo = small.batches.undo(report.batch_id)
    assert (undo.added, undo.removed) == (2, 1)
    assert small.coding.count() == 0


def test_each_bulk_operation_is_its_own_batch(small: Any, tmp_path: Path) -> None:
    csv = write(tmp_path, "spans.csv", f"document,code,start,end\nc,Money,0,{len('Line one')}\n")
    first = small.coding.import_csv(csv, coder="alex")
    second = small.autocode.run(coder="alex", code="Money", search="money", unit="sentence")
    small.coding.apply("a", "Money", 0, 5, coder="alex")  # a single coding is no batch
    rows = small.batches.list().rows
    assert [(r.id, r.operation, r.added) for r in rows] == [
        (first.batch_id, "csv", 1),
        (second.batch_id, "autocode", 2),
    ]
    assert small.coding.count() == 4
    small.batches.undo(first.batch_id)
    # the autocode batch and the single coding are untouched
    assert {(r.document, r.start) for r in small.coding.list(coder="alex").rows} == {
        ("a", 0),
        ("b", B.index("Second")),
        ("c", C_LINE2),
    }


C_LINE2 = len("Line one is short.\n")


def test_unknown_batch(small: Any) -> None:
    with pytest.raises(NotFoundError, match="no coding batch with id 99"):
        small.batches.undo(99)


def test_batch_hooks_inside_a_transaction(small: Any) -> None:
    """What consensus apply uses: open + stamp + finish in its own transaction."""
    from sqlalchemy import insert, select

    from thematica.services.project import now
    from thematica.store import schema as t

    with small.db.write() as conn:
        batch = small.batches.open(conn, "consensus_apply", "final", {"file": "f.csv"}, "lead")
        coder_id = small.coding.ensure_coder(conn, "final", "consensus")
        doc = conn.scalar(select(t.document.c.id).where(t.document.c.name == "c"))
        code = small.codebook.index(conn).resolve("Money")
        conn.execute(
            insert(t.coding).values(
                project_id=small.id,
                document_id=doc,
                code_id=code,
                coder_id=coder_id,
                start=0,
                end=4,
                starred=False,
                created_at=now(),
                batch_id=batch,
            )
        )
        small.batches.finish(conn, batch, 1)
    assert [(r.operation, r.coder, r.added) for r in small.batches.list().rows] == [
        ("consensus_apply", "final", 1)
    ]
    assert small.batches.undo(batch).removed == 1
    assert small.coding.count() == 0


def test_single_coding_reads_only_its_document(small: Any, tmp_path: Path) -> None:
    """The statements of one coding are the same with 3 documents as with 33, and none of
    them reads the document table beyond the one named document."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    small.coding.apply("c", "Money", 0, 5, coder="alex")  # the coder exists from here on
    event.listen(small.db.engine, "before_cursor_execute", record)
    try:
        small.coding.apply("a", "Health/Mood", 0, 5, coder="alex")
        few = list(seen)
        folder = tmp_path / "more"
        folder.mkdir()
        for n in range(30):
            (folder / f"extra{n}.txt").write_text(f"Extra document {n}.\n", encoding="utf-8")
        small.documents.import_files([folder])
        seen.clear()
        small.coding.apply("b", "Health/Mood", 0, 5, coder="alex")
        many = list(seen)
    finally:
        event.remove(small.db.engine, "before_cursor_execute", record)
    assert len(few) == len(many)
    reads = [s for s in many if "FROM document" in s]
    assert len(reads) == 1 and "document.name =" in reads[0], reads
