"""Commands for prevalence (cases per theme or code, in words) and code co-occurrence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


@app.command("prevalence")
def prevalence(
    db: Db = None,
    project: ProjectName = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Break down by this case attribute.")
    ] = None,
    coder: Coder = None,
    themes: Annotated[bool, typer.Option("--themes", help="Themes (the default).")] = False,
    codes: Annotated[bool, typer.Option("--codes", help="Codes instead of themes.")] = False,
    groups: Annotated[
        bool, typer.Option("--groups", help="Count focus groups instead of participants.")
    ] = False,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Cases with each theme or code, their share, segments and a quantifier word."""
    if themes and codes:
        raise InputError("choose --themes or --codes, not both")
    with open_project(db, project) as p:
        table = p.prevalence.table(
            "codes" if codes else "themes",
            coder=coder,
            by=by,
            unit="groups" if groups else "participants",
        )
    UI(quiet, verbose).table(table, fmt, output=output)


@app.command("cooccurrence")
def cooccurrence(
    db: Db = None,
    project: ProjectName = None,
    mode: Annotated[
        str, typer.Option("--mode", help="segment (same span), overlap or turn.")
    ] = "overlap",
    levels: Annotated[
        bool, typer.Option("--levels", help="SEM level × SEM level instead of codes.")
    ] = False,
    coder: Coder = None,
    heatmap: Annotated[
        Path | None, typer.Option("--heatmap", help="Also draw a heat map (.png or .svg).")
    ] = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Code × code co-occurrence: pairs with their count and Jaccard index."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        table = p.cooccurrence.table(mode, coder=coder, levels=levels)
        if heatmap is not None:
            from thematica.exporters.project_files import write_heatmap

            write_heatmap(p, heatmap, mode, coder=coder, levels=levels)
            ui.info(f"wrote {heatmap}")
    ui.table(table, fmt, output=output)
