"""Servers and projects for ``bench/web_load.py``: Thematica and Taguette on loopback.

Thematica runs exactly as ``thematica serve --db URL --port P --workers N`` (the installed
entry point; uvicorn, log level warning); Taguette as ``taguette server CONFIG`` (its
multi-user mode, SQLite, in a virtual environment of its own, see ``taguette_driver.py``).
Each server is a child process in a session of its own, stopped with SIGINT (then SIGKILL)
sent to that process group only.
"""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TAGUETTE_VERSION = "1.5.2"
PASSWORD = "bench-password-not-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A child server process on loopback; ``ready`` is a URL path that answers when up."""

    def __init__(self, cmd: list[str], port: int, log: Path, ready: str, **popen: Any) -> None:
        self.cmd, self.port, self.log, self.ready = cmd, port, log, ready
        self.popen = popen
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> Server:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.cmd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **self.popen,
        )
        handle.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {' '.join(self.cmd)}; see {self.log}")
            try:
                httpx.get(self.base + self.ready, timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server did not start in 90 s: {' '.join(self.cmd)}; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def thematica_server(
    db_url: str, workers: int, log: Path, factory: str | None = None, sample: Path | None = None
) -> Server:
    """``thematica serve``; with ``factory`` (module:function) uvicorn runs that app instead,
    and with ``sample`` the app of ``web_profile.sampled_app``, sampled into ``sample``."""
    port = free_port()
    env = dict(os.environ)
    if sample is not None:
        factory = "web_profile:sampled_app"
        env["THEMATICA_SAMPLE_OUT"] = str(sample)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "bench"), *filter(None, [env.get("PYTHONPATH")])]
        )
    if factory:  # another build of the app (for trying the harness): module:function
        env["THEMATICA_DB"] = db_url
        cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port)]
        cmd += ["--workers", str(workers), "--log-level", "warning", "--no-server-header"]
    else:
        exe = Path(sys.executable).parent / "thematica"
        cmd = [str(exe), "serve", "--db", db_url, "--port", str(port), "--workers", str(workers)]
    return Server(cmd, port, log, "/api/projects", env=env)


# -- Thematica: the project and the simulated team -----------------------------------------------
@dataclass(slots=True)
class ThematicaStudy:
    url: str
    pid: int
    documents: list[str]  # names
    texts: list[str]
    codes: list[str]  # paths
    code_ids: list[int]
    tokens: dict[str, str] = field(default_factory=dict)  # coder -> bearer token


def build_thematica(url: str, coders: list[str]) -> ThematicaStudy:
    """The demo (7 transcripts, starter codebook, two coders' layers) with ``coders`` added as
    members with the coder role, each with an API token; all through the services."""
    from sqlalchemy import select

    from thematica.services.accounts import Accounts
    from thematica.services.demo import build_demo
    from thematica.store import schema as t

    project, _ = build_demo(url)
    accounts = Accounts(project.db)
    study = ThematicaStudy(url, project.id, [], [], [], [])
    for name in coders:
        project.members.add(name, "coder")
        study.tokens[name] = accounts.create_token(name, "web benchmark")
    index = project.codebook.index()
    for cid in index.depth_first():
        study.codes.append(index.paths[cid])
        study.code_ids.append(cid)
    d = t.document.c
    with project.db.read() as conn:
        for name, text in conn.execute(
            select(d.name, d.text).where(d.project_id == project.id).order_by(d.name)
        ):
            study.documents.append(str(name))
            study.texts.append(str(text))
    project.db.dispose()
    return study


def thematica_marks(url: str, pid: int) -> tuple[int, int]:
    """(largest coding id, largest audit id) so far: what a run adds comes after."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        coding = conn.scalar(text("SELECT max(id) FROM coding WHERE project_id = :p"), {"p": pid})
        audit = conn.scalar(text("SELECT max(id) FROM audit_log WHERE project_id = :p"), {"p": pid})
    engine.dispose()
    return int(coding or 0), int(audit or 0)


def thematica_stored(
    url: str, pid: int, marks: tuple[int, int]
) -> tuple[list[tuple[Any, ...]], int]:
    """Codings stored after ``marks`` (id, document, code id, coder, start, end), and the
    number of "code" audit entries written after them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT c.id, d.name, c.code_id, w.name, c.start, c."end" FROM coding c '
                "JOIN document d ON d.id = c.document_id JOIN coder w ON w.id = c.coder_id "
                "WHERE c.project_id = :p AND c.id > :m ORDER BY c.id"
            ),
            {"p": pid, "m": marks[0]},
        ).all()
        audits = conn.scalar(
            text(
                "SELECT count(*) FROM audit_log WHERE project_id = :p AND id > :m "
                "AND action = 'code'"
            ),
            {"p": pid, "m": marks[1]},
        )
    engine.dispose()
    return [tuple(r) for r in rows], int(audits or 0)


# -- Taguette -----------------------------------------------------------------------------------
def ensure_taguette(venv: Path) -> Path:
    """Taguette's interpreter, installing Taguette into ``venv`` first if it is not there."""
    python = venv / "bin" / "python"
    if (venv / "bin" / "taguette").exists():
        return python
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"taguette=={TAGUETTE_VERSION}"], check=True
    )
    return python


def taguette_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import taguette; print(taguette.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "?"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def transcript_html(text: str) -> str:
    """A transcript as Taguette stores an uploaded HTML file: a paragraph per line (non-ASCII
    as character references, since the upload carries no charset)."""
    paras = [line for line in text.splitlines() if line.strip()]
    return "".join(
        f"<p>{html.escape(p).encode('ascii', 'xmlcharrefreplace').decode('ascii')}</p>"
        for p in paras
    )


@dataclass(slots=True)
class TaguetteStudy:
    folder: Path
    python: Path
    project: int
    port: int
    documents: list[int] = field(default_factory=list)  # Taguette document ids
    texts: list[str] = field(default_factory=list)  # each document's text (for offsets)
    tags: list[int] = field(default_factory=list)
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)  # coder -> cookies


def taguette_setup(python: Path, folder: Path, coders: list[str]) -> TaguetteStudy:
    port = free_port()
    out = subprocess.run(
        [
            str(python),
            str(ROOT / "bench" / "taguette_driver.py"),
            "setup",
            str(folder),
            "--users",
            ",".join(coders),
            "--password",
            PASSWORD,
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return TaguetteStudy(folder, python, int(json.loads(out.stdout)["project"]), port)


def taguette_server(study: TaguetteStudy) -> Server:
    exe = study.python.parent / "taguette"
    return Server(
        [str(exe), "server", str(study.folder / "taguette.conf")],
        study.port,
        study.folder / "server.log",
        "/health",
        cwd=str(study.folder),
    )


def taguette_login(base: str, user: str) -> tuple[dict[str, str], str]:
    """Sign in through the login form; (cookies, XSRF token for the X-XSRFToken header)."""
    with httpx.Client(base_url=base, timeout=60) as c:
        c.get("/login")
        xsrf = c.cookies["_xsrf"]
        r = c.post("/login", data={"login": user, "password": PASSWORD, "_xsrf": xsrf, "next": "/"})
        if r.status_code != 303 or "user" not in c.cookies:
            raise RuntimeError(f"Taguette sign-in failed for {user}: {r.status_code}")
        return {k: v for k, v in c.cookies.items()}, xsrf


def taguette_populate(
    study: TaguetteStudy, names: list[str], texts: list[str], codes: list[str]
) -> None:
    """Upload the transcripts and create one tag per code, as the administrator, over HTTP."""
    base = f"http://127.0.0.1:{study.port}"
    cookies, xsrf = taguette_login(base, "admin")
    head = {"X-XSRFToken": xsrf}
    with httpx.Client(base_url=base, cookies=cookies, headers=head, timeout=120) as c:
        p = study.project
        for name, text in zip(names, texts, strict=True):
            markup = transcript_html(text)
            r = c.post(
                f"/api/project/{p}/document/new",
                data={"name": name, "description": ""},
                files={"file": (f"{name}.html", markup.encode("ascii"), "text/html")},
            )
            r.raise_for_status()
            doc = int(r.json()["created"])
            r = c.get(f"/api/project/{p}/document/{doc}/contents")
            r.raise_for_status()
            stored = "".join(part["contents"] for part in r.json()["contents"])
            study.documents.append(doc)
            study.texts.append(html_text(stored))
        for path in codes:
            r = c.post(f"/api/project/{p}/tag/new", json={"path": path, "description": ""})
            r.raise_for_status()
            study.tags.append(int(r.json()["id"]))


def taguette_stored(study: TaguetteStudy) -> dict[str, Any]:
    out = subprocess.run(
        [str(study.python), str(ROOT / "bench" / "taguette_driver.py"), "check", str(study.folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result
