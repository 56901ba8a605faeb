"""``project.suggestions.suggest`` with the TF-IDF backend (deterministic, no model files) on
SQLite and PostgreSQL: what is stored, reruns, rejections, interrupted runs, bad input and who
may run it. The expected code of each sentence is worked out by hand from shared words
(``ai_suggest_helpers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ai_suggest_helpers import (
    DOCS,
    EXPECTED,
    build,
    expected_rows,
    footprint,
    layer_codings,
    span,
)
from sqlalchemy import select, update

import thematica
from thematica.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from thematica.store import schema as t

EXACT = {"backend": "tfidf", "top": 1, "min_score": 0.0}


def _runs(p: Any) -> list[Any]:
    with p.db.read() as conn:
        return list(
            conn.execute(
                select(t.ai_run).where(t.ai_run.c.project_id == p.id).order_by(t.ai_run.c.id)
            )
        )


def _run_documents(p: Any, run_id: int) -> list[str]:
    rd, d = t.ai_run_document.c, t.document.c
    with p.db.read() as conn:
        return sorted(
            conn.scalars(
                select(d.name)
                .join(t.ai_run_document, rd.document_id == d.id)
                .where(rd.run_id == run_id)
            )
        )


def test_suggestions_are_stored_as_an_ai_layer(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    seen: list[tuple[int, int, str]] = []
    run = p.suggestions.suggest(**EXACT, progress=lambda d, n, w: seen.append((d, n, w)))
    want = expected_rows()
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == want
    assert (run.layer, run.backend, run.model, run.unit) == (
        "ai:tfidf",
        "tfidf",
        "tfidf",
        "sentence",
    )
    assert (run.documents, run.units, run.suggestions, run.skipped) == (3, 6, 6, 0)
    assert run.calibration == "default:tfidf"  # nobody has coded: nothing to learn from
    assert run.learned_from == []
    assert all(r.rank == 1 and r.status == "open" and 0 < r.score <= 1 for r in run.rows)
    texts = {(d, code): s for d, s, code in EXPECTED}
    assert all(r.text == texts[(r.document, r.code)] for r in run.rows)
    # the rows are ordinary codings of the AI layer
    assert layer_codings(p, "ai:tfidf") == want
    with p.db.read() as conn:
        coder = conn.execute(
            select(t.coder).where(t.coder.c.project_id == p.id, t.coder.c.name == "ai:tfidf")
        ).one()
        suggestions = conn.execute(
            select(t.suggestion).where(t.suggestion.c.run_id == run.run_id)
        ).all()
    assert coder.kind == "ai"
    meta = coder.meta
    assert (meta["backend"], meta["model"], meta["version"]) == ("tfidf", "tfidf", "1")
    assert meta["learned_from"] == []
    assert meta["parameters"]["unit"] == "sentence"
    assert meta["parameters"]["calibration"]["source"] == "default:tfidf"
    assert meta["parameters"]["scoring"]["label_variant"] == "definition"
    assert "ngram_range" in meta["parameters"] and meta["provenance"]
    # one suggestion row per coding, with its score, rank and evidence
    assert sorted(s.id for s in suggestions) == sorted(r.id for r in run.rows)
    by_id = {r.id: r for r in run.rows}
    for s in suggestions:
        assert s.status == "open" and s.rank == 1
        assert s.score == pytest.approx(by_id[s.id].score)
        label = s.evidence["label"]
        # the nearest label is the suggested code's own "name: definition"
        assert label["code"] == by_id[s.id].code and label["kind"] == "definition"
        assert label["text"].startswith(by_id[s.id].code.split("/")[-1] + ": ")
    (row,) = _runs(p)
    assert (row.status, row.done, row.total, row.kind) == ("done", 3, 3, "suggest")
    assert row.backend == "tfidf" and row.model == "tfidf" and row.coder_id == coder.id
    assert row.parameters["unit"] == "sentence" and row.parameters["top"] == 1
    assert row.finished_at is not None
    assert _run_documents(p, run.run_id) == ["d1", "d2", "d3"]
    # progress: documents done out of 3, ending at 3 of 3
    docs = [(d, n) for d, n, w in seen if w not in ("preparing", "documents")]
    assert docs == [(1, 3), (2, 3), (3, 3)]
    # one audit entry for the run
    (entry,) = p.audit_log(action="suggest").rows
    assert entry.detail["layer"] == "ai:tfidf" and entry.detail["suggestions"] == 6
    assert entry.detail["documents"] == 3 and entry.detail["unit"] == "sentence"
    assert entry.detail["backend"] == "tfidf" and entry.detail["model"] == "tfidf"
    # one undoable batch for the run
    (batch,) = [b for b in p.batches.list().rows if b.operation == "suggest"]
    assert batch.added == 6 and batch.coder == "ai:tfidf"
    listed = p.suggestions.runs().rows
    assert [(r.id, r.status, r.layer, r.suggestions, r.done, r.total) for r in listed] == [
        (run.run_id, "done", "ai:tfidf", 6, 3, 3)
    ]


def test_a_rerun_adds_no_duplicates_and_rejected_ones_stay_rejected(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    first = p.suggestions.suggest(**EXACT)
    rejected = next(r for r in first.rows if r.code == "Parking")
    with p.db.write() as conn:
        conn.execute(
            update(t.suggestion).where(t.suggestion.c.id == rejected.id).values(status="rejected")
        )
    before = footprint(p)
    again = p.suggestions.suggest(**EXACT)
    assert (again.suggestions, again.skipped, again.documents) == (0, 6, 3)
    assert again.rows.rows == []
    after = footprint(p)
    # nothing new but the run row and its audit entry; no empty batch left behind
    assert after["coding"] == before["coding"] and after["suggestion"] == before["suggestion"]
    assert after["ai_run"] == before["ai_run"] + 1
    assert after["coding_batch"] == before["coding_batch"]
    assert layer_codings(p, "ai:tfidf") == expected_rows()
    with p.db.read() as conn:
        status = conn.scalar(select(t.suggestion.c.status).where(t.suggestion.c.id == rejected.id))
    assert status == "rejected"
    # with more codes per unit the rerun adds only what is new, never the rejected Parking
    wider = p.suggestions.suggest(backend="tfidf", top=3, min_score=0.0)
    new = {(r.document, r.start, r.end, r.code) for r in wider.rows}
    assert not new & expected_rows()
    assert (
        "d2",
        *span("d2", "Parking charges at the car park were far too high."),
        "Parking",
    ) not in new
    assert all(r.rank in (2, 3) for r in wider.rows)


def test_an_interrupted_run_resumes_with_the_remaining_documents(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")

    def stop_after_first(done: int, total: int, what: str) -> None:
        if done == 1 and what not in ("preparing", "documents"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        p.suggestions.suggest(**EXACT, progress=stop_after_first)
    (row,) = _runs(p)
    assert (row.status, row.done, row.total) == ("interrupted", 1, 3)
    assert _run_documents(p, row.id) == ["d1"]
    assert layer_codings(p, "ai:tfidf") == expected_rows(("d1",))
    (entry,) = p.audit_log(action="suggest").rows
    assert entry.detail["status"] == "interrupted" and entry.detail["suggestions"] == 2
    assert p.suggestions.runs().rows[0].status == "interrupted"

    seen: list[tuple[int, int, str]] = []
    run = p.suggestions.suggest(resume=True, progress=lambda d, n, w: seen.append((d, n, w)))
    assert run.run_id == row.id and run.resumed
    assert (run.documents, run.suggestions) == (2, 4)  # d2 and d3 only
    assert {r.document for r in run.rows} == {"d2", "d3"}
    assert layer_codings(p, "ai:tfidf") == expected_rows()
    (row,) = _runs(p)
    assert (row.status, row.done, row.total) == ("done", 3, 3)
    assert _run_documents(p, row.id) == ["d1", "d2", "d3"]
    assert [(d, n) for d, n, w in seen if w not in ("preparing", "documents")] == [(2, 3), (3, 3)]
    # the same run, so the same batch holds all six codings
    (batch,) = [b for b in p.batches.list().rows if b.operation == "suggest"]
    assert batch.added == 6
    with pytest.raises(NotFoundError, match="no unfinished suggestion run"):
        p.suggestions.suggest(resume=True)


def test_a_failing_run_is_marked_failed_and_resume_keeps_its_parameters(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")

    def fail_on_second(done: int, total: int, what: str) -> None:
        if done == 2:
            raise RuntimeError("server went away")

    with pytest.raises(RuntimeError):
        p.suggestions.suggest(**EXACT, unit="paragraph", progress=fail_on_second)
    (row,) = _runs(p)
    assert row.status == "failed" and "server went away" in row.result["error"]
    assert row.done == 2
    with pytest.raises(InputError, match="resume carries on run"):
        p.suggestions.suggest(resume=True, unit="document")
    run = p.suggestions.suggest(resume=True, backend="tfidf")
    assert run.unit == "paragraph" and run.documents == 1
    # d3 is one paragraph (one line): one suggestion spanning all of it
    assert {(r.document, r.start, r.end) for r in run.rows} == {("d3", 0, len(DOCS["d3"]))}


def test_a_codebook_without_definitions_is_refused(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    build(p, tmp_path / "in", definitions=False)
    before = footprint(p)
    with pytest.raises(InputError) as exc:
        p.suggestions.suggest(backend="tfidf")
    message = str(exc.value)
    assert message.startswith("the codebook has no definitions: suggestions need")
    assert "\n" not in message
    assert footprint(p) == before


@pytest.mark.parametrize(
    ("arguments", "error", "fragment"),
    [
        ({"codes": ["Nope"]}, NotFoundError, "no code 'Nope'"),
        ({"documents": ["d1", "zz"]}, NotFoundError, "no document named 'zz'"),
        ({"learn_from": ["ghost"]}, NotFoundError, "no coder layer named 'ghost'"),
        ({"unit": "chapter"}, InputError, "unknown unit 'chapter'"),
        ({"top": 0}, InputError, "top must be"),
        ({"min_score": 1.5}, InputError, "min_score must be between 0 and 1"),
        ({"backend": "telepathy"}, InputError, "unknown AI backend 'telepathy'"),
        ({"backend": "chat"}, InputError, "no AI server configured"),
    ],
)
def test_bad_input_changes_nothing(
    owner_project: Any,
    tmp_path: Path,
    arguments: dict[str, Any],
    error: type[Exception],
    fragment: str,
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    before = footprint(p)
    with pytest.raises(error) as exc:
        p.suggestions.suggest(**{"backend": "tfidf", **arguments})
    assert fragment in str(exc.value) and "\n" not in str(exc.value)
    assert footprint(p) == before


def test_an_existing_human_layer_of_that_name_is_not_taken_over(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    p.coding.apply("d1", "Food", 0, 3, coder="ai:tfidf")  # a person's layer, oddly named
    before = footprint(p)
    with pytest.raises(ConflictError, match="not an AI layer"):
        p.suggestions.suggest(backend="tfidf")
    assert footprint(p) == before


def test_codes_and_documents_narrow_the_run(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    run = p.suggestions.suggest(**EXACT, codes=["Care"], documents=["d2", "d3"])
    # only Care and its subcodes compete: Pain and Dignity sentences as by hand; the two
    # others get the Care code that fits them least badly, which is not checked here
    got = {(r.document, r.start, r.end, r.code) for r in run.rows}
    assert (
        "d2",
        *span("d2", "I asked for pain medication and pain relief came quickly."),
        "Care/Pain",
    ) in got
    assert ("d3", *span("d3", "Nobody respected my privacy or dignity."), "Care/Dignity") in got
    assert {r.code.split("/")[0] for r in run.rows} == {"Care"}
    assert {r.document for r in run.rows} <= {"d2", "d3"}
    (row,) = _runs(p)
    assert row.parameters["codes"] == ["Care"] and row.parameters["documents"] == ["d2", "d3"]


def test_the_default_threshold_leaves_a_sentence_with_no_shared_word_alone(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    (tmp_path / "d4.txt").write_text("Thank you for listening to me today.", encoding="utf-8")
    p.documents.import_files([tmp_path / "d4.txt"])
    run = p.suggestions.suggest(backend="tfidf", documents=["d4"])
    assert 0 < run.min_score < 1 and run.calibration == "default:tfidf"
    assert run.suggestions == 0 and run.units == 1


def _teach(p: Any, tmp_path: Path) -> dict[str, int]:
    """A consensus layer coding every sentence of four more documents with its code (by the
    same words as the study), so there are enough coded units to calibrate on."""
    sentences = {
        "Staffing": "There were too few nurses and the staff shortages showed on the ward.",
        "Food": "The food and the drinks were poor and the meals came late.",
        "Parking": "The car parking charges were unfair.",
        "Care/Pain": "Pain relief was slow and the pain medication ran out.",
        "Care/Dignity": "My privacy and dignity were ignored without respect.",
    }
    items = []
    files = []
    for n in range(4):
        name = f"coded{n}"
        order = list(sentences.items())[n:] + list(sentences.items())[:n]
        text = " ".join(s for _c, s in order) + " " + " ".join(s for _c, s in order)
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        files.append(tmp_path / f"{name}.txt")
        pos = 0
        for _round in range(2):
            for code, s in order:
                start = text.index(s, pos)
                items.append(thematica.CodingInput(name, code, start, start + len(s)))
                pos = start + len(s)
    p.documents.import_files(files)
    p.coding.apply_many(items, coder="consensus", kind="consensus")
    return {"units": 40}


def test_learning_from_the_consensus_layer_calibrates_on_the_project(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    counts = _teach(p, tmp_path)
    run = p.suggestions.suggest(backend="tfidf", top=1, min_score=0.0, documents=["d1", "d2", "d3"])
    # 4 documents x 10 sentences, each coded: 40 units (>= 30) and 40 positives (>= 5)
    assert run.calibration == f"project:{counts['units']} units"
    assert run.learned_from == ["consensus"]
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == expected_rows()
    with p.db.read() as conn:
        meta = conn.scalar(
            select(t.coder.c.meta).where(t.coder.c.project_id == p.id, t.coder.c.name == "ai:tfidf")
        )
        consensus_ids = set(
            conn.scalars(
                select(t.coding.c.id)
                .join(t.coder, t.coder.c.id == t.coding.c.coder_id)
                .where(t.coder.c.project_id == p.id, t.coder.c.name == "consensus")
            )
        )
        evidence = [
            e
            for e in conn.scalars(
                select(t.suggestion.c.evidence).where(t.suggestion.c.run_id == run.run_id)
            )
        ]
    assert meta["learned_from"] == [{"layer": "consensus", "kind": "consensus"}]
    assert meta["parameters"]["calibration"]["source"] == run.calibration
    # every suggested code has team examples: the nearest is a consensus coding
    assert all(e["example"]["coding"] in consensus_ids for e in evidence)
    assert all(0 < e["weight"] < 1 for e in evidence)
    # zero-shot when asked: no examples, the default calibration
    plain = p.suggestions.suggest(backend="tfidf", learn_from=[], documents=["d1"])
    assert plain.calibration == "default:tfidf" and plain.learned_from == []


def test_who_may_run_suggestions_and_read_what_they_learned(db_url: str, tmp_path: Path) -> None:
    with thematica.init_project(db_url, "team", actor="pi") as p:
        build(p, tmp_path / "in")
        p.members.add("sam", "coder")
        p.members.add("kim", "viewer")
        p.members.add("alex", "coder")
        start, end = span("d1", "The meals were cold and the food was bland.")
        p.coding.apply("d1", "Food", start, end, coder="alex")  # alex's own, blind, layer
    with thematica.open_project(db_url, actor="kim") as viewer:
        before = footprint(viewer)
        with pytest.raises(PermissionDenied):
            viewer.suggestions.suggest(backend="tfidf")
        assert footprint(viewer) == before
        assert viewer.suggestions.runs().rows == []  # reading runs is allowed
    with thematica.open_project(db_url, actor="sam") as coder:
        # a coder may not learn from a colleague's blind layer ...
        before = footprint(coder)
        with pytest.raises(PermissionDenied):
            coder.suggestions.suggest(backend="tfidf", learn_from=["alex"])
        assert footprint(coder) == before
        # ... but runs suggestions into the model's layer, which is not their own
        run = coder.suggestions.suggest(**EXACT)
        assert run.suggestions == 6 and run.layer == "ai:tfidf"
        assert coder.access.may_read_layer("ai:tfidf", "ai")
    with thematica.open_project(db_url, actor="pi") as owner:
        # the owner may teach it from alex's layer: recorded, and the layer then follows
        # alex's layer for who may read it
        taught = owner.suggestions.suggest(backend="tfidf", learn_from="alex", documents=["d2"])
        assert taught.learned_from == ["alex"]
    with thematica.open_project(db_url, actor="sam") as coder:
        assert not coder.access.may_read_layer("ai:tfidf", "ai")
        with pytest.raises(PermissionDenied):
            coder.coding.in_document("d1", coder="ai:tfidf")
    with thematica.open_project(db_url, actor="alex") as alex:
        assert alex.access.may_read_layer("ai:tfidf", "ai")


def test_turns_are_suggested_whole(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    first = "Interviewer: How was the food and the meals?"
    second = "Participant 1: Parking charges at the car park were far too high. It was awful."
    (tmp_path / "talk.txt").write_text(f"{first}\n{second}\n", encoding="utf-8")
    p.documents.import_files([tmp_path / "talk.txt"])
    # everyone's turns (by default the interviewer's are left out: test_ai_suggest_speakers)
    run = p.suggestions.suggest(**EXACT, unit="turn", documents=["talk"], speakers=["*"])
    start = len(first) + 1
    assert {(r.start, r.end, r.code) for r in run.rows} == {
        (0, len(first), "Food"),
        (start, start + len(second), "Parking"),
    }
    assert run.units == 2 and run.unit == "turn"
