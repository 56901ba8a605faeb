"""``thematica ai``: the offline embedding backends on this machine — which are installed,
which is the default, and preparing model files ahead of first use. Machine-level: no
project is opened."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app
from thematica.cli.options import Fmt, Output, Quiet, Verbose
from thematica.cli.output import UI, Format

ai_app = typer.Typer(
    help="AI backends on this machine: list them, prepare model files.", no_args_is_help=True
)
app.add_typer(ai_app, name="ai")


@ai_app.command("backends")
def ai_backends(
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Each embedding backend: model, installed, default, speed, quality, how to install."""
    from thematica.ai.embedders import BackendStatus, backends
    from thematica.core.tables import Table

    rows = backends()
    UI(quiet, verbose).table(Table.of(BackendStatus, rows, title="AI backends"), fmt, output=output)


@ai_app.command("prepare")
def ai_prepare(
    backend: Annotated[
        str | None,
        typer.Argument(help="mpnet or static (default: every installed one that needs it)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Rejoin mpnet's weights or distil the static model now, instead of at first use."""
    from thematica.ai.embedders import prepare

    ui = UI(quiet, verbose)
    for line in prepare(backend, say=ui.info):
        ui.write(line + "\n")
