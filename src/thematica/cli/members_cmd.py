"""Commands for project members and their roles (owner, coder, viewer)."""

from __future__ import annotations

from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format

members_app = typer.Typer(
    help="Who belongs to the project: owners run it, coders code their own layer, viewers read.",
    no_args_is_help=True,
)
app.add_typer(members_app, name="members")

User = Annotated[str, typer.Argument(help="The user's name (their coder layer has the same name).")]
RoleArg = Annotated[str, typer.Argument(help="owner, coder or viewer.")]


@members_app.command("list")
def members_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The project's members and their roles."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.members.list(), fmt, output=output)


@members_app.command("add")
def members_add(
    user: User,
    role: RoleArg,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="How to show the person.")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a member (an owner's job); the account is created when it is new."""
    with open_project(db, project) as p:
        p.members.add(user, role, display_name=display_name)
        UI(quiet, verbose).info(f"{user} is now {role.strip().lower()} of {p.name}.")


@members_app.command("role")
def members_role(
    user: User,
    role: RoleArg,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Change a member's role; the last owner cannot stop being owner."""
    with open_project(db, project) as p:
        p.members.set_role(user, role)
        UI(quiet, verbose).info(f"{user} is now {role.strip().lower()} of {p.name}.")


@members_app.command("remove")
def members_remove(
    user: User,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Remove a member (their codings stay); the last owner cannot be removed."""
    with open_project(db, project) as p:
        p.members.remove(user)
        UI(quiet, verbose).info(f"{user} is no longer a member of {p.name}.")
