"""Imports that say what they found: speakers per document, wide survey tables, case links."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from intake_helpers import one_error, run_cli, write
from sqlalchemy import func, select

import thematica
from thematica import ImportOptions, InputError, NotFoundError
from thematica.store import schema as t

SURVEY = (
    "Name,Age,Consent,Q1,Site,Q2,Q3\n"
    'Ana,34,yes,"Less travel.",North,,"We cook\nat home."\n'
    "Ben,41,no,,South,,\n"
    "Caro,29,yes,Caf\u00e9 time,North,More calls,Same.\n"
)


def _counts(project: object) -> tuple[int, ...]:
    with project.db.read() as conn:  # type: ignore[attr-defined]
        return tuple(
            int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (t.document, t.turn, t.case, t.attribute, t.attribute_value)
        )


def test_import_reports_speakers_and_single_turn_documents(project: object, tmp_path: Path) -> None:
    p = project
    a = write(tmp_path / "A.txt", "Moderator: Welcome.\nP1: Hi.\nP2: Hello.\nP1: Again.\n")
    b = write(tmp_path / "B.txt", "Speaker one - hello there\nSpeaker two - hi\n")
    c = write(tmp_path / "C.txt", "First paragraph.\n\nSecond paragraph.\n")
    report = p.documents.import_files([a, b, c])  # type: ignore[attr-defined]
    assert report.speakers == {"A": ["Moderator", "P1", "P2"], "B": [], "C": []}
    # B is one block with labels the default pattern does not know: one turn, so a warning;
    # C has two paragraph turns and no labels: not a single turn
    assert report.single_turn == ["B"]


def test_wide_survey_rows_become_documents_with_one_turn_per_answer(
    project: object, tmp_path: Path
) -> None:
    p = project
    f = write(tmp_path / "survey.csv", SURVEY, "cp1252")
    options = ImportOptions(csv_text_columns=("Q1", "Q2", "Q3"), csv_id_column="Name")
    report = p.documents.import_files([f], options=options)  # type: ignore[attr-defined]
    assert report.imported == ["Ana", "Caro"]
    assert report.skipped == [(f"{f} row 3", "no answer in any text column (case kept)")]
    assert report.speakers == {"Ana": ["Q1", "Q3"], "Caro": ["Q1", "Q2", "Q3"]}
    ana = p.documents.get("Ana")  # type: ignore[attr-defined]
    # "Q1: " is 4 characters, "Less travel." 12 (to 16), a blank line (2), "Q3: " (4): 22;
    # "We cook\nat home." is 7 + 1 + 8 = 16 characters: 22..38
    assert ana.text == "Q1: Less travel.\n\nQ3: We cook\nat home."
    assert [(tr.speaker, tr.start, tr.end) for tr in ana.turns] == [("Q1", 4, 16), ("Q3", 22, 38)]
    assert [ana.text[tr.start : tr.end] for tr in ana.turns] == [
        "Less travel.",
        "We cook\nat home.",
    ]
    assert (ana.case, ana.encoding) == ("Ana", "cp1252")
    caro = p.documents.get("Caro")  # type: ignore[attr-defined]
    assert caro.text == "Q1: Café time\n\nQ2: More calls\n\nQ3: Same."
    assert [caro.text[tr.start : tr.end] for tr in caro.turns] == [
        "Café time",
        "More calls",
        "Same.",
    ]
    cases = {row.case: (row.documents, row.attributes) for row in p.cases.list().rows}  # type: ignore[attr-defined]
    assert cases == {
        "Ana": (1, {"Age": "34", "Consent": "yes", "Site": "North"}),
        "Ben": (0, {"Age": "41", "Consent": "no", "Site": "South"}),
        "Caro": (1, {"Age": "29", "Consent": "yes", "Site": "North"}),
    }
    types = {a.name: a.type.value for a in p.cases.attribute_info()}  # type: ignore[attr-defined]
    assert types == {"Age": "numeric", "Consent": "boolean", "Site": "categorical"}
    # importing again skips every document (same name, same text)
    again = p.documents.import_files([f], options=options)  # type: ignore[attr-defined]
    assert again.imported == []


def test_two_respondents_with_the_same_answers_are_both_kept(
    project: object, tmp_path: Path
) -> None:
    f = write(tmp_path / "s.csv", "id,Q1\nr1,No\nr2,No\n")
    options = ImportOptions(csv_text_columns=("Q1",), csv_id_column="id")
    report = project.documents.import_files([f], options=options)  # type: ignore[attr-defined]
    assert report.imported == ["r1", "r2"]


@pytest.mark.parametrize(
    ("content", "columns", "id_column", "message"),
    [
        (SURVEY, ("Q1", "Q9"), "Name", "survey.csv: no text column 'Q9' (columns: Name, Age"),
        (SURVEY, ("Q1",), "Who", "survey.csv: no id column 'Who'"),
        (SURVEY, ("Q1", "q1"), "Name", "survey.csv: text column 'Q1' is named twice"),
        (SURVEY, ("Q1", "Name"), "Name", "cannot be both the id and a text column"),
        (
            "Name,Q1\nAna,a\nBen,b\nAna,c\n",
            ("Q1",),
            "Name",
            "survey.csv: row 4: id 'Ana' in column 'Name' already appears in row 2",
        ),
        (
            "Name,Q1\nAna,a\n ,b\n",
            ("Q1",),
            "Name",
            "survey.csv: row 3: the id column 'Name' is empty",
        ),
        (
            "Name,Q1\nAna,a,x\n",
            ("Q1",),
            "Name",
            "survey.csv: row 2 has 3 cells but the header has 2",
        ),
        (
            "Name," + "W" * 201 + "\nAna,a\n",
            ("W" * 201,),
            "Name",
            "column 2's name is 201 characters long (at most 200)",
        ),
    ],
)
def test_bad_wide_tables_change_nothing(
    project: object,
    tmp_path: Path,
    content: str,
    columns: tuple[str, ...],
    id_column: str,
    message: str,
) -> None:
    f = write(tmp_path / "survey.csv", content)
    before = _counts(project)
    options = ImportOptions(csv_text_columns=columns, csv_id_column=id_column)
    with pytest.raises(InputError) as info:
        project.documents.import_files([f], options=options)  # type: ignore[attr-defined]
    assert message in str(info.value) and "\n" not in str(info.value)
    assert _counts(project) == before


@pytest.mark.shared
def test_world_after_covid_wide_import(project: object, shared_data: Path) -> None:
    source = shared_data / "corpora" / "world_after_covid" / "transcripts.csv"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    # the expected answers, read independently with the csv module (the file is cp1252)
    rows = list(csv.DictReader(io.StringIO(source.read_bytes().decode("cp1252"), newline="")))
    questions = ["Q1", "Q2", "Q3", "Q4", "Q5"]
    options = ImportOptions(csv_text_columns=tuple(questions), csv_id_column="Name")
    report = project.documents.import_files([source], options=options)  # type: ignore[attr-defined]
    assert len(rows) == 57 and report.imported == [r["Name"] for r in rows]
    assert report.encodings[rows[0]["Name"]] == "cp1252"
    for row in rows:
        doc = project.documents.get(row["Name"])  # type: ignore[attr-defined]
        answered = [(q, " ".join(row[q].split())) for q in questions if row[q].strip()]
        assert [
            (tr.speaker, " ".join(doc.text[tr.start : tr.end].split())) for tr in doc.turns
        ] == answered
        assert "\ufffd" not in doc.text
    attrs = {a.name for a in project.cases.attribute_info()}  # type: ignore[attr-defined]
    assert attrs == {
        "RecordingDate",
        "Gender",
        "Location",
        "Field",
        "FamiliarWisdom",
        "Position",
        "Seniority",
    }


def test_case_pattern_on_the_file_name_with_or_without_extension(
    project: object, tmp_path: Path
) -> None:
    p = project
    a = write(tmp_path / "P01.txt", "Interviewer: hi\n")
    b = write(tmp_path / "P02-notes.txt", "Interviewer: hi again\n")
    report = p.documents.import_files([a, b], case_pattern=r"^(P\d+)\.txt$")  # type: ignore[attr-defined]
    assert report.linked == {"P01": "pattern"}  # P02-notes.txt does not match
    assert report.case_pattern == r"^(P\d+)\.txt$"
    cases = {row.name: row.case for row in p.documents.list().rows}  # type: ignore[attr-defined]
    assert cases == {"P01": "P01", "P02-notes": None}


def test_link_many_documents_from_a_table(project: object, tmp_path: Path) -> None:
    p = project
    files = [write(tmp_path / f"{n}.txt", f"Interviewer: {n}\n") for n in ("one", "two", "three")]
    p.documents.import_files(files)  # type: ignore[attr-defined]
    table = write(tmp_path / "links.csv", "Document,Case\none,P1\ntwo,P2\nthree,P1\n")
    report = p.documents.link_table(table)  # type: ignore[attr-defined]
    assert (report.linked, report.cases_created) == (["one", "two", "three"], ["P1", "P2"])
    cases = {row.name: row.case for row in p.documents.list().rows}  # type: ignore[attr-defined]
    assert cases == {"one": "P1", "two": "P2", "three": "P1"}
    before = _counts(p), cases
    bad = [
        ("document,case\none,P9\nfour,P3\n", NotFoundError, "row 3: no document named 'four'"),
        ("document,case\none,P9\none,P8\n", InputError, "row 3: document 'one' is linked to 'P9'"),
        ("document,case\none,\n", InputError, "row 2: no case for document 'one'"),
        ("doc,case\none,P1\n", InputError, "needs the columns document and case"),
    ]
    for content, error, message in bad:
        with pytest.raises(error, match=message):
            p.documents.link_table(write(tmp_path / "bad.csv", content))  # type: ignore[attr-defined]
        after = {row.name: row.case for row in p.documents.list().rows}  # type: ignore[attr-defined]
        assert (_counts(p), after) == before


def test_import_cli_prints_speakers_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    thematica.init_project(db, "study").close()
    folder = tmp_path / "in"
    write(folder / "A.txt", "Interviewer: Hello.\nParticipant 2: Hi.\n")
    write(folder / "B.txt", "Speaker one - hello\nSpeaker two - hi\n")
    done = run_cli(capsys, "import", folder, "--case-pattern", r"(X\d+)", "--db", db)
    assert done.code == 0, done.err
    lines = done.err.splitlines()
    assert "A: speakers Interviewer, Participant 2" in lines
    assert "B: speakers none (no speaker labels found)" in lines
    warning = next(line for line in lines if "single turn" in line)
    assert "(B)" in warning and "--speaker-pattern" in warning
    assert any(
        "the case pattern '(X\\d+)' matched none of the 2 file name(s)" in line for line in lines
    ), lines
    survey = write(tmp_path / "s.csv", SURVEY)
    wide = run_cli(
        capsys, "import", survey, "--text-columns", "Q1,Q2,Q3", "--id-column", "Name", "--db", db
    )
    assert wide.code == 0 and "Caro: speakers Q1, Q2, Q3" in wide.err
    one_error(
        run_cli(
            capsys, "import", survey, "--text-columns", "Q1,Q7", "--id-column", "Name", "--db", db
        ),
        "s.csv: no text column 'Q7'",
    )
    one_error(run_cli(capsys, "import", survey, "--text-columns", "Q1", "--db", db), "--id-column")
    links = write(tmp_path / "links.csv", "document,case\nA,P1\nB,P2\n")
    linked = run_cli(capsys, "documents", "link", "--from", links, "--db", db)
    assert linked.code == 0 and "Linked 2 document(s), created 2 case(s)." in linked.err
    one_error(run_cli(capsys, "documents", "link", "A", "--db", db), "give DOCUMENT and CASE")


def test_turns_are_stored_exactly_on_each_backend(project: object, tmp_path: Path) -> None:
    """Turns go to the database in one batch (COPY on PostgreSQL): times, gaps, no speaker."""
    vtt = write(
        tmp_path / "call.vtt",
        "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nInterviewer: Shall we begin?\n\n"
        "2\n00:00:02.250 --> 00:00:05.000\nParticipant 1: Yes, let's.\n",
    )
    txt = write(tmp_path / "notes.txt", "No labels here.\n\nA second paragraph.\n")
    project.documents.import_files([vtt, txt])  # type: ignore[attr-defined]
    call = project.documents.get("call")  # type: ignore[attr-defined]
    assert [(tr.speaker, tr.time_start, tr.time_end) for tr in call.turns] == [
        ("Interviewer", 0.5, 2.0),
        ("Participant 1", 2.25, 5.0),
    ]
    notes = project.documents.get("notes")  # type: ignore[attr-defined]
    # "No labels here." is 0..15; the blank line; "A second paragraph." is 17..36
    assert [(tr.speaker, tr.start, tr.end) for tr in notes.turns] == [(None, 0, 15), (None, 17, 36)]


def test_many_documents_get_a_speaker_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.db")
    thematica.init_project(db, "study").close()
    # 60 respondents: 40 answered both questions, 20 only Q2 (more than 50: a summary)
    rows = [f"r{i},yes,{'' if i % 3 == 0 else 'fine'}" for i in range(60)]
    survey = write(tmp_path / "s.csv", "id,Q2,Q1\n" + "\n".join(rows) + "\n")
    done = run_cli(
        capsys, "import", survey, "--text-columns", "Q1,Q2", "--id-column", "id", "--db", db
    )
    assert done.code == 0, done.err
    assert done.err.splitlines()[:3] == [
        "40 document(s): speakers Q1, Q2",
        "20 document(s): speakers Q2",
        "--verbose lists every document's speakers",
    ]


def test_a_runaway_speaker_pattern_is_refused(project: object, tmp_path: Path) -> None:
    # a later colon on the line: the greedy pattern takes 13 + 300 characters as the label
    f = write(tmp_path / "A.txt", "Interviewer: " + "word " * 60 + ": yes\nP1: hi\n")
    before = _counts(project)
    options = ImportOptions(speaker_pattern=r"^(?P<speaker>.*):")  # the whole line, greedy
    with pytest.raises(InputError, match=r"A\.txt: speaker label 'Interviewer: word word"):
        project.documents.import_files([f], options=options)  # type: ignore[attr-defined]
    assert _counts(project) == before
