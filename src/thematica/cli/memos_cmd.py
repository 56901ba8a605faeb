"""Commands for memos."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.memos.list(target_type, target), fmt)
