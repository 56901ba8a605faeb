"""The de-identification review API, on SQLite and PostgreSQL: listing a document's proposed
redactions with the placeholders they will become, accepting, rejecting, editing and adding
one, accepting the rest, and committing (the text rewritten, codings moved with it); who may
do what (coder and viewer 403, outsider 404, CSRF); bad ids, spans and bodies as one-line 4xx
JSON; finding identifiers as a job.

Proposals are stored straight into the database (deid_web_seed.py) on a fictional transcript,
so every expected offset and placeholder below is worked out by hand from the text and the
default templates ("[person {n}]", "[place {n}]", ...), not from the code under test.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from deid_web_seed import DOC, FOUND, TEXT, import_document, proposal_state, seed_proposals
from sqlalchemy import func, select

from conftest import CODER_A, OUTSIDER, OWNER, VIEWER
from thematica.store import schema as t


def url(web: Any, tail: str = "") -> str:
    return f"/api/p/{web.pid}/deid{tail}"


def prepared(web: Any, tmp_path: Path) -> dict[str, Any]:
    owner = web.as_user(OWNER)
    text = import_document(owner, tmp_path)
    assert text == TEXT  # nothing to normalise: the offsets below are the literal's
    rows = seed_proposals(owner)
    assert [r.text for r in rows] == [words for words, _, _ in FOUND]
    names = ("maria", "harbor", "millbrook", "phone", "okafor")
    return {"text": text, **dict(zip(names, rows, strict=True))}


def footprint(web: Any) -> tuple[Any, ...]:
    """Proposals by status, key terms, jobs, audit entries and the document's text."""
    p = t.deid_proposal.c
    with web.project.db.read() as conn:
        by_status = dict(conn.execute(select(p.status, func.count()).group_by(p.status)).all())
        return (
            sorted(by_status.items()),
            int(conn.scalar(select(func.count()).select_from(t.deid_term)) or 0),
            int(conn.scalar(select(func.count()).select_from(t.job)) or 0),
            int(conn.scalar(select(func.max(t.audit_log.c.id))) or 0),
            conn.scalar(select(t.document.c.text).where(t.document.c.name == DOC)),
        )


def one_line_error(r: Any, status: int | tuple[int, ...]) -> str:
    wanted = (status,) if isinstance(status, int) else status
    assert r.status_code in wanted, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    message = r.json()["error"]
    assert message and "\n" not in message and "Traceback" not in message
    return str(message)


def test_an_owner_lists_the_proposals_with_what_each_will_become(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    owner = web.client(OWNER)
    r = owner.get(url(web, "/proposals"), params={"document": DOC})
    assert r.status_code == 200, r.text
    rows = r.json()
    # text order; the placeholders the default templates give, numbered per type in order
    assert [(x["id"], x["start"], x["end"], x["text"], x["entity_type"], x["placeholder"])
            for x in rows] == [
        (s["maria"].id, 64, 75, "Maria Lopez", "PERSON", "[person 1]"),
        (s["harbor"].id, 86, 98, "Harbor House", "ORGANIZATION", "[organisation 1]"),
        (s["millbrook"].id, 102, 111, "Millbrook", "LOCATION", "[place 1]"),
        (s["phone"].id, 131, 139, "555-0134", "PHONE_NUMBER", "[phone number]"),
        (s["okafor"].id, 213, 219, "Okafor", "PERSON", "[person 2]"),
    ]  # fmt: skip
    assert TEXT[64:75] == "Maria Lopez" and TEXT[213:219] == "Okafor"  # code points
    first = rows[0]
    assert (first["status"], first["score"], first["recogniser"], first["document"]) == (
        "proposed", 0.85, "test-recogniser", DOC)  # fmt: skip
    assert first["before"] == "work with most? \U0001f642\nParticipant 9: Mostly "  # 40 code points
    assert first["after"] == ". She runs Harbor House in Millbrook, an"
    # filters
    assert len(owner.get(url(web, "/proposals"), params={"status": "proposed"}).json()) == 5
    assert owner.get(url(web, "/proposals"), params={"status": "accepted"}).json() == []
    people = owner.get(url(web, "/proposals"), params={"entity_type": "PERSON"}).json()
    assert [x["id"] for x in people] == [s["maria"].id, s["okafor"].id]
    types = {p["entity_type"]: p["template"] for p in owner.get(url(web, "/placeholders")).json()}
    assert types["PERSON"] == "[person {n}]" and types["LOCATION"] == "[place {n}]"


def test_review_then_commit_rewrites_the_text_and_moves_codings(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    owner = web.client(OWNER)
    alex = web.as_user(CODER_A)
    shift = TEXT.index("before every shift")
    coding = alex.coding.apply(DOC, "Staffing", shift, shift + len("before every shift"),
                               coder=CODER_A)  # fmt: skip

    r = owner.post(url(web, f"/proposals/{s['maria'].id}/accept"))
    assert r.status_code == 200, r.text
    assert r.json() == {"id": s["maria"].id, "status": "accepted", "changed": 1}
    assert proposal_state(web.project, s["maria"].id)[:2] == ("accepted", OWNER)
    again = owner.post(url(web, f"/proposals/{s['maria'].id}/accept"))
    assert again.status_code == 200 and again.json()["changed"] == 0

    r = owner.post(url(web, f"/proposals/{s['okafor'].id}/reject"))
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    assert proposal_state(web.project, s["okafor"].id)[:2] == ("rejected", OWNER)

    # editing: the reviewer's own placeholder; the proposal becomes accepted
    r = owner.patch(url(web, f"/proposals/{s['harbor'].id}"), json={"placeholder": "[the shelter]"})
    assert r.status_code == 200, r.text
    assert (r.json()["placeholder"], r.json()["status"]) == ("[the shelter]", "accepted")
    assert proposal_state(web.project, s["harbor"].id) == (
        "accepted", OWNER, 86, 98, "Harbor House", "ORGANIZATION", "[the shelter]")  # fmt: skip

    # adding: the reviewer selects "Maria" in the last turn
    maria2 = TEXT.index("Maria says")
    r = owner.post(url(web, "/proposals"), json={
        "document": DOC, "start": maria2, "end": maria2 + 5, "entity_type": "PERSON",
        "placeholder": "[my colleague]"})  # fmt: skip
    assert r.status_code == 201, r.text
    (added,) = r.json()
    assert (added["start"], added["end"], added["text"], added["status"]) == (
        221, 226, "Maria", "accepted")  # fmt: skip
    assert (added["recogniser"], added["placeholder"]) == ("reviewer", "[my colleague]")

    # the rest (Millbrook, the phone number) in one go
    r = owner.post(url(web, "/accept-all"), params={"document": DOC})
    assert r.status_code == 200 and r.json() == {"accepted": 2}, r.text
    counts = {x["status"] for x in owner.get(url(web, "/proposals")).json()}
    assert counts == {"accepted", "rejected"}

    r = owner.post(url(web, "/commit"), json={"documents": [DOC]})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["documents"], report["replaced"]) == (1, 5)
    assert report["placeholders"] == {
        "[person 1]": 1, "[the shelter]": 1, "[place 1]": 1, "[phone number]": 1,
        "[my colleague]": 1}  # fmt: skip
    assert report["codings_moved"] >= 1 and report["codings_lost"] == 0
    expected = (
        "Interviewer: Who do you work with most? \U0001f642\n"
        "Participant 9: Mostly [person 1]. She runs [the shelter] in [place 1], "
        "and I ring her on [phone number] before every shift.\n"
        "Interviewer: And your supervisor?\n"
        "Participant 9: Dr. Okafor. [my colleague] says he is fair, <b>mostly</b>.\n"
    )
    assert web.as_user(OWNER).documents.get(DOC).text == expected
    moved = [c for c in alex.coding.in_document(DOC, coder=[CODER_A]) if c.id == coding]
    assert [c.text for c in moved] == ["before every shift"]
    committed = owner.get(url(web, "/proposals"), params={"status": "committed"}).json()
    assert len(committed) == 5 and {x["text"] for x in committed} == {""}
    assert proposal_state(web.project, s["okafor"].id)[0] == "rejected"
    # past reviewing now
    r = owner.post(url(web, f"/proposals/{s['maria'].id}/reject"))
    one_line_error(r, (400, 409))
    # nothing left to commit: nothing changes
    before = footprint(web)
    r = owner.post(url(web, "/commit"), json={"documents": [DOC]})
    assert r.status_code == 200 and r.json()["replaced"] == 0
    assert footprint(web)[0] == before[0] and footprint(web)[4] == expected


def test_coders_and_viewers_are_refused_and_outsiders_see_nothing(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    pid = s["maria"].id
    writes: list[tuple[str, str, Any, Any]] = [
        ("POST", f"/proposals/{pid}/accept", None, None),
        ("POST", f"/proposals/{pid}/reject", None, None),
        ("PATCH", f"/proposals/{pid}", {"placeholder": "[x]"}, None),
        ("POST", "/proposals", {"document": DOC, "start": 0, "end": 11}, None),
        ("POST", "/accept-all", None, {"document": DOC}),
        ("POST", "/commit", {"documents": [DOC]}, None),
        ("POST", "/detect", {"documents": [DOC]}, None),
    ]
    reads: list[tuple[str, str, Any, Any]] = [
        ("GET", "/proposals", None, {"document": DOC}),
        ("GET", "/placeholders", None, None),
    ]
    before = footprint(web)
    for user, status in ((CODER_A, 403), (VIEWER, 403), (OUTSIDER, 404)):
        c = web.client(user)
        for method, tail, body, params in writes + reads:
            r = c.request(method, url(web, tail), json=body, params=params)
            assert r.status_code == status, (user, method, tail, r.text)
            assert r.json()["kind"] == ("PermissionDenied" if status == 403 else "NotFoundError")
            assert "Maria" not in r.text and "Okafor" not in r.text
            assert footprint(web) == before, (user, tail)
    assert proposal_state(web.project, pid)[0] == "proposed"


def test_a_change_without_the_csrf_token_is_refused(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    before = footprint(web)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        owner = web.client(OWNER, csrf=False)
        owner.headers.update(headers)
        for method, tail, body in [
            ("POST", f"/proposals/{s['maria'].id}/accept", None),
            ("POST", f"/proposals/{s['maria'].id}/reject", None),
            ("PATCH", f"/proposals/{s['maria'].id}", {"placeholder": "[x]"}),
            ("POST", "/proposals", {"document": DOC, "start": 0, "end": 11}),
            ("POST", "/accept-all", None),
            ("POST", "/commit", {"documents": [DOC]}),
            ("POST", "/detect", {"documents": [DOC]}),
        ]:
            r = owner.request(method, url(web, tail), json=body)
            assert r.status_code == 403 and "CSRF" in r.json()["error"], (tail, r.text)
        assert owner.get(url(web, "/proposals")).status_code == 200  # reading needs none
    assert footprint(web) == before


def test_bad_ids_spans_and_bodies_are_one_line_4xx(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    owner = web.client(OWNER)
    owner.post(url(web, f"/proposals/{s['maria'].id}/accept"))
    before = footprint(web)
    m = s["maria"].id
    cases: list[tuple[str, str, Any, Any, int | tuple[int, ...]]] = [
        ("POST", "/proposals/987654/accept", None, None, 404),
        ("POST", "/proposals/987654/reject", None, None, 404),
        ("PATCH", "/proposals/987654", {"placeholder": "[x]"}, None, 404),
        ("POST", "/proposals/0/accept", None, None, 422),
        ("POST", f"/proposals/{2**40}/accept", None, None, 422),
        ("POST", "/proposals/abc/reject", None, None, 422),
        ("PATCH", f"/proposals/{m}", {}, None, 422),  # nothing to change
        ("PATCH", f"/proposals/{m}", {"start": 73, "end": 62}, None, 400),  # backwards
        ("PATCH", f"/proposals/{m}", {"end": len(TEXT) + 5}, None, 400),  # past the end
        ("PATCH", f"/proposals/{m}", {"entity_type": "NOT_A_TYPE"}, None, 400),
        ("POST", "/proposals", {"document": DOC, "start": 5, "end": 5}, None, 400),  # empty
        ("POST", "/proposals", {"document": DOC, "start": 0, "end": 9999}, None, 400),
        ("POST", "/proposals", {"document": DOC, "start": 60, "end": 70}, None, (400, 409)),
        ("POST", "/proposals", {"document": DOC, "start": 0, "end": 4, "text": "x"}, None, 422),
        ("POST", "/proposals", {"document": DOC, "start": 0}, None, 422),
        ("POST", "/proposals", {"document": DOC}, None, 422),
        ("POST", "/proposals", {"document": "no-such-doc", "start": 0, "end": 4}, None, 404),
        ("POST", "/proposals", {"document": DOC, "start": 0, "end": 4, "extra": 1}, None, 422),
        ("GET", "/proposals", None, {"status": "bogus"}, 422),
        ("GET", "/proposals", None, {"document": "no-such-doc"}, 404),
        ("POST", "/accept-all", None, {"document": "no-such-doc"}, 404),
        ("POST", "/commit", {"documents": ["no-such-doc"]}, None, 404),
        ("POST", "/commit", {"documents": []}, None, 422),
        ("POST", "/detect", {"documents": ["no-such-doc"]}, None, 404),
    ]
    for method, tail, body, params, status in cases:
        r = owner.request(method, url(web, tail), json=body, params=params)
        one_line_error(r, status)
        assert footprint(web) == before, (method, tail)
    # overlapping another accepted redaction: refused, said so
    r = owner.patch(url(web, f"/proposals/{s['harbor'].id}"), json={"start": 60, "end": 80})
    assert "overlap" in one_line_error(r, (400, 409)).lower()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_finding_identifiers_runs_as_a_job(web: Any, tmp_path: Path) -> None:
    """The detect route starts a job (its documents checked first) whose end the jobs API
    reports; with the recognisers installed it proposes the transcript's names. (SQLite only:
    the service's own tests detect on both backends; loading the model costs seconds.)"""
    from thematica.intake.deid.engine import engine_available

    owner_project = web.as_user(OWNER)
    import_document(owner_project, tmp_path)
    owner = web.client(OWNER)
    r = owner.post(url(web, "/detect"), json={"documents": [DOC, DOC]})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    deadline = time.monotonic() + 120
    while True:
        state = owner.get(f"/api/p/{web.pid}/jobs/{job}").json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    reason = engine_available()
    if reason:
        assert state["status"] == "failed" and state["message"] == reason
        return
    assert state["status"] == "done", state
    assert "proposed in 1 document" in state["message"]
    rows = owner.get(url(web, "/proposals"), params={"document": DOC}).json()
    found = {(x["text"], x["entity_type"]) for x in rows}
    assert ("Maria Lopez", "PERSON") in found, found
    assert {x["status"] for x in rows} == {"proposed"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_one_detection_runs_at_a_time(
    web: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a detection job runs, starting another is a conflict naming it (and starts
    nothing); once it has finished, a new one starts. (The jobs, not detection, are under
    test: the field recognisers alone, without loading spaCy.)"""
    import threading

    from thematica.intake.deid import engine
    from thematica.services.jobs import JobResult

    original = engine.Detector.__init__

    def light(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["ner"] = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(engine.Detector, "__init__", light)

    owner_project = web.as_user(OWNER)
    import_document(owner_project, tmp_path)
    release = threading.Event()

    def blocked(progress: Any) -> JobResult:
        release.wait(30)
        return JobResult("done")

    running = owner_project.jobs.start("deid-detect", blocked)
    owner = web.client(OWNER)
    jobs_before = footprint(web)[2]
    r = owner.post(url(web, "/detect"), json={"documents": [DOC]})
    assert f"(job {running})" in one_line_error(r, 409)
    assert r.json()["detail"]["job"] == running
    assert footprint(web)[2] == jobs_before
    release.set()
    deadline = time.monotonic() + 10
    while owner.get(f"/api/p/{web.pid}/jobs/{running}").json()["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = owner.post(url(web, "/detect"), json={"documents": [DOC]})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    deadline = time.monotonic() + 120  # let it end before the database goes
    while owner.get(f"/api/p/{web.pid}/jobs/{job}").json()["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_detect_with_an_encrypted_key_is_refused_before_any_job(web: Any, tmp_path: Path) -> None:
    """An encrypted key with known names needs its passphrase to search for them: without it
    (or with a wrong one) the request is a 400 at once, naming the passphrase, and no job is
    started; the passphrase is never echoed."""
    owner_project = web.as_user(OWNER)
    import_document(owner_project, tmp_path)
    owner_project.deid.add_name("Harbor House", entity_type="ORGANIZATION")
    owner_project.deid.encrypt_key("correct horse battery")
    owner = web.client(OWNER)
    before = footprint(web)
    r = owner.post(url(web, "/detect"), json={"documents": [DOC]})
    message = one_line_error(r, 400)
    assert "the de-identification key is encrypted: give its passphrase" in message
    assert r.json()["detail"]["hint"] == "passphrase"
    r = owner.post(url(web, "/detect"), json={"documents": [DOC], "passphrase": "wrong horse 12"})
    one_line_error(r, 400)
    assert "wrong horse" not in r.text
    assert footprint(web) == before  # no job, nothing written


def test_a_placeholder_that_would_shift_offsets_is_refused(web: Any, tmp_path: Path) -> None:
    s = prepared(web, tmp_path)
    owner = web.client(OWNER)
    before = footprint(web)
    for bad, said in [
        ("[a\x00b]", "NUL"),  # the web refuses a NUL anywhere in a request
        ("[a\x0cb]", "U+000C"),
        ("[a\ufffeb]", "U+FFFE"),
        ("[a\u200bb]", "U+200B"),
        ("[a\u2028b]", "not in the form document text is stored in"),
        ("[cafe\u0301]", "not in the form document text is stored in"),
    ]:
        r = owner.patch(url(web, f"/proposals/{s['maria'].id}"), json={"placeholder": bad})
        assert said in one_line_error(r, 400), bad
        r = owner.post(
            url(web, "/proposals"),
            json={"document": DOC, "start": 0, "end": 11, "placeholder": bad},
        )
        assert said in one_line_error(r, 400), bad
    assert footprint(web) == before
    r = owner.patch(url(web, f"/proposals/{s['maria'].id}"), json={"placeholder": "[café]"})
    assert r.status_code == 200, r.text  # composed accents are fine


def test_placeholder_templates_keep_to_stored_text() -> None:
    """The check itself, for the command line too: a template that normalisation would change
    or that holds an invisible, surrogate or unassigned character is refused in one line."""
    from thematica.core.errors import InputError
    from thematica.intake.deid.placeholders import validate_template

    for bad, said in [
        ("[a\x00b {n}]", "U+0000"),
        ("[a\tb]", "U+0009"),
        ("[a\ud800]", "U+D800"),
        ("[a\u0378]", "U+0378"),  # unassigned
        ("[a\u2029b]", "composed accents, no line or page breaks"),
        ("[e\u0301 {n}]", "composed accents, no line or page breaks"),
    ]:
        with pytest.raises(InputError) as err:
            validate_template(bad)
        assert said in str(err.value) and "\n" not in str(err.value), bad
    assert validate_template(" [caf\u00e9 {n}] ") == "[caf\u00e9 {n}]"
    assert validate_template("[\U0001f642 {n}]") == "[\U0001f642 {n}]"  # an emoji is visible
