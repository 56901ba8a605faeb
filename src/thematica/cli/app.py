"""The Typer application object that every command module registers on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from thematica.services.project import Project

app = typer.Typer(
    name="thematica",
    help="Team-based qualitative analysis: transcripts in, a rigorous, reported set of themes out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


#: who the command acts for: ``--as NAME`` (anywhere on the command line; see ``main.run``),
#: else ``$THEMATICA_USER``, else the operating-system login name
acting_as: dict[str, str | None] = {"name": None}


def _print_version(value: bool) -> None:
    if value:
        from thematica import __version__

        typer.echo(f"thematica {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Act as this project member (default: $THEMATICA_USER, then your login name).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Team-based qualitative analysis: transcripts in, a rigorous, reported set of themes out."""
    if as_user is not None:
        acting_as["name"] = as_user


def actor_name() -> str:
    from thematica.services.access import current_user_name

    return current_user_name(acting_as["name"])


def open_project(db: str | None, project: str | None) -> Project:
    """Open the project a command names, for the acting person (imported late: ``--help``
    stays fast)."""
    from thematica.services.project import open_project as _open_project

    return _open_project(db, project, actor=acting_as["name"])
