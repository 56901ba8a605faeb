"""Commands that import, list, show, link and remove documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


@app.command("import")
def import_(
    files: Annotated[
        list[Path], typer.Argument(help="Files or folders to import.", show_default=False)
    ],
    db: Db = None,
    project: ProjectName = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Link every imported document to this case.")
    ] = None,
    case_pattern: Annotated[
        str | None,
        typer.Option(
            "--case-pattern", help=r"Regex on the file name giving the case, e.g. '(P\d+)'."
        ),
    ] = None,
    speaker_pattern: Annotated[
        str | None,
        typer.Option(
            "--speaker-pattern", help="Regex with a (?P<speaker>…) group for speaker labels."
        ),
    ] = None,
    text_column: Annotated[
        str | None, typer.Option("--text-column", help="CSV: column holding the text.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="CSV: column naming the case.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force a text encoding.")
    ] = None,
    max_size: Annotated[
        float, typer.Option("--max-size", help="Largest file to accept, in MB.")
    ] = 50.0,
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Leave out unreadable files instead of stopping.")
    ] = False,
    fmt: Annotated[
        Format | None, typer.Option("--format", "-f", help="Print the report as table/csv/json/md.")
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Import transcripts: txt, md, docx, odt, pdf, rtf, vtt, srt, csv (one document per row)."""
    from thematica.importers import ImportOptions

    ui = UI(quiet, verbose)
    if max_size <= 0:
        raise InputError("--max-size must be positive")
    with open_project(db, project) as p:
        options = ImportOptions(
            max_bytes=int(max_size * 1024 * 1024),
            speaker_pattern=speaker_pattern or p.settings.get("speaker_pattern"),
            csv_text_column=text_column,
            csv_id_column=id_column,
            encoding=encoding,
        )
        with ui.progress("Importing") as progress:
            report = p.documents.import_files(
                files,
                options=options,
                case=case,
                case_pattern=case_pattern,
                skip_bad=skip_bad,
                progress=progress,
            )
    if fmt is not None:
        from thematica.core.tables import Table
        from thematica.services.documents import ImportLine

        ui.table(Table(ImportLine.from_report(report), title="Import"), fmt)
        return
    for name in report.imported:
        ui.detail(f"imported {name} ({report.encodings.get(name, 'binary format')})")
    for path, reason in report.skipped:
        ui.info(f"[yellow]skipped[/yellow] {path}: {reason}")
    ui.info(
        f"Imported {len(report.imported)} document(s)"
        + (f", created {len(report.cases_created)} case(s)" if report.cases_created else "")
        + (f", skipped {len(report.skipped)}" if report.skipped else "")
        + "."
    )


documents_app = typer.Typer(help="List, read, link and remove documents.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")


@documents_app.command("list")
def documents_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List the documents with their case, size, speaker turns and codings."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.documents.list(), fmt)


@documents_app.command("show")
def documents_show(
    name: str,
    db: Db = None,
    project: ProjectName = None,
    turns: Annotated[
        bool, typer.Option("--turns", help="List the speaker turns instead of the text.")
    ] = False,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Print a document's stored text (or its speaker turns)."""
    with open_project(db, project) as p:
        record = p.documents.get(name)
    ui = UI(quiet, verbose)
    if turns:
        from thematica.core.tables import Table
        from thematica.services.documents import TurnRow

        rows = [
            TurnRow(n, tr.speaker, tr.start, tr.end, tr.time_start, record.text[tr.start : tr.end])
            for n, tr in enumerate(record.turns, 1)
        ]
        ui.table(Table(rows, title=f"Turns of {name}"), fmt)
    else:
        ui.write(record.text if record.text.endswith("\n") else record.text + "\n")


@documents_app.command("link")
def documents_link(
    document: str,
    case: str,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Link a document to a case (created if new)."""
    with open_project(db, project) as p:
        p.documents.link_case(document, case)
    UI(quiet, verbose).info(f"Linked {document} to case {case}.")


@documents_app.command("remove")
def documents_remove(
    name: str,
    db: Db = None,
    project: ProjectName = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the document's codings go too.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove a document and its codings (recorded in the audit log)."""
    if not yes:
        raise InputError(f"removing {name!r} deletes its codings too; add --yes to confirm")
    with open_project(db, project) as p:
        n = p.documents.remove(name)
    UI(quiet, verbose).info(f"Removed {name} and {n} coding(s).")
