"""A codings export of a focus-group study names the speaker's case and attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fg_helpers import build_focus_groups


def test_codings_export_follows_the_speaker(project: Any, tmp_path: Path) -> None:
    p = build_focus_groups(project, tmp_path)
    frame = p.exports.codings_frame(coder="ann")
    got = {
        (r.document, r.text): (None if r.case is None or str(r.case) == "<NA>" else r.case)
        for r in frame.itertuples()
    }
    assert got[("FG1", "Staffing is the problem")] == "P1"
    assert got[("FG1", "I see the budget")] == "P3"
    assert got[("FG2", "What helps you at work?")] is None  # the moderator is no case
    assert got[("P7-interview", "Staffing is short")] == "P7"
    roles = {(r.document, r.text): r.role for r in frame.itertuples()}
    assert roles[("FG1", "Staffing is the problem")] == "peer"
    assert roles[("FG1", "I see the budget")] == "manager"
    # the streamed CSV rows say the same
    header, rows = p.exports.codings_rows(coder="ann")
    at = {name: i for i, name in enumerate(header)}
    streamed = {(row[at["document"]], row[at["text"]]): row[at["case"]] for row in rows}
    assert streamed[("FG1", "I see the budget")] == "P3"
    assert streamed[("FG2", "What helps you at work?")] == ""
    assert {k: v or None for k, v in streamed.items()} == got
