"""``thematica agreement``: inter-coder agreement on a project, and ``agreement-compare``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from thematica.cli.app import app, open_project
from thematica.cli.code_labels import CodeLabels
from thematica.cli.options import Db, Output, ProjectName, Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

SHOWN_DISAGREEMENTS = 10


class AgreementFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    xlsx = "xlsx"


class Part(StrEnum):
    overall = "overall"
    codes = "codes"
    documents = "documents"
    pairs = "pairs"
    disagreements = "disagreements"


def _short(text: str | None, width: int = 60) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@app.command()
def agreement(
    coders: Annotated[
        str, typer.Option("--coders", help="Two or more coders to compare: A,B[,C…] (or 'all').")
    ],
    unit: Annotated[
        str,
        typer.Option("--unit", help="character, segment, sentence, turn or document."),
    ] = "character",
    db: Db = None,
    project: ProjectName = None,
    document: Annotated[
        list[str] | None, typer.Option("--document", help="Only this document (repeatable).")
    ] = None,
    code: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only this code and its subcodes (repeatable)."),
    ] = None,
    min_overlap: Annotated[
        float,
        typer.Option("--min-overlap", help="Segment unit: overlap share that pairs two codings."),
    ] = 0.9,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Resamples for 95% intervals (0 = none).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed: same seed, same interval.")] = 1,
    save: Annotated[
        str | None, typer.Option("--save", help="Store this run under a name, to compare later.")
    ] = None,
    table: Annotated[
        Part, typer.Option("--table", help="Which table csv and md print.")
    ] = Part.codes,
    fmt: Annotated[
        AgreementFormat, typer.Option("--format", "-f", help="Output format.")
    ] = AgreementFormat.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Agreement between coders: overall, per code, per document, per pair, disagreements."""
    from thematica.exporters.atomic import write_atomic
    from thematica.exporters.xlsx_tables import write_xlsx

    if fmt is AgreementFormat.xlsx and output is None:
        raise InputError("--format xlsx needs --output FILE.xlsx")
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        report = p.agreement.compute(
            coders,
            unit,
            documents=document or None,
            codes=code or None,
            min_overlap=min_overlap,
            bootstrap=bootstrap,
            seed=seed,
            save=save,
        )
        labels = CodeLabels(p)
    if fmt is AgreementFormat.xlsx:
        assert output is not None
        write_xlsx(output, report.tables())
        ui.info(f"wrote {output}")
    elif fmt is AgreementFormat.json:
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"
        if output is not None:
            write_atomic(output, text)
            ui.info(f"wrote {output}")
        else:
            ui.write(text)
    elif fmt is AgreementFormat.table:
        if output is not None:
            raise InputError("--output needs --format csv, json, md or xlsx")
        _print_report(ui, report, labels)
    else:
        ui.table(report.tables()[table.value], Format(fmt.value), output=output)
    for note in report.notes:
        ui.detail(note)
    if save:
        ui.info(f"saved as {save!r}; compare later with: thematica agreement-compare {save}")


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ci(low: float | None, high: float | None) -> str | None:
    return None if low is None or high is None else f"{low:.3f} to {high:.3f}"


@dataclass(slots=True)
class _OverallLine:
    measure: str
    value: float | None
    ci_95: str | None
    units: int
    label: str | None
    note: str | None


@dataclass(slots=True)
class _CodeLine:
    code: str
    prevalence: float | None
    coded: dict[str, int]
    percent: float | None
    kappa: float | None
    alpha: float | None
    ci_95: str | None
    label: str | None


@dataclass(slots=True)
class _Brief:
    code: str
    document: str
    kind: str
    a: str
    b: str


def _print_report(ui: UI, report: Any, labels: CodeLabels) -> None:
    """Compact terminal view: overall, per code (rounded, indented tree), first disagreements."""
    from thematica.core.tables import Table

    overall = [
        _OverallLine(
            r.measure, _r(r.value), _ci(r.ci_low, r.ci_high), r.n_units, r.label, _short(r.note)
        )
        for r in report.overall
    ]
    ui.table(Table(overall, title=report.overall.title), Format.table)
    codes = [
        _CodeLine(
            labels.indented(r.code),
            _r(r.prevalence),
            r.coded,
            _r(r.percent),
            _r(r.kappa),
            _r(r.alpha),
            _ci(r.ci_low, r.ci_high),
            r.label or (_short(r.note, 30) if r.note else None),
        )
        for r in report.codes
    ]
    ui.table(Table(codes, title=report.codes.title), Format.table)
    shown = report.disagreements.rows[:SHOWN_DISAGREEMENTS]
    if shown:
        brief = [
            _Brief(
                labels.name(r.code),
                r.document,
                r.kind,
                f"{r.coder_a}: {_short(r.a_text) or '—'}",
                f"{r.coder_b}: {_short(r.b_text) or '—'}",
            )
            for r in shown
        ]
        total = len(report.disagreements)
        ui.table(Table(brief, title=f"Disagreements (first {len(shown)} of {total})"), Format.table)
    for note in report.notes:
        ui.info(f"note: {note}")


@app.command("agreement-compare")
def agreement_compare(
    old: Annotated[str, typer.Argument(help="A run saved with 'thematica agreement --save'.")],
    new: Annotated[
        str, typer.Argument(help="Another saved run, or 'current' to re-run old's settings now.")
    ] = "current",
    db: Db = None,
    project: ProjectName = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Output = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """How agreement changed between two saved runs (or a saved run and now), per code."""
    ui = UI(quiet, verbose)
    with open_project(db, project) as p:
        result = p.agreement.compare(old, new)
    if fmt is Format.json:
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"
        if output is not None:
            from thematica.exporters.atomic import write_atomic

            write_atomic(output, text)
        else:
            ui.write(text)
        return
    if fmt is not Format.table:
        ui.table(result.codes, fmt, output=output)
        return
    if output is not None:
        raise InputError("--output needs --format csv, json or md")
    ui.table(result.codebook_changes, Format.table)
    ui.table(result.overall, Format.table)
    ui.table(result.codes, Format.table)
