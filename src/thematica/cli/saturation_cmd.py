"""The saturation command: new codes per interview and the Guest, Namey & Chen assessment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format


@app.command()
def saturation(
    order_by: Annotated[
        str | None,
        typer.Option(
            "--order-by",
            help="Case attribute giving the interview order, e.g. interview_date (default: "
            "document name). Documents without a value are listed last.",
        ),
    ] = None,
    base: Annotated[int, typer.Option("--base", help="Base size: the first N interviews.")] = 4,
    run: Annotated[
        int, typer.Option("--run", help="Run length: interviews per sliding run after the base.")
    ] = 2,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="New-information threshold, a share (0.05 = 5%)."),
    ] = 0.05,
    by_case: Annotated[
        bool, typer.Option("--by-case", help="One unit per case (its documents together).")
    ] = False,
    by_group: Annotated[
        bool,
        typer.Option("--by-group", help="One unit per focus group (each document's own case)."),
    ] = False,
    frequency: Annotated[
        bool,
        typer.Option(
            "--frequency", help="Show when each code first appeared and how often it recurs."
        ),
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the plot to FILE.png or FILE.svg.")
    ] = None,
    coder: Coder = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Saturation: new and cumulative codes per interview, and where saturation was reached."""
    ui = UI(quiet, verbose)
    unit = "group" if by_group else "case" if by_case else "document"
    with open_project(db, project) as p:
        if frequency:
            ui.table(p.saturation.frequency(order_by, coder=coder, unit=unit), fmt, output=output)
            return
        result = p.saturation.assess(
            order_by, base=base, run=run, threshold=threshold, coder=coder, unit=unit
        )
        table = p.saturation.table(result)
    if plot is not None:
        from thematica.exporters.plots import write_saturation_plot

        write_saturation_plot(result, plot)
        ui.info(f"wrote {plot}")
    if fmt is Format.json:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if output is not None:
            from thematica.exporters.atomic import write_atomic

            write_atomic(output, text)
            ui.info(f"wrote {output}")
        else:
            ui.write(text)
    elif fmt is Format.table and output is None:
        from thematica.core.tables import Table

        view = Table(
            table.rows,
            columns=("position", "document", "order_value", "new", "cumulative", "ratio"),
            title=table.title,
        )
        ui.table(view, fmt)
    else:
        ui.table(table, fmt, output=output)
    for note in result.notes:
        ui.info(f"note: {note}")
