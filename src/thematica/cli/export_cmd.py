"""``thematica export codings|codebook|cases``: tables for spreadsheets and statistics tools;
``thematica export captions``: a timed transcript as WebVTT/SubRip."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, ProjectName, Quiet, Verbose
from thematica.cli.output import UI

export_app = typer.Typer(
    help="Export codings, the codebook or case attributes (CSV, XLSX), or captions (VTT, SRT).",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

OutFile = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="The file to write: FILE.csv or FILE.xlsx.", show_default=False
    ),
]


def _export(
    db: str | None, project: str | None, kind: str, output: Path, coder: str | None = None
) -> int:
    from thematica.services.exports import check_target

    fmt = check_target(kind, output)  # a bad name or folder fails before any work
    with open_project(db, project) as p:
        if kind == "codings" and fmt == "csv":  # streamed: 200,000 codings in a few MiB
            from thematica.exporters.atomic import write_csv_rows

            header, rows = p.exports.codings_rows(coder)
            return write_csv_rows(output, header, rows)
        from thematica.exporters.atomic import write_atomic

        frame = p.exports.frame(kind, coder=coder)
        write_atomic(output, p.exports.render_frame(kind, frame, fmt))
    return len(frame)


@export_app.command("codings")
def export_codings(
    output: OutFile,
    db: Db = None,
    project: ProjectName = None,
    coder: Coder = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """One row per coding: document, case, case attributes, code path, coder, offsets, text."""
    ui = UI(quiet, verbose)
    rows = _export(db, project, "codings", output, coder)
    ui.info(f"wrote {output}: {rows} coding(s)")


@export_app.command("codebook")
def export_codebook(
    output: OutFile,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """One row per code: path, parent, depth, every field and its number of codings."""
    ui = UI(quiet, verbose)
    rows = _export(db, project, "codebook", output)
    ui.info(f"wrote {output}: {rows} code(s)")


@export_app.command("cases")
def export_cases(
    output: OutFile,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Cases x attributes (an XLSX adds an 'attributes' sheet with types and value orders)."""
    ui = UI(quiet, verbose)
    rows = _export(db, project, "cases", output)
    ui.info(f"wrote {output}: {rows} case(s)")


class CaptionFormat(StrEnum):
    vtt = "vtt"
    srt = "srt"


@export_app.command("captions")
def export_captions(
    document: Annotated[str, typer.Argument(help="The document to export.", show_default=False)],
    fmt: Annotated[
        CaptionFormat | None,
        typer.Option("--format", "-f", help="vtt or srt (default: from -o's suffix, else vtt)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The file to write (default: print it).", show_default=False
        ),
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """A transcribed or caption-imported document as WebVTT or SubRip captions."""
    from thematica.core.errors import InputError

    ui = UI(quiet, verbose)
    chosen = fmt.value if fmt is not None else None
    if output is not None:
        suffix = output.suffix.lower().lstrip(".")
        if chosen is None:
            chosen = suffix if suffix in ("vtt", "srt") else "vtt"
        if output.is_dir():
            raise InputError(f"cannot write {output}: it is a folder")
        if not output.parent.is_dir():
            raise InputError(f"cannot write {output}: folder {output.parent} does not exist")
    with open_project(db, project) as p:
        text = p.exports.captions(document, chosen or "vtt")
    if output is None:
        ui.write(text)
        return
    from thematica.exporters.atomic import write_atomic

    write_atomic(output, text)
    cues = text.count(" --> ")
    ui.info(f"wrote {output}: {cues} cue(s)")
