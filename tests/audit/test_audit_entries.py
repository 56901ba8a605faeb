"""Every kind of write leaves one audit entry naming who acted and what changed (old -> new);
a refused write leaves none. On SQLite and PostgreSQL (the ``db_url`` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import thematica
from thematica import CodingInput
from thematica.core.errors import ConflictError, InputError, PermissionDenied
from thematica.store import schema as t

TEXT = "We are two people short and pay is low.\n"  # 40 characters
#        0123456789012345678901234567890123456789


@pytest.fixture
def study(db_url: str, tmp_path: Path) -> Any:
    """Made by 'pat' (owner): one document P1, codes Staffing and Pay; 'sam' is a coder."""
    p = thematica.init_project(db_url, "study", actor="pat")
    doc = tmp_path / "P1.txt"
    doc.write_text(TEXT, "utf-8")
    p.documents.import_files([doc])
    p.codebook.add("Staffing")
    p.codebook.add("Pay")
    p.members.add("sam", "coder")
    yield p
    p.close()


def last(p: Any) -> Any:
    return p.audit_log(limit=1).rows[0]


def entries(p: Any) -> list[tuple[str | None, str, dict[str, Any]]]:
    return [(r.actor, r.action, r.detail) for r in p.audit_log(limit=None)]


def test_a_single_coding_names_document_code_span_and_coder(study: Any) -> None:
    coding = study.coding.apply("P1", "Staffing", 7, 23, coder="pat")
    entry = last(study)
    assert (entry.actor, entry.action) == ("pat", "code")
    assert {k: entry.detail[k] for k in ("coder", "document", "code", "start", "end")} == {
        "coder": "pat",
        "document": "P1",
        "code": "Staffing",
        "start": 7,
        "end": 23,
    }
    assert entry.detail["coding"] == coding
    assert "on_behalf_of" not in entry.detail


def test_another_name_given_is_kept_as_on_behalf_of_not_as_actor(study: Any) -> None:
    study.coding.apply("P1", "Pay", 28, 38, coder="pat", actor="lead")
    entry = last(study)
    assert entry.actor == "pat"
    assert entry.detail["on_behalf_of"] == "lead"


def test_a_coder_acting_is_the_actor(study: Any) -> None:
    with thematica.open_project(study.db.url, actor="sam") as sam:
        sam.coding.apply("P1", "Pay", 28, 38, coder="sam")
    entry = last(study)
    assert (entry.actor, entry.detail["coder"], entry.detail["code"]) == ("sam", "sam", "Pay")


def test_a_few_codings_at_once_are_listed_one_by_one(study: Any) -> None:
    report = study.coding.apply_many(
        [CodingInput("P1", "Staffing", 7, 23), CodingInput("P1", "Pay", 28, 38)], coder="pat"
    )
    assert report.batch_id is None
    entry = last(study)
    assert entry.detail["codings"] == [["P1", "Staffing", 7, 23], ["P1", "Pay", 28, 38]]
    assert (entry.detail["applied"], entry.detail["coder"]) == (2, "pat")


def test_a_table_batch_records_its_batch_and_its_codings_are_found_by_it(
    study: Any, tmp_path: Path
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("document,Staffing,Pay\nP1,1,1\n", "utf-8")
    report = study.coding.apply_table(table, coder="pat", unit="document")
    entry = last(study)
    assert (entry.actor, entry.action, entry.detail["batch"]) == ("pat", "code", report.batch_id)
    assert entry.detail["source"] is None and entry.detail["applied"] == 2
    # the items behind the one entry: the codings carrying its batch id
    c, k = t.coding.c, t.code.c
    with study.db.read() as conn:
        rows = conn.execute(
            select(k.name, c.start, c.end)
            .join(t.code, k.id == c.code_id)
            .where(c.batch_id == entry.detail["batch"])
            .order_by(k.name)
        ).all()
    assert [tuple(r) for r in rows] == [("Pay", 0, 40), ("Staffing", 0, 40)]


def test_many_codings_without_a_batch_get_one_so_the_entry_can_name_them(study: Any) -> None:
    items = [CodingInput("P1", "Staffing", i, i + 1) for i in range(39)]
    items += [CodingInput("P1", "Pay", i, i + 2) for i in range(38)]
    items += [CodingInput("P1", "Pay", i, i + 3) for i in range(37)]  # 114 in all
    report = study.coding.apply_many(items, coder="pat")
    entry = last(study)
    assert report.applied == 114 and report.batch_id is not None
    assert entry.detail["batch"] == report.batch_id and "codings" not in entry.detail
    with study.db.read() as conn:
        stamped = select(t.coding.c.id).where(t.coding.c.batch_id == report.batch_id)
        n = len(conn.execute(stamped).all())
    assert n == 114


def test_removing_a_coding_names_it(study: Any) -> None:
    study.coding.apply("P1", "Staffing", 7, 23, coder="pat")
    study.coding.remove("P1", "Staffing", 7, 23, coder="pat")
    entry = last(study)
    assert (entry.action, entry.detail) == (
        "uncode",
        {"coder": "pat", "document": "P1", "code": "Staffing", "start": 7, "end": 23},
    )


def test_code_rename_and_edit_record_old_and_new(study: Any) -> None:
    study.codebook.update("Staffing", name="Staff shortage", definition="Too few people")
    entry = last(study)
    assert (entry.actor, entry.action, entry.detail["path"]) == ("pat", "update_code", "Staffing")
    assert entry.detail["changes"] == {
        "name": ["Staffing", "Staff shortage"],
        "definition": ["", "Too few people"],
    }
    study.codebook.add("Money")
    study.codebook.move("Pay", "Money")
    assert last(study).detail == {"path": "Pay", "parent": "Money", "old_parent": None}


def test_theme_edit_records_old_and_new(study: Any) -> None:
    study.themes.add("Workforce", description="people")
    study.themes.rename("Workforce", "Work force")
    entry = last(study)
    assert (entry.action, entry.detail["theme"]) == ("theme_update", "Workforce")
    assert entry.detail["changes"] == {"name": ["Workforce", "Work force"]}


def test_case_attribute_changes_record_old_and_new(study: Any) -> None:
    study.documents.link_case("P1", "C1")
    assert last(study).detail["old"] is None and last(study).detail["new"] == "C1"
    study.cases.set("C1", "setting", "rural")
    first = last(study)
    study.cases.set("C1", "setting", "urban")
    second = last(study)
    assert (first.action, first.detail["old"], first.detail["new"]) == (
        "set_attribute",
        None,
        "rural",
    )
    assert (second.detail["case"], second.detail["attribute"]) == ("C1", "setting")
    assert (second.detail["old"], second.detail["new"]) == ("rural", "urban")


def test_case_file_records_the_values_it_changed(study: Any, tmp_path: Path) -> None:
    study.documents.link_case("P1", "C1")
    study.cases.set("C1", "setting", "rural")
    cases = tmp_path / "cases.csv"
    cases.write_text("case,setting\nC1,urban\nC2,rural\n", "utf-8")
    study.cases.import_table(cases, id_column="case")
    entry = last(study)
    assert (entry.action, entry.detail["created"], entry.detail["updated"]) == (
        "import_cases",
        1,
        1,
    )
    assert entry.detail["changes"] == [["C1", "setting", "rural", "urban"]]
    assert entry.detail["cases"] == ["C2"]


def test_settings_change_records_old_and_new(study: Any) -> None:
    study.configure(case_pattern=r"(P\d+)")
    study.configure(case_pattern="", blind=False)
    entry = last(study)
    assert (entry.actor, entry.action) == ("pat", "settings")
    assert entry.detail == {"changes": {"case_pattern": [r"(P\d+)", None], "blind": [True, False]}}


def test_member_changes_record_old_and_new(study: Any) -> None:
    study.members.set_role("sam", "viewer")
    study.members.remove("sam")
    assert entries(study)[:3] == [
        ("pat", "member_remove", {"user": "sam", "role": "viewer"}),
        ("pat", "member_role", {"user": "sam", "old": "coder", "new": "viewer"}),
        ("pat", "member_add", {"user": "sam", "role": "coder"}),
    ]


def test_refused_writes_record_nothing(study: Any) -> None:
    before = entries(study)
    with pytest.raises(InputError):
        study.coding.apply("P1", "Staffing", 30, 99, coder="pat")  # past the end
    with pytest.raises(ConflictError):
        study.codebook.add("Pay")  # there already
    with pytest.raises(InputError):
        study.configure(sem_levels=["a", "a"])
    with thematica.open_project(study.db.url, actor="sam") as sam:
        with pytest.raises(PermissionDenied):
            sam.codebook.add("Burnout")  # a coder may not edit the codebook
        with pytest.raises(PermissionDenied):
            sam.coding.apply("P1", "Pay", 28, 38, coder="pat")  # nor code in another's layer
        with pytest.raises(PermissionDenied):
            sam.members.add("eve", "viewer")
    eve = thematica.open_project(study.db.url, actor="eve")  # not a member
    with eve, pytest.raises(PermissionDenied):
        eve.configure(blind=False)
    assert entries(study) == before
