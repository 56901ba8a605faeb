"""Re-import after de-identification: a correction that brings real names back is refused
unless asked for; a dry run changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from transcripts_helpers import find, import_text, one_error, run_cli, write

from thematica.core.errors import InputError
from thematica.store import schema as t

ORIGINAL = (
    "Interviewer: Where did you meet Maria Lopez?\n"
    "Participant 3: At the river camp on a Monday. Maria Lopez was kind to everyone there.\n"
)
#: ORIGINAL with "Maria Lopez" committed as its placeholder (by hand)
REDACTED = (
    "Interviewer: Where did you meet [person 1]?\n"
    "Participant 3: At the river camp on a Monday. [person 1] was kind to everyone there.\n"
)


def _redacted(project: Any, folder: Path) -> None:
    import_text(project, folder, "visit.txt", ORIGINAL)
    project.codebook.add("Kindness")
    project.coding.apply("visit", "Kindness", *find(ORIGINAL, "kind to everyone"), coder="alex")
    project.deid.add("visit", text="Maria Lopez", entity_type="PERSON")
    project.deid.commit()
    assert project.documents.get("visit").text == REDACTED


def _state(project: Any) -> tuple[Any, ...]:
    with project.db.read() as conn:
        text = conn.scalar(select(t.document.c.text))
        codings = conn.execute(select(t.coding.c.start, t.coding.c.end)).all()
        proposals = conn.execute(
            select(
                t.deid_proposal.c.start, t.deid_proposal.c.end, t.deid_proposal.c.status
            ).order_by(t.deid_proposal.c.id)
        ).all()
        audits = conn.scalar(select(func.count()).select_from(t.audit_log))
    return text, codings, proposals, audits


def _committed_spans(project: Any) -> list[str]:
    text = project.documents.get("visit").text
    with project.db.read() as conn:
        rows = conn.execute(
            select(t.deid_proposal.c.start, t.deid_proposal.c.end)
            .where(t.deid_proposal.c.status == "committed")
            .order_by(t.deid_proposal.c.start)
        ).all()
    return [text[r.start : r.end] for r in rows]


def test_a_correction_made_on_the_original_is_refused(project: Any, tmp_path: Path) -> None:
    _redacted(project, tmp_path)
    before = _state(project)
    # corrected in Word from a copy exported before the commit: "Monday" was "Tuesday"
    path = write(tmp_path / "fix" / "visit.txt", ORIGINAL.replace("Monday", "Tuesday"))
    with pytest.raises(InputError) as err:
        project.documents.reimport("visit", path)
    message = str(err.value)
    assert message == (
        "visit.txt would undo the de-identification of 'visit': it writes over 2 redacted "
        "placeholder(s) ([person 1]); correct the file from the de-identified text, or keep "
        "the identifiers on purpose"
    )
    assert err.value.detail["hint"] == "keep_identifiers"
    assert "Maria" not in message
    with pytest.raises(InputError):  # a dry run refuses the same
        project.documents.reimport("visit", path, dry_run=True)
    assert _state(project) == before

    report = project.documents.reimport("visit", path, keep_identifiers=True)
    assert project.documents.get("visit").text == ORIGINAL.replace("Monday", "Tuesday")
    assert report.identifiers_kept == 2
    assert report.warnings == [
        "kept on request although it undoes de-identification: it writes over 2 redacted "
        "placeholder(s) ([person 1])"
    ]
    detail = project.audit_log(1, action="document_reimport").rows[0].detail
    assert detail["identifiers_kept"] == 2


def test_an_identifier_typed_in_elsewhere_is_refused(project: Any, tmp_path: Path) -> None:
    _redacted(project, tmp_path)
    added = REDACTED.replace("was kind", "was kind, like maria\nlopez's sister,")
    with pytest.raises(InputError) as err:
        project.documents.reimport("visit", write(tmp_path / "fix" / "visit.txt", added))
    assert str(err.value).startswith(
        "visit.txt would undo the de-identification of 'visit': brings back 1 identifier(s) "
        "of the key (PERSON);"
    )
    # a word that only contains the name is no identifier
    fine = REDACTED.replace("was kind", "was kind, like Marialopez")
    project.documents.reimport("visit", write(tmp_path / "ok" / "visit.txt", fine))
    assert project.documents.get("visit").text == fine


def test_a_correction_of_the_redacted_text_moves_the_placeholders(
    project: Any, tmp_path: Path
) -> None:
    _redacted(project, tmp_path)
    fixed = (
        REDACTED.replace("Where", "So, where")
        .replace("river camp", "river bank")
        .replace(" [person 1] was kind to everyone there.", "")
    )
    report = project.documents.reimport("visit", write(tmp_path / "fix" / "visit.txt", fixed))
    assert report.identifiers_kept == 0 and report.warnings == []
    assert project.documents.get("visit").text == fixed
    # the first placeholder moved by 4 characters; the deleted one collapsed to nothing
    assert _committed_spans(project) == ["[person 1]", ""]
    # so a second correction of the first placeholder is still caught
    again = fixed.replace("meet [person 1]", "meet Maria Lopez")
    with pytest.raises(InputError, match=r"writes over 1 redacted placeholder\(s\)"):
        project.documents.reimport("visit", write(tmp_path / "again" / "visit.txt", again))


def test_an_encrypted_key_still_guards_the_placeholders(project: Any, tmp_path: Path) -> None:
    _redacted(project, tmp_path)
    project.deid.encrypt_key("correct horse battery")
    path = write(tmp_path / "fix" / "visit.txt", ORIGINAL)
    with pytest.raises(InputError, match=r"writes over 2 redacted placeholder\(s\)"):
        project.documents.reimport("visit", path)


def test_dry_run_reports_and_changes_nothing(
    project: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_text(project, tmp_path, "visit.txt", ORIGINAL)
    project.codebook.add("Kindness")
    project.codebook.add("Place")
    project.coding.apply("visit", "Kindness", *find(ORIGINAL, "kind to everyone"), coder="alex")
    project.coding.apply("visit", "Place", *find(ORIGINAL, "the river camp"), coder="alex")
    before = _state(project)
    path = write(
        tmp_path / "fix" / "visit.txt",
        ORIGINAL.replace("river camp", "river bank").replace(" to everyone there", ""),
    )
    report = project.documents.reimport("visit", path, dry_run=True)
    assert report.dry_run
    assert [(c.code, c.old_text, c.new_text) for c in report.codings_touched] == [
        ("Place", "the river camp", "the river bank"),
        ("Kindness", "kind to everyone", "kind"),
    ]
    assert report.codings_removed == []
    assert _state(project) == before  # text, codings, proposals, audit log

    base = ("documents", "reimport", "--db", db_url, "--project", "study")
    done = run_cli(capsys, *base, "visit", path, "--dry-run")
    assert done.code == 0, done.err
    err = " ".join(done.err.split())
    assert "touched: Place (alex): 'the river camp' -> 'the river bank'" in err
    assert "Would re-import visit from visit.txt" in err
    assert "Nothing was changed (--dry-run)." in err
    assert _state(project) == before


def test_cli_names_the_flag_that_keeps_identifiers(
    project: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _redacted(project, tmp_path)
    path = write(tmp_path / "fix" / "visit.txt", ORIGINAL)
    base = ("documents", "reimport", "--db", db_url, "--project", "study", "visit", path)
    line = one_error(run_cli(capsys, *base), "would undo the de-identification")
    assert line.endswith("keep the identifiers on purpose (--keep-identifiers)")
    done = run_cli(capsys, *base, "--keep-identifiers")
    assert done.code == 0, done.err
    assert "warning: kept on request although it undoes de-identification" in " ".join(
        done.err.split()
    )
