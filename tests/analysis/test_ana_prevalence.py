from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ana_helpers import build_small, find

from thematica.core.errors import InputError, NotFoundError


def test_ana_prevalence_by_hand(project: Any, tmp_path: Path) -> None:
    build_small(project, tmp_path / "in")
    codes = project.prevalence.table("codes")
    alpha = find(codes, name="Alpha")
    assert (alpha.cases, alpha.total, alpha.segments, alpha.quantifier) == (3, 4, 6, "most")
    assert alpha.percent == 75.0 and alpha.level == "individual"
    gamma = find(codes, name="Alpha/Gamma")
    assert (gamma.cases, gamma.segments, gamma.quantifier, gamma.level) == (
        2,
        2,
        "many",
        "individual",
    )
    beta = find(codes, name="Beta")
    assert (beta.cases, beta.segments, beta.quantifier) == (2, 3, "many")
    alone = find(project.prevalence.table("codes", include_subcodes=False), name="Alpha")
    assert (alone.cases, alone.segments) == (2, 4)
    # themes: T1 groups Beta, its subtheme S1 groups Gamma
    project.themes.add("T1", sem_level="community", codes=["Beta"])
    project.themes.add("S1", parent="T1", codes=["Gamma"])
    themes = project.prevalence.table("themes")
    t1 = find(themes, name="T1")
    assert (t1.number, t1.kind, t1.cases, t1.segments, t1.quantifier) == (
        "1",
        "theme",
        3,
        5,
        "most",
    )
    s1 = find(themes, name="S1")
    assert (s1.number, s1.kind, s1.cases, s1.segments) == ("1.1", "subtheme", 2, 2)


def test_ana_prevalence_breakdown(project: Any, tmp_path: Path) -> None:
    build_small(project, tmp_path / "in")
    table = project.prevalence.table("codes", by="lived")
    rows = [r for r in table.rows if r.name == "Alpha"]
    assert [(r.group, r.cases, r.total, r.quantifier) for r in rows] == [
        ("no", 0, 1, "none"),
        ("yes", 2, 2, "all"),
        ("(no case)", 1, 1, "all"),
    ]
    assert "group" in table.columns
    with pytest.raises(NotFoundError, match="no attribute named 'nope'"):
        project.prevalence.table("codes", by="nope")
    with pytest.raises(InputError, match="no themes yet"):
        project.prevalence.table("themes")


def test_ana_prevalence_settings_scale(project: Any, tmp_path: Path) -> None:
    build_small(project, tmp_path / "in")
    project.prevalence.set_scale({"bands": [["a majority", ">", 50]], "rest": "a minority"})
    assert find(project.prevalence.table("codes"), name="Alpha").quantifier == "a majority"
    assert find(project.prevalence.table("codes"), name="Beta").quantifier == "a minority"


def test_ana_prevalence_empty_project(project: Any) -> None:
    with pytest.raises(InputError, match="no documents"):
        project.prevalence.table("codes")


def test_ana_prevalence_demo(demo: Any) -> None:
    with pytest.raises(InputError, match=r"no consensus layer: choose which to read$"):
        demo.prevalence.table("themes")
    table = demo.prevalence.table("themes", coder="alex")
    assert {r.total for r in table.rows} == {7}
    two = find(table, number="2")
    assert (two.cases, two.quantifier) == (7, "all")
    codes = demo.prevalence.table("codes", coder="sam")
    assert find(codes, name="Individual").quantifier == "all"
