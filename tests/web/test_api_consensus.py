"""The compare-and-reconcile API on both backends: the comparison of alex and sam, every kind of
consensus decision and what it writes, refusals that change nothing, blind coding, status
counts, and agreement as the face reports it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import CODER_A, OWNER, VIEWER
from thematica.store import schema as t

DOC = "P01-interview"
PHYSICAL = "Individual/Navigating the variability of the physical environment"
GUILT = "Individual/Navigating boundary setting and self-care/Feelings of guilt"


def decisions(web: Any) -> int:
    with web.project.db.read() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(t.consensus_decision.c.project_id == web.project.id)
            )
            or 0
        )


def layer(web: Any, document: str | None = None) -> set[tuple[str, str, int, int]]:
    """The consensus layer as (document, code, start, end), read through the services."""
    p = web.as_user(OWNER)
    if "consensus" not in p.coding.coders():
        return set()
    return {
        (r.document, r.code, r.start, r.end)
        for r in p.coding.list(coder="consensus", document=document)
    }


def coder_set(web: Any, coder: str, document: str) -> set[tuple[str, int, int]]:
    rows = web.as_user(OWNER).coding.list(coder=coder, document=document)
    return {(r.code, r.start, r.end) for r in rows}


def started(web: Any) -> Any:
    owner = web.client(OWNER)
    r = owner.post(f"/api/p/{web.pid}/consensus/start", json={"coders": ["alex", "sam"]})
    assert r.status_code == 200, r.text
    return owner


def open_count(client: Any, web: Any) -> int:
    r = client.get(f"/api/p/{web.pid}/consensus/status")
    assert r.status_code == 200, r.text
    return int(r.json()["open"])


def test_start_and_list_the_disagreements_of_a_document(web: Any) -> None:
    owner = web.client(OWNER)
    assert owner.get(f"/api/p/{web.pid}/consensus/layers").json() == []
    # before the layer exists the comparison already shows both coders, identical ones agreed
    before = owner.get(
        f"/api/p/{web.pid}/consensus/comparison",
        params={"document": DOC, "coders": "alex,sam"},
    )
    assert before.status_code == 200, before.text
    view = before.json()
    assert view["layer"] is None and view["coders"] == ["alex", "sam"]
    alex, sam = coder_set(web, "alex", DOC), coder_set(web, "sam", DOC)
    assert {(s["code"], s["start"], s["end"]) for s in view["coder_a"]} == alex
    assert {(s["code"], s["start"], s["end"]) for s in view["coder_b"]} == sam
    identical = alex & sam
    agreed = [i for i in view["items"] if i["state"] == "agreed"]
    assert {(i["a"]["code"], i["a"]["start"], i["a"]["end"]) for i in agreed} == identical

    r = owner.post(f"/api/p/{web.pid}/consensus/start", json={"coders": ["alex", "sam"]})
    assert r.status_code == 200, r.text
    assert r.json()["layer"] == "consensus"
    assert owner.get(f"/api/p/{web.pid}/consensus/layers").json() == ["consensus"]
    # exactly the identical codings went into the layer
    assert layer(web, DOC) == {(DOC, *x) for x in identical}

    r = owner.get(f"/api/p/{web.pid}/consensus/disagreements", params={"document": DOC})
    assert r.status_code == 200, r.text
    rows = r.json()
    assert rows and all(row["document"] == DOC for row in rows)
    # every coding of either coder that is not identical is the side of one open disagreement
    sides_a = {(x["code_a"], x["start_a"], x["end_a"]) for x in rows if x["code_a"]}
    sides_b = {(x["code_b"], x["start_b"], x["end_b"]) for x in rows if x["code_b"]}
    assert sides_a == alex - identical
    assert sides_b == sam - identical
    # the demo's one boundary in P01: both coded the physical environment from 941, alex to
    # 1172 and sam to 1262 (read off the transcripts' coding)
    boundary = [x for x in rows if x["kind"] == "boundary"]
    assert [(x["code"], x["start_a"], x["end_a"], x["start_b"], x["end_b"]) for x in boundary] == [
        (PHYSICAL, 941, 1172, 941, 1262)
    ]
    only_b = owner.get(
        f"/api/p/{web.pid}/consensus/disagreements",
        params={"document": DOC, "kind": "only_b"},
    ).json()
    assert only_b and {x["kind"] for x in only_b} == {"only_b"}
    bad = owner.get(f"/api/p/{web.pid}/consensus/disagreements", params={"kind": "nonsense"})
    assert bad.status_code == 400 and "unknown kind" in bad.json()["error"]


def _decide(
    client: Any, web: Any, body: dict[str, Any], path: str = "decisions"
) -> tuple[Any, set[tuple[str, str, int, int]], set[tuple[str, str, int, int]]]:
    """Post a decision; returns the response, what it added to and removed from the layer."""
    before = layer(web)
    open_before = open_count(client, web)
    r = client.post(f"/api/p/{web.pid}/consensus/{path}", json=body)
    assert r.status_code == 201, r.text
    after = layer(web)
    assert open_count(client, web) == open_before - 1
    return r, after - before, before - after


def test_each_kind_of_decision_writes_exactly_its_codings(web: Any) -> None:
    owner = started(web)
    open_ = owner.get(f"/api/p/{web.pid}/consensus/disagreements").json()
    bounds = [x for x in open_ if x["kind"] == "boundary"]
    only_a = [x for x in open_ if x["kind"] == "only_a"]
    only_b = [x for x in open_ if x["kind"] == "only_b"]
    assert len(bounds) >= 5 and only_a and only_b

    def span(x: dict[str, Any], side: str) -> tuple[str, str, int, int]:
        return (x["document"], x[f"code_{side}"], x[f"start_{side}"], x[f"end_{side}"])

    b = bounds
    r, added, removed = _decide(
        owner, web, {"disagreement": b[0]["id"], "action": "keep_a", "reason": "A's is tighter"}
    )
    assert (added, removed) == ({span(b[0], "a")}, set())
    assert r.json()["action"] == "keep_a" and r.json()["reason"] == "A's is tighter"

    _r, added, removed = _decide(owner, web, {"disagreement": b[1]["id"], "action": "keep_b"})
    assert (added, removed) == ({span(b[1], "b")}, set())

    _r, added, removed = _decide(owner, web, {"disagreement": b[2]["id"], "action": "keep_both"})
    assert (added, removed) == ({span(b[2], "a"), span(b[2], "b")}, set())

    # merge: one coding from the earlier start to the later end
    x = b[3]
    _r, added, removed = _decide(owner, web, {"disagreement": x["id"], "action": "merge"})
    union = (x["document"], x["code"], min(x["start_a"], x["start_b"]), max(x["end_a"], x["end_b"]))
    assert (added, removed) == ({union}, set())

    # edit: the span the meeting gives, the coders' code
    x = b[4]
    s, e = x["start_a"] + 3, x["end_a"] - 2
    _r, added, removed = _decide(
        owner,
        web,
        {"disagreement": x["id"], "action": "edit", "start": s, "end": e, "reason": "trim"},
    )
    assert (added, removed) == ({(x["document"], x["code"], s, e)}, set())

    # drop: nothing written; keep an only-B coding: B's span
    _r, added, removed = _decide(owner, web, {"disagreement": only_a[0]["id"], "action": "drop"})
    assert (added, removed) == (set(), set())
    _r, added, removed = _decide(owner, web, {"disagreement": only_b[0]["id"], "action": "keep_b"})
    assert (added, removed) == ({span(only_b[0], "b")}, set())

    # the comparison shows the decision in force on its pairing
    view = owner.get(
        f"/api/p/{web.pid}/consensus/comparison",
        params={"document": b[0]["document"], "coders": "alex,sam"},
    ).json()
    item = next(i for i in view["items"] if i["id"] == b[0]["id"])
    assert (item["state"], item["action"], item["reason"]) == (
        "decided",
        "keep_a",
        "A's is tighter",
    )
    assert [(r["code"], r["start"], r["end"]) for r in item["results"]] == [span(b[0], "a")[1:]]


def test_a_decision_records_who_decided(web: Any) -> None:
    """Without decided_by a decision is the signed-in owner's (not "alex+sam"); a team meeting
    names itself; the log, the comparison and the decision's own row say the same."""
    owner = started(web)
    open_ = owner.get(f"/api/p/{web.pid}/consensus/disagreements").json()
    alone, meeting, added_by = open_[0], open_[1], open_[2]
    r = owner.post(
        f"/api/p/{web.pid}/consensus/decisions",
        json={"disagreement": alone["id"], "action": "drop"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["decided_by"] == OWNER
    r = owner.post(
        f"/api/p/{web.pid}/consensus/decisions",
        json={"disagreement": meeting["id"], "action": "drop", "decided_by": " alex+sam "},
    )
    assert r.status_code == 201 and r.json()["decided_by"] == "alex+sam"
    # an empty name is no name: the signed-in owner again
    r = owner.post(
        f"/api/p/{web.pid}/consensus/decisions",
        json={"disagreement": added_by["id"], "action": "drop", "decided_by": "  "},
    )
    assert r.status_code == 201 and r.json()["decided_by"] == OWNER
    log = owner.get(f"/api/p/{web.pid}/consensus/log", params={"include_agreed": False}).json()
    by = {row["disagreement"]: row["decided_by"] for row in log}
    assert by == {alone["id"]: OWNER, meeting["id"]: "alex+sam", added_by["id"]: OWNER}
    add = owner.post(
        f"/api/p/{web.pid}/consensus/additions",
        json={"document": DOC, "code": GUILT, "start": 0, "end": 10, "reason": "missed"},
    )
    assert add.status_code == 201 and add.json()["decided_by"] == OWNER
    # the same through the services: the stored decision names olivia
    rows = web.as_user(OWNER).consensus.log(include_agreed=False).rows
    assert {r.decided_by for r in rows} == {OWNER, "alex+sam"}


def test_revising_an_earlier_decision_replaces_its_codings(web: Any) -> None:
    owner = started(web)
    x = next(
        d
        for d in owner.get(f"/api/p/{web.pid}/consensus/disagreements").json()
        if d["kind"] == "boundary"
    )
    a = (x["document"], x["code_a"], x["start_a"], x["end_a"])
    b = (x["document"], x["code_b"], x["start_b"], x["end_b"])
    _decide(owner, web, {"disagreement": x["id"], "action": "keep_a"})
    n, before = decisions(web), layer(web)
    again = owner.post(
        f"/api/p/{web.pid}/consensus/decisions", json={"disagreement": x["id"], "action": "keep_b"}
    )
    assert again.status_code == 409 and "already decided" in again.json()["error"]
    assert (decisions(web), layer(web)) == (n, before)
    r = owner.post(
        f"/api/p/{web.pid}/consensus/decisions",
        json={
            "disagreement": x["id"],
            "action": "keep_b",
            "revise": True,
            "reason": "on reflection",
        },
    )
    assert r.status_code == 201, r.text
    assert layer(web) == (before - {a}) | {b}
    log = owner.get(f"/api/p/{web.pid}/consensus/log", params={"include_agreed": False}).json()
    old, new = [row for row in log if row["disagreement"] == x["id"]]
    assert (old["action"], old["superseded_by"]) == ("keep_a", new["decision"])
    assert new["supersedes"] == old["decision"]


def test_different_code_decided_with_the_code_the_team_chose(web: Any) -> None:
    # the two codes under Receiving resources... become alternatives: alex's Training against
    # sam's Staffing over one passage is then one different_code disagreement
    web.as_user(OWNER).codebook.set_exclusive(
        "Organizational/Receiving resources and benefits from the organization", True
    )
    owner = started(web)
    rows = owner.get(
        f"/api/p/{web.pid}/consensus/disagreements", params={"kind": "different_code"}
    ).json()
    x = next(d for d in rows if d["code_a"] != d["code_b"])
    missing = owner.post(
        f"/api/p/{web.pid}/consensus/decisions", json={"disagreement": x["id"], "action": "merge"}
    )
    assert missing.status_code == 400 and "needs a code" in missing.json()["error"]
    _r, added, removed = _decide(
        owner, web, {"disagreement": x["id"], "action": "merge", "code": x["code_b"]}
    )
    union = (
        x["document"],
        x["code_b"],
        min(x["start_a"], x["start_b"]),
        max(x["end_a"], x["end_b"]),
    )
    assert (added, removed) == ({union}, set())


def test_overturn_needs_a_reason_and_removes_the_agreed_coding(web: Any) -> None:
    owner = started(web)
    log = owner.get(f"/api/p/{web.pid}/consensus/log", params={"document": DOC}).json()
    agreed = next(row for row in log if row["action"] == "agreed" and GUILT in row["code"])
    coding = agreed["result_codings"][0]
    target = (DOC, coding["code"], coding["start"], coding["end"])
    assert target in layer(web)
    n, before = decisions(web), layer(web)
    r = owner.post(
        f"/api/p/{web.pid}/consensus/overturn",
        json={"disagreement": agreed["disagreement"], "reason": "   "},
    )
    assert r.status_code == 400 and "needs a reason" in r.json()["error"]
    assert "\n" not in r.json()["error"]
    assert (decisions(web), layer(web)) == (n, before)
    r = owner.post(
        f"/api/p/{web.pid}/consensus/overturn",
        json={"disagreement": agreed["disagreement"], "reason": "not guilt: frustration"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["action"] == "overturn"
    assert layer(web) == before - {target}
    assert decisions(web) == n + 1


def test_add_a_coding_both_coders_missed(web: Any) -> None:
    owner = started(web)
    text = web.as_user(OWNER).documents.get(DOC).text
    start = text.index("naloxone")
    end = start + len("naloxone")
    body = {"document": DOC, "code": "Staffing", "start": start, "end": end}
    n, before = decisions(web), layer(web)
    r = owner.post(f"/api/p/{web.pid}/consensus/additions", json={**body, "reason": ""})
    assert r.status_code == 400 and "needs a reason" in r.json()["error"]
    assert (decisions(web), layer(web)) == (n, before)
    r = owner.post(
        f"/api/p/{web.pid}/consensus/additions", json={**body, "reason": "missed by both"}
    )
    assert r.status_code == 201, r.text
    staffing = "Organizational/Receiving resources and benefits from the organization/Staffing"
    assert layer(web) == before | {(DOC, staffing, start, end)}
    row = r.json()
    assert row["action"] == "add" and row["disagreement"] == f"add-{row['decision']}"
    # it shows in the comparison as the team's addition, decided
    view = owner.get(
        f"/api/p/{web.pid}/consensus/comparison", params={"document": DOC, "coders": "alex,sam"}
    ).json()
    item = next(i for i in view["items"] if i["id"] == row["disagreement"])
    assert (item["kind"], item["state"], item["start"], item["end"]) == (
        "added",
        "decided",
        start,
        end,
    )
    added = [s for s in view["consensus"] if (s["start"], s["end"]) == (start, end)]
    assert [s["item"] for s in added] == [row["disagreement"]]


@pytest.mark.parametrize("user", [CODER_A, VIEWER])
def test_coders_and_viewers_may_not_decide(web: Any, user: str) -> None:
    owner = started(web)
    x = owner.get(f"/api/p/{web.pid}/consensus/disagreements", params={"document": DOC}).json()[0]
    web.as_user(OWNER).configure(blind=False)  # even with comparison open
    client = web.client(user)
    n, before = decisions(web), layer(web)
    attempts = [
        ("decisions", {"disagreement": x["id"], "action": "drop", "reason": "no"}),
        ("overturn", {"disagreement": x["id"], "reason": "no"}),
        ("additions", {"document": DOC, "code": "Staffing", "start": 0, "end": 5, "reason": "x"}),
        ("start", {"coders": ["alex", "sam"], "name": "mine"}),
    ]
    for path, body in attempts:
        r = client.post(f"/api/p/{web.pid}/consensus/{path}", json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["kind"] == "PermissionDenied"
    assert (decisions(web), layer(web)) == (n, before)
    assert owner.get(f"/api/p/{web.pid}/consensus/layers").json() == ["consensus"]
    # with comparison open they may read it
    r = client.get(
        f"/api/p/{web.pid}/consensus/comparison", params={"document": DOC, "coders": "alex,sam"}
    )
    assert r.status_code == 200 and r.json()["layer"] == "consensus"


def test_while_blind_a_coder_gets_no_comparison(web: Any) -> None:
    started(web)
    alex = web.client(CODER_A)
    for path, params in [
        ("consensus/comparison", {"document": DOC, "coders": "alex,sam"}),
        ("consensus/disagreements", {"document": DOC}),
        ("agreement", {"coders": "alex,sam"}),
    ]:
        r = alex.get(f"/api/p/{web.pid}/{path}", params=params)
        assert r.status_code == 403, (path, r.text)
        assert "blind" in r.json()["error"]
    page = alex.get(f"/p/{web.pid}/compare", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "Comparison is closed while coding is blind" in page.text
    assert 'id="comparison-data"' not in page.text
    # the owner sees the page with both coders' layers
    owner_page = web.client(OWNER).get(f"/p/{web.pid}/compare", headers={"Accept": "text/html"})
    assert owner_page.status_code == 200 and 'id="comparison-data"' in owner_page.text


def test_agreement_matches_the_service_and_follows_decisions(web: Any) -> None:
    owner = started(web)
    params: dict[str, Any] = {
        "coders": "alex,sam",
        "unit": "character",
        "documents": [DOC],
        "bootstrap": 0,
    }
    r = owner.get(f"/api/p/{web.pid}/agreement", params=params)
    assert r.status_code == 200, r.text
    got = {row["measure"]: row["value"] for row in r.json()["overall"]}
    report = web.as_user(OWNER).agreement.compute(
        ("alex", "sam"), "character", documents=[DOC], bootstrap=0
    )
    assert got == {row.measure: row.value for row in report.overall.rows}
    assert any(v is not None for v in got.values())
    assert {row["code"] for row in r.json()["codes"]} >= {PHYSICAL}

    def kappa_with_layer(coder: str) -> float:
        q = {**params, "coders": f"{coder},consensus"}
        rows = owner.get(f"/api/p/{web.pid}/agreement", params=q).json()["overall"]
        return float(next(x["value"] for x in rows if x["measure"].startswith("Cohen")))

    alex_before, sam_before = kappa_with_layer("alex"), kappa_with_layer("sam")
    only_a = owner.get(
        f"/api/p/{web.pid}/consensus/disagreements", params={"document": DOC, "kind": "only_a"}
    ).json()[0]
    _decide(owner, web, {"disagreement": only_a["id"], "action": "keep_a"})
    # keeping a coding only alex made brings the consensus closer to alex, away from sam
    assert kappa_with_layer("alex") > alex_before
    assert kappa_with_layer("sam") < sam_before
    bad = owner.get(f"/api/p/{web.pid}/agreement", params={**params, "unit": "paragraph"})
    assert bad.status_code == 400 and "unknown unit" in bad.json()["error"]
