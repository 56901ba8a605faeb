"""Holes found in review, each closed and kept closed: the audit log while coding is blind,
settings changed by two owners, ``init`` on an outdated database, and ``--as`` without a name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.core.errors import InputError


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Any:
    p = thematica.init_project(db_url, "team", actor="pi")
    (tmp_path / "P1.txt").write_text("Interviewer: Hi.\nParticipant 1: Staffing is short.\n")
    p.documents.import_files([tmp_path / "P1.txt"])
    p.codebook.add("Staffing")
    p.members.add("alex", "coder")
    p.members.add("sam", "coder")
    yield p
    p.close()


def test_the_log_does_not_show_a_blind_layer(team: Any) -> None:
    with thematica.open_project(team.db.url, actor="sam") as sam:
        sam.coding.apply("P1", "Staffing", 17, 50, coder="sam")
    with thematica.open_project(team.db.url, actor="alex") as alex:
        seen = [(r.action, r.detail.get("coder")) for r in alex.audit_log(limit=None)]
        assert ("code", "sam") not in seen
        assert ("member_add", None) in seen  # the rest of the log stays readable
    with thematica.open_project(team.db.url, actor="sam") as sam:
        assert ("code", "sam") in [(r.action, r.detail.get("coder")) for r in sam.audit_log()]
    assert ("code", "sam") in [(r.action, r.detail.get("coder")) for r in team.audit_log()]
    team.configure(blind=False)
    with thematica.open_project(team.db.url, actor="alex") as alex:
        assert ("code", "sam") in [(r.action, r.detail.get("coder")) for r in alex.audit_log()]


def test_a_setting_does_not_undo_another_owners_change(team: Any) -> None:
    team.configure(blind=False)
    other = thematica.open_project(team.db.url, actor="pi")  # opened while comparison is open
    team.configure(blind=True)
    other.configure(case_pattern=r"(P\d+)")
    other.close()
    with thematica.open_project(team.db.url, actor="pi") as p:
        assert p.settings["blind"] is True and p.settings["case_pattern"] == r"(P\d+)"


def test_as_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    assert run(["log", "--as", "--db", "x.db"]) == 2
    assert capsys.readouterr().err == "error: --as needs a user name\n"
    with pytest.raises(InputError):
        from thematica.cli.main import _take_acting_as

        _take_acting_as(["log", "--as"])


def test_a_saved_run_is_blind_too(team: Any) -> None:
    from thematica.core.errors import PermissionDenied

    team.coding.apply("P1", "Staffing", 17, 50, coder="alex")
    team.coding.apply("P1", "Staffing", 32, 50, coder="sam")
    team.agreement.compute(("alex", "sam"), "sentence", save="round1")
    with (
        thematica.open_project(team.db.url, actor="sam") as sam,
        pytest.raises(PermissionDenied, match="coder layer 'alex'"),
    ):
        sam.agreement.compare("round1", "round1")
    team.configure(blind=False)
    with thematica.open_project(team.db.url, actor="sam") as sam:
        assert sam.agreement.compare("round1", "round1") is not None
