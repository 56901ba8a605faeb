"""Commands that import, list, show, link and remove documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format, escape
from thematica.core.errors import InputError

if TYPE_CHECKING:
    from thematica.services.documents import ImportReport


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
    text_columns: Annotated[
        str | None,
        typer.Option(
            "--text-columns",
            help="Wide survey CSV: comma-separated question columns; one document per row "
            "(named by --id-column), one turn per answered question.",
        ),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="CSV: column naming the case.")
    ] = None,
    max_columns: Annotated[
        int, typer.Option("--max-columns", help="CSV: refuse tables wider than this.")
    ] = 1000,
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
    if max_columns <= 0:
        raise InputError("--max-columns must be positive")
    wide = tuple(c.strip() for c in text_columns.split(",") if c.strip()) if text_columns else None
    if text_columns is not None and not wide:
        raise InputError("--text-columns needs at least one column name")
    if wide and text_column:
        raise InputError("give --text-column (one text per row) or --text-columns, not both")
    if wide and not id_column:
        raise InputError("--text-columns needs --id-column naming each respondent")
    with open_project(db, project) as p:
        options = ImportOptions(
            max_bytes=int(max_size * 1024 * 1024),
            speaker_pattern=speaker_pattern or p.settings.get("speaker_pattern"),
            csv_text_column=text_column,
            csv_id_column=id_column,
            csv_text_columns=wide,
            max_columns=max_columns,
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
        _import_warnings(ui, report)
        return
    for name in report.imported:
        ui.detail(f"imported {escape(name)} ({report.encodings.get(name, 'binary format')})")
    _print_speakers(ui, report, every=verbose or len(report.imported) <= SPEAKER_LINES)
    _import_warnings(ui, report)
    for path, reason in report.skipped:
        ui.info(f"[yellow]skipped[/yellow] {escape(path)}: {escape(reason)}")
    ui.info(
        f"Imported {len(report.imported)} document(s)"
        + (f", created {len(report.cases_created)} case(s)" if report.cases_created else "")
        + (f", skipped {len(report.skipped)}" if report.skipped else "")
        + "."
    )


#: Up to this many documents, ``import`` lists each one's speakers; above it, a summary.
SPEAKER_LINES = 50


def _print_speakers(ui: UI, report: ImportReport, *, every: bool) -> None:
    def said(name: str) -> str:
        found = report.speakers.get(name) or []
        return ", ".join(found) if found else "none (no speaker labels found)"

    if every:
        for name in report.imported:
            ui.info(f"{escape(name)}: speakers {escape(said(name))}")
        return
    groups: dict[str, int] = {}
    for name in report.imported:
        groups[said(name)] = groups.get(said(name), 0) + 1
    ranked = sorted(groups.items(), key=lambda item: -item[1])
    for speakers, n in ranked[:5]:
        ui.info(f"{n} document(s): speakers {escape(speakers)}")
    rest = sum(n for _, n in ranked[5:])
    ui.info(
        (f"{rest} more document(s) with other speakers; " if rest else "")
        + "--verbose lists every document's speakers"
    )


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _import_warnings(ui: UI, report: ImportReport) -> None:
    """Say what an import did not do that the user probably expected it to."""
    if report.single_turn:
        n = len(report.single_turn)
        hint = (
            "give a pattern with --speaker-pattern '^(?P<speaker>[A-Z][a-z]+):' (remove the "
            "documents and import again) or for every later import with 'thematica settings "
            "--speaker-pattern REGEX'"
        )
        ui.info(
            f"[yellow]warning:[/yellow] {n} document(s) have a single turn, so no speaker "
            f"labels were recognised ({escape(_names(report.single_turn))}); {escape(hint)}"
        )
    if report.case_pattern:
        shown = escape("'" + report.case_pattern + "'")
        eligible = [n for n in report.imported if report.linked.get(n) != "file"]
        unlinked = [n for n in eligible if n not in report.linked]
        if eligible and len(unlinked) == len(eligible):
            ui.info(
                f"[yellow]warning:[/yellow] the case pattern {shown} "
                f"matched none of the {len(eligible)} file name(s) (e.g. "
                f"{escape(repr(eligible[0]))}); no document was linked to a case"
            )
        elif unlinked:
            ui.info(
                f"[yellow]warning:[/yellow] the case pattern {shown} "
                f"did not match {len(unlinked)} of {len(eligible)} file name(s); not linked: "
                f"{escape(_names(unlinked))}"
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
    document: Annotated[str | None, typer.Argument(show_default=False)] = None,
    case: Annotated[str | None, typer.Argument(show_default=False)] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="CSV/XLSX with document and case columns: link them all (or none).",
        ),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Link a document to a case (created if new), or many at once with --from FILE."""
    ui = UI(quiet, verbose)
    if from_file is not None:
        if document is not None or case is not None:
            raise InputError("give DOCUMENT CASE or --from FILE, not both")
        with open_project(db, project) as p:
            report = p.documents.link_table(from_file)
        ui.info(
            f"Linked {len(report.linked)} document(s)"
            + (f", created {len(report.cases_created)} case(s)" if report.cases_created else "")
            + "."
        )
        return
    if document is None or case is None:
        raise InputError("give DOCUMENT and CASE, or --from FILE with document and case columns")
    with open_project(db, project) as p:
        p.documents.link_case(document, case)
    ui.info(f"Linked {escape(document)} to case {escape(case)}.")


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


@documents_app.command("reimport")
def documents_reimport(
    name: Annotated[str, typer.Argument(help="The document to replace.", show_default=False)],
    file: Annotated[
        Path,
        typer.Argument(
            help="The corrected transcript (txt, docx, odt, rtf, vtt, srt, ...).",
            show_default=False,
        ),
    ],
    db: Db = None,
    project: ProjectName = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force a text encoding.")
    ] = None,
    keep_identifiers: Annotated[
        bool,
        typer.Option(
            "--keep-identifiers",
            help="Store the correction even where it undoes committed de-identification.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show which codings would be touched or removed; change nothing."
        ),
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Replace a document's text by a corrected copy, keeping codings and turn times."""
    with open_project(db, project) as p:
        report = p.documents.reimport(
            name, file, encoding=encoding, keep_identifiers=keep_identifiers, dry_run=dry_run
        )
    ui = UI(quiet, verbose)
    for touched in report.codings_touched:
        ui.info(
            f"touched: {escape(touched.code)} ({escape(touched.coder)}): "
            f"{escape(repr(touched.old_text))} -> {escape(repr(touched.new_text))}"
        )
    for removed in report.codings_removed:
        ui.info(
            f"[yellow]removed[/yellow]: {escape(removed.code)} ({escape(removed.coder)}): "
            f"{escape(repr(removed.old_text))}"
        )
    if report.times_from_file:
        times = f"{report.times_from_file} with times from the file"
    else:
        times = f"{report.times_kept} kept their times"
    for warning in report.warnings:
        ui.info(f"[yellow]warning:[/yellow] {escape(warning)}")
    done = "Would re-import" if report.dry_run else "Re-imported"
    ui.info(
        f"{done} {escape(name)} from {escape(report.file)}: {report.edits} edit(s), "
        f"{report.words_kept:.0%} of the words unchanged; codings: {report.codings_kept} kept, "
        f"{len(report.codings_touched)} touched, {len(report.codings_removed)} removed"
        + (f", {report.codings_merged} merged" if report.codings_merged else "")
        + f"; {report.turns} turn(s), {times}."
        + (" Nothing was changed (--dry-run)." if report.dry_run else "")
    )
