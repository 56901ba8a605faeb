"""The reader page part of ``bench/web_load.py``: server time of ``GET /p/{pid}/read/{doc}``.

A synthetic transcript of ``--render-words`` words (``bench/corpus.py``: ``Interviewer:`` /
``Participant 1:`` turns) is imported into a fresh SQLite project with the starter codebook,
and ``--render-codings`` codings of random word-aligned spans (``--render-span`` characters,
so they overlap) with random codes are applied to the layer of an owner, who sees their own
layer by default. The page is then requested ``--render-reps`` times after 3 warm-up
requests: in-process, the ASGI app called directly (the app's own time: no HTTP client, no
network; sync routes run in its thread pool as under uvicorn), and over loopback from
``thematica serve`` (one worker), signed in with the session cookie of ``POST /api/session``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import web_servers as ws
from web_loadgen import SpanPicker


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass(slots=True)
class RenderResult:
    words: int = 0
    chars: int = 0
    codings: int = 0
    codes_used: int = 0
    status: int = 0
    payload_bytes: int = 0
    codings_in_page: int = 0
    mean_span: float = 0.0  # characters
    depth: float = 0.0  # codings covering a character, on average
    inproc_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    note: str = ""


class AsgiCaller:
    """Calls an ASGI app directly in the running event loop, keeping its cookies: the time
    from the call to the last body chunk is the app's own (sync routes still run in its
    thread pool, as under uvicorn), with no HTTP client, parser or network in it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes, float]:
        headers = [(b"host", b"testserver"), (b"user-agent", b"web-bench")]
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers.append((b"cookie", jar.encode("latin-1")))
        if body:
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # no disconnect: cancelled when the app is done
            return {"type": "http.disconnect"}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for key, value in message.get("headers", []):
                    if key.lower() == b"set-cookie":
                        pair = value.decode("latin-1").split(";", 1)[0]
                        name, _, val = pair.partition("=")
                        self.cookies[name.strip()] = val.strip()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        t0 = time.perf_counter()
        await self.app(scope, receive, send)
        return status, b"".join(chunks), (time.perf_counter() - t0) * 1e3


async def _inprocess(
    app: AsgiCaller, path: str, login: dict[str, str], res: RenderResult, args: Any
) -> None:
    status, body, _ = await app.request("POST", "/api/session", json.dumps(login).encode())
    if status != 200:
        res.note = f"sign-in answered {status}: {body[:160]!r}"
        return
    for _ in range(3):
        status, body, _ = await app.request("GET", path)
    res.status, res.payload_bytes = status, len(body)
    if status != 200:
        res.note = f"GET {path} answered {status}: {body[:160]!r}"
        return
    page = body.decode("utf-8")
    res.codings_in_page = len(
        {int(i) for ids in re.findall(r'data-k="([0-9 ]+)"', page) for i in ids.split()}
    )
    for _ in range(args.render_reps):
        _, _, took = await app.request("GET", path)
        res.inproc_ms.append(took)
    if args.profile:
        from web_profile import Sampler

        sampler = Sampler().start()
        for _ in range(args.render_reps):
            await app.request("GET", path)
        sampler.stop()
        (args.profile / "render.txt").write_text(sampler.report(), encoding="utf-8")


def render_phase(args: argparse.Namespace, work: Path) -> RenderResult:
    import corpus
    from sqlalchemy import select

    import thematica
    from thematica.services.accounts import Accounts
    from thematica.services.coding_bulk import CodingInput
    from thematica.store import schema as t

    res = RenderResult()
    url = f"sqlite:///{work / 'render.db'}"
    project = thematica.init_project(url, "render")
    project.codebook.apply_template("sem-harm-reduction-workforce")
    text, res.words = corpus.transcript(random.Random(args.seed), 1, args.render_words)
    folder = work / "render"
    folder.mkdir()
    (folder / "P0001-interview.txt").write_text(text, encoding="utf-8")
    project.documents.import_files([folder / "P0001-interview.txt"])
    name = "P0001-interview"
    with project.db.read() as conn:
        stored = str(conn.scalar(select(t.document.c.text).where(t.document.c.name == name)))
    res.chars = len(stored)
    index = project.codebook.index()
    codes = [index.paths[c] for c in index.depth_first()]
    Accounts(project.db).add_user("reader", ws.PASSWORD)
    project.members.add("reader", "owner")
    picker = SpanPicker([stored], len(codes), args.seed, lengths=args.render_span)
    items = [picker.next() for _ in range(args.render_codings)]
    res.codes_used = len({i.code for i in items})
    res.mean_span = statistics.fmean(i.end - i.start for i in items)
    res.depth = sum(i.end - i.start for i in items) / len(stored)
    report = project.coding.apply_many(
        [CodingInput(name, codes[i.code], i.start, i.end) for i in items], coder="reader"
    )
    res.codings = report.applied
    pid = project.id
    project.db.dispose()
    path = f"/p/{pid}/read/{name}"
    login = {"user": "reader", "password": ws.PASSWORD}

    # in-process: the app called directly (ASGI), its own time without client or network
    from thematica.web import create_app

    app = AsgiCaller(create_app(url))
    try:
        asyncio.run(_inprocess(app, path, login, res, args))
    finally:
        app.app.state.db.dispose()
    if res.status != 200:
        log(f"render: {res.note}")
        return res
    # over loopback from a real server
    with (
        ws.thematica_server(url, 1, work / "render-server.log", args.app) as srv,
        httpx.Client(base_url=srv.base, timeout=60) as client,
    ):
        client.post("/api/session", json=login).raise_for_status()
        for _ in range(3):
            client.get(path)
        for _ in range(args.render_reps):
            t0 = time.perf_counter()
            r = client.get(path)
            res.http_ms.append((time.perf_counter() - t0) * 1e3)
            if r.status_code != 200 or len(r.content) != res.payload_bytes:
                res.note = f"over loopback: {r.status_code}, {len(r.content)} bytes"
    log(
        f"render: {res.words:,} words, {res.codings:,} codings, "
        f"{res.payload_bytes / 1024:,.0f} KiB, "
        f"{res.codings_in_page:,} codings in the page, "
        f"in-process median {statistics.median(res.inproc_ms):.1f} ms, "
        f"loopback median {statistics.median(res.http_ms):.1f} ms"
    )
    return res
