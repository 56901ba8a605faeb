"""``thematica stats``: the standalone agreement calculator for a CSV from anywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from thematica.cli.options import Quiet, Verbose
from thematica.cli.output import UI, Format

JSON_KEYS = ("coefficient", "value", "ci_low", "ci_high", "n_units", "n_coders", "label")


@dataclass
class StatsRow:
    coefficient: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n_units: int
    n_coders: int
    label: str | None


def stats(
    coefficient: Annotated[
        str, typer.Argument(help="percent, cohen, scott, fleiss, bp, ac1 or alpha.")
    ],
    file: Annotated[
        Path, typer.Argument(help="CSV: one column per coder, one row per unit; empty = missing.")
    ],
    level: Annotated[
        str, typer.Option("--level", help="alpha: nominal, ordinal, interval or ratio.")
    ] = "nominal",
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Kappa family: linear or quadratic (AC1 becomes AC2)."),
    ] = None,
    categories: Annotated[
        str | None,
        typer.Option("--categories", help='All categories in order, e.g. "low,mid,high".'),
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Resamples over units for a 95% CI (0 = none).")
    ] = 1000,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed: same seed, same CI.")] = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="The first row is data, not coder names.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Agreement between coders for data from anywhere (a units × coders CSV)."""
    from thematica.core.tables import Table
    from thematica.services.ratings import agreement_from_file

    ui = UI(quiet, verbose)
    order = [c.strip() for c in categories.split(",")] if categories else None
    names, result = agreement_from_file(
        coefficient,
        file,
        level=level,
        weights=weights,
        categories=order,
        bootstrap=bootstrap,
        seed=seed,
        header=not no_header,
    )
    ui.detail(f"{result.n_units} unit(s), coders: {', '.join(names)}")
    row = StatsRow(**{k: getattr(result, k) for k in JSON_KEYS})
    if fmt is Format.json:
        ui.write(json.dumps({k: getattr(row, k) for k in JSON_KEYS}, ensure_ascii=False) + "\n")
        return
    ui.table(Table([row], title=f"{result.coefficient}, {file.name}"), fmt)
    if result.resamples and result.resamples < bootstrap:
        ui.info(
            f"{bootstrap - result.resamples} resample(s) left out: the coefficient was undefined"
        )
