"""The report command (a results draft as Markdown, HTML or Word) and starring exemplar quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, ProjectName, Quiet, Verbose
from thematica.cli.output import UI


@app.command()
def report(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The report file (.md, .html or .docx)."),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="md, html or docx (default: from the file's suffix). Markdown writes its "
            "figures as PNG files beside the report.",
        ),
    ] = None,
    order_by: Annotated[
        str | None,
        typer.Option(
            "--order-by",
            help="Case attribute giving the interview order for the saturation plot "
            "(default: interview_date where it exists, else no plot).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The report's title.")] = None,
    coder: Coder = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write a results draft: methods, Table 1, theme table, SEM figure, agreement,
    saturation, and each theme's prevalence and exemplar quotes."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        result = p.reports.build(output, fmt, coder=coder, order_by=order_by, title=title)
    for extra in result.files:
        ui.info(f"wrote {extra}")
    ui.info(f"wrote {result.path} (state {result.state_hash[:12]})")


@app.command()
def star(
    coding_id: Annotated[int, typer.Argument(help="The coding's id (see 'thematica codings').")],
    unstar: Annotated[
        bool, typer.Option("--unstar", help="Remove the star instead of setting it.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Star a coding as an exemplar quote for reports (or --unstar it)."""
    ui = UI(quiet, False)
    with open_project(db, project) as p:
        p.coding.star(coding_id, not unstar)
    ui.info(f"{'unstarred' if unstar else 'starred'} coding {coding_id}")
