"""Commands about whole projects: init, upgrade, demo, settings, the audit log."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import acting_as, app, open_project
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


@app.command()
def init(
    path: Annotated[
        str | None, typer.Argument(help="Database file to create (same as --db).")
    ] = None,
    db: Db = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Project name (default: file name).")
    ] = None,
    sem_levels: Annotated[
        str | None,
        typer.Option("--sem-levels", help="Comma-separated SEM levels, innermost first."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create a project (and its database file)."""
    from thematica.services.project import init_project

    ui = UI(quiet, verbose)
    if path and db and path != db:
        raise InputError("give the database once: as PATH or as --db")
    levels = [s for s in sem_levels.split(",")] if sem_levels else None
    project = init_project(path or db, name, sem_levels=levels, actor=acting_as["name"])
    ui.info(f"Created project [bold]{project.name}[/bold] in {project.db.label}")
    ui.info("Next: thematica import --db … FILES, thematica codebook template --db …")


@app.command()
def projects(db: Db = None, quiet: Quiet = False, verbose: Verbose = False) -> None:
    """List the projects in a database."""
    from thematica.services.project import list_projects

    UI(quiet, verbose).write("".join(f"{name}\n" for name in list_projects(db)))


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build the demo (default: ./thematica-demo.db)."),
    ] = None,
    files: Annotated[
        Path | None,
        typer.Option(
            "--files",
            help="Instead, write example study files (transcripts, participants, codings) "
            "into this new or empty folder, to try the 'your own study' steps.",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Build the demo project: fictional harm-reduction staff interviews coded by two coders."""
    from thematica.services.access import current_user_name
    from thematica.services.demo import build_demo

    ui = UI(quiet, verbose)
    if files is not None:
        if db is not None:
            raise InputError("--files writes example files and builds no database; drop --db")
        _write_example_files(files, ui)
        return
    with ui.progress("Building the demo") as progress:
        project, summary = build_demo(db, progress=progress)
    db_arg = summary.database
    coded = ", ".join(f"{n} by {coder}" for coder, n in summary.codings.items())
    ui.info(
        f"[bold green]Demo project ready[/bold green] in {db_arg}: "
        f"{summary.documents} transcripts, "
        f"{summary.cases} participants, {summary.codes} codes, codings {coded}."
    )
    ui.info("Where to look next:")
    for line in (
        f"thematica cases describe --db {db_arg}",
        f"thematica codebook list --db {db_arg}",
        f'thematica query --db {db_arg} --coder alex "Staffing" --where "lived_experience = yes"',
        f'thematica search --db {db_arg} "supervisor*"',
        f"thematica agreement --db {db_arg} --coders alex,sam --unit sentence",
        f"thematica consensus walk --db {db_arg} --coders alex,sam",
    ):
        ui.info(f"  {line}")
    ui.info(
        "In the browser: give yourself a password, then serve it (README, 'The web application'):"
    )
    owner = shlex.quote(current_user_name())  # build_demo makes the acting user its owner
    ui.info(f"  thematica users add {owner} --password-stdin --db {db_arg}")
    ui.info(f"  thematica serve --db {db_arg}")
    if shutil.which("thematica") is None:
        activate = Path(sys.prefix) / "bin" / "activate"
        ui.info(f"(thematica is not on your PATH yet: run 'source {activate}' first)")
    project.close()


def _write_example_files(folder: Path, ui: UI) -> None:
    from thematica.services.demo import example_files

    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} exists and is not an empty folder; choose a new one")
    written = example_files()
    try:
        for rel, data in written.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as exc:
        raise InputError(f"cannot write example files to {folder}: {exc.strerror}") from exc
    ui.info(f"Wrote {len(written)} example files to {folder}:")
    for rel in written:
        ui.info(f"  {rel}")


@app.command()
def settings(
    db: Db = None,
    project: ProjectName = None,
    speaker_pattern: Annotated[
        str | None,
        typer.Option("--speaker-pattern", help="Regex with a (?P<speaker>…) group; '' resets."),
    ] = None,
    case_pattern: Annotated[
        str | None,
        typer.Option("--case-pattern", help="Regex on file names giving the case; '' clears."),
    ] = None,
    sem_levels: Annotated[
        str | None,
        typer.Option("--sem-levels", help="Comma-separated SEM levels, innermost first."),
    ] = None,
    blind: Annotated[
        bool | None,
        typer.Option(
            "--blind/--open",
            help="Blind coding (coders see only their own layer) or open comparison to all.",
            show_default=False,
        ),
    ] = None,
    ai_url: Annotated[
        str | None,
        typer.Option(
            "--ai-url",
            help="The team's OpenAI-compatible AI server (http://host:port); '' clears "
            "(then nothing leaves this machine).",
        ),
    ] = None,
    ai_model: Annotated[
        str | None, typer.Option("--ai-model", help="Its chat model name; '' clears.")
    ] = None,
    ai_embedding_model: Annotated[
        str | None,
        typer.Option("--ai-embedding-model", help="Its embedding model name; '' clears."),
    ] = None,
    ai_api_key_env: Annotated[
        str | None,
        typer.Option(
            "--ai-api-key-env",
            help="Name of the environment variable holding its API key (never stored).",
        ),
    ] = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Show the project's settings, or change them (used by later imports)."""
    from thematica.core.tables import Table
    from thematica.services.project import SettingRow

    levels = sem_levels.split(",") if sem_levels is not None else None
    with open_project(db, project) as p:
        current = p.configure(
            speaker_pattern=speaker_pattern,
            case_pattern=case_pattern,
            sem_levels=levels,
            blind=blind,
            ai_url=ai_url,
            ai_model=ai_model,
            ai_embedding_model=ai_embedding_model,
            ai_api_key_env=ai_api_key_env,
        )
    rows = [
        SettingRow(k, ", ".join(v) if isinstance(v, list) else None if v is None else str(v))
        for k, v in current.items()
    ]
    UI(quiet, verbose).table(Table(rows, title="Settings"), fmt)


@app.command("log")
def audit_log(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    limit: Annotated[
        int, typer.Option("--limit", help="Newest entries to show (0: all of them).")
    ] = 50,
    actor: Annotated[
        list[str] | None,
        typer.Option("--actor", help="Only changes by this person (repeat, or a comma list)."),
    ] = None,
    action: Annotated[
        list[str] | None,
        typer.Option(
            "--action",
            help="Only these actions (repeat, or a comma list); 'consensus*' matches a prefix.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only changes since a date/time (2026-12-06, 2026-12-06T07:00, UTC) "
            "or a span back from now (30m, 2h, 3d, 1w).",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Show the audit trail, newest first: one line per change (when, who, what).

    Times are UTC. --format json gives every entry's full detail; csv and md a table.
    """
    from thematica.cli.log_format import log_lines

    with open_project(db, project) as p:
        rows = p.audit_log(
            limit=limit if limit > 0 else None, actor=actor, action=action, since=since
        )
    ui = UI(quiet, verbose)
    if fmt is Format.table:
        ui.write("".join(line + "\n" for line in log_lines(rows.rows)))
        if not rows.rows:
            ui.info("no changes match.")
        return
    ui.table(rows, fmt)


@app.command()
def upgrade(
    db: Db = None, fmt: Fmt = Format.table, quiet: Quiet = False, verbose: Verbose = False
) -> None:
    """Bring a database made by an older Thematica up to date (safe to run again).

    A project without members (made before roles existed) gets its first owner: you, or
    the person named by --as.
    """
    from thematica.services.project import upgrade_database

    ui = UI(quiet, verbose)
    report = upgrade_database(db, actor=acting_as["name"])
    if not any(r.from_revision != r.to_revision or r.owner_added for r in report):
        ui.info("Nothing to do: the schema is current and every project has an owner")
    ui.table(report, fmt)
