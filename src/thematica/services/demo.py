"""The demo project: fictional interviews with harm-reduction staff, coded by two coders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from thematica.core.errors import ConflictError
from thematica.services._progress import Progress, silent
from thematica.services.project import DbArg, Project, init_project
from thematica.store import open_database
from thematica.store import schema as t
from thematica.store.engine import resolve_url

DEMO_PROJECT = "demo"
DEFAULT_DEMO_DB = "thematica-demo.db"
TIME_IN_ROLE = ["<1 year", "1-3 years", "3-5 years", ">5 years"]
CODERS = ("alex", "sam")


@dataclass(slots=True)
class DemoSummary:
    database: str
    documents: int
    cases: int
    codes: int
    codings: dict[str, int]


def _clear_previous_demo(url: str) -> None:
    """Delete an earlier demo database so the demo can be rebuilt, but never anything else."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        database = open_database(url, create=True)  # a blank server database gets the schema
        with database.read() as conn:
            names = list(conn.scalars(select(t.project.c.name)))
        database.dispose()
        if names:
            raise ConflictError(
                f"{database.label} already holds projects ({', '.join(names)}); "
                "build the demo in an empty database"
            )
        return
    path = Path(parsed.database or "")
    if not path.exists():
        return
    database = open_database(url)
    with database.read() as conn:
        names = list(conn.scalars(select(t.project.c.name)))
    database.dispose()
    if names != [DEMO_PROJECT]:
        raise ConflictError(
            f"{path} exists and is not a demo database; choose another place for the demo",
            hint="db",
        )
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def build_demo(db: DbArg = None, *, progress: Progress = silent) -> tuple[Project, DemoSummary]:
    """Create the demo project (rebuilding an earlier demo database at the same place)."""
    url = resolve_url(
        db if db is not None else os.environ.get("THEMATICA_DEMO_DB", DEFAULT_DEMO_DB)
    )
    _clear_previous_demo(url)
    project = init_project(url, DEMO_PROJECT)
    project.update_settings(case_pattern=r"(P\d+)")
    root = resources.files("thematica") / "data" / "demo"
    with resources.as_file(root) as folder:
        progress(0, 5, "codebook")
        project.codebook.apply_template("sem-harm-reduction-workforce", actor="demo")
        progress(1, 5, "participants")
        project.cases.import_table(
            folder / "participants.csv",
            id_column="participant_id",
            orders={"time_in_role": TIME_IN_ROLE},
        )
        progress(2, 5, "transcripts")
        project.documents.import_files(sorted(folder.glob("P*-interview.txt")))
        codings: dict[str, int] = {}
        for n, coder in enumerate(CODERS, 3):
            progress(n, 5, f"codings by {coder}")
            report = project.coding.import_csv(folder / f"coder-{coder}.csv", coder=coder)
            codings[coder] = report.applied
    project.memos.add(
        "project",
        None,
        "Fictional demo study: support needs of harm-reduction staff, coded by two coders "
        "(alex and sam) with the SEM starter codebook.",
        author="demo",
    )
    # the demo's themes: one per theme-level code, its subcodes as subthemes
    project.themes.from_codebook(1, actor="demo")
    progress(5, 5, "done")
    summary = DemoSummary(
        database=project.db.label,
        documents=len(project.documents.list()),
        cases=len(project.cases.list()),
        codes=len(project.codebook.tree()),
        codings=codings,
    )
    return project, summary


def example_files() -> dict[str, bytes]:
    """The files a new user needs to try the "your own study" steps: the demo's transcripts,
    its participants sheet, one coder's codings and a short interview recording (for
    ``thematica transcribe``), keyed by relative path.

    Returned as data so that each face decides where (and whether) to write them.
    """
    root = resources.files("thematica") / "data" / "demo"
    files: dict[str, bytes] = {}
    for item in sorted(root.iterdir(), key=lambda i: i.name):
        if item.name.endswith("-interview.txt"):
            files[f"transcripts/{item.name}"] = item.read_bytes()
    files["participants.csv"] = (root / "participants.csv").read_bytes()
    files["alex-codings.csv"] = (root / "coder-alex.csv").read_bytes()
    recordings = root / "recordings"
    if recordings.is_dir():
        for item in sorted(recordings.iterdir(), key=lambda i: i.name):
            if item.name.endswith(".mp3"):
                files[f"recordings/{item.name}"] = item.read_bytes()
    extra = root / "examples"
    if extra.is_dir():
        for item in sorted(extra.iterdir(), key=lambda i: i.name):
            if item.is_file() and not item.name.startswith("."):
                files[item.name] = item.read_bytes()
    return files
