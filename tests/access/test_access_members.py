"""Members and roles, and blind coding enforced in the service layer (not in a face)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.core.access import OPERATIONS, Actor, Operation, Role, allowed, may_read_layer
from thematica.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied


def test_role_table() -> None:
    # owners may do everything; coders code and write memos; viewers only read
    for op in Operation:
        assert allowed(Role.OWNER, op)
        assert allowed(Role.VIEWER, op) == (op is Operation.READ)
        assert allowed(Role.CODER, op) == (op in {Operation.READ, Operation.CODE, Operation.MEMO})
        assert not allowed(None, op)
    assert set(OPERATIONS) == set(Operation)


def test_blind_layer_reading() -> None:
    sam, kim, boss = Actor("sam", Role.CODER), Actor("kim", Role.VIEWER), Actor("pi", Role.OWNER)
    assert may_read_layer(sam, "sam", kind="human", blind=True)
    assert not may_read_layer(sam, "alex", kind="human", blind=True)
    assert may_read_layer(sam, "alex", kind="human", blind=False)
    assert may_read_layer(sam, "consensus", kind="consensus", blind=True)
    assert not may_read_layer(kim, "alex", kind="human", blind=True)
    assert may_read_layer(kim, "consensus", kind="consensus", blind=True)
    assert may_read_layer(boss, "alex", kind="human", blind=True)
    assert not may_read_layer(Actor("x"), "consensus", kind="consensus", blind=False)


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Any:
    """A project made by 'pi', with coders alex and sam and viewer kim; alex and sam coded."""
    p = thematica.init_project(db_url, "team", actor="pi")
    (tmp_path / "P1.txt").write_text("Interviewer: Hi.\nParticipant 1: Staffing is short.\n")
    p.documents.import_files([tmp_path / "P1.txt"])
    p.codebook.add("Staffing")
    p.members.add("alex", "coder")
    p.members.add("sam", "coder")
    p.members.add("kim", "viewer")
    p.coding.apply("P1", "Staffing", 32, 50, coder="alex")
    p.coding.apply("P1", "Staffing", 17, 50, coder="sam")
    yield p
    p.close()


def _as(team: Any, user: str) -> Any:
    return thematica.open_project(team.db.url, actor=user)


def test_members_listed_with_roles(team: Any) -> None:
    assert [(m.user, m.role, m.added_by) for m in team.members.list()] == [
        ("alex", "coder", "pi"),
        ("kim", "viewer", "pi"),
        ("pi", "owner", "pi"),
        ("sam", "coder", "pi"),
    ]


def test_coder_reads_only_own_layer_while_blind(team: Any) -> None:
    with _as(team, "sam") as sam:
        assert [e.text for e in sam.query("Staffing", coder="sam")] == [
            "Participant 1: Staffing is short."
        ]
        refused = r"sam \(coder\) may not read coder layer 'alex'"
        with pytest.raises(PermissionDenied, match=refused):
            sam.query("Staffing", coder="alex")
        with pytest.raises(PermissionDenied):
            sam.query("Staffing", coder="all")
        with pytest.raises(PermissionDenied):
            sam.agreement.compute(("alex", "sam"), "sentence")
    with _as(team, "kim") as kim, pytest.raises(PermissionDenied):
        kim.query("Staffing", coder="sam")
    team.configure(blind=False)  # the owner opens comparison
    with _as(team, "sam") as sam:
        assert [e.text for e in sam.query("Staffing", coder="alex")] == ["Staffing is short."]


def test_coder_writes_only_own_layer(team: Any) -> None:
    before = team.coding.count()
    with _as(team, "sam") as sam:
        sam.coding.apply("P1", "Staffing", 0, 16, coder="sam")
        with pytest.raises(PermissionDenied, match="may not code in coder layer 'alex'"):
            sam.coding.apply("P1", "Staffing", 0, 16, coder="alex")
    with _as(team, "kim") as kim, pytest.raises(PermissionDenied):
        kim.coding.apply("P1", "Staffing", 0, 16, coder="kim")
    assert team.coding.count() == before + 1


def test_only_owners_manage_members_and_one_owner_stays(team: Any) -> None:
    with _as(team, "sam") as sam, pytest.raises(PermissionDenied) as err:
        sam.members.add("eve", "owner")
    assert err.value.detail["operation"] == "members" and err.value.detail["role"] == "coder"
    with _as(team, "eve") as eve, pytest.raises(PermissionDenied, match="not a member"):
        eve.members.list()
    with pytest.raises(ConflictError, match="only owner"):
        team.members.set_role("pi", "coder")
    with pytest.raises(ConflictError, match="only owner"):
        team.members.remove("pi")
    with pytest.raises(ConflictError, match="already a member"):
        team.members.add("sam", "viewer")
    with pytest.raises(InputError, match="unknown role 'boss'"):
        team.members.add("eve", "boss")
    with pytest.raises(NotFoundError):
        team.members.remove("eve")
    team.members.set_role("sam", "owner")
    team.members.set_role("pi", "viewer")
    roles = {m.user: m.role for m in team.members.list()}
    assert roles["pi"] == "viewer" and roles["sam"] == "owner"
    entries = [(r.actor, r.action, r.detail) for r in team.audit_log(limit=2)]
    assert entries == [
        ("pi", "member_role", {"user": "pi", "old": "owner", "new": "viewer"}),
        ("pi", "member_role", {"user": "sam", "old": "coder", "new": "owner"}),
    ]


def test_cli_acts_as(team: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    db = team.db.url
    assert run(["members", "add", "eve", "viewer", "--db", db, "--as", "sam"]) == 2
    err = capsys.readouterr().err
    assert err == "error: sam (coder) may not manage members in project 'team'\n"
    assert run(["--as", "pi", "members", "add", "eve", "viewer", "--db", db]) == 0
    capsys.readouterr()
    assert run(["members", "list", "--db", db, "--format", "csv", "--as=kim"]) == 0
    assert "eve,eve,viewer," in capsys.readouterr().out
