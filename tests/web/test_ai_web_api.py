"""The JSON API of AI suggestions, on SQLite and PostgreSQL: listing a document's open
suggestions, accepting one (the same passage and code, coded in the reviewer's own layer),
rejecting one, who may do what (viewer 403, outsider 404, CSRF), bad ids, an AI layer that
learned from a layer a coder may not read while blind, and starting a suggest run as a job.

The suggestions are stored straight into the database (ai_web_seed.py), at passages found by
their words in the demo's text, so every expected offset is worked out from the text.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from ai_web_seed import LAYER, MODEL, seed_suggestions, span_of, suggestion_state
from sqlalchemy import func, select

from conftest import CODER_A, CODER_B, OUTSIDER, OWNER, VIEWER
from thematica.store import schema as t

DOC = "P01-interview"
VAN = "Three days a week I'm out in the van and two days I'm at the office in [town] restocking"
MILES = "Some days I put two hundred miles on that van."
OVEN = "In the summer the van is an oven"
STAFFING = "Organizational/Receiving resources and benefits from the organization/Staffing"
PHYSICAL = "Individual/Navigating the variability of the physical environment"


def seed(web: Any) -> dict[str, Any]:
    """Four open suggestions on P01: two codes on one passage (ranks 1 and 2), and two more."""
    rows = seed_suggestions(
        web.as_user(OWNER),
        DOC,
        [
            (VAN, "Staffing", 0.81, 1),
            (VAN, PHYSICAL, 0.34, 2),
            (MILES, PHYSICAL, 0.72, 1),
            (OVEN, PHYSICAL, 0.88, 1),
        ],
    )
    return {"van": rows[0], "van2": rows[1], "miles": rows[2], "oven": rows[3]}


def url(web: Any, tail: str = "") -> str:
    return f"/api/p/{web.pid}/suggestions{tail}"


def footprint(web: Any) -> tuple[int, ...]:
    """Codings, suggestions by status, jobs and audit entries: unchanged = nothing written."""
    with web.project.db.read() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(t.coding)) or 0),
            int(conn.scalar(select(func.count()).where(t.suggestion.c.status == "open")) or 0),
            int(conn.scalar(select(func.count()).select_from(t.job)) or 0),
            int(conn.scalar(select(func.max(t.audit_log.c.id))) or 0),
        )


def own_layer(web: Any, coder: str) -> list[Any]:
    return list(web.as_user(OWNER).coding.in_document(DOC, coder=[coder]))


def test_a_document_lists_its_open_suggestions_for_every_member(web: Any) -> None:
    s = seed(web)
    text = web.as_user(OWNER).documents.get(DOC).text
    start = text.index(VAN)
    code_ids = {c.path: c.id for c in web.as_user(OWNER).coding.code_choices()}
    for user in (OWNER, CODER_A, VIEWER):  # alex codes blind: an AI layer is still his to read
        r = web.client(user).get(url(web), params={"document": DOC})
        assert r.status_code == 200, (user, r.text)
        rows = r.json()
        assert [row["id"] for row in rows] == [
            s["van"].id,
            s["van2"].id,
            s["miles"].id,
            s["oven"].id,
        ]
        first = rows[0]
        assert (first["start"], first["end"]) == (start, start + len(VAN))
        assert first["text"] == VAN
        assert (first["code"], first["code_id"]) == (STAFFING, code_ids[STAFFING])
        assert (first["score"], first["rank"], first["status"]) == (0.81, 1, "open")
        assert (first["layer"], first["model"]) == (LAYER, MODEL)
    # filtered lists: by score, by code, by status
    owner = web.client(OWNER)
    high = owner.get(url(web), params={"min_score": 0.75}).json()
    assert sorted(row["id"] for row in high) == sorted([s["van"].id, s["oven"].id])
    staffing = owner.get(url(web), params={"code": "Staffing"}).json()
    assert [row["id"] for row in staffing] == [s["van"].id]
    assert owner.get(url(web), params={"status": "accepted"}).json() == []
    assert len(owner.get(url(web), params={"status": "all", "layer": LAYER}).json()) == 4


def test_accepting_codes_the_passage_in_my_own_layer(web: Any) -> None:
    s = seed(web)
    alex = web.client(CODER_A)
    before = own_layer(web, CODER_A)
    r = alex.post(url(web, f"/{s['van'].id}/accept"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["status"], body["accepted"], body["into"]) == (
        s["van"].id,
        "accepted",
        1,
        CODER_A,
    )
    added = [c for c in own_layer(web, CODER_A) if c.id not in {b.id for b in before}]
    start = web.as_user(OWNER).documents.get(DOC).text.index(VAN)
    assert [(c.path, c.start, c.end, c.text) for c in added] == [
        (STAFFING, start, start + len(VAN), VAN)
    ]
    status, by, coding = suggestion_state(web.project, s["van"].id)
    assert (status, by, coding) == ("accepted", CODER_A, added[0].id)
    # no longer open; the other code on the same passage still is
    open_ids = [row["id"] for row in alex.get(url(web), params={"document": DOC}).json()]
    assert s["van"].id not in open_ids and s["van2"].id in open_ids
    # and it reads like any of alex's codings through the coding API
    mine = alex.get(f"/api/p/{web.pid}/codings", params={"document": DOC, "coder": CODER_A})
    assert any(c["id"] == added[0].id and c["path"] == STAFFING for c in mine.json())
    # a second accept changes nothing and says why
    again = footprint(web)
    r = alex.post(url(web, f"/{s['van'].id}/accept"))
    assert r.status_code == 409 and r.json()["kind"] == "ConflictError"
    assert "no longer open" in r.json()["error"]
    assert footprint(web) == again


def test_an_owner_accepts_into_another_layer_a_coder_may_not(web: Any) -> None:
    s = seed(web)
    r = web.client(OWNER).post(url(web, f"/{s['miles'].id}/accept"), json={"into": CODER_B})
    assert r.status_code == 200, r.text
    assert r.json()["into"] == CODER_B
    start, end = span_of(web.as_user(OWNER), DOC, MILES)
    assert [(c.path, c.start, c.end) for c in own_layer(web, CODER_B)][-1:] == [
        (PHYSICAL, start, end)
    ] or (PHYSICAL, start, end) in [(c.path, c.start, c.end) for c in own_layer(web, CODER_B)]
    before = footprint(web)
    r = web.client(CODER_A).post(url(web, f"/{s['oven'].id}/accept"), json={"into": CODER_B})
    assert r.status_code == 403, r.text
    assert footprint(web) == before
    assert suggestion_state(web.project, s["oven"].id)[0] == "open"


def test_rejecting_hides_it_and_codes_nothing(web: Any) -> None:
    s = seed(web)
    sam = web.client(CODER_B)
    codings_before = len(own_layer(web, CODER_B))
    r = sam.post(url(web, f"/{s['oven'].id}/reject"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["rejected"]) == ("rejected", 1)
    assert suggestion_state(web.project, s["oven"].id)[:2] == ("rejected", CODER_B)
    assert len(own_layer(web, CODER_B)) == codings_before
    rows = sam.get(url(web), params={"document": DOC}).json()
    assert s["oven"].id not in [row["id"] for row in rows]
    rejected = sam.get(url(web), params={"status": "rejected"}).json()
    assert [row["id"] for row in rejected] == [s["oven"].id]
    r = sam.post(url(web, f"/{s['oven'].id}/reject"))
    assert r.status_code == 409, r.text


def test_a_viewer_reads_but_changes_nothing(web: Any) -> None:
    s = seed(web)
    vera = web.client(VIEWER)
    assert len(vera.get(url(web), params={"document": DOC}).json()) == 4
    before = footprint(web)
    for path, body in [
        (f"/{s['van'].id}/accept", None),
        (f"/{s['van'].id}/reject", None),
        ("/run", {"documents": [DOC], "backend": "tfidf"}),
    ]:
        r = vera.post(url(web, path), json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["kind"] == "PermissionDenied"
        assert footprint(web) == before, path
    assert suggestion_state(web.project, s["van"].id) == ("open", None, None)


def test_an_outsider_gets_404_and_learns_nothing(web: Any) -> None:
    s = seed(web)
    otto = web.client(OUTSIDER)
    before = footprint(web)
    for method, path, body in [
        ("GET", "", None),
        ("POST", f"/{s['van'].id}/accept", None),
        ("POST", f"/{s['van'].id}/reject", None),
        ("POST", "/run", {"documents": [DOC]}),
    ]:
        r = otto.request(method, url(web, path), params={"document": DOC}, json=body)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert "van" not in r.text and "Staffing" not in r.text
    assert footprint(web) == before


def test_a_state_change_needs_the_csrf_token(web: Any) -> None:
    s = seed(web)
    before = footprint(web)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        alex = web.client(CODER_A, csrf=False)
        alex.headers.update(headers)
        for path in (f"/{s['van'].id}/accept", f"/{s['van'].id}/reject", "/run"):
            r = alex.post(url(web, path), json={"documents": [DOC]} if path == "/run" else None)
            assert r.status_code == 403, (path, r.text)
            assert "CSRF" in r.json()["error"]
    assert footprint(web) == before
    assert suggestion_state(web.project, s["van"].id)[0] == "open"


def test_bad_ids_and_input_are_json_errors(web: Any) -> None:
    seed(web)
    owner = web.client(OWNER)
    before = footprint(web)
    for path, status in [
        ("/987654/accept", 404),
        ("/987654/reject", 404),
        ("/abc/accept", 422),
        (f"/{2**70}/reject", 400),
    ]:
        r = owner.post(url(web, path))
        assert r.status_code == status, (path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"]
    for params in ({"document": "no-such-doc"}, {"status": "maybe"}, {"min_score": 2}):
        r = owner.get(url(web), params=params)
        assert r.status_code in (404, 422), (params, r.text)
        assert r.json()["error"]
    for body in (
        {"documents": ["no-such-doc"]},
        {"documents": []},
        {"documents": [DOC], "unit": "chapter"},
        {"documents": [DOC], "top": 0},
        {"documents": [DOC], "surprise": 1},
        {"documents": [DOC], "backend": "no-such-model"},
    ):
        r = owner.post(url(web, "/run"), json=body)
        assert r.status_code in (400, 404, 422), (body, r.text)
        assert r.json()["error"]
    assert footprint(web) == before


def test_a_layer_learned_from_sams_coding_stays_hidden_from_alex_while_blind(web: Any) -> None:
    """An AI layer that learned from sam's layer is as closed to alex as sam's layer is."""
    seed(web)
    learned = seed_suggestions(
        web.as_user(OWNER),
        DOC,
        [(MILES, "Staffing", 0.55, 2)],
        layer="ai:learned-from-sam",
        learned_from=[{"layer": CODER_B, "kind": "human"}],
    )[0]
    ids = lambda user: [  # noqa: E731
        row["id"] for row in web.client(user).get(url(web), params={"document": DOC}).json()
    ]
    assert learned.id in ids(OWNER) and learned.id in ids(CODER_B)
    assert learned.id not in ids(CODER_A) and len(ids(CODER_A)) == 4
    before = footprint(web)
    r = web.client(CODER_A).post(url(web, f"/{learned.id}/accept"))
    assert r.status_code in (403, 404), r.text
    assert footprint(web) == before
    page = web.client(CODER_A).get(f"/p/{web.pid}/read/{DOC}")
    data = reader_data(page.text)
    assert learned.id not in [row["id"] for row in data["suggestions"]]


def reader_data(html: str) -> Any:
    found = re.search(
        r'<script type="application/json" id="reader-data">(.*?)</script>', html, re.S
    )
    assert found, "the reading page has no reader data"
    return json.loads(found.group(1))


def test_the_reading_page_carries_them_and_shows_ai_layers_only_as_suggestions(web: Any) -> None:
    s = seed(web)
    for user, can_code in ((CODER_A, True), (VIEWER, False)):
        data = reader_data(web.client(user).get(f"/p/{web.pid}/read/{DOC}").text)
        assert [row["id"] for row in data["suggestions"]] == [
            s["van"].id, s["van2"].id, s["miles"].id, s["oven"].id
        ]  # fmt: skip
        assert data["canCode"] is can_code
        # the AI layer's codings are drawn as dashed suggestions, not as solid codings
        assert LAYER not in data["shown"], (user, data["shown"])
    # a viewer's page has no control that writes
    html = web.client(VIEWER).get(f"/p/{web.pid}/read/{DOC}").text
    assert 'id="sg-tools"' in html and "Suggest codes" not in html


def test_the_run_form_lists_the_models_this_server_has(web: Any) -> None:
    for user in (CODER_A, VIEWER):
        rows = web.client(user).get(url(web, "/backends")).json()
        names = [row["name"] for row in rows]
        assert {"tfidf", "minilm", "mpnet", "static", "server"} <= set(names), names
        tfidf = next(row for row in rows if row["name"] == "tfidf")
        assert tfidf["installed"] is True and tfidf["model"] == "tfidf"
        assert sum(1 for row in rows if row["default"]) == 1
        server = next(row for row in rows if row["name"] == "server")
        assert server["installed"] is False  # no team server configured: nothing leaves
        assert "chat" not in names
    web.as_user(OWNER).configure(ai_url="http://127.0.0.1:9/v1", ai_model="tiny-chat")
    rows = web.client(CODER_A).get(url(web, "/backends")).json()
    chat = next(row for row in rows if row["name"] == "chat")
    assert (chat["model"], chat["installed"]) == ("tiny-chat", True)
    assert "127.0.0.1" not in json.dumps(rows)  # the server's address is not handed out
    assert web.client(OUTSIDER).get(url(web, "/backends")).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_run_that_cannot_work_fails_in_one_line_and_stores_nothing(web: Any) -> None:
    """The team server backend with no server configured: the job fails with the service's
    one-line reason (no traceback), and no suggestion is stored."""
    alex = web.client(CODER_A)
    r = alex.post(url(web, "/run"), json={"documents": [DOC], "backend": "server"})
    assert r.status_code == 202, r.text
    state = wait_for(web, r.json()["job"], alex)
    assert state["status"] == "failed", state
    assert "\n" not in state["message"] and "Traceback" not in state["message"]
    assert "ai_url" in state["message"] or "server" in state["message"], state["message"]
    assert alex.get(url(web), params={"status": "all"}).json() == []


def wait_for(web: Any, job: int, who: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = who.get(f"/api/p/{web.pid}/jobs/{job}").json()
        if state["status"] in ("done", "failed"):
            return dict(state)
        time.sleep(0.1)
    raise AssertionError("the suggest job did not finish")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_coder_runs_suggestions_as_a_job_and_sees_them(web: Any) -> None:
    """TF-IDF (no model to load) on one document: the job ends done, says how many it stored,
    and those are what the document now lists, in an ``ai:`` layer."""
    alex = web.client(CODER_A)
    r = alex.post(url(web, "/run"), json={"documents": [DOC], "backend": "tfidf", "top": 1})
    assert r.status_code == 202, r.text
    state = wait_for(web, r.json()["job"], alex)
    assert state["status"] == "done", state
    rows = alex.get(url(web), params={"document": DOC}).json()
    assert rows, state
    assert {row["layer"] for row in rows} == {"ai:tfidf"}
    assert all(row["rank"] == 1 and 0.0 <= row["score"] <= 1.0 for row in rows)
    said = re.search(r"(\d+) suggestions?", state["message"])
    assert said and int(said.group(1)) == len(rows), state["message"]
    text = web.as_user(OWNER).documents.get(DOC).text
    assert all(row["text"] == text[row["start"] : row["end"]] for row in rows)
