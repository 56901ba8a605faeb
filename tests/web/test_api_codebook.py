"""The codebook API on both backends: the tree with ids and revisions, conflict-safe edits (a
second owner saving an old revision gets 409 naming who changed it), merge and split, owners
only, and bad input refused with one line and nothing changed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, update

from conftest import CODER_A, OUTSIDER, OWNER, VIEWER
from thematica.store import schema as t

GUILT = "Individual/Navigating boundary setting and self-care/Feelings of guilt"
LIVED = "Individual/Navigating boundary setting and self-care/Impact of lived experiences"
BOUNDARY = "Individual/Navigating boundary setting and self-care"
STAFFING = "Organizational/Receiving resources and benefits from the organization/Staffing"
SECOND_OWNER = "priya"


@pytest.fixture
def two_owners(web: Any, password_hash: str) -> tuple[Any, Any]:
    """olivia and a second owner, priya, both signed in."""
    web.project.members.add(SECOND_OWNER, "owner")
    with web.project.db.write() as conn:
        conn.execute(
            update(t.user_account)
            .where(t.user_account.c.name == SECOND_OWNER)
            .values(password_hash=password_hash)
        )
    return web.client(OWNER), web.client(SECOND_OWNER)


def cid(web: Any, path: str) -> int:
    return int(web.project.codebook.get(path)["id"])


def url(web: Any, rest: str = "") -> str:
    return f"/api/p/{web.pid}/codebook{rest}"


def footprint(web: Any) -> tuple[Any, ...]:
    """The codes (name, parent, fields, revision), every coding's code, history and audit
    counts, theme links and versions: unchanged means nothing was written."""
    p = web.project
    with p.db.read() as conn:
        codes = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    t.code.c.id,
                    t.code.c.name,
                    t.code.c.parent_id,
                    t.code.c.definition,
                    t.code.c.exclusive,
                    t.code.c.revision,
                ).where(t.code.c.project_id == p.id)
            )
        )
        codings = sorted(
            tuple(r)
            for r in conn.execute(
                select(t.coding.c.id, t.coding.c.code_id).where(t.coding.c.project_id == p.id)
            )
        )
        counts = tuple(
            conn.scalar(select(func.count()).select_from(tb).where(tb.c.project_id == p.id))
            for tb in (t.codebook_change, t.audit_log, t.codebook_version)
        )
        links = conn.scalar(select(func.count()).select_from(t.theme_code))
    return codes, codings, counts, links


def spans(web: Any, path: str) -> set[tuple[str, str, int, int]]:
    """(document, coder, start, end) of the codings of exactly this code, every layer."""
    return {
        (r.document, r.coder, r.start, r.end)
        for r in web.project.coding.list(coder="all", code=path)
        if r.code == path
    }


def one_line_error(r: Any, status: int) -> str:
    assert r.status_code == status, r.text
    message = r.json()["error"]
    assert message and "\n" not in message
    return str(message)


# -- reading ---------------------------------------------------------------------------------


def test_tree_and_entry_for_every_member(web: Any) -> None:
    staffing = cid(web, STAFFING)
    expected = len(spans(web, STAFFING))
    assert expected > 0
    for user, can_edit in ((OWNER, True), (CODER_A, False), (VIEWER, False)):
        r = web.client(user).get(url(web))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["can_edit"] is can_edit
        assert body["sem_levels"][:2] == ["individual", "interpersonal"]
        codes = {c["path"]: c for c in body["codes"]}
        assert len(codes) == 21  # the SEM starter codebook: 4 levels, 17 codes under them
        row = codes[STAFFING]
        assert (row["id"], row["name"], row["depth"], row["revision"]) == (
            staffing,
            "Staffing",
            2,
            1,
        )
        assert row["codings"] == expected  # counts are visible to every member
        parent = codes["Organizational/Receiving resources and benefits from the organization"]
        assert row["parent_id"] == parent["id"] and staffing in parent["children"]
    one = web.client(VIEWER).get(url(web, f"/codes/{staffing}")).json()
    assert one["path"] == STAFFING and one["sem_level"] == "organizational"
    assert one["revision"] == 1 and "definition" in one and "inclusion" in one
    # someone outside the project learns nothing
    assert web.client(OUTSIDER).get(url(web)).status_code == 404
    assert web.client(OUTSIDER).get(url(web, f"/codes/{staffing}")).status_code == 404


# -- conflict-safe edits ---------------------------------------------------------------------


def test_second_owner_saving_an_old_revision_gets_409(web: Any, two_owners: Any) -> None:
    olivia, priya = two_owners
    code = cid(web, STAFFING)
    loaded = olivia.get(url(web, f"/codes/{code}")).json()
    r, definition = loaded["revision"], loaded["definition"]
    assert definition.startswith("The number, mix and stability of staff")
    assert priya.get(url(web, f"/codes/{code}")).json()["revision"] == r

    first = olivia.patch(
        url(web, f"/codes/{code}"), json={"name": "Staff shortages", "revision": r}
    )
    assert first.status_code == 200, first.text
    assert (first.json()["name"], first.json()["revision"]) == ("Staff shortages", r + 1)

    before = footprint(web)
    second = priya.patch(
        url(web, f"/codes/{code}"), json={"definition": "Too few hands.", "revision": r}
    )
    message = one_line_error(second, 409)
    assert "olivia" in message and "Staff shortages" in message
    body = second.json()
    assert body["kind"] == "StaleEdit"
    assert body["detail"]["changed_by"] == "olivia"
    assert body["detail"]["current_name"] == "Staff shortages"
    assert body["detail"]["revision"] == r + 1
    assert footprint(web) == before
    stored = web.as_user(OWNER).codebook.get_by_id(code)
    assert (stored.name, stored.definition, stored.revision) == (
        "Staff shortages",
        definition,
        r + 1,
    )

    # priya re-applies her edit on the revision she now sees: saved, nothing of olivia's lost
    again = priya.patch(
        url(web, f"/codes/{code}"), json={"definition": "Too few hands.", "revision": r + 1}
    )
    assert again.status_code == 200, again.text
    assert (again.json()["name"], again.json()["definition"]) == (
        "Staff shortages",
        "Too few hands.",
    )


def test_two_owners_racing_through_the_api_one_wins(web: Any, two_owners: Any) -> None:
    code = cid(web, GUILT)
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def save(client: Any, name: str) -> None:
        barrier.wait()
        statuses[name] = client.patch(
            url(web, f"/codes/{code}"), json={"name": name, "revision": 1}
        ).status_code

    threads = [
        threading.Thread(target=save, args=(client, name))
        for client, name in zip(two_owners, ("Guilt A", "Guilt B"), strict=True)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted(statuses.values()) == [200, 409], statuses
    winner = next(name for name, status in statuses.items() if status == 200)
    stored = web.as_user(OWNER).codebook.get_by_id(code)
    assert (stored.name, stored.revision) == (winner, 2)


# -- merge and split -------------------------------------------------------------------------


def test_merge_moves_codings_collapses_duplicates_and_is_logged(web: Any) -> None:
    # alex also codes one of his guilt passages with "Impact of lived experiences": after the
    # merge that passage is one coding, not two
    guilt_alex = sorted(s for s in spans(web, GUILT) if s[1] == "alex")
    doc, _, start, end = guilt_alex[0]
    web.project.coding.apply(doc, LIVED, start, end, coder="alex")
    guilt, lived = spans(web, GUILT), spans(web, LIVED)
    both = guilt & lived
    assert len(both) >= 1
    total = web.project.coding.count()
    source, target = cid(web, GUILT), cid(web, LIVED)
    themes_before = {th.name: th.codes for th in web.project.themes.list()}
    assert themes_before["Feelings of guilt"] == [GUILT]

    r = web.client(OWNER).post(
        url(web, f"/codes/{source}/merge"), json={"into": target, "revision": 1}
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["moved"], report["collapsed"]) == (len(guilt - lived), len(both))
    assert report["target_entry"]["codings"] == len(guilt | lived)
    assert spans(web, LIVED) == guilt | lived
    assert web.project.coding.count() == total - len(both)
    assert web.client(OWNER).get(url(web, f"/codes/{source}")).status_code == 404
    themes = {th.name: th.codes for th in web.project.themes.list()}
    assert themes["Feelings of guilt"] == [LIVED]

    history = web.client(VIEWER).get(url(web, f"/codes/{target}/history")).json()
    assert (history[-1]["action"], history[-1]["old"], history[-1]["actor"]) == (
        "merge",
        GUILT,
        "olivia",
    )
    entry = web.project.audit_log(limit=1).rows[0]
    assert (entry.actor, entry.action, entry.detail["target"]) == ("olivia", "merge_codes", LIVED)
    assert entry.detail["codings"] == len(guilt)


def test_split_moves_exactly_the_chosen_codings(web: Any) -> None:
    code = cid(web, STAFFING)
    listed = web.client(OWNER).get(url(web, f"/codes/{code}/codings"))
    assert listed.status_code == 200, listed.text
    rows = listed.json()
    assert {(x["document"], x["coder"], x["start"], x["end"]) for x in rows} == spans(web, STAFFING)
    chosen = sorted(rows, key=lambda x: x["id"])[:3]
    moved = {(x["document"], x["coder"], x["start"], x["end"]) for x in chosen}
    before = spans(web, STAFFING)

    r = web.client(OWNER).post(
        url(web, f"/codes/{code}/split"),
        json={"name": "Turnover", "codings": [x["id"] for x in chosen], "revision": 1},
    )
    assert r.status_code == 200, r.text
    new_path = "Organizational/Receiving resources and benefits from the organization/Turnover"
    assert (r.json()["new"], r.json()["moved"], r.json()["revision"]) == (new_path, 3, 2)
    assert spans(web, new_path) == moved
    assert spans(web, STAFFING) == before - moved
    assert r.json()["new_entry"]["sem_level"] == "organizational"
    last = web.client(OWNER).get(url(web, f"/codes/{code}/history")).json()[-1]
    assert (last["action"], last["new"]) == ("split", new_path)


# -- who may ---------------------------------------------------------------------------------


def test_coders_and_viewers_are_refused_and_nothing_changes(web: Any) -> None:
    code, target = cid(web, STAFFING), cid(web, GUILT)
    some = [r.id for r in web.project.coding.list(coder="alex", code=STAFFING)][:1]
    before = footprint(web)
    for user in (CODER_A, VIEWER):
        client = web.client(user)
        attempts = [
            client.patch(url(web, f"/codes/{code}"), json={"name": "Mine", "revision": 1}),
            client.post(url(web, "/codes"), json={"name": "New one"}),
            client.post(url(web, f"/codes/{code}/move"), json={"parent_id": None}),
            client.post(url(web, f"/codes/{code}/merge"), json={"into": target}),
            client.post(url(web, f"/codes/{code}/split"), json={"name": "X", "codings": some}),
            client.put(url(web, f"/codes/{code}/exclusive"), json={"exclusive": True}),
            client.delete(url(web, f"/codes/{code}?force=true")),
            client.post(url(web, "/versions"), json={"name": "v-mine"}),
        ]
        for r in attempts:
            message = one_line_error(r, 403)
            assert "may not change the codebook" in message
    assert footprint(web) == before


# -- bad input -------------------------------------------------------------------------------


def test_bad_input_is_refused_with_one_line_and_nothing_changes(web: Any) -> None:
    olivia = web.client(OWNER)
    boundary, guilt = cid(web, BOUNDARY), cid(web, GUILT)
    before = footprint(web)
    cases = [
        (olivia.patch(url(web, f"/codes/{guilt}"), json={"name": "", "revision": 1}), 400),
        (olivia.patch(url(web, f"/codes/{guilt}"), json={"name": "   "}), 400),
        (olivia.post(url(web, "/codes"), json={"name": " \t "}), 400),
        (olivia.post(url(web, f"/codes/{boundary}/move"), json={"parent_id": guilt}), 400),
        (olivia.post(url(web, f"/codes/{guilt}/merge"), json={"into": guilt}), 400),
        (olivia.post(url(web, f"/codes/{boundary}/merge"), json={"into": guilt}), 400),
        (olivia.post(url(web, f"/codes/{guilt}/split"), json={"name": "X", "codings": []}), 400),
        (olivia.get(url(web, "/codes/999999")), 404),
        (olivia.patch(url(web, "/codes/999999"), json={"name": "X"}), 404),
        (olivia.post(url(web, f"/codes/{guilt}/merge"), json={"into": 999999}), 404),
        (
            olivia.patch(url(web, f"/codes/{guilt}"), json={"name": "Impact of lived experiences"}),
            409,
        ),
        (olivia.patch(url(web, f"/codes/{guilt}"), json={"sem_level": "galactic"}), 400),
        (olivia.delete(url(web, f"/codes/{guilt}")), 409),  # holds codings: needs force
        (olivia.get(url(web, "/compare?old=no-such-version")), 404),
    ]
    messages = [one_line_error(r, status) for r, status in cases]
    assert "needs a name" in messages[0] and "needs a name" in messages[1]
    assert "under itself" in messages[3]
    assert "into itself" in messages[4]
    assert "own subcode" in messages[5]
    assert "already exists" in messages[10]
    assert "codings" in messages[12]
    assert footprint(web) == before


# -- the rest of the editing API -------------------------------------------------------------


def test_add_move_exclusive_remove_and_versions(web: Any) -> None:
    olivia = web.client(OWNER)
    boundary = cid(web, BOUNDARY)
    made = olivia.post(
        url(web, "/codes"),
        json={"name": " Rest  days ", "parent_id": boundary, "definition": "Time off."},
    )
    assert made.status_code == 201, made.text
    new = made.json()
    assert (new["path"], new["definition"], new["revision"]) == (
        f"{BOUNDARY}/Rest days",
        "Time off.",
        1,
    )

    frozen = olivia.post(url(web, "/versions"), json={"name": "v1", "note": "before moves"})
    assert frozen.status_code == 201 and frozen.json()["codes"] == 22

    moved = olivia.post(
        url(web, f"/codes/{new['id']}/move"), json={"parent_id": None, "revision": 1}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["path"], moved.json()["revision"]) == ("Rest days", 2)

    excl = olivia.put(
        url(web, f"/codes/{boundary}/exclusive"), json={"exclusive": True, "revision": 1}
    )
    assert excl.status_code == 200 and excl.json()["exclusive"] is True
    assert excl.json()["revision"] == 2

    stale = olivia.delete(url(web, f"/codes/{new['id']}?revision=1"))
    assert "olivia" in one_line_error(stale, 409)
    gone = olivia.delete(url(web, f"/codes/{new['id']}?revision=2"))
    assert gone.status_code == 200 and gone.json()["codings"] == 0

    versions = olivia.get(url(web, "/versions")).json()
    assert [(v["version"], v["codes"], v["note"]) for v in versions] == [("v1", 22, "before moves")]
    diff = olivia.get(url(web, "/compare?old=v1")).json()["changes"]
    assert {(c["change"], c["path"]) for c in diff} == {
        ("removed", f"{BOUNDARY}/Rest days"),
        ("changed", BOUNDARY),
    }
    history = olivia.get(url(web, "/history")).json()
    assert [h["action"] for h in history[-4:]] == ["create", "move", "update", "delete"]


def test_codebook_page_for_owner_and_viewer(web: Any) -> None:
    page = web.client(OWNER).get(f"/p/{web.pid}/codebook", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="codebook-data"' in page.text and 'id="new-code"' in page.text
    assert "/static/js/codebook.js" in page.text
    viewer = web.client(VIEWER).get(f"/p/{web.pid}/codebook", headers={"accept": "text/html"})
    assert viewer.status_code == 200
    assert 'id="new-code"' not in viewer.text and "read-only" in viewer.text
    assert 'id="dlg-merge"' not in viewer.text
    outsider = web.client(OUTSIDER).get(f"/p/{web.pid}/codebook", headers={"accept": "text/html"})
    assert outsider.status_code == 404
