"""``thematica suggestions list|accept|reject`` and ``thematica evaluate-suggestions``: reviewing
AI suggestions and measuring an AI layer against a person's or a consensus layer."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError
from thematica.core.timespans import split_names

if TYPE_CHECKING:
    from thematica.core.tables import Table
    from thematica.services.suggestion_review import ReviewReport

suggestions_app = typer.Typer(
    help="AI suggestions: list them, accept them into your layer, reject them.",
    no_args_is_help=True,
)
app.add_typer(suggestions_app, name="suggestions")


class Status(StrEnum):
    open = "open"
    accepted = "accepted"
    rejected = "rejected"
    all = "all"


class Unit(StrEnum):
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"
    document = "document"


Ids = Annotated[
    list[int] | None,
    typer.Argument(help="Suggestion ids ('thematica suggestions list'); or use the filters."),
]
Layer = Annotated[
    str | None, typer.Option("--layer", help="Only this AI layer, e.g. ai:all-mpnet-base-v2.")
]
CodeOpt = Annotated[
    str | None, typer.Option("--code", help="Only this code (path or unique name) and subcodes.")
]
DocumentOpt = Annotated[str | None, typer.Option("--document", help="Only this document.")]
MinScore = Annotated[
    float | None, typer.Option("--min-score", help="Only suggestions scored at least this (0-1).")
]


@suggestions_app.command("list")
def suggestions_list(
    db: Db = None,
    project: ProjectName = None,
    layer: Layer = None,
    code: CodeOpt = None,
    document: DocumentOpt = None,
    status: Annotated[
        Status, typer.Option("--status", help="open, accepted, rejected or all.")
    ] = Status.open,
    min_score: MinScore = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many rows (default: all).")
    ] = None,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many rows first.")] = 0,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Suggestions by document and position: id, span, code, score, rank, status, layer, model
    and the passage (shortened; start and end give all of it)."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        table = p.suggestions.list(
            status=status.value,
            layer=layer,
            code=code,
            document=document,
            min_score=min_score,
            limit=limit,
            offset=offset,
        )
    ui.table(table, fmt, output=output)
    if table.total is not None and len(table) < table.total:
        ui.info(
            f"showing {len(table)} of {table.total} suggestion(s); --limit and --offset page "
            "through them"
        )


@suggestions_app.command("accept")
def suggestions_accept(
    ids: Ids = None,
    db: Db = None,
    project: ProjectName = None,
    layer: Layer = None,
    code: CodeOpt = None,
    document: DocumentOpt = None,
    min_score: MinScore = None,
    into: Annotated[
        str | None,
        typer.Option(
            "--into", help="Code into this layer (default: your own; owners may name another)."
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Accept suggestions (ids, or the open ones a filter selects): each becomes an ordinary
    coding in your layer, as one batch that 'thematica batches undo ID' takes back."""
    with open_project(db, project) as p:
        report = p.suggestions.accept(
            ids or None,
            layer=layer,
            code=code,
            document=document,
            min_score=min_score,
            into=into,
        )
    UI(quiet, verbose).info(_accepted(report))


@suggestions_app.command("reject")
def suggestions_reject(
    ids: Ids = None,
    db: Db = None,
    project: ProjectName = None,
    layer: Layer = None,
    code: CodeOpt = None,
    document: DocumentOpt = None,
    min_score: MinScore = None,
    max_score: Annotated[
        float | None,
        typer.Option("--max-score", help="Only suggestions scored at most this (0-1)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Reject suggestions: ids, or the open ones a filter selects ('--max-score 0.3' rejects
    everything scored 0.3 or less)."""
    with open_project(db, project) as p:
        report = p.suggestions.reject(
            ids or None,
            layer=layer,
            code=code,
            document=document,
            max_score=max_score,
            min_score=min_score,
        )
    UI(quiet, verbose).info(f"rejected {report.rejected} suggestion(s)" + _skipped(report) + ".")


def _skipped(report: ReviewReport) -> str:
    if not report.skipped:
        return ""
    shown = ", ".join(map(str, report.skipped_ids[:10])) + (" …" if report.skipped > 10 else "")
    return f"; skipped {report.skipped} already reviewed or not matching the filter ({shown})"


def _accepted(report: ReviewReport) -> str:
    text = f"accepted {report.accepted} suggestion(s) into {report.into}"
    if report.already_coded:
        text += f" ({report.already_coded} already coded there)"
    text += _skipped(report)
    if report.batch_id is not None:
        text += (
            f"; batch {report.batch_id} added {report.added} coding(s) "
            f"('thematica batches undo {report.batch_id}' takes them back)"
        )
    return text + "."


class EvaluationFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


@app.command("evaluate-suggestions")
def evaluate_suggestions(
    gold: Annotated[
        str, typer.Option("--gold", help="The layer to measure against: a person or consensus.")
    ],
    db: Db = None,
    project: ProjectName = None,
    layer: Annotated[
        str | None,
        typer.Option("--layer", help="The AI layer (default: the only one there is)."),
    ] = None,
    unit: Annotated[
        Unit, typer.Option("--unit", help="sentence, paragraph, turn or document.")
    ] = Unit.sentence,
    min_score: MinScore = None,
    document: Annotated[
        list[str] | None,
        typer.Option(
            "--documents",
            "--document",
            help="Only these documents (repeatable, or A,B; default: those the gold layer coded).",
        ),
    ] = None,
    fmt: Annotated[
        EvaluationFormat, typer.Option("--format", "-f", help="Output format.")
    ] = EvaluationFormat.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Precision, recall, F1 and Cohen's kappa per code of an AI layer against a person's or a
    consensus layer, by unit; micro and macro F1 overall."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        result = p.suggestions.evaluate(
            gold,
            layer=layer,
            unit=unit.value,
            min_score=min_score,
            documents=split_names(document) or None,
        )
    if fmt is EvaluationFormat.json:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if output is not None:
            from thematica.exporters.atomic import write_atomic

            write_atomic(output, text)
            ui.info(f"wrote {output}")
        else:
            ui.write(text)
    elif fmt is EvaluationFormat.table:
        if output is not None:
            raise InputError("--output needs --format csv, json or md")
        ui.table(_rounded(result.table()), Format.table)
        ui.table(_rounded(result.summary()), Format.table)
    else:
        ui.table(result.table(), Format(fmt.value), output=output)
    ui.info(
        f"{result.layer} against {result.gold}: {result.units} {unit.value}(s) in "
        f"{result.documents} document(s)"
        + (f", suggestions scored at least {result.min_score}" if result.min_score else "")
    )
    for note in result.notes:
        ui.info(note)


def _rounded(table: Table[Any]) -> Table[Any]:
    """The same table with measures shown to 3 decimals (the terminal view only)."""
    import dataclasses

    from thematica.core.tables import Table as Rounded

    rows = [
        dataclasses.replace(
            row,
            **{
                f.name: round(getattr(row, f.name), 3)
                for f in dataclasses.fields(row)
                if isinstance(getattr(row, f.name), float)
            },
        )
        for row in table.rows
    ]
    return Rounded(rows, columns=table.columns, title=table.title, total=table.total)
