"""The analysis pages filter queries and searches by speaker."""

from __future__ import annotations

from typing import Any

from conftest import OWNER


def test_query_and_search_by_speaker_through_the_api(web: Any) -> None:
    owner = web.client(OWNER)
    base = f"/api/p/{web.pid}/analysis"
    all_rows = owner.get(f"{base}/query", params={"expression": "Staffing", "coder": "alex"})
    only = owner.get(
        f"{base}/query",
        params={"expression": "Staffing", "coder": "alex", "speaker": "Participant 5"},
    )
    assert all_rows.status_code == only.status_code == 200
    rows = only.json()["rows"]
    assert rows and all(r["speaker"] == "Participant 5" for r in rows)
    assert len(rows) < len(all_rows.json()["rows"])
    hits = owner.get(f"{base}/search", params={"q": "week", "speaker": "Interviewer"}).json()
    assert hits["rows"] and {h["speaker"] for h in hits["rows"]} == {"Interviewer"}
    page = owner.get(f"/p/{web.pid}/analysis/query").text
    assert 'name="speaker"' in page and '<option value="Participant 1">' in page
