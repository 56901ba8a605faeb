"""The audit trail on the web: changes made through the web carry the signed-in person as actor;
the filters (who, kind of change with a prefix, since when) return exactly the expected entries;
paging; and a coder does not see another coder's layer itemised while coding is blind."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, update

from conftest import CODER_A, CODER_B, OWNER, VIEWER
from thematica.store import schema as t

P01, P02, P03 = "P01-interview", "P02-interview", "P03-interview"


def _age_the_log(web: Any, days: int = 10) -> None:
    """Move every entry so far (the demo's making) ``days`` back, so "since" can tell them
    from the ones a test makes."""
    with web.project.db.write() as conn:
        conn.execute(
            update(t.audit_log)
            .where(t.audit_log.c.project_id == web.pid)
            .values(at=datetime.now(UTC) - timedelta(days=days))
        )


def _changes_through_the_web(web: Any) -> None:
    """alex marks P01 done and codes a passage of it; sam marks P02 in progress; olivia marks
    P03 done — each through the API, signed in as themselves."""
    alex, sam, olivia = web.client(CODER_A), web.client(CODER_B), web.client(OWNER)
    assert (
        alex.put(f"/api/p/{web.pid}/documents/{P01}/status", json={"status": "done"}).status_code
        == 200
    )
    r = alex.post(
        f"/api/p/{web.pid}/codings",
        json={"document": P01, "code": "Staffing", "start": 120, "end": 180},
    )
    assert r.status_code == 201, r.text
    assert (
        sam.put(
            f"/api/p/{web.pid}/documents/{P02}/status", json={"status": "in progress"}
        ).status_code
        == 200
    )
    assert (
        olivia.put(f"/api/p/{web.pid}/documents/{P03}/status", json={"status": "done"}).status_code
        == 200
    )


def _log(client: Any, pid: int, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/p/{pid}/audit", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _who_what(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["actor"], e["action"]) for e in entries]


def test_web_changes_are_logged_as_the_signed_in_person_and_filter_exactly(web: Any) -> None:
    _age_the_log(web)
    _changes_through_the_web(web)
    owner = web.client(OWNER)
    # since one day: exactly the four changes just made, newest first
    recent = _log(owner, web.pid, since="1d")["entries"]
    assert _who_what(recent) == [
        (OWNER, "document_status"),
        (CODER_B, "document_status"),
        (CODER_A, "code"),
        (CODER_A, "document_status"),
    ]
    coded = recent[2]
    assert coded["detail"]["coder"] == CODER_A
    assert coded["summary"] == "coded a passage of P01-interview as Staffing"
    assert recent[1]["summary"] == "marked P02-interview in progress"
    # by person
    assert _who_what(_log(owner, web.pid, actor=CODER_A)["entries"]) == [
        (CODER_A, "code"),
        (CODER_A, "document_status"),
    ]
    assert _who_what(_log(owner, web.pid, actor=f"{CODER_B},{OWNER}", since="1d")["entries"]) == [
        (OWNER, "document_status"),
        (CODER_B, "document_status"),
    ]
    # by kind of change, exact and by prefix
    exact = _log(owner, web.pid, action="document_status")["entries"]
    assert [e["actor"] for e in exact] == [OWNER, CODER_B, CODER_A]
    assert _log(owner, web.pid, action="document*")["entries"] == exact
    assert _log(owner, web.pid, action="document")["entries"] == []  # exact: no such action
    # the demo's own coding (imported from its CSV files) is older than a day
    everything = _log(owner, web.pid, action="code", limit=500)["entries"]
    assert len(everything) > 1 and everything[0]["actor"] == CODER_A
    assert _log(owner, web.pid, action="code", since="1d")["entries"] == [everything[0]]
    # since an ISO date: tomorrow has nothing yet; ten days back has it all
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert _log(owner, web.pid, since=tomorrow)["entries"] == []
    assert len(_log(owner, web.pid, since="11d", limit=500)["entries"]) == len(
        web.project.audit_log(None).rows
    )
    # a since nobody can read is refused in one line
    r = owner.get(f"/api/p/{web.pid}/audit", params={"since": "last tuesday"})
    assert r.status_code == 400 and "\n" not in r.json()["error"]
    assert owner.get(f"/api/p/{web.pid}/audit", params={"limit": 0}).status_code == 422


def test_audit_pages_through_the_log(web: Any) -> None:
    owner = web.client(OWNER)
    total = len(web.project.audit_log(None).rows)
    first = _log(owner, web.pid, limit=3)
    second = _log(owner, web.pid, limit=3, offset=3)
    assert first["more"] and len(first["entries"]) == 3 and len(second["entries"]) == 3
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    last = _log(owner, web.pid, limit=3, offset=total - 2)
    assert len(last["entries"]) == 2 and last["more"] is False
    # the page: 50 entries, then older ones behind "Older"
    with web.project.db.write() as conn:
        conn.execute(
            insert(t.audit_log),
            [
                {
                    "project_id": web.pid,
                    "at": datetime.now(UTC),
                    "actor": OWNER,
                    "action": "test_entry",
                    "detail": {"n": n},
                }
                for n in range(60)
            ],
        )
    html = owner.get(f"/p/{web.pid}/audit", params={"action": "test_entry"}).text
    assert html.count('data-action="test_entry"') == 50
    assert "offset=50" in html and 'rel="next"' in html
    older = owner.get(f"/p/{web.pid}/audit", params={"action": "test_entry", "offset": 50}).text
    assert older.count('data-action="test_entry"') == 10
    assert 'rel="prev"' in older and 'rel="next"' not in older


def test_a_blind_coder_does_not_see_the_other_coders_work_in_the_log(web: Any) -> None:
    _age_the_log(web)
    _changes_through_the_web(web)
    sam = web.client(CODER_B)
    seen = _log(sam, web.pid, limit=500)["entries"]
    assert seen, "sam sees the log"
    assert not [e for e in seen if e["detail"].get("coder") == CODER_A]
    assert not [e for e in seen if e["actor"] == CODER_A]  # alex only touched alex's layer
    assert (CODER_B, "document_status") in _who_what(seen)  # sam's own
    assert any(e["action"] == "member_add" for e in seen)  # no layer in it: shown
    # the owner sees alex's coding; so does everyone once comparison is open
    assert _log(web.client(OWNER), web.pid, actor=CODER_A)["entries"]
    page = sam.get(f"/p/{web.pid}/audit").text
    assert "coded a passage of P01-interview" not in page
    assert "marked P02-interview in progress" in page
    owner_page = web.client(OWNER).get(f"/p/{web.pid}/audit", params={"actor": CODER_A}).text
    assert "coded a passage of P01-interview as Staffing" in owner_page
    # the reader opens at the passage itself (the offsets stay in the link and the details)
    assert f'href="/p/{web.pid}/read/{P01}?start=120&amp;end=180">show the passage' in owner_page
    web.as_user(OWNER).configure(blind=False)
    assert _log(sam, web.pid, actor=CODER_A)["entries"]


def test_audit_page_filter_form_offers_what_is_in_the_log(web: Any) -> None:
    _changes_through_the_web(web)
    vera = web.client(VIEWER)
    html = vera.get(f"/p/{web.pid}/audit", params={"actor": CODER_B}).text
    assert re.search(r'<option value="sam" selected>sam</option>', html)
    assert '<option value="document_status">Document status changed</option>' in html
    assert '<option value="consensus*">' not in html  # no consensus step in the demo yet
    # a viewer does not read coder layers while blind: sam's marks are not listed for vera
    assert "marked P02-interview in progress" not in html
    assert "No change matches these filters." in html and "Clear filters" in html
    owner = web.client(OWNER).get(f"/p/{web.pid}/audit", params={"action": "document*"}).text
    assert owner.count('data-action="document_status"') == 3
    assert "marked P02-interview in progress" in owner
    assert f'href="/p/{web.pid}/read/{P02}"' in owner  # the document opens in the reader
    bad = vera.get(f"/p/{web.pid}/audit", params={"since": "soonish"})
    assert bad.status_code == 400 and "since &#39;soonish&#39;" in bad.text
    # someone signed out is sent to sign in; a non-member gets nothing
    assert web.client().get(f"/p/{web.pid}/audit", follow_redirects=False).status_code == 303
    from conftest import OUTSIDER

    assert web.client(OUTSIDER).get(f"/api/p/{web.pid}/audit").status_code == 404


def test_every_kind_of_change_reads_as_a_sentence(web: Any) -> None:
    """Edits, merges, splits, matrix cells, proposals, settings, invitations and consensus
    decisions each read as one sentence a researcher understands; the raw data only behind
    "details"; the filter names each kind the same way."""
    _age_the_log(web)
    p = web.as_user(OWNER)
    p.configure(coders_add_codes=False)
    moral = web.as_user(CODER_B).proposals.new_code(P02, 0, 20, "Moral injury")
    pets = web.as_user(CODER_A).proposals.new_code(P02, 30, 40, "Pets")
    p.proposals.accept(moral.proposal)
    p.proposals.decline(pets.proposal, "too narrow")
    alex = web.as_user(CODER_A)
    mine = [r for r in alex.coding.list(coder=CODER_A, document=P01) if r.code.endswith("Staffing")]
    alex.coding.edit(mine[0].id, code="Training and shadowing")
    p.codebook.add("weath")
    p.codebook.merge("weath", "Training and shadowing")
    staffing = [r.id for r in p.coding.list(coder=CODER_B, code="Staffing")]
    p.codebook.split("Staffing", "Staff shortage", staffing[:2])
    view = p.matrices.create("Wellbeing", coder=CODER_A)
    column = view.columns[0].key
    p.matrices.set_cell("Wellbeing", "P01", column, summary="Weekly check-ins only")
    p.members.add("maria", "coder")
    p.members.invite("maria")
    p.consensus.start((CODER_A, CODER_B))
    first = p.consensus.disagreements().rows[0]
    p.consensus.decide(first.id, "drop", decided_by=OWNER)

    entries = _log(web.client(OWNER), web.pid, since="1d", limit=100)["entries"]
    said = {}
    for e in entries:
        said.setdefault(e["action"], e["summary"])
    leaf = column.rsplit("/", 1)[-1]
    assert said["settings"] == "asked coders to propose new codes instead"
    assert said["propose_code"] == "proposed a new code ‘Pets’ for a passage of P02-interview"
    assert said["proposal_accept"] == "accepted sam's proposed code Moral injury"
    assert said["proposal_decline"] == "declined alex's proposed code ‘Pets’: ‘too narrow’"
    assert said["edit_coding"] == (
        "changed a coding of P01-interview (Training and shadowing): changed its code from "
        "Staffing to Training and shadowing"
    )
    assert (
        said["merge_codes"] == "merged the code weath into Training and shadowing (0 codings moved)"
    )
    assert said["split_code"] == (
        "split 2 codings off the code Staffing into a new code, Staff shortage"
    )
    assert (
        said["matrix.set"]
        == f"wrote the summary of the cell P01 × {leaf} of the matrix ‘Wellbeing’"
    )
    assert said["matrix.create"] == "created the matrix ‘Wellbeing’"
    assert said["member_invite"] == "created an invitation link for maria"
    assert said["member_add"] == "added maria as coder"
    assert said["consensus_start"] == "started the consensus layer ‘consensus’ for alex and sam"
    assert said["consensus_decide"] == (
        f"recorded 1 consensus decision in the layer ‘consensus’, decided by {OWNER}"
    )
    # no entry reads as data: no key=value, no braces, no raw kind of change
    for e in entries:
        assert not re.search(r"[{}=]|\w_\w", e["summary"]), e["summary"]
    page = web.client(OWNER).get(f"/p/{web.pid}/audit", params={"since": "24h"}).text
    for words in (
        "Coding changed",
        "Code merged",
        "Code split",
        "Matrix cell changed",
        "Proposal accepted",
        "Proposal declined",
        "Member invited",
        "Settings changed",
        "Consensus decided",
        "Every consensus step",
    ):
        assert f">{words}</option>" in page, words
    # the data is still there, behind "details"
    assert "<details><summary>details</summary><pre>{" in page
