"""Commands for coder layers: list them with their kind, and set a layer's kind."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.coding_cmd import CoderKind
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

coders_app = typer.Typer(
    help="Coder layers and their kind (human, imported, ai, consensus).", no_args_is_help=True
)
app.add_typer(coders_app, name="coders")


@coders_app.command("list")
def coders_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Every coder layer: name, kind, codings and documents coded."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.coding.coder_rows(), fmt, output=output)


@coders_app.command("kind")
def coders_kind(
    name: Annotated[str, typer.Argument(help="The coder.")],
    kind: Annotated[CoderKind, typer.Argument(help="human, imported, ai or consensus.")],
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="On whose behalf (logged as detail; the actor is --as)."),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Say what a coder layer is; reports name only human coders as independent coders."""
    with open_project(db, project) as p:
        old = p.coding.set_coder_kind(name, kind.value, actor=actor)
    ui = UI(quiet, verbose)
    if old == kind.value:
        ui.info(f"{name} is already {kind.value}; nothing changed.")
    else:
        ui.info(f"{name}: {old} -> {kind.value}.")
