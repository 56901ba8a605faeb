"""Memos on every kind of target, the audit trail, and all-or-nothing writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_helpers import count_rows, write

from thematica import CodingInput, InputError, NotFoundError
from thematica.store import schema as t


def test_memos_on_project_document_code_and_coding(session_project: object) -> None:
    p = session_project
    (coding,) = p.coding.list(coder="sam").rows
    p.memos.add("project", None, "Study-wide note.", author="lead")
    p.memos.add("document", "P03-session", "Audio was poor after minute 20.")
    p.memos.add("code", "Staffing", "Split into vacancy and turnover?", author="alex")
    p.memos.add("coding", str(coding.id), "  Borderline: ask sam.  ")
    memos = [(m.target_type, m.target, m.author, m.text) for m in p.memos.list().rows]
    assert memos == [
        ("project", p.name, "lead", "Study-wide note."),
        ("document", "P03-session", None, "Audio was poor after minute 20."),
        ("code", "Org/Staffing", "alex", "Split into vacancy and turnover?"),
        ("coding", str(coding.id), None, "Borderline: ask sam."),
    ]
    assert [m.text for m in p.memos.list("code", "Org/Staffing").rows] == [
        "Split into vacancy and turnover?"
    ]
    assert [m.target for m in p.memos.list("document").rows] == ["P03-session"]
    assert p.memos.list("document", "P04-session").rows == []
    # a renamed code keeps its memo
    p.codebook.update("Org/Staffing", name="Vacancies")
    assert p.memos.list("code").rows[0].target == "Org/Vacancies"

    before = count_rows(p, t.memo)
    with pytest.raises(NotFoundError):
        p.memos.add("document", "P99", "x")
    with pytest.raises(NotFoundError):
        p.memos.add("coding", "999999", "x")
    with pytest.raises(InputError, match="by its id"):
        p.memos.add("coding", "first", "x")
    with pytest.raises(InputError, match="memos attach to"):
        p.memos.add("case", "P03", "x")
    with pytest.raises(InputError, match="empty"):
        p.memos.add("project", None, "   ")
    assert count_rows(p, t.memo) == before


def test_audit_log_records_imports_and_codings(project: object, tmp_path: Path) -> None:
    p = project
    p.documents.import_files([write(tmp_path / "P1.txt", "Interviewer: one two three\n")])
    p.codebook.add("Count")
    p.coding.apply_many(
        [CodingInput("P1", "Count", 13, 16), CodingInput("P1", "Count", 13, 16)], coder="alex"
    )
    p.memos.add("document", "P1", "note", author="alex")
    log = p.audit_log().rows
    assert [r.action for r in log] == ["memo", "code", "add_code", "import", "init"]
    memo, code, add, imported, init = log
    assert imported.detail["documents"] == ["P1"]
    # every entry names the acting person; the coder and the memo's author are detail
    me = p.access.name
    assert (code.actor, code.detail["applied"], code.detail["duplicates"]) == (me, 1, 1)
    assert (code.detail["coder"], code.detail["codings"]) == ("alex", [["P1", "Count", 13, 16]])
    assert add.detail == {"path": "Count"}
    assert init.detail == {"name": p.name}
    assert (memo.actor, memo.detail["author"]) == (me, "alex")
    assert [r.action for r in p.audit_log(limit=2).rows] == ["memo", "code"]


class Boom(RuntimeError):
    pass


def _fail_on_audit(monkeypatch: pytest.MonkeyPatch, project: object) -> None:
    """Make the last step of every write (the audit entry) fail, after the real inserts ran."""

    def audit(*_args: object, **_kwargs: object) -> None:
        raise Boom("disk full")

    monkeypatch.setattr(project, "audit", audit)


def test_a_failure_late_in_a_write_rolls_everything_back(
    project: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(1, 4):
        write(folder / f"P{i}.txt", f"Interviewer: hello {i}\nP{i}: hi\n")
    write(tmp_path / "people.csv", "id,age\nP1,30\nP2,40\n")
    p.codebook.add("Greeting")
    p.documents.import_files([folder / "P1.txt"], case_pattern=r"(P\d)")
    tables = (t.document, t.turn, t.case, t.attribute, t.coding, t.coder, t.code, t.audit_log)
    before = [count_rows(p, table) for table in tables]

    _fail_on_audit(monkeypatch, p)
    with pytest.raises(Boom):
        p.documents.import_files([folder], case_pattern=r"(P\d)")
    with pytest.raises(Boom):
        p.cases.import_table(tmp_path / "people.csv", id_column="id")
    with pytest.raises(Boom):
        p.coding.apply_many(
            [CodingInput("P1", "Greeting", 0, 11), CodingInput("P1", "Greeting", 13, 18)],
            coder="alex",
        )
    with pytest.raises(Boom):
        p.codebook.remove("Greeting")
    with pytest.raises(Boom):
        p.documents.remove("P1")
    assert [count_rows(p, table) for table in tables] == before
    assert [d.name for d in p.documents.list().rows] == ["P1"]
    assert p.documents.get("P1").text == "Interviewer: hello 1\nP1: hi\n"
