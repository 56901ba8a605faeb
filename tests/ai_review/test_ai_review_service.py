"""``project.suggestions`` list / for_document / accept / reject on both backends.

The study (``ai_review_helpers``): documents A and B, seven AI suggestions, alex's gold codings.
Suggestion ids come back from the helper in the order of ``AI``: ids[0] Pay "Pay is low." .9,
ids[1] Pay "Pay rose last year." .8, ids[2] Pay "Staff leave often." .3, ids[3] Staffing
"Staff leave often." .7, ids[4] Staffing "Nobody helps." .4, ids[5] Support "Managers listen"
.6, ids[6] Morale "Nobody helps." .2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ai_review_helpers import DOC_A, DOC_B, LAYER, add_ai_layer, layer_codings, span
from ai_review_helpers import suggestion_state as state

import thematica
from thematica.core.errors import InputError, NotFoundError, PermissionDenied
from thematica.store import schema as t


def _footprint(p: Any) -> tuple[int, ...]:
    """Rows in the tables a review writes, and the newest audit id: unchanged = nothing written."""
    from sqlalchemy import func, select

    tables = (t.coding, t.coder, t.suggestion, t.coding_batch, t.audit_log)
    with p.db.read() as conn:
        counts = [int(conn.scalar(select(func.count()).select_from(tb)) or 0) for tb in tables]
        statuses = sorted(conn.execute(select(t.suggestion.c.id, t.suggestion.c.status)).all())
        counts.append(int(conn.scalar(select(func.max(t.audit_log.c.id))) or 0))
    return (*counts, hash(tuple(statuses)))


# -- listing -----------------------------------------------------------------------------------


def test_list_in_text_order_with_filters_and_pages(shared_study: Any) -> None:
    p, _url, ids = shared_study
    rows = p.suggestions.list()
    # by document, then start, end, rank (worked out from the passages by hand)
    assert [r.id for r in rows] == [ids[0], ids[3], ids[2], ids[5], ids[4], ids[6], ids[1]]
    first = rows.rows[0]
    assert (first.document, first.code, first.score, first.rank, first.status) == (
        "A",
        "Pay",
        0.9,
        1,
        "open",
    )
    assert (first.start, first.end) == span(DOC_A, "Pay is low.")
    assert (first.layer, first.model, first.text) == (LAYER, "test-model", "Pay is low.")
    assert rows.total == 7
    page = p.suggestions.list(limit=2, offset=1)
    assert [r.id for r in page] == [ids[3], ids[2]]
    assert page.total == 7
    assert [r.id for r in p.suggestions.list(code="Pay")] == [ids[0], ids[2], ids[1]]
    assert [r.id for r in p.suggestions.list(document="B")] == [ids[4], ids[6], ids[1]]
    assert {r.id for r in p.suggestions.list(min_score=0.6)} == {ids[0], ids[1], ids[3], ids[5]}
    assert len(p.suggestions.list(status="accepted")) == 0
    assert len(p.suggestions.list(status="all")) == 7


def test_list_refuses_bad_arguments(shared_study: Any) -> None:
    p, _url, _ids = shared_study
    with pytest.raises(NotFoundError, match=r"no AI layer named 'ai:nope'; AI layers: ai:test"):
        p.suggestions.list(layer="ai:nope")
    with pytest.raises(NotFoundError, match="no AI layer named 'alex'"):
        p.suggestions.list(layer="alex")  # a person's layer is not a suggestion layer
    with pytest.raises(InputError, match="unknown status 'maybe'"):
        p.suggestions.list(status="maybe")
    with pytest.raises(InputError, match="offset must be 0 or more, not -1"):
        p.suggestions.list(offset=-1)
    with pytest.raises(NotFoundError, match="no code 'Nothing'"):
        p.suggestions.list(code="Nothing")


def test_long_passages_are_shortened_in_the_list_but_whole_per_document(
    study: Any, tmp_path: Path
) -> None:
    p, _url, _ids = study
    long_text = " ".join(f"word{n}" for n in range(60))  # 60 words, 409 characters
    (tmp_path / "C.txt").write_text(long_text, "utf-8")
    p.documents.import_files([tmp_path / "C.txt"])
    with p.db.write() as conn:  # the passage is the whole of C: add it to the AI layer
        from sqlalchemy import insert, select

        from thematica.services.project import now

        pid = p.id
        coder = conn.scalar(select(t.coder.c.id).where(t.coder.c.name == LAYER))
        run = conn.scalar(select(t.ai_run.c.id))
        doc = conn.scalar(select(t.document.c.id).where(t.document.c.name == "C"))
        code = p.codebook.index(conn).resolve("Morale")
        coding = conn.execute(
            insert(t.coding).values(
                project_id=pid,
                document_id=doc,
                code_id=code,
                coder_id=coder,
                start=0,
                end=len(long_text),
                starred=False,
                created_at=now(),
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.suggestion).values(
                project_id=pid, run_id=run, coding_id=coding, score=0.5, rank=1, status="open"
            )
        )
    (row,) = p.suggestions.list(document="C")
    assert (row.start, row.end) == (0, 409)
    assert len(row.text) == 160 and row.text.endswith("…")
    assert long_text.startswith(row.text[:-1])
    (whole,) = p.suggestions.for_document("C")
    assert whole.text == long_text


def test_for_document_by_name_or_id(shared_study: Any) -> None:
    p, _url, ids = shared_study
    rows = p.suggestions.for_document("B")
    assert [(r.id, r.text) for r in rows] == [
        (ids[4], "Nobody helps."),
        (ids[6], "Nobody helps."),
        (ids[1], "Pay rose last year."),
    ]
    doc_id = p.documents.get("B").id
    assert p.suggestions.for_document(doc_id) == rows
    with pytest.raises(NotFoundError, match="no document named 'Z'"):
        p.suggestions.for_document("Z")


# -- accepting ---------------------------------------------------------------------------------


def test_accept_copies_into_the_reviewers_layer_logs_and_undoes(study: Any) -> None:
    p, url, ids = study
    with thematica.open_project(url, actor="sam") as sam:
        report = sam.suggestions.accept([ids[0], ids[3]])
        assert (report.accepted, report.skipped, report.into, report.added) == (2, 0, "sam", 2)
        assert report.batch_id is not None
        # the same span and code, as ordinary codings of sam's layer
        assert layer_codings(sam, "sam") == sorted(
            [
                ("A", "Pay", *span(DOC_A, "Pay is low.")),
                ("A", "Staffing", *span(DOC_A, "Staff leave often.")),
            ]
        )
        after = state(sam)
        assert after[ids[0]][:2] == ("accepted", "sam") and after[ids[3]][:2] == (
            "accepted",
            "sam",
        )
        assert after[ids[1]] == ("open", None, None)
        assert [r.id for r in sam.suggestions.list(status="accepted")] == [ids[0], ids[3]]
        again = sam.suggestions.accept([ids[0]])
        assert (again.accepted, again.skipped, again.skipped_ids) == (0, 1, [ids[0]])
        assert len(layer_codings(sam, "sam")) == 2
    (entry,) = p.audit_log(action="suggestions_accept").rows
    assert entry.actor == "sam"
    assert entry.detail["layer"] == [LAYER]
    assert entry.detail["into"] == "sam"
    assert entry.detail["count"] == 2
    assert sorted(entry.detail["ids"]) == sorted([ids[0], ids[3]])
    assert entry.detail["batch"] == report.batch_id
    batch = next(b for b in p.batches.list() if b.id == report.batch_id)
    assert (batch.operation, batch.coder, batch.added) == ("suggestions_accept", "sam", 2)
    undone = p.batches.undo(report.batch_id)  # undoing is an owner's operation
    assert undone.removed == 2
    assert layer_codings(p, "sam") == []
    # their codings gone, the suggestions are open again and may be reviewed anew
    assert {r.id for r in p.suggestions.list()} >= {ids[0], ids[3]}
    with thematica.open_project(url, actor="sam") as sam:
        assert sam.suggestions.accept([ids[0]]).accepted == 1


def test_accept_by_filter_and_an_identical_coding_already_there(study: Any) -> None:
    p, _url, ids = study
    before = layer_codings(p, "alex")
    # alex already coded "Pay rose last year." with Pay: accepted, not duplicated
    report = p.suggestions.accept(code="Pay", document="B", into="alex")
    assert (report.accepted, report.added, report.already_coded) == (1, 0, 1)
    assert report.batch_id is None  # nothing added, no batch to undo
    assert layer_codings(p, "alex") == before
    status, by, coding_id = state(p)[ids[1]]
    assert (status, by) == ("accepted", "pi")
    alex_coding = next(
        c for c in p.coding.list(coder="alex") if (c.document, c.code) == ("B", "Pay")
    )
    assert coding_id == alex_coding.id
    # a filter selects open suggestions only: min_score .65 → ids[0] (.9), ids[3] (.7)
    report = p.suggestions.accept(min_score=0.65, into="alex")
    assert sorted(report.ids) == sorted([ids[0], ids[3]])
    assert report.skipped == 0


def test_a_coder_accepts_only_into_their_own_layer(study: Any) -> None:
    p, url, ids = study
    with thematica.open_project(url, actor="sam") as sam:
        before = _footprint(sam)
        with pytest.raises(PermissionDenied, match="sam \\(coder\\) may not code in coder layer"):
            sam.suggestions.accept([ids[0]], into="alex")
        assert _footprint(sam) == before
    with thematica.open_project(url, actor="kim") as kim:
        before = _footprint(kim)
        with pytest.raises(PermissionDenied, match="kim \\(viewer\\) may not code"):
            kim.suggestions.accept([ids[0]])
        with pytest.raises(PermissionDenied, match="kim \\(viewer\\) may not code"):
            kim.suggestions.reject(max_score=0.5)
        assert _footprint(kim) == before
        assert len(kim.suggestions.list()) == 7  # a viewer reads the suggestions
    with pytest.raises(InputError, match="is an AI layer"):
        p.suggestions.accept([ids[0]], into=LAYER)


def test_an_empty_selection_and_unknown_ids_are_refused(study: Any) -> None:
    p, _url, ids = study
    before = _footprint(p)
    for call in (p.suggestions.accept, p.suggestions.reject):
        with pytest.raises(InputError, match="say which suggestions"):
            call()
        with pytest.raises(InputError, match="say which suggestions"):
            call([])
        with pytest.raises(NotFoundError, match="no suggestion with id 999"):
            call([ids[0], 999])
    with pytest.raises(InputError, match="min_score must be between 0 and 1, not 2"):
        p.suggestions.accept(min_score=2)
    with pytest.raises(NotFoundError, match="no AI layer named 'ai:nope'"):
        p.suggestions.accept(layer="ai:nope")
    assert _footprint(p) == before


# -- rejecting ---------------------------------------------------------------------------------


def test_reject_below_a_score_and_changing_ones_mind(study: Any) -> None:
    p, _url, ids = study
    report = p.suggestions.reject(max_score=0.4)  # .3, .4, .2
    assert sorted(report.ids) == sorted([ids[2], ids[4], ids[6]])
    assert (report.rejected, report.skipped) == (3, 0)
    assert {r.id for r in p.suggestions.list()} == {ids[0], ids[1], ids[3], ids[5]}
    assert state(p)[ids[2]][:2] == ("rejected", "pi")
    (entry,) = p.audit_log(action="suggestions_reject").rows
    assert (entry.detail["count"], entry.detail["max_score"]) == (3, 0.4)
    assert p.suggestions.reject(max_score=0.4).rejected == 0  # nothing open left below .4
    repeat = p.suggestions.reject([ids[2]])
    assert (repeat.rejected, repeat.skipped_ids) == (0, [ids[2]])
    # a rejected suggestion may still be accepted by its id (the reviewer changed their mind)
    changed = p.suggestions.accept([ids[2]])
    assert (changed.accepted, changed.into) == (1, "pi")
    assert layer_codings(p, "pi") == [("A", "Pay", *span(DOC_A, "Staff leave often."))]
    # an accepted one is not rejected: its coding is in someone's layer
    refused = p.suggestions.reject([ids[2], ids[0]])
    assert (refused.rejected, refused.skipped_ids) == (1, [ids[2]])
    assert state(p)[ids[2]][0] == "accepted"


def test_a_model_that_learned_from_a_blind_layer_is_hidden(study: Any) -> None:
    p, url, _ids = study
    assert "Pay rose last year." in DOC_B
    hidden = add_ai_layer(
        p,
        [("B", "Pay", "Pay rose last year.", 0.9, 1)],
        model="learned",
        learned_from=[{"layer": "alex", "kind": "human"}],
    )
    assert len(p.suggestions.list()) == 8  # the owner reads every layer
    with thematica.open_project(url, actor="sam") as sam:
        assert {r.layer for r in sam.suggestions.list()} == {LAYER}
        with pytest.raises(NotFoundError, match=f"no suggestion with id {hidden[0]}"):
            sam.suggestions.accept(hidden)
        with pytest.raises(PermissionDenied, match="ai:learned"):
            sam.suggestions.list(layer="ai:learned")
    with thematica.open_project(url, actor="alex") as alex:
        assert len(alex.suggestions.list(document="B")) == 4
