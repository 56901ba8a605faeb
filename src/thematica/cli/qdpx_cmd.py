"""Commands for REFI-QDA projects (``.qdpx``): export and import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, ProjectName, Quiet, Verbose
from thematica.cli.output import UI

qdpx_app = typer.Typer(
    help="Exchange whole projects with NVivo, MAXQDA, ATLAS.ti (REFI-QDA .qdpx).",
    no_args_is_help=True,
)
app.add_typer(qdpx_app, name="qdpx")


@qdpx_app.command("export")
def qdpx_export(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to write.")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write the project as a REFI-QDA archive; says what the standard could not carry."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        from thematica.exporters.project_files import write_qdpx

        report = write_qdpx(p, file)
    counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
    ui.info(f"wrote {file}: {counts}")
    for item in report.not_exported:
        ui.info(f"not exported: {item}")


@qdpx_app.command("import")
def qdpx_import(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to read.")],
    db: Db = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Name of the new project (default: the file's).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table or json (counts and skipped items).")
    ] = "table",
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Import a REFI-QDA archive as a new project; all of it lands or none of it does."""
    from thematica.services.interop import import_qdpx

    ui = UI(quiet, verbose)
    from thematica.cli.app import actor_name

    report = import_qdpx(db, file, name, actor=actor_name())
    if fmt == "json":
        ui.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    ui.write(f"project {report.project!r}\n")
    for key, value in report.counts.items():
        ui.write(f"  {key:<10} {value}\n")
    for what, why in report.skipped:
        ui.info(f"skipped: {what}: {why}")
    for line in report.notes:
        ui.detail(line)
