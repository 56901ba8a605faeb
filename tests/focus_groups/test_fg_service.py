"""Focus groups through the services, on SQLite and PostgreSQL: every count by hand.

See fg_helpers for the study: 2 focus groups (Moderator + 3 participants each) and one
individual interview; peers P1, P2, P4, P7 and managers P3, P5, P6.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fg_helpers import FG1, build_focus_groups, find, span

from thematica.core.errors import InputError, NotFoundError


def test_speakers_list_and_map_errors_change_nothing(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    listed = [(r.speaker, r.turns, r.case, r.status) for r in p.speakers.list("FG1").rows]
    assert listed == [
        ("Moderator", 2, None, "no case"),
        ("P1", 2, "P1", "mapped"),
        ("P2", 1, "P2", "mapped"),
        ("P3", 1, "P3", "mapped"),
    ]
    # an individual interview has no map: its speakers are listed as unmapped
    assert [(r.speaker, r.status) for r in p.speakers.list("P7-interview").rows] == [
        ("Interviewer", "unmapped"),
        ("Participant 7", "unmapped"),
    ]
    before = (p.speakers.list().records(), len(p.audit_log(500)), len(p.cases.values()))
    with pytest.raises(NotFoundError, match=r"no speaker 'P9' \(speakers: Moderator, P1, P2, P3\)"):
        p.speakers.map("FG1", {"P1": "Someone new", "P9": "P9"})
    with pytest.raises(NotFoundError, match="no document named 'FG9'"):
        p.speakers.map("FG9", {"P1": "P1"})
    bad = tmp_path / "bad.csv"
    bad.write_text("document,speaker,case\nFG1,P1,New person\nFG2,P7,P7\n", "utf-8")
    with pytest.raises(NotFoundError) as err:
        p.speakers.import_table(bad)
    assert str(err.value).startswith("bad.csv: row 3, column 'speaker': document 'FG2' has no")
    bad.write_text("document,speaker,case\nFG3,P1,P1\n", "utf-8")
    with pytest.raises(NotFoundError, match=r"bad.csv: row 2, column 'document': no document"):
        p.speakers.import_table(bad)
    bad.write_text("document,speaker,case\nFG1,P1,A\nFG1,P1,B\n", "utf-8")
    with pytest.raises(InputError, match=r"bad.csv: row 3, column 'case': speaker 'P1'"):
        p.speakers.import_table(bad)
    bad.write_text("document,who,case\nFG1,P1,A\n", "utf-8")
    with pytest.raises(InputError, match=r"bad.csv: no column 'speaker'"):
        p.speakers.import_table(bad)
    assert (p.speakers.list().records(), len(p.audit_log(500)), len(p.cases.values())) == before
    # mapping creates a missing case, like linking; remapping replaces; it is audited
    report = p.speakers.map("FG1", [("P1", "Participant 11")])
    assert report.cases_created == ["Participant 11"] and report.mapped == 1
    assert find(p.speakers.list("FG1"), speaker="P1").case == "Participant 11"
    entry = p.audit_log(1).rows[0]
    assert entry.action == "speakers.map"
    assert entry.detail["mappings"] == [["FG1", "P1", "Participant 11"]]
    assert p.speakers.unmap("FG1", ["P1", "P2"]) == 2
    assert find(p.speakers.list("FG1"), speaker="P1").status == "unmapped"
    with pytest.raises(NotFoundError, match="speaker 'P1' of 'FG1' is not mapped"):
        p.speakers.unmap("FG1", ["P1"])
    assert p.audit_log(1).rows[0].action == "speakers.unmap"
    p.documents.remove("FG2")  # its maps go with it
    assert {r.document for r in p.speakers.list().rows} == {"FG1"}


def test_prevalence_counts_speakers_not_documents(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    table = p.prevalence.table("codes", coder="ann")
    assert "unit" in table.columns and "counting participants" in table.title
    got = {r.name: (r.cases, r.total, r.segments, r.unit) for r in table.rows}
    assert got == {
        "Staffing": (4, 7, 4, "participants"),  # P1, P2, P5, P7
        "Training": (3, 7, 3, "participants"),  # P1, P4, P7
        "Budget": (2, 7, 2, "participants"),  # P3, P6
        "Support": (1, 7, 1, "participants"),  # P2; the moderator's coding counts for no one
        "Team": (2, 7, 1, "participants"),  # one coding across P2's and P3's turns
    }
    by_role = p.prevalence.table("codes", coder="ann", by="role")
    counts = {(r.name, r.group): (r.cases, r.total, r.segments) for r in by_role.rows}
    # Staffing: 2 peers in group 1, 1 manager in group 2, and the peer P7 alone
    assert counts[("Staffing", "peer")] == (3, 4, 3)
    assert counts[("Staffing", "manager")] == (1, 3, 1)
    assert counts[("Training", "peer")] == (3, 4, 3)
    assert counts[("Budget", "manager")] == (2, 3, 2)
    assert counts[("Support", "peer")] == (1, 4, 1)
    assert counts[("Support", "manager")] == (0, 3, 0)
    assert counts[("Team", "peer")] == (1, 4, 1) and counts[("Team", "manager")] == (1, 3, 1)
    assert {r.group for r in by_role.rows} == {"peer", "manager"}  # no "(no case)" units
    # counting groups: FG1, FG2 and the interview (a group of one)
    groups = p.prevalence.table("codes", coder="ann", unit="groups")
    got = {r.name: (r.cases, r.total, r.unit) for r in groups.rows}
    assert got["Staffing"] == (3, 3, "groups")
    assert got["Support"] == (1, 3, "groups")  # FG2's moderator alone does not make FG2 count
    assert got["Team"] == (1, 3, "groups")
    by_site = p.prevalence.table("codes", coder="ann", unit="groups", by="site")
    counts = {(r.name, r.group): (r.cases, r.total) for r in by_site.rows}
    assert counts[("Budget", "north")] == (1, 1) and counts[("Budget", "south")] == (1, 1)
    assert counts[("Budget", "(missing)")] == (0, 1)  # the interview's case P7 has no site


def test_without_speaker_maps_documents_count_as_before(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path, mapped=False)
    table = p.prevalence.table("codes", coder="ann")
    assert table.title == "Prevalence of codes (ann)"
    got = {r.name: (r.cases, r.total) for r in table.rows}
    assert got["Staffing"] == (3, 3) and got["Support"] == (2, 3)  # FG1, FG2, P7
    by_role = p.prevalence.table("codes", coder="ann", by="role")
    counts = {(r.name, r.group): (r.cases, r.total) for r in by_role.rows}
    assert counts[("Staffing", "(missing)")] == (2, 2)  # the two groups have no role
    assert counts[("Staffing", "peer")] == (1, 1)
    assert p.cases.describe().title == "Participants (N = 9)"  # every case, as before
    assert "group" not in p.query("Staffing", coder="ann").columns  # the columns of old
    (staff,) = [e for e in p.query("Staffing", coder="ann").rows if e.document == "FG2"]
    assert (staff.case, staff.group, staff.attribution) == ("FG2", None, "\u2013 FG2")


def test_table1_and_matrix_rows_are_participants(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    table = p.cases.describe()
    assert table.title == "Participants (N = 7)"
    assert [(r.attribute, r.value, r.n, r.percent) for r in table.rows] == [
        ("role", "manager", 3, 42.9),
        ("role", "peer", 4, 57.1),
    ]
    groups = p.cases.describe(unit="groups")
    assert groups.title == "Focus groups (N = 2)"
    assert [(r.value, r.n, r.percent) for r in groups.rows] == [
        ("north", 1, 50.0),
        ("south", 1, 50.0),
    ]
    view = p.matrices.create("chart", rows="cases", columns="codes", coder="ann")
    assert view.rows == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    coded = {(c.row, c.column): c.coded for c in view.cells.values() if c.coded}
    assert coded == {
        ("P1", "Staffing"): 1,
        ("P1", "Training"): 1,
        ("P2", "Staffing"): 1,
        ("P2", "Support"): 1,
        ("P2", "Team"): 1,
        ("P3", "Budget"): 1,
        ("P3", "Team"): 1,
        ("P4", "Training"): 1,
        ("P5", "Staffing"): 1,
        ("P6", "Budget"): 1,
        ("P7", "Staffing"): 1,
        ("P7", "Training"): 1,
    }
    by_role = p.matrices.create("roles", rows="attribute:role", columns="codes", coder="ann")
    assert by_role.rows == ["manager", "peer"]
    assert by_role.cell("peer", "Staffing").coded == 3
    assert by_role.cell("manager", "Team").coded == 1 and by_role.cell("peer", "Team").coded == 1
    # links follow the speaker too: P5's Staffing coding belongs in row P5, not P4
    (p5,) = p.coding.list(coder="ann", document="FG2", code="Staffing").rows
    with pytest.raises(InputError, match="not in a case of row 'P4'"):
        p.matrices.set_cell("chart", "P4", "Staffing", link=[p5.id])
    cell = p.matrices.set_cell("chart", "P5", "Staffing", link=[p5.id])
    assert [(e.case, e.speaker) for e in cell.excerpts] == [("P5", "P5")]


def test_where_filters_and_attribution_follow_the_speaker(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    peers = p.query("Staffing OR Support OR Team", coder="ann", where=["role = peer"]).rows
    assert [(e.document, e.case, e.text, e.attribution) for e in peers] == [
        ("FG1", "P1", "Staffing is the problem", "\u2013 Participant 1, focus group 1"),
        ("FG1", "P2", "Staffing, yes", "\u2013 Participant 2, focus group 1"),
        ("FG1", "P2", "my supervisor helps", "\u2013 Participant 2, focus group 1"),
        (
            "FG1",
            "P2; P3",
            "We work as a team\nP3: and as a manager",
            "\u2013 Participant 2 and Participant 3, focus group 1",
        ),
        ("P7-interview", "P7", "Staffing is short", "\u2013 Participant 7"),
    ]
    managers = p.query("Staffing OR Support", coder="ann", where=["role = manager"]).rows
    assert [(e.case, e.group, e.text) for e in managers] == [("P5", "FG2", "Staffing is hard")]
    assert p.query("Support", coder="ann").columns[-1] == "group"
    everyone = p.query("Support", coder="ann").rows
    assert [(e.speaker, e.case, e.attribution) for e in everyone] == [
        ("P2", "P2", "\u2013 Participant 2, focus group 1"),
        ("Moderator", None, "\u2013 Moderator, focus group 2"),
    ]
    hits = p.search("staffing", where=["role = manager"]).rows
    assert [(h.document, h.case, h.group, h.speaker) for h in hits] == [("FG2", "P5", "FG2", "P5")]
    assert len(p.search("staffing").rows) == 4


def test_saturation_by_participant_and_by_group(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)

    def steps(**kwargs: Any) -> list[tuple[str | None, int, int]]:
        result = p.saturation.assess(base=1, run=1, threshold=0.5, coder="ann", **kwargs)
        return [(s.case, s.new, s.cumulative) for s in result.documents]

    # participants by name: P1 {Staffing, Training}, P2 {+Support, Team}, P3 {+Budget}
    assert steps(unit="case") == [
        ("P1", 2, 2),
        ("P2", 2, 4),
        ("P3", 1, 5),
        ("P4", 0, 5),
        ("P5", 0, 5),
        ("P6", 0, 5),
        ("P7", 0, 5),
    ]
    # groups by site: FG2 (north) first, FG1 (south), then P7 without a site. FG2's moderator
    # coded Support, which must not count: FG1 then brings Support and Team (2 new, not 1).
    result = p.saturation.assess("site", base=1, run=1, threshold=0.5, coder="ann", unit="group")
    assert [(s.case, s.new, s.cumulative) for s in result.documents] == [
        ("FG2", 3, 3),
        ("FG1", 2, 5),
        ("P7", 0, 5),
    ]
    assert result.notes[0] == "no 'site' value for P7: listed last, by name"
    # one interview per document is unchanged: FG2 includes its moderator's Support
    docs, _notes = p.saturation.interviews(coder="ann")
    assert {iv.document: len(iv.codes) for iv in docs} == {"FG1": 5, "FG2": 4, "P7-interview": 2}


def test_unmapped_speaker_is_a_unit_of_its_own(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    p.speakers.unmap("FG1", ["P3"])
    table = p.prevalence.table("codes", coder="ann", by="role")
    counts = {(r.name, r.group): (r.cases, r.total) for r in table.rows}
    # P3 now speaks only as an unmapped label: "FG1 / P3", with no case
    assert counts[("Budget", "manager")] == (1, 2)  # P6 of P5, P6
    assert counts[("Budget", "(no case)")] == (1, 1)
    assert counts[("Team", "(no case)")] == (1, 1) and counts[("Team", "peer")] == (1, 4)
    start, end = span(FG1, "I see the budget")
    (budget,) = [e for e in p.query("Budget", coder="ann").rows if e.document == "FG1"]
    assert (budget.start, budget.end, budget.case) == (start, end, None)
    assert budget.attribution == "\u2013 P3, focus group 1"
