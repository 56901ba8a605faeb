"""``thematica draft``: summaries of framework-matrix cells and themes drafted by a language
model on the team's server, kept apart from the analyst's text until adopted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

if TYPE_CHECKING:
    from thematica.services.drafts import DraftRow, DraftRun

draft_app = typer.Typer(
    help="LLM-drafted summaries of matrix cells and themes (needs an AI server).",
    no_args_is_help=True,
)
app.add_typer(draft_app, name="draft")

#: the columns ``draft list`` shows (``--format json`` gives them all)
_LIST_COLUMNS = ("id", "label", "status", "model", "excerpts", "text")

DraftId = Annotated[int, typer.Argument(help="The draft's id (see 'thematica draft list').")]
MaxExcerpts = Annotated[
    int, typer.Option("--max-excerpts", help="Most excerpts sent per summary.", min=1)
]


def _report(ui: UI, run: DraftRun, fmt: Format) -> None:
    ui.info(
        f"Drafted {len(run.drafts)} summar{'y' if len(run.drafts) == 1 else 'ies'} with "
        f"model {run.model} on {run.server} (run {run.run_id}); "
        "adopt with 'thematica draft adopt ID', discard with 'thematica draft discard ID'."
    )
    for draft_id, (available, sent) in run.sent.items():
        if sent < available:
            ui.info(f"  draft {draft_id}: sent {sent} of {available} excerpts")
    _table(ui, run.drafts.rows, fmt, f"Drafts by {run.model}")


def _table(ui: UI, rows: list[DraftRow], fmt: Format, title: str) -> None:
    import dataclasses

    from thematica.core.tables import Table
    from thematica.services.drafts import DraftRow

    every = tuple(f.name for f in dataclasses.fields(DraftRow))
    columns = _LIST_COLUMNS if fmt is Format.table else every
    ui.table(Table(rows, columns=columns, title=title), fmt)


@draft_app.command("matrix")
def draft_matrix(
    name: Annotated[str, typer.Argument(help="The matrix name.")],
    row: Annotated[
        list[str] | None, typer.Option("--row", help="Only this row (repeatable).")
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option("--column", help="Only this column (repeatable).")
    ] = None,
    max_excerpts: MaxExcerpts = 20,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Draft a summary for each cell with coded excerpts (the analyst's text is untouched)."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        ui.detail(f"Asking {p.settings.get('ai_model')} on {p.settings.get('ai_url')} …")
        with ui.progress("Drafting") as progress:
            run = p.drafts.draft_matrix(
                name, rows=row, columns=column, max_excerpts=max_excerpts, progress=progress
            )
    _report(ui, run, fmt)


@draft_app.command("theme")
def draft_theme(
    name: Annotated[str, typer.Argument(help="The theme's name or number.")],
    coder: Coder = None,
    max_excerpts: MaxExcerpts = 20,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Draft a summary of a theme from excerpts coded with its codes."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        ui.detail(f"Asking {p.settings.get('ai_model')} on {p.settings.get('ai_url')} …")
        with ui.progress("Drafting") as progress:
            run = p.drafts.draft_theme(
                name, coder=coder, max_excerpts=max_excerpts, progress=progress
            )
    _report(ui, run, fmt)


@draft_app.command("list")
def draft_list(
    target: Annotated[
        str | None, typer.Option("--target", help="'matrix' or 'theme' (default: both).")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="draft, adopted, discarded or all.")
    ] = "draft",
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List drafts: what each summarises, which model wrote it, the excerpts it cites."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        rows = p.drafts.list(target, status).rows
    _table(ui, rows, fmt, "AI drafts")


@draft_app.command("show")
def draft_show(
    draft: DraftId,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """One draft's full text, its excerpts' coding ids, and who wrote it with which model."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        d = p.drafts.get(draft)
    ui.write(f"{d.text}\n")
    ui.info(
        f"draft {d.id} ({d.status}) of {d.label}, by {d.model} on {d.server or 'a server'}, "
        f"asked by {d.created_by} at {d.created_at}; excerpts (coding ids, [1] first): "
        + ", ".join(map(str, d.excerpts))
    )


@draft_app.command("adopt")
def draft_adopt(
    draft: DraftId,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite the analyst's summary if there is one.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Copy a draft into the cell's summary or the theme's description (empty ones only,
    unless --replace)."""
    with open_project(db, project) as p:
        d = p.drafts.adopt(draft, replace=replace)
    UI(quiet, verbose).info(f"Adopted draft {d.id} (written by {d.model}) into {d.label}.")


@draft_app.command("discard")
def draft_discard(
    draft: DraftId,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Discard a draft (kept for the record; nothing else changes)."""
    with open_project(db, project) as p:
        d = p.drafts.discard(draft)
    UI(quiet, verbose).info(f"Discarded draft {d.id} of {d.label}.")
