"""``users``, ``tokens`` and ``serve``: accounts from the command line, and the web server as
a user starts it (a real process, on loopback)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cli_helpers import ENTRY, ok, user_error

Result = subprocess.CompletedProcess[str]


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def give(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    return give


@pytest.fixture
def study(cli: Callable[..., Result], tmp_path: Path) -> Path:
    db = tmp_path / "study.db"
    ok(cli("init", "--db", db, "--as", "olivia"))
    return db


def test_users_add_list_and_password(
    cli: Callable[..., Result], study: Path, stdin: Callable[[str], None]
) -> None:
    from thematica.services.accounts import Accounts
    from thematica.store import open_database

    stdin("first password\n")
    assert (
        "can sign in" in ok(cli("users", "add", "olivia", "--password-stdin", "--db", study)).stderr
    )
    ok(cli("users", "add", "nina", "--db", study))  # no password: invitation later
    listed = ok(cli("users", "list", "--db", study, "--format", "csv")).stdout
    assert (
        listed.splitlines()[1:] and "olivia,olivia,True" in listed and "nina,nina,False" in listed
    )
    db = open_database(study)
    try:
        assert Accounts(db).authenticate("olivia", "first password") == "olivia"
        stdin("second password\n")
        ok(cli("users", "password", "olivia", "--password-stdin", "--db", study))
        assert Accounts(db).authenticate("olivia", "second password") == "olivia"
    finally:
        db.dispose()


def test_users_add_refuses_bad_input_without_changing_anything(
    cli: Callable[..., Result], study: Path, stdin: Callable[[str], None]
) -> None:
    stdin("")
    user_error(cli("users", "add", "olivia", "--password-stdin", "--db", study), "no password")
    stdin("short\n")
    user_error(cli("users", "add", "olivia", "--password-stdin", "--db", study), "8 characters")
    stdin("long enough one\n")
    ok(cli("users", "add", "olivia", "--password-stdin", "--db", study))
    stdin("long enough two\n")
    user_error(cli("users", "add", "olivia", "--password-stdin", "--db", study), "already exists")
    user_error(cli("users", "password", "olivia", "--db", study), "--password-stdin")
    user_error(cli("users", "add", "a,b", "--db", study), "not a usable user name")


def test_tokens_create_list_revoke(
    cli: Callable[..., Result], study: Path, stdin: Callable[[str], None]
) -> None:
    from thematica.services.accounts import Accounts
    from thematica.store import open_database

    stdin("first password\n")
    ok(cli("users", "add", "olivia", "--password-stdin", "--db", study))
    secret = ok(cli("tokens", "create", "--as", "olivia", "--label", "script", "--db", study))
    token = secret.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    db = open_database(study)
    try:
        assert Accounts(db).token_user(token) == "olivia"
        rows = ok(cli("tokens", "list", "--as", "olivia", "--db", study, "--format", "csv"))
        assert token not in rows.stdout and ",script," in rows.stdout
        token_id = Accounts(db).tokens("olivia")[0].id
        ok(cli("tokens", "revoke", str(token_id), "--as", "olivia", "--db", study))
        assert Accounts(db).token_user(token) is None
        user_error(cli("tokens", "revoke", str(token_id), "--as", "olivia", "--db", study))
        user_error(cli("tokens", "create", "--as", "nobody", "--db", study), "no user named")
    finally:
        db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """``thematica serve`` as a real process (``request.param`` workers) on a prepared
    database with one account; yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEMATICA_")}
    db = tmp_path / "team.db"

    def run(*args: str, stdin: str | None = None) -> None:
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    run("init", "--db", str(db), "--as", "olivia")
    run("users", "add", "olivia", "--password-stdin", "--db", str(db), stdin="served password\n")
    port = _free_port()
    workers = str(getattr(request, "param", 1))
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ENTRY,
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--workers",
            workers,
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "thematica serve did not answer within 60 s"
            time.sleep(0.2)
        yield url, db
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.mark.parametrize("served", [1, 2], indirect=True, ids=["1-worker", "2-workers"])
def test_serve_answers_and_signs_in(served: tuple[str, Path]) -> None:
    url, _ = served
    with httpx.Client(base_url=url) as client:
        page = client.get("/login")
        assert "Sign in to Thematica" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        bad = client.post("/api/session", json={"user": "olivia", "password": "wrong one!"})
        assert bad.status_code == 401 and bad.json()["error"]
        r = client.post("/api/session", json={"user": "olivia", "password": "served password"})
        assert r.status_code == 200
        csrf = r.json()["csrf"]
        # several requests: with two workers they land on both processes, which share the
        # sessions through the database
        for n in range(6):
            made = client.post(
                "/api/projects", json={"name": f"Study {n}"}, headers={"X-CSRF-Token": csrf}
            )
            assert made.status_code == 201, made.text
        names = {p["name"] for p in client.get("/api/projects").json()}
        assert {f"Study {n}" for n in range(6)} <= names
        assert client.get("/static/js/common.js").status_code == 200


def test_serve_refuses_a_missing_database(cli: Callable[..., Result], tmp_path: Path) -> None:
    user_error(cli("serve", "--db", tmp_path / "nothing-here.db"))
