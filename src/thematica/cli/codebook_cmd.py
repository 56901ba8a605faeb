"""Commands for the codebook: tree, templates, files, versions, history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

codebook_app = typer.Typer(
    help="The codebook: tree, definitions, templates, versions.", no_args_is_help=True
)
app.add_typer(codebook_app, name="codebook")

CodeField = Annotated[str | None, typer.Option()]
Exclusive = Annotated[
    bool | None,
    typer.Option(
        "--exclusive/--not-exclusive",
        help="Its direct subcodes are mutually exclusive alternatives (for reconciliation).",
    ),
]


def _given(**options: str | None) -> dict[str, str]:
    """The code fields the user actually passed (an empty string clears a field)."""
    return {key: value for key, value in options.items() if value is not None}


@codebook_app.command("list")
def codebook_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The code tree with SEM level, origin and number of codings."""
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
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
    if info.get("exclusive"):
        ui.out.print(
            "[bold]exclusive[/bold]: yes (its direct subcodes are mutually exclusive)",
            highlight=False,
        )


@codebook_app.command("import")
def codebook_import(
    file: Path,
    db: Db = None,
    project: ProjectName = None,
    path_separator: Annotated[
        str | None,
        typer.Option(
            "--path-separator",
            help="Table with a 'path' column (no 'name'): what separates levels, e.g. ' > ' "
            "(default '/'). Tables with name and parent columns need none.",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Merge a codebook file (.yaml, a .csv/.xlsx/.docx table, or .qdc) into the codebook.

    A table has one row per code: name, parent (path or unique name; blank = top level) and
    any of the fields. A '/' inside a name is part of the name, never a level.
    """
    with open_project(db, project) as p:
        report = p.codebook.import_file(file, path_separator=path_separator)
    UI(quiet, verbose).info(
        f"Codebook: {len(report.created)} code(s) added, {len(report.updated)} updated."
    )


@codebook_app.command("export")
def codebook_export(
    file: Annotated[
        str,
        typer.Argument(
            help="Output file (.yaml, .csv, .xlsx, .docx or .qdc), or - for standard output."
        ),
    ],
    db: Db = None,
    project: ProjectName = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="yaml or csv (default: from the file name; .qdc too)."),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write the codebook as YAML, a table (CSV, Excel, Word) or REFI-QDA .qdc."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        if file == "-":
            ui.write(p.codebook.export_text(fmt or "yaml"))
            return
        from thematica.exporters.project_files import write_codebook

        path = write_codebook(p, Path(file), fmt)
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
    with open_project(db, project) as p:
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
    exclusive: Exclusive = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Add a code."""
    fields = _given(
        definition=definition,
        inclusion=inclusion,
        exclusion=exclusion,
        example=example,
        origin=origin,
        sem_level=sem_level,
        colour=colour,
        memo=memo,
    )
    with open_project(db, project) as p:
        path = p.codebook.add(name, parent, **fields, exclusive=exclusive)
    ui = UI(quiet, verbose)
    ui.info(f"Added {path}")
    if "/" in name and parent is None:
        ui.info(f"note: {name!r} is one code; to make a subcode, use --parent")


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
    exclusive: Exclusive = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Change a code's name or fields (each change is kept in the codebook history)."""
    fields = _given(
        name=name,
        definition=definition,
        inclusion=inclusion,
        exclusion=exclusion,
        example=example,
        origin=origin,
        sem_level=sem_level,
        colour=colour,
        memo=memo,
    )
    if not fields and exclusive is None:
        raise InputError("nothing to change: give --name or a field such as --definition")
    with open_project(db, project) as p:
        p.codebook.update(code, **fields, **({} if exclusive is None else {"exclusive": exclusive}))
    UI(quiet, verbose).info(f"Updated {code}")


@codebook_app.command("exclusive")
def codebook_exclusive(
    code: str,
    off: Annotated[
        bool, typer.Option("--off", help="Undo: the subcodes may again be combined.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Declare a code's direct subcodes mutually exclusive alternatives (a code group).

    In reconciliation, coder A's X against coder B's Y under such a code is one "different
    code" disagreement rather than two independent ones.
    """
    with open_project(db, project) as p:
        changed = p.codebook.set_exclusive(code, not off)
    state = "not mutually exclusive" if off else "mutually exclusive"
    UI(quiet, verbose).info(
        f"Subcodes of {code} are {state}" + ("" if changed else " (unchanged)") + "."
    )


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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
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
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.codebook.history(), fmt)
