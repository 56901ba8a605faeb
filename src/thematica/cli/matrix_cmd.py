"""Commands for framework matrices: cases (or attribute values) x themes (or codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

matrix_app = typer.Typer(
    help="Framework matrices: a summary per case x theme cell, linked to coded segments.",
    no_args_is_help=True,
)
app.add_typer(matrix_app, name="matrix")

Name = Annotated[str, typer.Argument(help="The matrix name.")]


@matrix_app.command("create")
def matrix_create(
    name: Name,
    rows: Annotated[
        str, typer.Option("--rows", help="'cases' or 'attribute:NAME' (one row per value).")
    ] = "cases",
    columns: Annotated[str, typer.Option("--columns", help="'themes' or 'codes'.")] = "themes",
    coder: Annotated[
        str | None,
        typer.Option("--coder", help="Coder layer behind counts and links (default: consensus)."),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create a framework matrix."""
    with open_project(db, project) as p:
        view = p.matrices.create(name, rows=rows, columns=columns, coder=coder)
    UI(quiet, verbose).info(
        f"Matrix {view.name!r} created: {len(view.rows)} rows x {len(view.columns)} columns."
    )


@matrix_app.command("list")
def matrix_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List the project's matrices."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.matrices.list(), fmt)


@matrix_app.command("show")
def matrix_show(
    name: Name,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Every cell: coded and linked counts, and the summary."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        view = p.matrices.get(name)
    ui.table(view.table(), fmt, output=output)
    for note in view.notes:
        ui.info(f"note: {note}")


@matrix_app.command("set")
def matrix_set(
    name: Name,
    row: Annotated[str, typer.Option("--row", help="Row: a case name or attribute value.")],
    column: Annotated[str, typer.Option("--column", help="Column: a theme or code path.")],
    summary: Annotated[
        str | None, typer.Option("--summary", help="The cell's summary ('' clears it).")
    ] = None,
    link: Annotated[
        list[int] | None, typer.Option("--link", help="Link a coding id (repeatable).")
    ] = None,
    unlink: Annotated[
        list[int] | None, typer.Option("--unlink", help="Unlink a coding id (repeatable).")
    ] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write a cell's summary and link (or unlink) coded segments."""
    with open_project(db, project) as p:
        cell = p.matrices.set_cell(
            name, row, column, summary=summary, link=link or (), unlink=unlink or (), author=author
        )
    UI(quiet, verbose).info(
        f"Cell {row} x {column}: {cell.linked} linked, {cell.coded} coded segment(s)."
    )


@matrix_app.command("export")
def matrix_export(
    name: Name,
    output: Annotated[Path, typer.Option("--output", "-o", help="FILE.xlsx, FILE.csv or FILE.md.")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Export a matrix: XLSX (a sheet per theme group and the excerpts), CSV or Markdown."""
    with open_project(db, project) as p:
        from thematica.exporters.project_files import write_matrix

        path = write_matrix(p, name, output)
    UI(quiet, verbose).info(f"wrote {path}")


@matrix_app.command("remove")
def matrix_remove(
    name: Name,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Delete a matrix and its cells."""
    with open_project(db, project) as p:
        p.matrices.remove(name)
    UI(quiet, verbose).info(f"Matrix {name!r} removed.")
