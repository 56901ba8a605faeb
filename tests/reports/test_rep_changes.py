"""On both backends: starred exemplars come first, and the state hash follows the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rep_helpers import docx_quotes, squash, with_consensus

from thematica.core.errors import NotFoundError
from thematica.exporters import project_files as files

THEME = "Individual/Navigating the variability of the physical environment"


def test_starred_coding_is_the_exemplar_and_changes_the_hash(demo: Any, tmp_path: Path) -> None:
    with_consensus(demo, close=True)
    before = demo.reports.state_hash()
    assert before == demo.reports.state_hash()  # same state, same hash
    default = demo.reports.data(figures=()).sections[0]
    assert default.quote_rule == "default" and default.quotes
    chosen = {squash(q.text) for q in default.quotes}
    rows = demo.coding.list(code=THEME)
    assert not any(r.starred for r in rows)
    pick = min((r for r in rows if squash(r.text) not in chosen), key=lambda r: len(r.text))
    demo.coding.star(pick.id)
    assert [r.id for r in demo.coding.list(code=THEME) if r.starred] == [pick.id]
    after = demo.reports.state_hash()
    assert after != before
    result = files.write_report(demo, tmp_path / "starred.docx")
    assert result.state_hash == after
    heading = next(h for h in docx_quotes(result.path) if h.startswith("Theme 1. "))
    quotes = docx_quotes(result.path)[heading]
    assert quotes[0][0] == squash(pick.text)
    demo.coding.star(pick.id, starred=False)
    assert demo.reports.state_hash() == before
    actions = [row.action for row in demo.audit_log(5)]
    assert actions[:2] == ["coding_unstar", "coding_star"]


def test_a_new_coding_changes_the_hash(demo: Any) -> None:
    with_consensus(demo)
    before = demo.reports.state_hash(allow_open=True)
    layer = demo.reports.state_hash(coder="alex")
    demo.coding.apply("P01-interview", THEME, 0, 40, coder="sam")
    # sam's coding feeds the agreement statistic, so both reports change
    assert demo.reports.state_hash(allow_open=True) != before
    assert demo.reports.state_hash(coder="alex") != layer


def test_star_unknown_coding(demo: Any) -> None:
    with pytest.raises(NotFoundError, match="no coding with id 999999"):
        demo.coding.star(999999)
