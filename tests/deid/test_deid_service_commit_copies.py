"""What a commit leaves behind, from the privacy review (r2), with the stand-in detector on
both backends: speaker labels, copies in any case, short and date terms, job downloads, every
text and JSON column of the database, and (SQLite) the full-text index and the file's bytes.

Expected values are written out by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, event, insert, select, update
from test_deid_service_commit_rules import PASS, detector_with, one_doc
from test_deid_service_flow import A_TEXT, FakeDetector, at, doc_text, make_project

from thematica.importers.options import ImportOptions
from thematica.store import schema as t

NOW = datetime.now(UTC)


def put(conn: Any, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])


def doc_id(p: Any, name: str) -> int:
    with p.db.read() as conn:
        return int(conn.scalar(select(t.document.c.id).where(t.document.c.name == name)))


@pytest.fixture
def study(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)
    p = make_project(db_url, tmp_path)
    yield p
    p.close()


# -- item 2: speaker labels ------------------------------------------------------------------

LABELLED = (
    "Interviewer: Where did you grow up?\n"
    "Maria Lopez: In Springfield. Jake drove me.\n"
    "Interviewer: And then?\n"
    "Maria Lopez: Then the clinic.\n"
    "Keisha: Me too.\n"
)


def test_speaker_labels_get_the_placeholder(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)
    (tmp_path / "c.txt").write_text(LABELLED, encoding="utf-8")
    import thematica

    p = thematica.init_project(db_url, "study", actor="pi")
    pattern = r"^(?P<speaker>Interviewer|Maria Lopez|Keisha):"
    p.documents.import_files([tmp_path / "c.txt"], options=ImportOptions(speaker_pattern=pattern))
    p.speakers.map("c", {"Maria Lopez": "P1", "Interviewer": None})
    report = p.deid.run(accept_all=True)[1]
    assert report is not None
    assert doc_text(p, "c") == (
        "Interviewer: Where did you grow up?\n"
        "[person 1]: In [place 1]. [person 2] drove me.\n"
        "Interviewer: And then?\n"
        "[person 1]: Then the clinic.\n"
        "Keisha: Me too.\n"
    )
    with p.db.read() as conn:
        speakers = list(conn.scalars(select(t.turn.c.speaker).order_by(t.turn.c.start)))
        mapped = dict(
            conn.execute(
                select(t.speaker_case.c.speaker, t.case.c.name).outerjoin(
                    t.case, t.case.c.id == t.speaker_case.c.case_id
                )
            ).all()
        )
    assert speakers == ["Interviewer", "[person 1]", "Interviewer", "[person 1]", "Keisha"]
    assert mapped == {"[person 1]": "P1", "Interviewer": None}
    # "Keisha" was not found: the report says a label that looks like a name is left
    assert any(w.startswith("1 speaker label(s)") for w in report.warnings), report.warnings
    p.close()


# -- items 4 and 10: any case, but no dates or short terms project-wide ----------------------

SHORT = "Participant 1: Al came in May. We met at Springfield.\n"


def test_project_wide_scrub_ignores_case_and_skips_dates_and_short_terms(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lexicon = {"Al": "PERSON", "May": "DATE_TIME", "Springfield": "LOCATION"}
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(lexicon, only=True))
    p = one_doc(db_url, tmp_path, SHORT, name="springfield notes")
    with p.db.write() as conn:
        draft = put(
            conn,
            t.ai_draft,
            project_id=p.id,
            target="theme",
            target_key={"theme": "SPRINGFIELD life"},
            text="In springfield, Al said: May I also ask? Almost.",
            excerpts=[],
            backend="fake",
            model="m",
            created_at=NOW,
        )
        matrix = put(conn, t.matrix, project_id=p.id, name="m", definition={}, created_at=NOW)
        put(
            conn,
            t.matrix_cell,
            matrix_id=matrix,
            row_key="r",
            column_key="c",
            summary="Springfield comes up",
            links=[],
            updated_at=NOW,
        )
    report = p.deid.run(accept_all=True)[1]
    assert report is not None and report.replaced == 3
    assert doc_text(p, "springfield notes") == (
        "Participant 1: [person 1] came in [date]. We met at [place 1].\n"
    )
    with p.db.read() as conn:
        text, key = conn.execute(
            select(t.ai_draft.c.text, t.ai_draft.c.target_key).where(t.ai_draft.c.id == draft)
        ).one()
        summary = conn.scalar(select(t.matrix_cell.c.summary))
    # "springfield" in any case; "Al" (2 letters) and "May" (a date) are left alone
    assert text == "In [place 1], Al said: May I also ask? Almost."
    assert key == {"theme": "[place 1] life"}
    # the analyst's matrix summary is counted, not edited
    assert summary == "Springfield comes up"
    log = json.dumps([r.detail for r in p.audit_log(limit=None)]).casefold()
    assert "springfield" not in log  # the import entry named the document
    assert any(w.startswith("1 framework matrix summary") for w in report.warnings)
    assert any(w.startswith("1 document name(s)") for w in report.warnings)
    p.close()


# -- item 5: downloads made before the commit ------------------------------------------------


def test_finished_downloads_made_before_the_commit_are_dropped(study: Any) -> None:
    p = study
    with p.db.write() as conn:
        done = put(
            conn,
            t.job,
            project_id=p.id,
            kind="report",
            actor="pi",
            status="done",
            message="report on MARIA LOPEZ ready",
            result_name="report.docx",
            result=b"PK... Maria Lopez hired me at Harbor Clinic ...",
            created_at=NOW - timedelta(minutes=5),
            finished_at=NOW - timedelta(minutes=4),
        )
        failed = put(
            conn,
            t.job,
            project_id=p.id,
            kind="export",
            actor="pi",
            status="failed",
            message="no space left",
            created_at=NOW - timedelta(minutes=3),
            finished_at=NOW - timedelta(minutes=3),
        )
    report = p.deid.run(accept_all=True)[1]
    assert report is not None
    with p.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(t.job))}
    assert rows[done].result is None and rows[done].result_name == "report.docx"
    assert rows[done].message == "report on [person 1] ready"
    assert rows[failed].message == "no space left"
    assert any(w.startswith("1 finished download(s)") for w in report.warnings), report.warnings


# -- items 6 and 10: every text and JSON column after a commit -------------------------------

WORDS = re.compile(r"(?<!\w)(?:maria|lopez|jake|sam|springfield|harbor clinic)(?!\w)", re.I)
#: where a committed identifier may stay: the key, and text the researchers wrote (counted)
ALLOWED = {
    ("deid_term", "term"),
    ("memo", "text"),
    ("coding", "memo"),
    ("code", "memo"),
    ("theme", "memo"),
    ("matrix_cell", "summary"),
    ("consensus_decision", "reason"),
    ("case", "name"),
    ("attribute_value", "value"),
    ("document", "name"),
    ("document", "source_path"),
}


def seed_copies(p: Any) -> None:
    """A copy of an identifier in every kind of place the project keeps text."""
    cid = p.coding.apply("a", "Support", *at(A_TEXT, "Jake helped me a lot."), coder="ana")
    p.coding.set_memo(cid, "JAKE is central")
    p.memos.add("project", None, "springfield keeps coming up")
    a = doc_id(p, "a")
    with p.db.write() as conn:
        conn.execute(update(t.code).where(t.code.c.name == "Support").values(memo="ask Maria"))
        put(
            conn,
            t.theme,
            project_id=p.id,
            name="t",
            memo="Sam again",
            created_at=NOW,
            updated_at=NOW,
        )
        put(
            conn,
            t.consensus_decision,
            project_id=p.id,
            document_id=a,
            disagreement={"text": "Maria Lopez hired me", "unit": "sentence"},
            action="keep_a",
            reason="Maria Lopez is the boss",
            decided_at=NOW,
            source_codings=[{"start": 15, "end": 26, "text": "Maria Lopez"}],
            result_codings=[],
        )
        case = put(conn, t.case, project_id=p.id, name="Maria Lopez", created_at=NOW)
        attr = put(conn, t.attribute, project_id=p.id, name="town", type="text", position=0)
        put(conn, t.attribute_value, case_id=case, attribute_id=attr, value="Springfield")
        matrix = put(conn, t.matrix, project_id=p.id, name="m", definition={}, created_at=NOW)
        put(
            conn,
            t.matrix_cell,
            matrix_id=matrix,
            row_key="r",
            column_key="c",
            summary="maria lopez",
            links=[],
            updated_at=NOW,
        )
        run = put(
            conn,
            t.ai_run,
            project_id=p.id,
            kind="suggest",
            backend="fake",
            model="m",
            parameters={"note": "about Jake", "codes": ["Support"]},
            status="done",
            result={"clusters": [{"label": "harbor clinic staff"}]},
            started_at=NOW,
        )
        put(
            conn,
            t.suggestion,
            project_id=p.id,
            run_id=run,
            coding_id=cid,
            score=0.9,
            evidence={"examples": ["Jake helped me", "SAM too"]},
        )
        put(
            conn,
            t.ai_draft,
            project_id=p.id,
            run_id=run,
            target="matrix_cell",
            target_key={"matrix": "m", "row": "Maria Lopez", "column": "c"},
            text="Maria Lopez and Jake run Harbor Clinic",
            excerpts=[{"text": "Springfield is small"}],
            backend="fake",
            model="m",
            created_at=NOW,
        )
        put(
            conn,
            t.job,
            project_id=p.id,
            kind="export",
            actor="pi",
            status="done",
            message="exported Sam's interview",
            result=b"Sam Maria Lopez",
            created_at=NOW - timedelta(minutes=1),
            finished_at=NOW,
        )
        for name, path, status, target in (
            ("maria_lopez_interview.mp3", "/audio/Maria Lopez.m4a", "done", a),
            ("Maria-Lopez.mp3", None, "failed", None),
        ):
            put(
                conn,
                t.transcript_run,
                project_id=p.id,
                source_name=name,
                source_sha256="ab" * 32,
                source_path=path,
                document_name="a",
                model="tiny",
                parameters={"speakers": 2},
                status=status,
                segments=[[0.0, 2.0, "Maria Lopez hired me at Harbor Clinic", None]],
                result={"warnings": ["Jake was inaudible"]},
                document_id=target,
                started_at=NOW,
            )


def leftovers(p: Any) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text, JSON or binary value naming an identifier."""
    found = []
    kinds = (String, Text, JSON, LargeBinary)
    with p.db.read() as conn:
        for table in t.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, kinds)]
            if not cols:
                continue
            for row in conn.execute(select(*cols)):
                for col, value in zip(cols, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    elif not isinstance(value, str):
                        value = json.dumps(value, ensure_ascii=False)
                    if WORDS.search(value):
                        found.append((table.name, col.name, value))
    return found


def test_no_machine_made_copy_is_left_and_the_rest_is_counted(study: Any) -> None:
    p = study
    p.codebook.add("Support")
    seed_copies(p)
    report = p.deid.run(accept_all=True)[1]
    assert report is not None and report.documents == 2
    left = [x for x in leftovers(p) if (x[0], x[1]) not in ALLOWED]
    assert left == []
    with p.db.read() as conn:
        runs = conn.execute(
            select(t.transcript_run.c.source_name, t.transcript_run.c.source_path)
        ).all()
        draft = conn.scalar(select(t.ai_draft.c.text))
    assert sorted(runs, key=str) == sorted(
        [("[person 1]_interview.mp3", "/audio/[person 1].m4a"), ("[person 1].mp3", None)],
        key=str,
    )
    assert draft == "[person 1] and [person 2] run [organisation 1]"
    warned = " | ".join(report.warnings)
    for line in (
        "2 memo(s) mention",
        "2 code or theme memo(s)",
        "1 framework matrix summary(ies)",
        "1 consensus reason(s)",
        "2 case name(s) or attribute value(s)",
        "1 finished download(s)",
    ):
        assert line in warned, (line, report.warnings)


# -- item 3: nothing of the old text left in the SQLite file; PostgreSQL told to vacuum ------

FILLER = "Participant 1: We talked about the van and the route for a long while.\n" * 80
#: longer than a page, so the old text also sits in overflow pages that a commit frees
RARE = (
    "Interviewer: Who drove?\n"
    "Participant 1: Zebedee Quixworth drove the van, Zebedee always did.\n"
    + FILLER
    + "Participant 1: Zebedee again.\n"
)
RARE_AFTER = (
    "Interviewer: Who drove?\n"
    "Participant 1: [person 1] drove the van, [person 1] always did.\n"
    + FILLER
    + "Participant 1: [person 1] again.\n"
)


def test_old_text_leaves_the_index_and_the_file(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lexicon = {"Zebedee Quixworth": "PERSON", "Zebedee": "PERSON"}
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(lexicon, only=True))
    p = one_doc(db_url, tmp_path, RARE, name="c")
    p.deid.encrypt_key(PASS)  # the key is in the same file: keep it unreadable
    assert len(p.search("Zebedee")) == 3
    from thematica.services import deid_commit

    if p.db.dialect == "sqlite":  # as where SQLite is built without secure delete by default
        event.listen(p.db.engine, "connect", lambda c, _r: c.execute("PRAGMA secure_delete=0"))
        p.db.engine.dispose()
    seen: list[Any] = []
    real = deid_commit.rewrite_document

    def rewrite(conn: Any, *args: Any, **kwargs: Any) -> Any:
        if conn.dialect.name == "sqlite":  # freed pages are zeroed while the text changes
            seen.append(conn.exec_driver_sql("PRAGMA secure_delete").scalar())
        return real(conn, *args, **kwargs)

    monkeypatch.setattr(deid_commit, "rewrite_document", rewrite)
    report = p.deid.run(accept_all=True, passphrase=PASS)[1]
    assert report is not None and report.replaced == 3
    assert doc_text(p, "c") == RARE_AFTER
    assert len(p.search("Zebedee")) == 0
    if p.db.dialect == "postgresql":
        assert any("VACUUM" in w for w in report.warnings), report.warnings
        p.close()
        return
    assert seen == [1]
    with p.db.write() as conn:  # and the pooled connection has its own setting back
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 0
    with p.db.read() as conn:
        blobs = [
            bytes(b) for b in conn.exec_driver_sql("SELECT block FROM document_fts_data").scalars()
        ]
    assert blobs and not any(b"zebedee" in b.lower() for b in blobs)
    # read while the project is open (closing the last connection would checkpoint anyway)
    files = [Path(db_url), Path(db_url + "-wal")]
    data = b"".join(f.read_bytes() for f in files if f.exists())
    p.close()
    for word in (b"zebedee", b"quixworth"):
        assert word not in data.lower(), word
