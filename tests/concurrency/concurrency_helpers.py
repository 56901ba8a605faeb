"""Workers for the multi-process tests. Each runs in its own OS process (forkserver: no
connection or engine is inherited from the test process) and opens the project itself."""

from __future__ import annotations

import multiprocessing as mp
import random
from datetime import UTC, datetime
from multiprocessing.context import BaseContext
from typing import Any

OWNER = "lead"
CODER = "team"  # a coder that does not exist until the workers race to create it
PROCESSES = 20
PER_PROCESS = 200
OWN = 150  # spans only this process codes
SHARED = PER_PROCESS - OWN  # spans every process codes (the deliberate duplicates)
DOC_LENGTH = PROCESSES * OWN + SHARED + 50


def context() -> BaseContext:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["thematica.services.project", "thematica.services.coding"])
    return ctx


def spans_for(worker: int) -> list[tuple[int, int]]:
    """Worker k codes [k*150 + i, +1) for i < 150 and the 50 shared spans [3000 + j, +1),
    in a shuffled order so that the shared ones collide at different moments."""
    own = [(worker * OWN + i, worker * OWN + i + 1) for i in range(OWN)]
    shared = [(PROCESSES * OWN + j, PROCESSES * OWN + j + 1) for j in range(SHARED)]
    items = own + shared
    random.Random(worker).shuffle(items)
    return items


def code_worker(url: str, worker: int, barrier: Any, out: Any) -> None:
    """Apply this worker's 200 codings one by one, as a coding interface would."""
    from thematica.core.errors import ConflictError
    from thematica.services.project import open_project

    applied = conflicts = 0
    others: list[str] = []
    try:
        project = open_project(url, actor=OWNER)
        barrier.wait(timeout=120)
        for start, end in spans_for(worker):
            try:
                project.coding.apply("doc", "Theme", start, end, coder=CODER)
                applied += 1
            except ConflictError as exc:
                if "already coded" not in str(exc):
                    others.append(f"ConflictError: {exc}")
                conflicts += 1
        project.close()
    except BaseException as exc:  # reported to the test, which fails on any
        others.append(f"{type(exc).__name__}: {exc}")
    out.put((worker, applied, conflicts, others))


def member_worker(url: str, worker: int, barrier: Any, out: Any) -> None:
    """Everybody adds the same new person (user account and membership) at once."""
    from thematica.core.errors import ConflictError
    from thematica.services.project import open_project

    try:
        project = open_project(url, actor=OWNER)
        barrier.wait(timeout=120)
        try:
            project.members.add("zoe", "coder")
            result = "added"
        except ConflictError:
            result = "conflict"
        project.close()
    except BaseException as exc:
        result = f"{type(exc).__name__}: {exc}"
    out.put((worker, result))


def codebook_worker(url: str, worker: int, barrier: Any, out: Any) -> None:
    """Everybody adds the same new code at the root at once (no unique key backs a code's
    name among its siblings: the codebook's own lock must)."""
    from thematica.core.errors import ConflictError
    from thematica.services.project import open_project

    try:
        project = open_project(url, actor=OWNER)
        barrier.wait(timeout=120)
        try:
            project.codebook.add("Stigma")
            result = "added"
        except ConflictError as exc:
            result = "conflict" if "already exists" in str(exc) else f"other conflict: {exc}"
        project.close()
    except BaseException as exc:
        result = f"{type(exc).__name__}: {exc}"
    out.put((worker, result))


def document_worker(url: str, worker: int, barrier: Any, out: Any) -> None:
    """Everybody imports their own transcript of the same new participant (case) at once."""
    import tempfile
    from pathlib import Path

    from thematica.services.project import open_project

    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"P07-part{worker}.txt"
            path.write_text(f"Interviewer: hello\nP07: part {worker}\n", encoding="utf-8")
            project = open_project(url, actor=OWNER)
            barrier.wait(timeout=120)
            report = project.documents.import_files([path], case="P07")
            result = f"imported {report.imported}, cases {report.cases_created}"
            project.close()
    except BaseException as exc:
        result = f"{type(exc).__name__}: {exc}"
    out.put((worker, result))


def upgrade_worker(url: str, worker: int, barrier: Any, out: Any) -> None:
    """Half the processes upgrade (each as a different person), half open the project."""
    from thematica.services.project import open_project, upgrade_database
    from thematica.store import SchemaOutOfDate

    try:
        barrier.wait(timeout=120)
        if worker % 2 == 0:
            rows = list(upgrade_database(url, actor=f"user{worker}"))
            result: Any = (
                "upgraded",
                [(r.from_revision, r.to_revision, r.owner_added) for r in rows],
            )
        else:
            try:
                open_project(url, actor="someone").close()
                result = ("opened", None)
            except SchemaOutOfDate:
                result = ("out of date", None)
    except BaseException as exc:
        result = ("error", f"{type(exc).__name__}: {exc}")
    out.put((worker, result))


def run_all(target: Any, url: str, n: int, timeout: float = 300) -> list[Any]:
    """Start ``n`` processes of ``target`` together and collect one result from each."""
    ctx = context()
    barrier = ctx.Barrier(n)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, k, barrier, out)) for k in range(n)]
    for p in procs:
        p.start()
    results = [out.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * n
    return sorted(results, key=lambda r: r[0])


def old_database(url: str, revision: str = "0005", projects: tuple[str, ...] = ("old",)) -> None:
    """A database as an older Thematica left it: the schema at ``revision`` and projects
    without members (roles did not exist yet)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, insert
    from sqlalchemy.engine import make_url

    from thematica.store import schema as t
    from thematica.store.engine import MIGRATIONS, _sqlite_engine, resolve_url

    url = resolve_url(url)
    engine = (
        _sqlite_engine(url) if make_url(url).drivername.startswith("sqlite") else create_engine(url)
    )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        for name in projects:
            conn.execute(
                insert(t.project).values(
                    name=name, created_at=datetime.now(UTC), settings={"blind": True}
                )
            )
    engine.dispose()
