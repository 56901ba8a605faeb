"""Commands that retrieve: code queries and full-text search."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose, Where
from thematica.cli.output import UI, Format


@app.command()
def query(
    expression: Annotated[
        str,
        typer.Argument(
            help="Codes joined by AND, OR, AND NOT, OVERLAPS, NEAR/N, "
            'e.g. "Staffing AND NOT Compensation".'
        ),
    ],
    coder: Coder = None,
    where: Where = None,
    db: Db = None,
    project: ProjectName = None,
    document: Annotated[
        list[str] | None, typer.Option("--document", help="Only these documents (repeatable).")
    ] = None,
    no_subcodes: Annotated[
        bool, typer.Option("--no-subcodes", help="Do not include codes below the named ones.")
    ] = False,
    speaker: Annotated[
        list[str] | None,
        typer.Option(
            "--speaker", help="Only what these speakers said (repeatable), e.g. 'Participant 1'."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many excerpts.")
    ] = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Coded excerpts by code expression, coder and case attributes."""
    with open_project(db, project) as p:
        table = p.query(
            expression,
            coder=coder,
            where=where or (),
            documents=document,
            include_subcodes=not no_subcodes,
            limit=limit,
            speakers=speaker,
        )
    ui = UI(quiet, verbose)
    if fmt is Format.table and output is None:
        from thematica.core.tables import Table

        view = Table(
            table.rows,
            columns=("attribution", "document", "speaker", "start", "end", "codes", "text"),
            title=f"{len(table)} excerpt(s)",
        )
        ui.table(view, fmt)
    else:
        ui.table(table, fmt, output=output)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help='Words (all must occur), "a phrase", or prefix*.')],
    where: Where = None,
    db: Db = None,
    project: ProjectName = None,
    document: Annotated[
        list[str] | None, typer.Option("--document", help="Only these documents (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many hits.")] = 100,
    speaker: Annotated[
        list[str] | None,
        typer.Option(
            "--speaker", help="Only what these speakers said (repeatable), e.g. 'Participant 1'."
        ),
    ] = None,
    width: Annotated[int, typer.Option("--width", help="Characters of context on each side.")] = 40,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Full-text search with keyword in context."""
    with open_project(db, project) as p:
        table = p.search(
            text,
            where=where or (),
            documents=document,
            limit=limit,
            width=width,
            speakers=speaker,
        )
    if fmt is Format.table and output is None:
        from thematica.core.tables import Table

        table = Table(
            table.rows, columns=("document", "speaker", "left", "match", "right"), title=table.title
        )
    UI(quiet, verbose).table(table, fmt, output=output)
