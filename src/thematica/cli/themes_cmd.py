"""Commands for themes and subthemes, their table (Table 2) and the SEM figure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

themes_app = typer.Typer(
    help="Themes and subthemes by SEM level: the theme table and the SEM figure.",
    invoke_without_command=True,
)
app.add_typer(themes_app, name="themes")

ThemeFmt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json, md or docx.")]


def _show(db: str | None, project: str | None, fmt: str, output: Path | None, ui: UI) -> None:
    with open_project(db, project) as p:
        if fmt == "docx":
            if output is None:
                raise InputError("--format docx needs --output FILE.docx")
            from thematica.exporters.project_files import write_themes_docx

            write_themes_docx(p, output)
            ui.info(f"wrote {output}")
            return
        table = p.themes.table()
    try:
        chosen = Format(fmt)
    except ValueError as exc:
        raise InputError(f"--format must be table, csv, json, md or docx, not {fmt!r}") from exc
    ui.table(table, chosen, output=output)


@themes_app.callback()
def themes_main(
    ctx: typer.Context,
    db: Db = None,
    project: ProjectName = None,
    fmt: ThemeFmt = "table",
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The theme table by SEM level (with no subcommand, the same as 'themes list')."""
    if ctx.invoked_subcommand is None:
        _show(db, project, fmt, output, UI(quiet, verbose))


@themes_app.command("list")
def themes_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: ThemeFmt = "table",
    output: Output = None,
    flat: Annotated[
        bool, typer.Option("--flat", help="One row per theme and subtheme, with memos.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The theme table (Table 2): numbered themes by SEM level, subthemes and codes."""
    ui = UI(quiet, verbose)
    if flat:
        with open_project(db, project) as p:
            table = p.themes.list()
        ui.table(table, Format(fmt) if fmt != "docx" else Format.table, output=output)
        return
    _show(db, project, fmt, output, ui)


@themes_app.command("add")
def themes_add(
    name: str,
    level: Annotated[str | None, typer.Option("--level", help="SEM level.")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    parent: Annotated[
        str | None, typer.Option("--parent", help="Make it a subtheme of this theme.")
    ] = None,
    codes: Annotated[
        list[str] | None, typer.Option("--code", "-c", help="A code it groups (repeatable).")
    ] = None,
    memo: Annotated[str, typer.Option("--memo")] = "",
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a theme (or, with --parent, a subtheme)."""
    with open_project(db, project) as p:
        p.themes.add(
            name,
            sem_level=level,
            description=description,
            parent=parent,
            codes=codes or [],
            memo=memo,
        )
        number = p.themes.get(name).number
    UI(quiet, verbose).info(f"Theme {number} {name!r} added.")


@themes_app.command("update")
def themes_update(
    theme: Annotated[str, typer.Argument(help="Theme name or number (2.1).")],
    name: Annotated[str | None, typer.Option("--name", help="Rename it.")] = None,
    level: Annotated[str | None, typer.Option("--level")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    memo: Annotated[str | None, typer.Option("--memo")] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Move it under this theme.")
    ] = None,
    top: Annotated[bool, typer.Option("--top", help="Make a subtheme a theme.")] = False,
    position: Annotated[
        int | None, typer.Option("--position", help="Its place among its siblings (1 = first).")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Change a theme: name, level, description, memo, parent or position."""
    moving = parent is not None or top or position is not None
    editing = any(v is not None for v in (name, level, description, memo))
    if not moving and not editing:
        raise InputError("nothing to change; see 'thematica themes update --help'")
    with open_project(db, project) as p:
        if editing:
            p.themes.update(theme, name=name, sem_level=level, description=description, memo=memo)
        if moving:
            p.themes.move(name or theme, parent=parent, top=top, position=position)
    UI(quiet, verbose).info(f"Theme {name or theme!r} updated.")


@themes_app.command("link")
def themes_link(
    theme: str,
    codes: Annotated[list[str], typer.Argument(help="Codes (names or paths).")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Let codes feed a theme (a code may feed several themes)."""
    with open_project(db, project) as p:
        linked = p.themes.link(theme, codes)
    UI(quiet, verbose).info(f"{len(linked)} code(s) linked to {theme!r}.")


@themes_app.command("unlink")
def themes_unlink(
    theme: str,
    codes: Annotated[list[str], typer.Argument(help="Codes (names or paths).")],
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Stop codes feeding a theme."""
    with open_project(db, project) as p:
        gone = p.themes.unlink(theme, codes)
    UI(quiet, verbose).info(f"{len(gone)} code(s) unlinked from {theme!r}.")


@themes_app.command("remove")
def themes_remove(
    theme: str,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Delete a theme and its subthemes (the codes and codings stay)."""
    with open_project(db, project) as p:
        n = p.themes.remove(theme)
    UI(quiet, verbose).info(f"Removed {n} theme(s).")


@themes_app.command("from-codebook")
def themes_from_codebook(
    depth: Annotated[
        int, typer.Option("--depth", help="Depth of the codes that become themes (0 = top).")
    ] = 1,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Create themes from the code tree: codes at --depth become themes, their children
    subthemes, each grouping its code(s)."""
    with open_project(db, project) as p:
        created = p.themes.from_codebook(depth)
    UI(quiet, verbose).info(f"Created {len(created)} theme(s) and subtheme(s).")


@themes_app.command("figure")
def themes_figure(
    output: Annotated[Path, typer.Option("--output", "-o", help="The figure file: .svg or .png.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Draw the Social-Ecological Model figure: each level's themes in its ring."""
    with open_project(db, project) as p:
        from thematica.exporters.project_files import write_sem_figure

        write_sem_figure(p, output, title=title)
    UI(quiet, verbose).info(f"wrote {output}")
