"""The Typer application object that every command module registers on."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def open_project(db: str | None, project: str | None) -> Project:
    """Open the project a command names (imported late: ``--help`` stays fast)."""
    from thematica.services.project import open_project as _open_project

    return _open_project(db, project)
