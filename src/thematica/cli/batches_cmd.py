"""Commands for coding batches: list the bulk operations and undo one."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

batches_app = typer.Typer(
    help="Bulk codings (tables, auto-coding, CSV, consensus apply): list them, undo one.",
    no_args_is_help=True,
)
app.add_typer(batches_app, name="batches")


@batches_app.command("list")
def batches_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Every coding batch: id, when, operation, coder, codings added, parameters, undone."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.batches.list(), fmt, output=output)


@batches_app.command("undo")
def batches_undo(
    batch: Annotated[int, typer.Argument(help="The batch id ('thematica batches list').")],
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="On whose behalf (logged as detail; the actor is --as)."),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove exactly the codings a batch added (codings that existed before it stay)."""
    with open_project(db, project) as p:
        report = p.batches.undo(batch, actor=actor)
    gone = report.added - report.removed
    UI(quiet, verbose).info(
        f"Undid batch {report.batch} ({report.operation}"
        + (f", {report.coder}" if report.coder else "")
        + f"): removed {report.removed} coding(s)"
        + (f"; {gone} had already been removed" if gone > 0 else "")
        + "."
    )
