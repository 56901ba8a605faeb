"""Commands that apply, remove and list codings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, Output, ProjectName, Quiet, Verbose, Where
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


class TableUnit(StrEnum):
    document = "document"
    turn = "turn"
    paragraph = "paragraph"


class SearchUnit(StrEnum):
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"


class CoderKind(StrEnum):
    human = "human"
    imported = "imported"
    ai = "ai"
    consensus = "consensus"


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
    from_table: Annotated[
        Path | None,
        typer.Option(
            "--from-table",
            help="Wide coding table (.csv/.xlsx): a 'document' column, a 'turn' or 'paragraph' "
            "column for those units, then one 1/0 column per code (or a 'codes' column of "
            "';'-separated codes). Each 1 codes the unit's whole span.",
        ),
    ] = None,
    unit: Annotated[
        TableUnit | None,
        typer.Option("--unit", help="What a table row codes (with --from-table)."),
    ] = None,
    kind: Annotated[
        CoderKind | None,
        typer.Option(
            "--kind",
            help="Kind of coder layer, when loading codings: human (default), imported "
            "(a published or legacy layer), ai or consensus.",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Apply codings: from a wide coding table (--from-table), in bulk from a CSV of spans or
    quotes (--from), or one with --document/--code and a span or quote.

    Bulk codings are one batch: 'thematica batches undo ID' takes them back out."""
    from thematica.services.coding import CodingInput, locate

    ui = UI(quiet, verbose)
    kind_name = kind.value if kind is not None else None
    if from_table is not None and (from_file is not None or document or code_name):
        raise InputError("use --from-table FILE alone, without --from or --document/--code")
    if unit is not None and from_table is None:
        raise InputError("--unit goes with --from-table")
    with open_project(db, project) as p:
        if from_table is not None:
            if unit is None:
                raise InputError("--from-table needs --unit document, turn or paragraph")
            with ui.progress("Coding") as progress:
                report = p.coding.apply_table(
                    from_table, coder=coder, unit=unit.value, kind=kind_name, progress=progress
                )
        elif from_file is not None:
            if document or code_name:
                raise InputError("use either --from FILE or --document/--code, not both")
            with ui.progress("Coding") as progress:
                report = p.coding.import_csv(
                    from_file, coder=coder, progress=progress, kind=kind_name
                )
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
                [CodingInput(document, code_name, start, end, memo)], coder=coder, kind=kind_name
            )
    ui.info(
        f"{report.coder}: applied {report.applied} coding(s) in {len(report.documents)} document(s)"
        + (f"; {report.duplicates} already present" if report.duplicates else "")
        + (f" (batch {report.batch_id})" if report.batch_id is not None else "")
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


@app.command()
def autocode(
    coder: Annotated[str, typer.Option("--coder", help="Whose layer the codings go into.")],
    code_name: Annotated[str, typer.Option("--code", help="Code path or unique name to apply.")],
    speaker: Annotated[
        str | None,
        typer.Option("--speaker", help="Every turn of matching speakers, e.g. 'Participant*'."),
    ] = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            help="Every turn whose speaker or first line is this label, e.g. Q3 (a survey "
            "column, or a 'Q3:' heading).",
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search", help="Every hit of a full-text search (as in 'search'), widened to --unit."
        ),
    ] = None,
    regex: Annotated[
        bool, typer.Option("--regex", help="--search is a regular expression (case ignored).")
    ] = False,
    unit: Annotated[
        SearchUnit | None, typer.Option("--unit", help="What a search hit is widened to.")
    ] = None,
    where: Where = None,
    documents: Annotated[
        list[str] | None,
        typer.Option("--documents", help="Only these documents (repeatable, or A,B)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count and show a sample; write nothing.")
    ] = False,
    kind: Annotated[
        CoderKind | None, typer.Option("--kind", help="Kind of a new coder layer (e.g. ai).")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Code every passage one rule finds: a speaker's turns (--speaker), a section (--section),
    search hits widened to their sentence, paragraph or turn (--search --unit), or whole
    documents by a case attribute (--where). One batch: 'thematica batches undo ID' reverts it."""
    names = [n.strip() for item in documents or [] for n in item.split(",") if n.strip()]
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        result = p.autocode.run(
            coder=coder,
            code=code_name,
            speaker=speaker,
            section=section,
            search=search,
            regex=regex,
            unit=unit.value if unit is not None else None,
            where=where or [],
            documents=names or None,
            dry_run=dry_run,
            kind=kind.value if kind is not None else None,
        )
    if dry_run:
        ui.table(result.table(), fmt, output=output)
        if result.sample and fmt is Format.table and output is None:
            ui.table(result.samples(), fmt)
        ui.info(
            f"Dry run: {result.passages} passage(s) in {result.documents} document(s) would be "
            f"coded {result.code!r} for {result.coder} ({result.new} new); nothing was written."
        )
    elif not result.passages:
        ui.info(f"No passage matches {result.rule}; nothing was coded.")
    else:
        ui.info(
            f"{result.coder}: coded {result.added} passage(s) in {result.documents} document(s) "
            f"with {result.code!r}"
            + (f"; {result.duplicates} already coded" if result.duplicates else "")
            + f" (batch {result.batch_id}; undo with 'thematica batches undo "
            f"{result.batch_id}')."
        )
