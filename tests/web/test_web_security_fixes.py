"""Security fixes seen through the web API and the services behind it (both backends).

* invitations: a link is issued only for an account with no password that belongs to no other
  project, so nobody can add someone else's account to a project of their own and take it
  over with the link; accepting one link ends the others and the person's sessions;
* the audit log hides a matrix cell summary and a coding memo of a blind layer;
* user names: no second account that differs only in letter case, no slash or control
  character (a name is part of web addresses).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from conftest import CODER_A, CODER_B, OUTSIDER, OWNER, VIEWER
from thematica.core.errors import AuthenticationFailed, ConflictError, NotFoundError
from thematica.services.accounts import Accounts
from thematica.store import schema as t


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _invites(web: Any, user: str) -> int:
    k, u = t.user_token.c, t.user_account.c
    with web.project.db.read() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(t.user_token)
                .join(t.user_account, u.id == k.user_id)
                .where(u.name == user, k.kind == "invite")
            )
            or 0
        )


def _password_hash(web: Any, user: str) -> str | None:
    u = t.user_account.c
    with web.project.db.read() as conn:
        return conn.scalar(select(u.password_hash).where(u.name == user))


# -- 1. invitation takeover ---------------------------------------------------------------
def test_no_invitation_for_an_account_used_in_another_project(web: Any) -> None:
    # the demo's command-line owner has no web password (the realistic case)
    cli_owner = web.project.access.name
    with web.project.db.write() as conn:
        conn.execute(
            update(t.user_account)
            .where(t.user_account.c.name == cli_owner)
            .values(password_hash=None)
        )
    otto = web.client(OUTSIDER)
    r = otto.post("/api/projects", json={"name": "Trap"})
    assert r.status_code == 201, r.text
    trap = r.json()["id"]

    # otto adds the demo's owner to his own project: no link comes back ...
    r = otto.post(f"/api/p/{trap}/members", json={"user": cli_owner, "role": "viewer"})
    assert r.status_code == 201, r.text
    assert r.json()["invitation"] is None
    # ... and asking for one says why and what to do instead
    r = otto.post(f"/api/p/{trap}/members/{cli_owner}/invitation")
    assert r.status_code == 409
    message = r.json()["error"]
    assert "another project" in message
    assert f"thematica users password {cli_owner} --password-stdin" in message
    assert _invites(web, cli_owner) == 0
    assert _password_hash(web, cli_owner) is None

    trap_project = Accounts(web.project.db).projects_of(OUTSIDER)
    trap_members = next(p for p in trap_project if p.name == "Trap")
    assert trap_members.members == 2  # otto and the owner he added, nothing more happened
    from thematica.services.accounts import open_project_for

    as_otto = open_project_for(web.project.db, "Trap", OUTSIDER)
    assert as_otto.members.account_state(cli_owner) == "elsewhere"
    assert as_otto.members.account_state(CODER_A) == "has_password"
    assert as_otto.members.account_state("nobody-yet") == "new"
    as_otto.members.add(CODER_A, "viewer")
    assert as_otto.members.invite(CODER_A) is None
    with pytest.raises(ConflictError, match="already has a password"):
        as_otto.members.invite(CODER_A, required=True)


def test_a_pending_invitee_cannot_be_taken_over_from_another_project(web: Any) -> None:
    owner = web.client(OWNER)
    r = owner.post(f"/api/p/{web.pid}/members", json={"user": "bob", "role": "coder"})
    assert r.status_code == 201, r.text
    link = r.json()["invitation"]
    assert link  # a brand-new person in one project gets a link, as before
    assert web.as_user(OWNER).members.account_state("bob") == "new"

    otto = web.client(OUTSIDER)
    trap = otto.post("/api/projects", json={"name": "Trap"}).json()["id"]
    r = otto.post(f"/api/p/{trap}/members", json={"user": "bob", "role": "viewer"})
    assert r.status_code == 201, r.text
    assert r.json()["invitation"] is None
    assert otto.post(f"/api/p/{trap}/members/bob/invitation").status_code == 409
    assert _invites(web, "bob") == 1  # only olivia's

    # bob's own link still works
    accept = {"token": _token(link), "password": "bobs-pw-123"}
    r = web.client().post("/api/invitations/accept", json=accept)
    assert r.status_code == 200, r.text
    assert r.json()["user"] == "bob"


# -- 2. old links after a password is set --------------------------------------------------
def test_accepting_one_link_ends_the_others_and_the_sessions(web: Any) -> None:
    owner = web.client(OWNER)
    first = owner.post(f"/api/p/{web.pid}/members", json={"user": "bob", "role": "coder"})
    l1 = _token(first.json()["invitation"])
    second = owner.post(f"/api/p/{web.pid}/members/bob/invitation")
    assert second.status_code == 201, second.text
    l2 = _token(second.json()["invitation"])
    assert _invites(web, "bob") == 2
    accounts = Accounts(web.project.db)
    earlier_session = accounts.start_session("bob")  # say, made by an administrator's script
    assert accounts.session_user(earlier_session) == "bob"

    anon = web.client()
    r = anon.post("/api/invitations/accept", json={"token": l1, "password": "bobs-own-password"})
    assert r.status_code == 200, r.text
    assert _invites(web, "bob") == 0
    assert accounts.session_user(earlier_session) is None
    assert accounts.invited_user(l2) is None

    r = web.client().post("/api/invitations/accept", json={"token": l2, "password": "taken-over!"})
    assert r.status_code == 401
    # bob's password is still his own
    r = web.client().post("/api/session", json={"user": "bob", "password": "bobs-own-password"})
    assert r.status_code == 200, r.text
    r = web.client().post("/api/session", json={"user": "bob", "password": "taken-over!"})
    assert r.status_code == 401


def test_a_link_made_before_a_password_was_set_is_refused(web: Any) -> None:
    # an invitation issued, then the password set another way (the command line)
    owner = web.as_user(OWNER)
    owner.members.add("dora", "viewer")
    link = owner.members.invite("dora")
    assert link is not None
    accounts = Accounts(web.project.db)
    accounts.set_password("dora", "doras-password")
    assert _invites(web, "dora") == 0
    assert accounts.invited_user(link) is None
    with pytest.raises(AuthenticationFailed):
        accounts.accept_invite(link, "someone-elses")
    assert accounts.authenticate("dora", "doras-password") == "dora"

    # a stale link in the table (say, one issued in the same instant) is still refused
    with web.project.db.write() as conn:
        stale = accounts.invite(conn, "dora")
    stored = _password_hash(web, "dora")
    with pytest.raises(AuthenticationFailed, match="already set a password"):
        accounts.accept_invite(stale, "someone-elses")
    assert _password_hash(web, "dora") == stored
    assert _invites(web, "dora") == 0


def test_removing_a_pending_member_ends_their_link(web: Any) -> None:
    owner = web.as_user(OWNER)
    owner.members.add("erin", "coder")
    link = owner.members.invite("erin")
    assert link is not None and _invites(web, "erin") == 1
    owner.members.remove("erin")
    assert _invites(web, "erin") == 0
    r = web.client().post("/api/invitations/accept", json={"token": link, "password": "erins-pw-1"})
    assert r.status_code == 401
    assert _password_hash(web, "erin") is None
    # removing someone who has a password leaves their own tokens alone
    api = web.token(CODER_B)
    owner.members.remove(CODER_B)
    assert Accounts(web.project.db).token_user(api) == CODER_B


# -- 3. the audit log and blind layers -----------------------------------------------------
def test_audit_log_hides_blind_matrix_summaries_and_coding_memos(web: Any) -> None:
    owner = web.as_user(OWNER)
    view = owner.matrices.create("M", rows="cases", columns="codes", coder=CODER_A)
    row, column = view.rows[0], view.columns[0].key
    owner.matrices.set_cell("M", row, column, summary="ALEX-SAYS staff quit over pay")
    owner.matrices.create("Everyone", rows="cases", columns="codes", coder="all")
    owner.matrices.set_cell("Everyone", row, column, summary="ALEX-SAYS and sam agrees")
    alex = web.as_user(CODER_A)
    coding = alex.coding.list(coder=CODER_A).rows[0].id
    alex.coding.set_memo(coding, "alex private memo: respondent hesitates")

    def shown(user: str) -> str:
        return repr([r.detail for r in web.as_user(user).audit_log(limit=None)])

    for user in (VIEWER, CODER_B):
        seen = shown(user)
        assert "ALEX-SAYS" not in seen, user
        assert "respondent hesitates" not in seen, user
    for user in (OWNER, CODER_A):  # the owner reads every layer, alex his own
        seen = shown(user)
        assert "ALEX-SAYS" in seen, user
        assert "respondent hesitates" in seen, user
    # the entries say whose layer they belong to
    entries = [(r.action, r.detail) for r in owner.audit_log(action="matrix.set,coding_memo")]
    layers = [(action, d.get("layer") or d.get("coder")) for action, d in entries]
    # newest first; the matrix over every layer names them all
    assert layers == [
        ("coding_memo", CODER_A),
        ("matrix.set", [CODER_A, CODER_B]),
        ("matrix.set", CODER_A),
    ]
    # and the web's audit API, which reads the same log, shows vera neither
    r = web.client(VIEWER).get(f"/api/p/{web.pid}/audit")
    assert r.status_code == 200, r.text
    assert "ALEX-SAYS" not in r.text and "respondent hesitates" not in r.text

    # once the project is no longer blind, vera may read alex's layer, entries included
    owner.configure(blind=False)
    seen = shown(VIEWER)
    assert "ALEX-SAYS" in seen and "respondent hesitates" in seen


# -- 6 and 7. user names -------------------------------------------------------------------
def test_a_name_differing_only_in_case_is_refused(web: Any) -> None:
    owner = web.client(OWNER)
    before = owner.get(f"/api/p/{web.pid}/members").json()
    r = owner.post(f"/api/p/{web.pid}/members", json={"user": "Alex", "role": "coder"})
    assert r.status_code == 409
    assert "'alex'" in r.json()["error"]
    assert owner.get(f"/api/p/{web.pid}/members").json() == before
    with pytest.raises(NotFoundError):
        Accounts(web.project.db).user("Alex")


def test_a_name_with_a_slash_or_control_character_is_refused(web: Any) -> None:
    owner = web.client(OWNER)
    before = owner.get(f"/api/p/{web.pid}/members").json()
    for name in ["x/../alex", "a\\b", "tab\there", "bell\x07", "del\x7f"]:
        r = owner.post(f"/api/p/{web.pid}/members", json={"user": name, "role": "viewer"})
        assert r.status_code == 400, name
        body = r.json()
        assert body["kind"] == "InputError"
        assert "not a usable user name" in body["error"]
        assert "\n" not in body["error"]
    assert owner.get(f"/api/p/{web.pid}/members").json() == before


def test_members_page_says_what_happens_to_each_kind_of_account(web: Any) -> None:
    from thematica.services.accounts import Accounts

    owner = web.client(OWNER)
    page = f"/p/{web.pid}/members"
    new = owner.post(page, data={"user": "nina", "role": "coder", "csrf": _csrf(owner)})
    assert "one-use link" in new.text and "/invite/" in new.text
    # otto has a password from the fixture
    has = owner.post(page, data={"user": OUTSIDER, "role": "viewer", "csrf": _csrf(owner)})
    assert "sign in with their own password" in has.text and "/invite/" not in has.text
    Accounts(web.project.db).add_user("pat")
    other = Accounts(web.project.db).create_project("Pat's study", OUTSIDER)
    other.members.add("pat", "coder")
    elsewhere = owner.post(page, data={"user": "pat", "role": "viewer", "csrf": _csrf(owner)})
    assert "thematica users password pat --password-stdin" in elsewhere.text
    assert "/invite/" not in elsewhere.text


def _csrf(client: Any) -> str:
    return str(client.get("/api/me").json()["csrf"])
