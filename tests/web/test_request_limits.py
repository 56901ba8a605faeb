"""What the server refuses before any route runs: oversized bodies (signed in or not), NUL
characters, numbers out of the database's range; and what a refusal never reveals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import CODER_A, OWNER, PASSWORD
from thematica.web.limits import BODY_LIMIT


def _memos(web: Any) -> int:
    return len(web.as_user(OWNER).memos.list())


def test_an_oversized_body_is_refused_before_sign_in_is_checked(web: Any) -> None:
    anonymous = web.client()
    big = b'{"user": "' + b"x" * (BODY_LIMIT + 10) + b'", "password": "y"}'
    r = anonymous.post("/api/session", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["kind"] == "PayloadTooLarge" and "limit" in r.json()["error"]
    assert "content-security-policy" in r.headers
    r = anonymous.post(
        f"/api/p/{web.pid}/memos", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_a_body_without_length_is_counted(web: Any) -> None:
    coder = web.client(CODER_A)
    before = _memos(web)

    def chunks() -> Any:
        for _ in range(BODY_LIMIT // 65536 + 2):
            yield b"x" * 65536

    r = coder.post(
        f"/api/p/{web.pid}/memos", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert _memos(web) == before


@pytest.mark.parametrize("text", ["before\x00after", "\x00"], ids=["inside", "alone"])
def test_nul_characters_are_refused_and_nothing_is_stored(web: Any, text: str) -> None:
    coder = web.client(CODER_A)
    before = _memos(web)
    body = {"target_type": "document", "target": "P01-interview", "text": text}
    r = coder.post(f"/api/p/{web.pid}/memos", json=body)
    assert r.status_code == 400 and "NUL" in r.json()["error"]
    assert coder.get(f"/api/p/{web.pid}/codings", params={"document": "P01\x00"}).status_code == 400
    assert _memos(web) == before
    # the text "\u0000" written out (a backslash and five characters) is ordinary text
    ok = coder.post(
        f"/api/p/{web.pid}/memos",
        content=json.dumps({**body, "text": "a literal \\u0000 in a note"}),
        headers={"content-type": "application/json"},
    )
    assert ok.status_code in (200, 201), ok.text


def test_sign_in_with_nul_in_the_name_is_a_clean_refusal(web: Any) -> None:
    r = web.client().post("/api/session", json={"user": "a\x00b", "password": PASSWORD})
    assert r.status_code == 400


@pytest.mark.parametrize("number", [2**31 + 5, 2**70])
def test_ids_out_of_range_are_bad_input_not_a_crash(web: Any, number: int) -> None:
    coder = web.client(CODER_A)
    for path in (
        f"/api/p/{web.pid}/codings/{number}",
        f"/api/p/{number}",
        f"/api/p/{web.pid}/jobs/{number}",
    ):
        r = coder.get(path)
        assert r.status_code in (400, 404), (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")


def test_audit_since_far_back_is_fine(web: Any) -> None:
    r = web.client(OWNER).get(f"/api/p/{web.pid}/audit", params={"since": "99999999d"})
    assert r.status_code == 200


def test_a_token_cannot_mint_tokens(web: Any) -> None:
    from fastapi.testclient import TestClient

    token = web.token(OWNER)
    client = TestClient(web.app)
    r = client.post(
        "/api/me/tokens", json={"label": "forever"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403
    assert [
        tok["label"]
        for tok in client.get("/api/me/tokens", headers={"Authorization": f"Bearer {token}"}).json()
    ] == ["test"]


def test_no_docs_page_that_loads_a_cdn(web: Any) -> None:
    assert web.client(OWNER).get("/api/docs").status_code == 404
    assert web.client(OWNER).get("/openapi.json").json()["info"]["title"] == "Thematica"


def test_refusal_details_never_name_the_database(web: Any) -> None:
    from thematica.core.errors import ConflictError
    from thematica.web.errors import _safe

    exc = ConflictError("x", database="/srv/secret/path.db", project="p", current={"a": 1})
    assert _safe(exc.detail) == {"project": "p", "current": {"a": 1}}
