"""Importing documents through the service layer: turns, re-imports, conflicts, cases, CSV rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_helpers import count_rows, write

from thematica import ConflictError, InputError
from thematica.store import schema as t

INTERVIEW = (
    "Interviewer: How long have you worked here?\n"
    "\n"
    "P11: About two years.\n"
    "I started as a volunteer.\n"
    "\n"
    "Interviewer: Thanks.\n"
)


def _names(project: object) -> list[str]:
    return [row.name for row in project.documents.list().rows]  # type: ignore[attr-defined]


def test_txt_import_keeps_text_and_speaker_turns(project: object, tmp_path: Path) -> None:
    p = project
    report = p.documents.import_files([write(tmp_path / "P11-interview.txt", INTERVIEW)])
    assert report.imported == ["P11-interview"]
    assert report.encodings == {"P11-interview": "utf-8"}
    doc = p.documents.get("P11-interview")
    assert doc.text == INTERVIEW
    spoken = [(turn.speaker, doc.text[turn.start : turn.end]) for turn in doc.turns]
    assert spoken == [
        ("Interviewer", "Interviewer: How long have you worked here?"),
        ("P11", "P11: About two years.\nI started as a volunteer."),
        ("Interviewer", "Interviewer: Thanks."),
    ]
    listed = p.documents.list().rows[0]
    assert (listed.name, listed.format, listed.characters, listed.turns) == (
        "P11-interview",
        "txt",
        len(INTERVIEW),
        3,
    )


def test_crlf_and_bom_are_normalised_once(project: object, tmp_path: Path) -> None:
    p = project
    raw = "\ufeffInterviewer: Hi.\r\nP2: Hello.\r\n"
    (tmp_path / "crlf.txt").write_bytes(raw.encode("utf-8"))
    p.documents.import_files([tmp_path / "crlf.txt"])
    assert p.documents.get("crlf").text == "Interviewer: Hi.\nP2: Hello.\n"


def test_reimporting_the_same_file_is_skipped(project: object, tmp_path: Path) -> None:
    p = project
    f = write(tmp_path / "P11.txt", INTERVIEW)
    p.documents.import_files([f])
    again = p.documents.import_files([f])
    assert again.imported == []
    assert len(again.skipped) == 1
    assert "already imported as 'P11'" in again.skipped[0][1]
    # the same content under another file name is also recognised
    copy = write(tmp_path / "copy-of-P11.txt", INTERVIEW)
    assert p.documents.import_files([copy]).imported == []
    assert _names(p) == ["P11"]
    assert count_rows(p, t.document) == 1


def test_same_name_different_content_conflicts_and_writes_nothing(
    project: object, tmp_path: Path
) -> None:
    p = project
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    p.documents.import_files([write(tmp_path / "a" / "P11.txt", INTERVIEW)])
    fresh = write(tmp_path / "b" / "P12.txt", "Interviewer: New one.\n")
    clash = write(tmp_path / "b" / "P11.txt", "Interviewer: A different text.\n")
    audit_before = count_rows(p, t.audit_log)
    turns_before = count_rows(p, t.turn)
    with pytest.raises(ConflictError, match="different document named 'P11'"):
        p.documents.import_files([fresh, clash])
    assert _names(p) == ["P11"]
    assert p.documents.get("P11").text == INTERVIEW
    assert count_rows(p, t.turn) == turns_before
    assert count_rows(p, t.audit_log) == audit_before


def test_a_folder_with_one_bad_file_fails_whole(project: object, tmp_path: Path) -> None:
    p = project
    p.documents.import_files([write(tmp_path / "first.txt", "Already here.\n")])
    folder = tmp_path / "batch"
    folder.mkdir()
    write(folder / "P01.txt", "Interviewer: one\n")
    write(folder / "P02.txt", "Interviewer: two\n")
    (folder / "P03.txt").write_bytes(b"\x00\x01\x02\x03binary\x00\xff" * 20)
    with pytest.raises(InputError, match=r"P03\.txt"):
        p.documents.import_files([folder], case_pattern=r"(P\d+)")
    assert _names(p) == ["first"]
    assert count_rows(p, t.case) == 0

    report = p.documents.import_files([folder], case_pattern=r"(P\d+)", skip_bad=True)
    assert report.imported == ["P01", "P02"]
    assert [Path(f).name for f, _reason in report.skipped] == ["P03.txt"]
    assert "binary" in report.skipped[0][1]
    assert _names(p) == ["P01", "P02", "first"]


def test_case_linking_by_pattern_and_explicitly(project: object, tmp_path: Path) -> None:
    p = project
    a = write(tmp_path / "site-P07-interview.txt", "Interviewer: hi\n")
    b = write(tmp_path / "notes.txt", "Just notes.\n")
    c = write(tmp_path / "P08_followup.txt", "Interviewer: again\n")
    report = p.documents.import_files([a, c], case_pattern=r"(P\d+)")
    assert sorted(report.cases_created) == ["P07", "P08"]
    p.documents.import_files([b], case="Site visit")
    cases = {row.name: row.case for row in p.documents.list().rows}
    assert cases == {"site-P07-interview": "P07", "P08_followup": "P08", "notes": "Site visit"}
    docs_per_case = {row.case: row.documents for row in p.cases.list().rows}
    assert docs_per_case == {"P07": 1, "P08": 1, "Site visit": 1}
    # a named group wins over the first group
    d = write(tmp_path / "2024_R3.txt", "Interviewer: third\n")
    p.documents.import_files([d], case_pattern=r"(\d{4})_(?P<case>R\d)")
    assert p.documents.get("2024_R3").case == "R3"


def test_bad_case_pattern_is_an_input_error(project: object, tmp_path: Path) -> None:
    f = write(tmp_path / "x.txt", "text\n")
    with pytest.raises(InputError, match="not a valid regular expression"):
        project.documents.import_files([f], case_pattern="(P")  # type: ignore[attr-defined]
    assert count_rows(project, t.document) == 0


def test_csv_rows_become_documents_and_attributes_land_on_cases(
    project: object, tmp_path: Path
) -> None:
    from thematica import ImportOptions

    p = project
    f = write(
        tmp_path / "survey.csv",
        "respondent,region,response\n"
        "R1,North,The training was too short.\n"
        'R2,South,"Pay is low, and\nhours are long."\n'
        "R3,,   \n",
    )
    options = ImportOptions(csv_id_column="respondent")
    report = p.documents.import_files([f], options=options)
    assert report.imported == ["survey row R1", "survey row R2"]  # R3 has no text
    assert p.documents.get("survey row R2").text == "Pay is low, and\nhours are long."
    assert p.documents.get("survey row R2").case == "R2"
    attrs = {row.case: row.attributes for row in p.cases.list().rows}
    assert attrs == {"R1": {"region": "North"}, "R2": {"region": "South"}}


def test_remove_document_takes_its_codings(project: object, tmp_path: Path) -> None:
    p = project
    p.documents.import_files([write(tmp_path / "P1.txt", "Interviewer: hello there\n")])
    p.codebook.add("Greeting")
    p.coding.apply("P1", "Greeting", 13, 18, coder="alex")
    assert p.documents.remove("P1") == 1
    assert count_rows(p, t.coding) == 0
    assert count_rows(p, t.document) == 0
    assert p.audit_log(limit=1).rows[0].action == "remove_document"
