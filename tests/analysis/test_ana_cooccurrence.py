from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ana_helpers import build_small

from thematica.core.errors import InputError
from thematica.services.cooccurrence import units_of


def pairs(table: Any) -> dict[tuple[str, str], tuple[int, float]]:
    return {(r.code_a, r.code_b): (r.count, r.jaccard) for r in table.rows}


def test_ana_cooccurrence_modes(project: Any, tmp_path: Path) -> None:
    build_small(project, tmp_path / "in")
    seg = pairs(project.cooccurrence.table("segment"))
    assert seg == {("Alpha", "Beta"): (1, round(1 / 6, 4))}
    over = pairs(project.cooccurrence.table("overlap"))
    assert over[("Alpha", "Beta")][0] == 1
    assert over[("Alpha/Gamma", "Beta")][0] == 1
    assert len(over) == 2
    turn = pairs(project.cooccurrence.table("turn"))
    assert turn[("Alpha", "Beta")] == (2, 0.4)
    assert turn[("Alpha", "Alpha/Gamma")][0] == 1
    assert turn[("Alpha/Gamma", "Beta")][0] == 1
    with pytest.raises(InputError):
        project.cooccurrence.table("sentence")


def test_ana_cooccurrence_levels(project: Any, tmp_path: Path) -> None:
    build_small(project, tmp_path / "in")
    table = pairs(project.cooccurrence.table("turn", levels=True))
    assert table[("individual", "community")] == (2, round(1 / 3, 4))
    assert table[("individual", "individual")] == (1, 0.2)


def test_ana_units_of_overlap_chain() -> None:
    codings = [(1, 1, 10, 0, 10), (2, 1, 20, 5, 15), (3, 1, 30, 12, 20), (4, 1, 40, 20, 25)]
    assert units_of(codings, "overlap") == [{10, 20, 30}, {40}]  # touching does not overlap
    assert units_of(codings, "turn", {1: [(0, 11), (11, 30)]}) == [{10, 20}, {20, 30, 40}]
