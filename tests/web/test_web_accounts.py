"""Signing in, sessions, CSRF, throttling, tokens and invitations, through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import CODER_A, OUTSIDER, OWNER, PASSWORD, VIEWER
from thematica.web.security import SESSION_COOKIE


def test_sign_in_sets_a_hardened_cookie_and_signs_out(web: Any) -> None:
    client = web.client()
    r = client.post("/api/session", json={"user": CODER_A, "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert client.get("/api/me").json()["user"] == CODER_A
    csrf = r.json()["csrf"]
    assert client.delete("/api/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/me").status_code == 401


def test_cookie_is_secure_over_https(web: Any) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(web.app, base_url="https://testserver")
    r = client.post("/api/session", json={"user": CODER_A, "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_password_and_unknown_user_look_the_same(web: Any) -> None:
    client = web.client()
    wrong = client.post("/api/session", json={"user": CODER_A, "password": "not it at all"})
    nobody = client.post("/api/session", json={"user": "nobody", "password": "not it at all"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["error"] == nobody.json()["error"]
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


def test_sign_in_is_throttled_after_five_failures(web: Any) -> None:
    client = web.client()
    for _ in range(5):
        r = client.post("/api/session", json={"user": VIEWER, "password": "guess-guess"})
        assert r.status_code == 401
    # the sixth try is refused even with the right password, and says when to retry
    r = client.post("/api/session", json={"user": VIEWER, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) == 900
    # other people are not locked out by it
    ok = client.post("/api/session", json={"user": CODER_A, "password": PASSWORD})
    assert ok.status_code == 200


def test_state_changes_need_the_csrf_token(web: Any) -> None:
    client = web.client(OWNER, csrf=False)
    body = {"name": "Forged"}
    assert client.post("/api/projects", json=body).status_code == 403
    bad = client.post("/api/projects", json=body, headers={"X-CSRF-Token": "0" * 40})
    assert bad.status_code == 403
    me = client.get("/api/me").json()
    cross = client.post(
        "/api/projects",
        json=body,
        headers={"X-CSRF-Token": me["csrf"], "Origin": "http://evil.example"},
    )
    assert cross.status_code == 403
    ok = client.post("/api/projects", json=body, headers={"X-CSRF-Token": me["csrf"]})
    assert ok.status_code == 201
    names = [p["name"] for p in client.get("/api/projects").json()]
    assert names.count("Forged") == 1


def test_html_forms_need_the_csrf_field(web: Any) -> None:
    client = web.client(OWNER, csrf=False)
    r = client.post(f"/p/{web.pid}/members", data={"user": "mallory", "role": "owner"})
    assert r.status_code == 403
    assert "mallory" not in [m.user for m in web.as_user(OWNER).members.list()]


def test_bearer_token_works_without_csrf_and_can_be_revoked(web: Any) -> None:
    from fastapi.testclient import TestClient

    token = web.token(OWNER)
    client = TestClient(web.app)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=auth).json()["user"] == OWNER
    r = client.post("/api/projects", json={"name": "Scripted"}, headers=auth)
    assert r.status_code == 201
    assert client.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Basic abc"}).status_code == 401
    tokens = client.get("/api/me/tokens", headers=auth).json()
    assert [tok["label"] for tok in tokens] == ["test"]
    assert "token" not in tokens[0] and "token_hash" not in tokens[0]
    client.delete(f"/api/me/tokens/{tokens[0]['id']}", headers=auth)
    assert client.get("/api/me", headers=auth).status_code == 401


def test_invitation_sets_a_password_once(web: Any) -> None:
    owner = web.client(OWNER)
    r = owner.post(f"/api/p/{web.pid}/members", json={"user": "nina", "role": "coder"})
    assert r.status_code == 201
    link = r.json()["invitation"]
    token = link.rsplit("/", 1)[1]
    guest = web.client()
    assert guest.get(f"/invite/{token}").status_code == 200
    short = guest.post("/api/invitations/accept", json={"token": token, "password": "short"})
    assert short.status_code == 422
    ok = guest.post(
        "/api/invitations/accept", json={"token": token, "password": "nina's long password"}
    )
    assert ok.status_code == 200 and ok.json()["user"] == "nina"
    assert guest.get("/api/projects").json()[0]["role"] == "coder"
    again = web.client().post(
        "/api/invitations/accept", json={"token": token, "password": "another password"}
    )
    assert again.status_code == 401
    # the member already has a password: adding another project gives no new link
    assert owner.post(f"/api/p/{web.pid}/members/nina/invitation").status_code == 409


def test_a_person_sees_only_their_projects(web: Any) -> None:
    mine = {p["name"]: p["role"] for p in web.client(CODER_A).get("/api/projects").json()}
    assert mine == {web.project.name: "coder"}
    theirs = {p["name"] for p in web.client(OUTSIDER).get("/api/projects").json()}
    assert theirs == {"Other study"}
    assert web.client(CODER_A).get(f"/api/p/{web.other_pid}").status_code == 404


def test_password_change_ends_other_sessions(web: Any) -> None:
    first, second = web.client(CODER_A), web.client(CODER_A)
    r = first.post("/api/me/password", json={"current": PASSWORD, "new": "a brand new one"})
    assert r.status_code == 200
    assert second.get("/api/me").status_code == 401
    first.headers["X-CSRF-Token"] = r.json()["csrf"]
    assert first.get("/api/me").status_code == 200
    wrong = first.post("/api/me/password", json={"current": "nope-nope", "new": "whatever123"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("path", ["/", "/p/1/documents", "/account"])
def test_pages_redirect_to_sign_in(web: Any, path: str) -> None:
    r = web.client().get(path, headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_sign_in_form_never_redirects_off_site(web: Any) -> None:
    client = web.client()
    r = client.post(
        "/login",
        data={"user": CODER_A, "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_security_headers_on_every_response(web: Any) -> None:
    client = web.client(CODER_A)
    for path in ("/", "/api/me", "/static/app.css", "/login"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
