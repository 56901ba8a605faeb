"""``thematica documents speakers``: which case each speaker of a focus group stands for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import open_project
from thematica.cli.documents_cmd import documents_app
from thematica.cli.options import Db, Fmt, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError


@documents_app.command("speakers")
def documents_speakers(
    document: Annotated[
        str | None,
        typer.Argument(
            help="The document (all mapped documents when left out).", show_default=False
        ),
    ] = None,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="SPEAKER=CASE, e.g. 'P3=Participant 3'; 'Moderator=' maps to no case "
            "(repeatable; cases are created if new).",
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="CSV/XLSX with columns document, speaker, case (all or none)."),
    ] = None,
    unmap: Annotated[
        list[str] | None,
        typer.Option("--unmap", help="Remove this speaker's map (repeatable)."),
    ] = None,
    unmap_all: Annotated[
        bool, typer.Option("--unmap-all", help="Remove every speaker map of the document.")
    ] = False,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force the encoding of --from.")
    ] = None,
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List a document's speakers with turns and case, or map speakers to cases (focus groups)."""
    from thematica.services.speakers import parse_mapping

    ui = UI(quiet, verbose)
    writes = sum(bool(x) for x in (maps, from_file, unmap, unmap_all))
    if writes > 1:
        raise InputError("give one of --map, --from, --unmap or --unmap-all")
    if (maps or unmap or unmap_all) and document is None:
        raise InputError("name the document whose speakers to map or unmap")
    if from_file is not None and document is not None:
        raise InputError("--from names its documents in the file; leave out DOCUMENT")
    pairs = [parse_mapping(spec) for spec in maps or []]
    with open_project(db, project) as p:
        if pairs and document is not None:
            report = p.speakers.map(document, pairs)
        elif from_file is not None:
            report = p.speakers.import_table(from_file, encoding=encoding)
        elif (unmap or unmap_all) and document is not None:
            gone = p.speakers.unmap(document, unmap or ())
            ui.info(f"Removed {gone} speaker map(s) of {document}.")
            ui.table(p.speakers.list(document), fmt)
            return
        else:
            ui.table(p.speakers.list(document), fmt)
            return
        created = f", created {len(report.cases_created)} case(s)" if report.cases_created else ""
        ui.info(
            f"Mapped {report.mapped} speaker(s) in {len(report.documents)} document(s){created}."
        )
        ui.table(p.speakers.list(document), fmt)
