"""Commands for cases, their attributes and the participant table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Db, Fmt, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

cases_app = typer.Typer(
    help="Cases (participants) and their attributes; Table 1.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"{what} takes NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@cases_app.command("import")
def cases_import(
    file: Path,
    id_column: Annotated[str, typer.Option("--id-column", help="Column with the case identifier.")],
    db: Db = None,
    project: ProjectName = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="NAME=categorical|ordinal|numeric|date|boolean (repeatable)."),
    ] = None,
    orders: Annotated[
        list[str] | None,
        typer.Option("--order", help="Ordinal value order: 'NAME=low;middle;high' (repeatable)."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Force a text encoding.")
    ] = None,
    max_columns: Annotated[
        int, typer.Option("--max-columns", help="Refuse tables wider than this.")
    ] = 1000,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Import cases and typed attributes from a CSV or XLSX file, one row per case."""
    from thematica.core.models import AttributeType
    from thematica.services.cases import parse_order

    kinds = {}
    for name, value in _pairs(types, "--type").items():
        try:
            kinds[name] = AttributeType(value.lower())
        except ValueError as exc:
            allowed = ", ".join(a.value for a in AttributeType)
            raise InputError(f"--type {name}: {value!r} is not one of {allowed}") from exc
    order_map = {k: parse_order(v) for k, v in _pairs(orders, "--order").items()}
    with open_project(db, project) as p:
        report = p.cases.import_table(
            file,
            id_column=id_column,
            types=kinds,
            orders=order_map,
            encoding=encoding,
            max_columns=max_columns,
        )
    ui = UI(quiet, verbose)
    for name, kind in report.attributes.items():
        ui.detail(f"attribute {name}: {kind}")
    ui.info(
        f"Imported {len(report.cases_created)} new and updated {len(report.cases_updated)} case(s) "
        f"with {len(report.attributes)} attribute(s)."
    )


@cases_app.command("list")
def cases_list(
    db: Db = None,
    project: ProjectName = None,
    fmt: Fmt = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """List cases with their attribute values."""
    with open_project(db, project) as p:
        UI(quiet, verbose).table(p.cases.list(), fmt)


@cases_app.command("describe")
def cases_describe(
    db: Db = None,
    project: ProjectName = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, json, md or docx.")
    ] = "table",
    output: Output = None,
    attributes: Annotated[
        list[str] | None,
        typer.Option("--attribute", "-a", help="Only these attributes (repeatable)."),
    ] = None,
    groups: Annotated[
        bool, typer.Option("--groups", help="Describe the focus groups instead of participants.")
    ] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """The participant table (Table 1): n and % of cases for every attribute value."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        table = p.cases.describe(attributes, unit="groups" if groups else "participants")
    if fmt == "docx":
        from thematica.exporters.docx_table import write_table_docx

        if output is None:
            raise InputError("--format docx needs --output FILE.docx")
        write_table_docx(
            table,
            output,
            note="Percentages are of all cases; missing answers are listed as Missing.",
        )
        ui.info(f"wrote {output}")
        return
    try:
        chosen = Format(fmt)
    except ValueError as exc:
        raise InputError(f"--format must be table, csv, json, md or docx, not {fmt!r}") from exc
    ui.table(table, chosen, output=output)


@cases_app.command("set")
def cases_set(
    case: str,
    attribute: str,
    value: str,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Set one attribute value of one case ('' clears it)."""
    with open_project(db, project) as p:
        p.cases.set(case, attribute, value or None)
    UI(quiet, verbose).info(f"{case}: {attribute} = {value or '(missing)'}")
