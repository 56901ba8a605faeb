"""The report commands (a results draft as Markdown, HTML or Word; ``report init`` for its
configuration) and starring exemplar quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from thematica.cli.app import app, open_project
from thematica.cli.options import Coder, Db, ProjectName, Quiet, Verbose
from thematica.cli.output import UI
from thematica.core.errors import ConflictError, InputError

report_app = typer.Typer(
    help="Write a results draft (report -o FILE), or its configuration (report init).",
    invoke_without_command=True,
)
app.add_typer(report_app, name="report")

Names = list[str] | None


def _quote_words(text: str | None) -> tuple[int | None, int | None]:
    if text is None:
        return None, None
    low, sep, high = text.partition("-")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise InputError(f"--quote-words must look like 15-80, not {text!r}")
    return int(low), int(high)


@report_app.callback()
def report(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The report file (.md, .html or .docx)."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="md, html or docx (default: from the file's suffix). Markdown writes its "
            "figures as PNG files beside the report.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Report settings from this YAML file (see 'report init')."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The report's title.")] = None,
    coder: Coder = None,
    allow_open: Annotated[
        bool,
        typer.Option(
            "--allow-open",
            help="Write the report although consensus disagreements are open; the findings "
            "then open with a notice that the coding is provisional.",
        ),
    ] = False,
    attribute: Annotated[
        Names,
        typer.Option(
            "--attribute",
            help="Table 1 attribute, NAME or NAME=Label (repeatable; sets the order).",
        ),
    ] = None,
    agreement_run: Annotated[
        str | None,
        typer.Option("--agreement-run", help="Use this saved agreement run's figures."),
    ] = None,
    agreement_coders: Annotated[
        str | None,
        typer.Option("--agreement-coders", help="Coders compared, A,B (default: the human ones)."),
    ] = None,
    agreement_unit: Annotated[
        str | None,
        typer.Option("--agreement-unit", help="character, segment, sentence, turn or document."),
    ] = None,
    bootstrap: Annotated[
        int | None, typer.Option("--bootstrap", help="Agreement resamples (default 1000).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Bootstrap seed (default 1).")] = None,
    agreement_code: Annotated[
        Names, typer.Option("--agreement-code", help="Compare only this code (repeatable).")
    ] = None,
    order_by: Annotated[
        str | None,
        typer.Option(
            "--order-by",
            help="Case attribute giving the interview order for saturation (default: "
            "document name, as 'thematica saturation').",
        ),
    ] = None,
    saturation_unit: Annotated[
        str | None,
        typer.Option("--saturation-unit", help="document (default) or case."),
    ] = None,
    base: Annotated[int | None, typer.Option("--base", help="Saturation base (default 4).")] = None,
    run: Annotated[int | None, typer.Option("--run", help="Saturation run (default 2).")] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Saturation threshold (default 0.05).")
    ] = None,
    theme: Annotated[
        Names, typer.Option("--theme", help="Only this theme, by name or number (repeatable).")
    ] = None,
    max_quotes: Annotated[
        int | None, typer.Option("--max-quotes", help="Quotes per theme (default 3).")
    ] = None,
    quote_words: Annotated[
        str | None, typer.Option("--quote-words", help="Preferred quote length, MIN-MAX words.")
    ] = None,
    no_starred: Annotated[
        bool, typer.Option("--no-starred", help="Ignore starred codings; use the default rule.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write a results draft: methods, Table 1, theme table, SEM figure, agreement,
    saturation, and each theme's prevalence and exemplar quotes. Settings come from
    --config FILE (write one with 'report init'); flags override the file."""
    if ctx.invoked_subcommand is not None:
        return
    from thematica.services.reports import OpenDisagreementsError, Reports

    if output is None:
        raise InputError("report needs --output FILE (.md, .html or .docx)")
    ui = UI(quiet, verbose)
    low, high = _quote_words(quote_words)
    base_settings = Reports.load_config(config) if config is not None else None
    overrides: dict[str, Any] = {
        "allow_open": True if allow_open else None,
        "attributes": attribute,
        "agreement_run": agreement_run,
        "agreement_coders": agreement_coders,
        "agreement_unit": agreement_unit,
        "agreement_bootstrap": bootstrap,
        "agreement_seed": seed,
        "agreement_codes": agreement_code,
        "saturation_unit": saturation_unit,
        "saturation_base": base,
        "saturation_run": run,
        "saturation_threshold": threshold,
        "themes": theme,
        "quotes_max": max_quotes,
        "quotes_min_words": low,
        "quotes_max_words": high,
        "quotes_starred": False if no_starred else None,
    }
    settings = Reports.settings(
        base_settings, coder=coder, order_by=order_by, title=title, **overrides
    )
    with open_project(db, project) as p:
        try:
            from thematica.exporters.project_files import write_report

            result = write_report(p, output, fmt, settings=settings)
        except OpenDisagreementsError as exc:
            raise ConflictError(f"{exc} (--allow-open)") from None
    for extra in result.files:
        ui.info(f"wrote {extra}")
    ui.info(f"wrote {result.path} (state {result.state_hash[:12]})")


@report_app.command("init")
def report_init(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the YAML configuration.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Write a commented report configuration with every setting at its default."""
    from thematica.exporters.atomic import write_atomic

    ui = UI(quiet, False)
    if output.exists() and not force:
        raise InputError(f"{output} already exists (--force replaces it)")
    if not output.parent.exists():
        raise InputError(f"cannot write {output}: folder {output.parent} does not exist")
    with open_project(db, project) as p:
        text = p.reports.config_template()
    write_atomic(output, text)
    ui.info(f"wrote {output}; use it with: thematica report --config {output} -o results.docx")


@app.command()
def star(
    coding_id: Annotated[int, typer.Argument(help="The coding's id (see 'thematica codings').")],
    unstar: Annotated[
        bool, typer.Option("--unstar", help="Remove the star instead of setting it.")
    ] = False,
    db: Db = None,
    project: ProjectName = None,
    quiet: Quiet = False,
) -> None:
    """Star a coding as an exemplar quote for reports (or --unstar it)."""
    ui = UI(quiet, False)
    with open_project(db, project) as p:
        p.coding.star(coding_id, not unstar)
    ui.info(f"{'unstarred' if unstar else 'starred'} coding {coding_id}")
