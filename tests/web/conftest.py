"""Fixtures for the web application: the demo with a team (an owner, two coders, a viewer) and
a second project nobody of that team belongs to; signed-in API clients; a real server on
loopback; and Playwright driving Debian's Chromium.

Passwords are argon2-hashed once per session and the hash stored for every test user, so a
test pays for one verification at sign-in, not for hashing.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from thematica.store import schema as t

IN_CI = __import__("os").environ.get("CI", "").lower() == "true"

PASSWORD = "correct horse battery"
OWNER, CODER_A, CODER_B, VIEWER, OUTSIDER = "olivia", "alex", "sam", "vera", "otto"
TEAM = {OWNER: "owner", CODER_A: "coder", CODER_B: "coder", VIEWER: "viewer"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A real argon2id hash of PASSWORD, with the cheapest parameters: verifying reads the
    parameters from the hash, so each sign-in in a test costs milliseconds, not the ~60 ms
    the production parameters (rightly) cost."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class WebStudy:
    """The demo served by a web app, with its team and a foreign project."""

    url: str
    project: Any  # the demo Project, opened as its OS-user owner
    app: Any
    pid: int
    other_pid: int  # "Other study": owned by otto, who is in no demo role
    clients: list[Any] = field(default_factory=list)

    def client(self, user: str | None = None, *, csrf: bool = True) -> Any:
        """A TestClient signed in as ``user`` (None: signed out); with ``csrf`` it sends the
        session's CSRF token on every request, as the pages' script does."""
        from fastapi.testclient import TestClient

        client = TestClient(self.app, base_url="http://testserver")
        self.clients.append(client)
        if user is not None:
            r = client.post("/api/session", json={"user": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            if csrf:
                client.headers["X-CSRF-Token"] = r.json()["csrf"]
        return client

    def token(self, user: str) -> str:
        from thematica.services.accounts import Accounts

        return Accounts(self.project.db).create_token(user, "test")

    def as_user(self, user: str) -> Any:
        """The demo project opened through the services as ``user`` (to check what the web
        did, or to set things up)."""
        from thematica.services.accounts import open_project_for

        return open_project_for(self.project.db, self.project.name, user)


def make_web_study(project: Any, password_hash: str, tmp_path: Path) -> WebStudy:
    from thematica.services.accounts import Accounts
    from thematica.web import create_app

    for user, role in TEAM.items():
        project.members.add(user, role)
    accounts = Accounts(project.db)
    accounts.add_user(OUTSIDER)
    other = accounts.create_project("Other study", OUTSIDER)
    secret = tmp_path / "secret-interview.txt"
    secret.write_text(
        "Interviewer: What worries you?\nRespondent: The confidential overdose numbers.\n",
        encoding="utf-8",
    )
    other.documents.import_files([secret])
    other.codebook.add("Secret code")
    other.coding.apply("secret-interview", "Secret code", 31, 60, coder=OUTSIDER)
    with project.db.write() as conn:
        conn.execute(update(t.user_account).values(password_hash=password_hash))
    app = create_app(project.db)
    return WebStudy(project.db.url, project, app, project.id, other.id)


@pytest.fixture
def web(demo: Any, password_hash: str, tmp_path: Path) -> Iterator[WebStudy]:
    """The demo on each backend, served by the web app (TestClient, in-process)."""
    study = make_web_study(demo, password_hash, tmp_path)
    yield study
    for client in study.clients:
        client.close()


@pytest.fixture
def web_sqlite(
    demo_template_sqlite: Path, password_hash: str, tmp_path: Path
) -> Iterator[WebStudy]:
    """The same on SQLite only (for the browser tests, which need one backend)."""
    import thematica

    path = tmp_path / "study.db"
    shutil.copyfile(demo_template_sqlite, path)
    project = thematica.open_project(str(path))
    study = make_web_study(project, password_hash, tmp_path)
    yield study
    for client in study.clients:
        client.close()
    project.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(web_sqlite: WebStudy) -> Iterator[str]:
    """A real uvicorn server on loopback serving ``web_sqlite``; yields its base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        web_sqlite.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test web server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian's package, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: this must not be skipped)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live: str) -> Iterator[Any]:
    """A fresh browser tab (own cookies) on the live server; console errors fail the test."""
    context = browser.new_context(base_url=live, viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not errors, f"the page logged errors: {errors}"


def sign_in(tab: Any, user: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form, as a person does."""
    tab.goto("/login")
    tab.fill("input[name=user]", user)
    tab.fill("input[name=password]", password)
    tab.click("button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)


SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(tab: Any, name: str) -> Path:
    """Save a screenshot for people to look at (docs/screenshots, not committed by tests)."""
    out = Path(__import__("os").environ.get("THEMATICA_SCREENSHOTS", "/tmp/thematica-shots"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


#: web tests that exercise the HTTP contract of every route (status codes, schemas, roles),
#: not detection quality: their de-identification runs use the field recognisers alone, so
#: each worker does not load spaCy and run it over the whole demo several times
_CONTRACT_MODULES = ("test_api_fuzz", "test_route_matrix")


@pytest.fixture(autouse=True)
def _field_recognisers_only_for_contract_walks(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.module.__name__.rsplit(".", 1)[-1] not in _CONTRACT_MODULES:
        return
    from thematica.intake.deid import engine

    original = engine.Detector.__init__

    def light(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["ner"] = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(engine.Detector, "__init__", light)
