"""Blind coding, enforced by every service that reads or writes a coder layer.

The team: pi owns the study; alex and sam code; kim views. In P1 alex coded "Staffing is short."
and sam the whole participant turn; pi started a consensus layer comparing them. While coding is
blind (the default) a coder reads only their own layer and the consensus layer, a viewer only
the consensus layer; a coder writes only their own layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.core.errors import PermissionDenied

TEXT = "Interviewer: Hi.\nParticipant 1: Staffing is short.\n"
# by hand: "Interviewer: Hi.\n" is 17 characters and "Participant 1: " 15 more
ALEX = (32, 50)  # "Staffing is short."
SAM = (17, 50)  # "Participant 1: Staffing is short."


@pytest.fixture(scope="module")
def team(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("team")
    (folder / "P1.txt").write_text(TEXT)
    p = thematica.init_project(module_db_url, "team", actor="pi")
    p.documents.import_files([folder / "P1.txt"])
    p.codebook.add("Staffing")
    p.themes.add("Workforce", codes=["Staffing"])
    for user, role in [("alex", "coder"), ("sam", "coder"), ("kim", "viewer")]:
        p.members.add(user, role)
    p.coding.apply("P1", "Staffing", *ALEX, coder="alex")
    p.coding.apply("P1", "Staffing", *SAM, coder="sam")
    p.consensus.start(("alex", "sam"))
    p.matrices.create("by case", columns="codes", coder="alex")
    yield p
    p.close()


def _as(team: Any, user: str) -> Any:
    return thematica.open_project(team.db.url, actor=user)


#: every service read of one named coder layer (alex's), as a call on a project
READS_OF_ALEX: dict[str, Callable[[Any], object]] = {
    "coding.list": lambda p: p.coding.list(coder="alex"),
    "query": lambda p: p.query("Staffing", coder="alex"),
    "exports.codings_frame": lambda p: p.exports.codings_frame(coder="alex"),
    "exports.frame": lambda p: p.exports.frame("codings", coder="alex"),
    "prevalence.table": lambda p: p.prevalence.table("codes", coder="alex"),
    "cooccurrence.table": lambda p: p.cooccurrence.table(coder="alex"),
    "saturation.frequency": lambda p: p.saturation.frequency(coder="alex"),
    "reports.data": lambda p: p.reports.data(coder="alex"),
    "agreement.compute": lambda p: p.agreement.compute(("alex", "sam"), "sentence"),
    "matrices.get": lambda p: p.matrices.get("by case"),  # made on alex's layer
    "consensus.disagreements": lambda p: p.consensus.disagreements(),  # shows alex's text
    "consensus.log": lambda p: p.consensus.log(),
    "consensus.status": lambda p: p.consensus.status(),
    "refi.build": lambda p: p.refi.build(),  # a .qdpx carries every layer
}


@pytest.mark.parametrize("user", ["sam", "kim"])
def test_other_layers_refused_while_blind(team: Any, user: str) -> None:
    with _as(team, user) as p:
        for what, read in READS_OF_ALEX.items():
            with pytest.raises(PermissionDenied) as err:
                read(p)
            assert err.value.detail["operation"] == "read_layer", what
            assert err.value.detail["layer"] == "alex", what
            assert "may not read coder layer 'alex' while coding is blind" in str(err.value), what


def test_owner_reads_every_layer_while_blind(team: Any) -> None:
    with _as(team, "pi") as pi:
        for read in READS_OF_ALEX.values():
            read(pi)  # no PermissionDenied
        rows = [(r.coder, r.start, r.end, r.text) for r in pi.coding.list(coder="alex")]
    assert rows == [("alex", 32, 50, "Staffing is short.")]


def test_own_and_consensus_layers_readable(team: Any) -> None:
    with _as(team, "sam") as sam:
        rows = [(r.coder, r.start, r.end, r.text) for r in sam.coding.list(coder="sam")]
        assert rows == [("sam", 17, 50, "Participant 1: Staffing is short.")]
        # no coder named: the consensus layer, which everyone reads
        sam.query("Staffing")
        with pytest.raises(PermissionDenied):
            sam.coding.list(coder="all")
    with _as(team, "kim") as kim:
        kim.coding.list(coder="consensus")
        with pytest.raises(PermissionDenied, match="may not read coder layer 'sam'"):
            kim.coding.list(coder="sam")
        # how much each layer holds is not its content: counts stay visible to the team
        counts = {r.name: (r.kind, r.codings, r.documents) for r in kim.coding.coder_rows()}
        assert counts["alex"] == ("human", 1, 1) and counts["sam"] == ("human", 1, 1)


def test_coder_writes_only_own_layer(
    team: Any, tmp_path: Path, rows_of: Callable[[Any], tuple[int, ...]]
) -> None:
    (alex_id,) = [r.id for r in team.coding.list(coder="alex")]
    (sam_id,) = [r.id for r in team.coding.list(coder="sam")]
    before = rows_of(team)
    with _as(team, "sam") as sam:
        refused: dict[str, Callable[[], object]] = {
            "remove": lambda: sam.coding.remove("P1", "Staffing", *ALEX, coder="alex"),
            "set_memo": lambda: sam.coding.set_memo(alex_id, "too short"),
            "apply": lambda: sam.coding.apply("P1", "Staffing", 0, 16, coder="alex"),
            "apply_many": lambda: sam.coding.apply_many([], coder="alex"),
            "autocode": lambda: sam.autocode.run(
                coder="alex", code="Staffing", search="short", unit="sentence", dry_run=True
            ),
        }
        for what, call in refused.items():
            with pytest.raises(PermissionDenied, match="may not code in coder layer 'alex'") as err:
                call()
            assert err.value.detail["operation"] == "write_layer", what
            assert rows_of(team) == before, what
        sam.coding.set_memo(sam_id, "the whole turn")
    assert [r.memo for r in team.coding.list(coder="sam")] == ["the whole turn"]
    assert [r.memo for r in team.coding.list(coder="alex")] == [None]
    with _as(team, "kim") as kim, pytest.raises(PermissionDenied):
        kim.coding.set_memo(sam_id, "viewers do not annotate")
    assert [r.memo for r in team.coding.list(coder="sam")] == ["the whole turn"]


def test_saving_an_agreement_run_is_analysis(team: Any) -> None:
    team.configure(blind=False)
    try:
        with _as(team, "sam") as sam:
            sam.agreement.compute(("alex", "sam"), "sentence")  # reading is fine when open
            with pytest.raises(PermissionDenied, match="change themes, matrices or saved"):
                sam.agreement.compute(("alex", "sam"), "sentence", save="mine")
            assert len(sam.agreement.runs()) == 0
    finally:
        team.configure(blind=True)


def test_opening_comparison_lets_members_read_every_layer(team: Any) -> None:
    with _as(team, "sam") as sam, pytest.raises(PermissionDenied):
        sam.configure(blind=False)  # only an owner opens comparison
    team.configure(blind=False)
    try:
        for user in ("sam", "kim"):
            with _as(team, user) as p:
                for read in READS_OF_ALEX.values():
                    read(p)  # no PermissionDenied
                rows = [(r.start, r.end) for r in p.coding.list(coder="alex")]
                assert rows == [ALEX]
        with _as(team, "sam") as sam, pytest.raises(PermissionDenied):
            sam.coding.remove("P1", "Staffing", *ALEX, coder="alex")  # still not sam's layer
    finally:
        team.configure(blind=True)
    with _as(team, "sam") as sam, pytest.raises(PermissionDenied):
        sam.coding.list(coder="alex")


def test_cli_refusal_is_one_line(team: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    before = [(r.action, r.actor) for r in team.audit_log(limit=5)]
    code = run(["query", "Staffing", "--coder", "alex", "--db", team.db.url, "--as", "sam"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        "error: sam (coder) may not read coder layer 'alex' while coding is blind "
        "in project 'team'\n"
    )
    assert captured.out == ""
    assert [(r.action, r.actor) for r in team.audit_log(limit=5)] == before
