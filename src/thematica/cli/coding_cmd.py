"""Commands that apply, remove and list codings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


@app.command()
def code(
    coder: Annotated[str, typer.Option("--coder", help="Who is coding.")],
    db: Db = None,
    project: ProjectName = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from", help="CSV: document, code, and start+end or quote [, occurrence, memo]."
        ),
    ] = None,
    document: Annotated[
        str | None, typer.Option("--document", help="Document (single coding).")
    ] = None,
    code_name: Annotated[
        str | None, typer.Option("--code", help="Code path or unique name (single coding).")
    ] = None,
    start: Annotated[int | None, typer.Option("--start")] = None,
    end: Annotated[int | None, typer.Option("--end")] = None,
    quote: Annotated[
        str | None, typer.Option("--quote", help="Passage to find instead of offsets.")
    ] = None,
    memo: Annotated[str | None, typer.Option("--memo")] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Apply codings: in bulk from a CSV file, or one with --document/--code and a span or quote."""
    from thematica.services.coding import CodingInput, locate

    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        if from_file is not None:
            if document or code_name:
                raise InputError("use either --from FILE or --document/--code, not both")
            with ui.progress("Coding") as progress:
                report = p.coding.import_csv(from_file, coder=coder, progress=progress)
        else:
            if not (document and code_name):
                raise InputError(
                    "give --from FILE.csv, or --document and --code with --start/--end or --quote"
                )
            if quote is not None:
                start, end = locate(p.documents.get(document).text, quote)
            if start is None or end is None:
                raise InputError("give --start and --end, or --quote")
            report = p.coding.apply_many(
                [CodingInput(document, code_name, start, end, memo)], coder=coder
            )
    ui.info(
        f"{report.coder}: applied {report.applied} coding(s) in {len(report.documents)} document(s)"
        + (f"; {report.duplicates} already present" if report.duplicates else "")
        + "."
    )


@app.command()
def uncode(
    coder: Annotated[str, typer.Option("--coder")],
    document: Annotated[str, typer.Option("--document")],
    code_name: Annotated[str, typer.Option("--code")],
    start: Annotated[int, typer.Option("--start")],
    end: Annotated[int, typer.Option("--end")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove one coding."""
    with open_project(db, project) as p:
        p.coding.remove(document, code_name, start, end, coder=coder)
    UI(quiet, verbose).info("Removed 1 coding.")


@app.command()
def codings(
    coder: Coder = None,
    db: Db = None,
    project: ProjectName = None,
    document: Annotated[str | None, typer.Option("--document")] = None,
    code_name: Annotated[str | None, typer.Option("--code")] = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List codings of one or more coder layers."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(
            p.coding.list(coder=coder, document=document, code=code_name), fmt, output=output
        )
