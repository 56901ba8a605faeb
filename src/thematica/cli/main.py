"""The ``thematica`` command line. Each command parses, calls one service, and renders."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose, Where
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError, ThematicaError

app = typer.Typer(
    name="thematica",
    help="Team-based qualitative analysis: transcripts in, a rigorous, reported set of themes out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _open(db: str | None, project: str | None):  # type: ignore[no-untyped-def]
    from thematica.services.project import open_project

    return open_project(db, project)


# -- projects -----------------------------------------------------------------------------
@app.command()
def init(
    path: Annotated[
        str | None, typer.Argument(help="Database file to create (same as --db).")
    ] = None,
    db: Db = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Project name (default: file name).")
    ] = None,
    sem_levels: Annotated[
        str | None,
        typer.Option("--sem-levels", help="Comma-separated SEM levels, innermost first."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create a project (and its database file)."""
    from thematica.services.project import init_project

    ui = UI(quiet, verbose)
    if path and db and path != db:
        raise InputError("give the database once: as PATH or as --db")
    levels = [s for s in sem_levels.split(",")] if sem_levels else None
    project = init_project(path or db, name, sem_levels=levels)
    ui.info(f"Created project [bold]{project.name}[/bold] in {project.db.label}")
    ui.info("Next: thematica import --db … FILES, thematica codebook template --db …")


@app.command()
def projects(db: Db = None, quiet: Quiet = False, verbose: Verbose = False) -> None:
    """List the projects in a database."""
    from thematica.services.project import list_projects

    UI(quiet, verbose).write("".join(f"{name}\n" for name in list_projects(db)))


@app.command()
def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Where to build the demo (default: ./thematica-demo.db)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Build the demo project: fictional harm-reduction staff interviews coded by two coders."""
    from thematica.services.demo import build_demo

    ui = UI(quiet, verbose)
    with ui.progress("Building the demo") as progress:
        project, summary = build_demo(db, progress=progress)
    db_arg = summary.database
    coded = ", ".join(f"{n} by {coder}" for coder, n in summary.codings.items())
    ui.info(
        f"[bold green]Demo project ready[/bold green] in {db_arg}: "
        f"{summary.documents} transcripts, "
        f"{summary.cases} participants, {summary.codes} codes, codings {coded}."
    )
    ui.info("Where to look next:")
    for line in (
        f"thematica cases describe --db {db_arg}",
        f"thematica codebook list --db {db_arg}",
        f'thematica query --db {db_arg} --coder alex "Staffing" --where "lived_experience = yes"',
        f'thematica search --db {db_arg} "supervisor*"',
    ):
        ui.info(f"  {line}")
    project.close()


@app.command()
def settings(
    db: Db = None,
    project: ProjectName = None,
    speaker_pattern: Annotated[
        str | None,
        typer.Option("--speaker-pattern", help="Regex with a (?P<speaker>…) group; '' resets."),
    ] = None,
    case_pattern: Annotated[
        str | None,
        typer.Option("--case-pattern", help="Regex on file names giving the case; '' clears."),
    ] = None,
    sem_levels: Annotated[
        str | None,
        typer.Option("--sem-levels", help="Comma-separated SEM levels, innermost first."),
    ] = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Show the project's settings, or change them (used by later imports)."""
    from thematica.core.tables import Table
    from thematica.services.project import SettingRow

    levels = sem_levels.split(",") if sem_levels is not None else None
    with _open(db, project) as p:
        current = p.configure(
            speaker_pattern=speaker_pattern, case_pattern=case_pattern, sem_levels=levels
        )
    rows = [SettingRow(k, ", ".join(v) if isinstance(v, list) else v) for k, v in current.items()]
    UI(quiet, verbose).table(Table(rows, title="Settings"), fmt)


@app.command("log")
def audit_log(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    limit: Annotated[int, typer.Option("--limit", help="Newest entries to show.")] = 50,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Show the audit trail: every change made to the project, newest first."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.audit_log(limit=limit), fmt)


# -- documents ----------------------------------------------------------------------------
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
        n = p.documents.remove(name)
    UI(quiet, verbose).info(f"Removed {name} and {n} coding(s).")


# -- cases --------------------------------------------------------------------------------
cases_app = typer.Typer(
    help="Cases (participants) and their attributes; Table 1.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"{what} takes NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@cases_app.command("import")
def cases_import(
    file: Path,
    id_column: Annotated[str, typer.Option("--id-column", help="Column with the case identifier.")],
    db: Db = None,
    project: ProjectName = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="NAME=categorical|ordinal|numeric|date|boolean (repeatable)."),
    ] = None,
    orders: Annotated[
        list[str] | None,
        typer.Option("--order", help="Ordinal value order: 'NAME=low;middle;high' (repeatable)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force a text encoding.")
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Import cases and typed attributes from a CSV or XLSX file, one row per case."""
    from thematica.core.models import AttributeType
    from thematica.services.cases import parse_order

    kinds = {}
    for name, value in _pairs(types, "--type").items():
        try:
            kinds[name] = AttributeType(value.lower())
        except ValueError as exc:
            allowed = ", ".join(a.value for a in AttributeType)
            raise InputError(f"--type {name}: {value!r} is not one of {allowed}") from exc
    order_map = {k: parse_order(v) for k, v in _pairs(orders, "--order").items()}
    with _open(db, project) as p:
        report = p.cases.import_table(
            file, id_column=id_column, types=kinds, orders=order_map, encoding=encoding
        )
    ui = UI(quiet, verbose)
    for name, kind in report.attributes.items():
        ui.detail(f"attribute {name}: {kind}")
    ui.info(
        f"Imported {len(report.cases_created)} new and updated {len(report.cases_updated)} case(s) "
        f"with {len(report.attributes)} attribute(s)."
    )


@cases_app.command("list")
def cases_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List cases with their attribute values."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.cases.list(), fmt)


@cases_app.command("describe")
def cases_describe(
    db: Db = None,
    project: ProjectName = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json, md or docx.")
    ] = "table",
    output: Output = None,
    attributes: Annotated[
        list[str] | None,
        typer.Option("--attribute", "-a", help="Only these attributes (repeatable)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The participant table (Table 1): n and % of cases for every attribute value."""
    ui = UI(quiet, verbose)
    with _open(db, project) as p:
        table = p.cases.describe(attributes)
    if fmt == "docx":
        from thematica.exporters.docx_table import write_table_docx

        if output is None:
            raise InputError("--format docx needs --output FILE.docx")
        write_table_docx(
            table,
            output,
            note="Percentages are of all cases; missing answers are listed as Missing.",
        )
        ui.info(f"wrote {output}")
        return
    try:
        chosen = Format(fmt)
    except ValueError as exc:
        raise InputError(f"--format must be table, csv, json, md or docx, not {fmt!r}") from exc
    ui.table(table, chosen, output=output)


@cases_app.command("set")
def cases_set(
    case: str,
    attribute: str,
    value: str,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Set one attribute value of one case ('' clears it)."""
    with _open(db, project) as p:
        p.cases.set(case, attribute, value or None)
    UI(quiet, verbose).info(f"{case}: {attribute} = {value or '(missing)'}")


# -- codebook ----------------------------------------------------------------------------
codebook_app = typer.Typer(
    help="The codebook: tree, definitions, templates, versions.", no_args_is_help=True
)
app.add_typer(codebook_app, name="codebook")

CodeField = Annotated[str | None, typer.Option()]


@codebook_app.command("list")
def codebook_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The code tree with SEM level, origin and number of codings."""
    with _open(db, project) as p:
        tree = p.codebook.tree()
    if fmt is Format.table:
        from thematica.core.tables import Table
        from thematica.services.codebook import CodeTreeLine

        view = Table([CodeTreeLine.of(row) for row in tree.rows], title=tree.title)
        UI(quiet, verbose).table(view, fmt)
    else:
        UI(quiet, verbose).table(tree, fmt)


@codebook_app.command("show")
def codebook_show(
    code: str,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Everything about one code: definition, when to use it and when not, example."""
    with _open(db, project) as p:
        info = p.codebook.get(code)
    ui = UI(quiet, verbose)
    ui.out.print(f"[bold]{info['path']}[/bold]", highlight=False)
    for key in (
        "definition",
        "inclusion",
        "exclusion",
        "example",
        "sem_level",
        "origin",
        "colour",
        "memo",
    ):
        if info.get(key):
            ui.out.print(f"[bold]{key}[/bold]: {info[key]}", highlight=False)


@codebook_app.command("import")
def codebook_import(
    file: Path,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Merge a codebook file (.yaml or .csv) into the project's codebook."""
    with _open(db, project) as p:
        report = p.codebook.import_file(file)
    UI(quiet, verbose).info(
        f"Codebook: {len(report.created)} code(s) added, {len(report.updated)} updated."
    )


@codebook_app.command("export")
def codebook_export(
    file: Annotated[
        str, typer.Argument(help="Output file (.yaml or .csv), or - for standard output.")
    ],
    db: Db = None,
    project: ProjectName = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="yaml or csv (default: from the file name)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write the codebook as YAML or CSV."""
    ui = UI(quiet, verbose)
    with _open(db, project) as p:
        if file == "-":
            ui.write(p.codebook.export_text(fmt or "yaml"))
            return
        path = p.codebook.export(Path(file), fmt)
    ui.info(f"wrote {path}")


@codebook_app.command("template")
def codebook_template(
    name: Annotated[
        str | None, typer.Argument(help="Template to add; leave out to list them.")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a starter codebook (e.g. sem-harm-reduction-workforce), or list the templates."""
    from thematica.services.codebook import Codebook

    ui = UI(quiet, verbose)
    if name is None:
        ui.write("".join(f"{t}\n" for t in Codebook.templates()))
        return
    with _open(db, project) as p:
        report = p.codebook.apply_template(name)
    ui.info(f"Template {name}: {len(report.created)} code(s) added, {len(report.updated)} updated.")


@codebook_app.command("add")
def codebook_add(
    name: str,
    db: Db = None,
    project: ProjectName = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent code (path or unique name).")
    ] = None,
    definition: CodeField = None,
    inclusion: CodeField = None,
    exclusion: CodeField = None,
    example: CodeField = None,
    origin: CodeField = None,
    sem_level: CodeField = None,
    colour: CodeField = None,
    memo: CodeField = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a code."""
    fields = {
        k: v
        for k, v in dict(
            definition=definition,
            inclusion=inclusion,
            exclusion=exclusion,
            example=example,
            origin=origin,
            sem_level=sem_level,
            colour=colour,
            memo=memo,
        ).items()
        if v is not None
    }
    with _open(db, project) as p:
        path = p.codebook.add(name, parent, **fields)
    UI(quiet, verbose).info(f"Added {path}")


@codebook_app.command("update")
def codebook_update(
    code: str,
    db: Db = None,
    project: ProjectName = None,
    name: Annotated[str | None, typer.Option("--name", help="Rename the code.")] = None,
    definition: CodeField = None,
    inclusion: CodeField = None,
    exclusion: CodeField = None,
    example: CodeField = None,
    origin: CodeField = None,
    sem_level: CodeField = None,
    colour: CodeField = None,
    memo: CodeField = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Change a code's name or fields (each change is kept in the codebook history)."""
    fields = {
        k: v
        for k, v in dict(
            name=name,
            definition=definition,
            inclusion=inclusion,
            exclusion=exclusion,
            example=example,
            origin=origin,
            sem_level=sem_level,
            colour=colour,
            memo=memo,
        ).items()
        if v is not None
    }
    if not fields:
        raise InputError("nothing to change: give --name or a field such as --definition")
    with _open(db, project) as p:
        p.codebook.update(code, **fields)
    UI(quiet, verbose).info(f"Updated {code}")


@codebook_app.command("move")
def codebook_move(
    code: str,
    parent: Annotated[
        str | None, typer.Argument(help="New parent; leave out for the top level.")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Move a code (with its subcodes) under another parent."""
    with _open(db, project) as p:
        p.codebook.move(code, parent)
    UI(quiet, verbose).info(f"Moved {code} under {parent or 'the top level'}")


@codebook_app.command("remove")
def codebook_remove(
    code: str,
    db: Db = None,
    project: ProjectName = None,
    force: Annotated[
        bool, typer.Option("--force", help="Also delete the codings that use it.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove a code and its subcodes."""
    with _open(db, project) as p:
        n = p.codebook.remove(code, force=force)
    UI(quiet, verbose).info(f"Removed {code}" + (f" and {n} coding(s)" if n else ""))


@codebook_app.command("freeze")
def codebook_freeze(
    version: str,
    db: Db = None,
    project: ProjectName = None,
    note: Annotated[str, typer.Option("--note", help="Why this version was frozen.")] = "",
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Save the codebook as a named version."""
    with _open(db, project) as p:
        n = p.codebook.freeze(version, note)
    UI(quiet, verbose).info(f"Froze codebook version {version!r} ({n} codes).")


@codebook_app.command("versions")
def codebook_versions(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List frozen codebook versions."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.codebook.versions(), fmt)


@codebook_app.command("compare")
def codebook_compare(
    old: str,
    new: Annotated[str, typer.Argument(help="Version name, or 'current'.")] = "current",
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """What changed between two codebook versions (or a version and now)."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.codebook.compare(old, new), fmt)


@codebook_app.command("history")
def codebook_history(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Every change ever made to the codebook."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.codebook.history(), fmt)


# -- coding -------------------------------------------------------------------------------
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
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
    with _open(db, project) as p:
        UI(quiet, verbose).table(
            p.coding.list(coder=coder, document=document, code=code_name), fmt, output=output
        )


# -- retrieval ----------------------------------------------------------------------------
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
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many excerpts.")
    ] = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Coded excerpts by code expression, coder and case attributes."""
    with _open(db, project) as p:
        table = p.query(
            expression,
            coder=coder,
            where=where or (),
            documents=document,
            include_subcodes=not no_subcodes,
            limit=limit,
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
    width: Annotated[int, typer.Option("--width", help="Characters of context on each side.")] = 40,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Full-text search with keyword in context."""
    with _open(db, project) as p:
        table = p.search(text, where=where or (), documents=document, limit=limit, width=width)
    if fmt is Format.table and output is None:
        from thematica.core.tables import Table

        table = Table(
            table.rows, columns=("document", "speaker", "left", "match", "right"), title=table.title
        )
    UI(quiet, verbose).table(table, fmt, output=output)


# -- memos --------------------------------------------------------------------------------
memo_app = typer.Typer(
    help="Memos on the project, documents, codes and codings.", no_args_is_help=True
)
app.add_typer(memo_app, name="memo")


@memo_app.command("add")
def memo_add(
    target_type: Annotated[str, typer.Argument(help="project, document, code or coding.")],
    text: Annotated[str, typer.Argument(help="The memo text.")],
    target: Annotated[
        str | None, typer.Option("--on", help="Document name, code path or coding id.")
    ] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write a memo."""
    with _open(db, project) as p:
        memo_id = p.memos.add(target_type, target, text, author=author)
    UI(quiet, verbose).info(f"Memo {memo_id} saved.")


@memo_app.command("list")
def memo_list(
    target_type: Annotated[
        str | None, typer.Argument(help="Only memos on this kind of thing.")
    ] = None,
    target: Annotated[str | None, typer.Option("--on")] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List memos."""
    with _open(db, project) as p:
        UI(quiet, verbose).table(p.memos.list(target_type, target), fmt)


from thematica.cli.stats_cmd import stats as _stats  # noqa: E402  (agreement calculator)

app.command("stats")(_stats)


# -- entry point --------------------------------------------------------------------------
def run(argv: list[str] | None = None) -> int:
    """Run the CLI: user errors become one line on stderr and exit code 2, never a traceback."""
    command = typer.main.get_command(app)
    debug = bool(os.environ.get("THEMATICA_DEBUG"))
    try:
        result = command.main(args=argv, prog_name="thematica", standalone_mode=False)
    except ThematicaError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing half-written was kept\n")
        return 130
    except (PermissionError, IsADirectoryError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc.strerror}: {exc.filename}\n")
        return 2
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # usage errors from the parser
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
                exc.show()
                return 2
            # one line, like every other user error: "error: <what>; see 'thematica X --help'"
            message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            sys.stderr.write(f"error: {message}{hint}\n")
            return 2
        if debug:
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in Thematica; set THEMATICA_DEBUG=1 for details and please report it.\n"
        )
        return 1
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run())
