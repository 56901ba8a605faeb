"""``thematica stats``: the standalone agreement calculator for a CSV from anywhere."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from thematica.cli.options import Quiet, Verbose
from thematica.cli.output import UI, Format
from thematica.core.errors import InputError

_MAX_BYTES = 200 * 1024 * 1024
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


def read_ratings_csv(path: Path, *, header: bool = True) -> tuple[list[str], list[list[str]]]:
    """One column per coder, one row per unit; the encoding is detected as the importers do."""
    from thematica.importers.csv_rows import sniff_delimiter
    from thematica.importers.decode import decode_bytes

    size = path.stat().st_size
    if size > _MAX_BYTES:
        raise InputError(f"{path.name}: file is larger than {_MAX_BYTES // (1024 * 1024)} MB")
    text, _encoding = decode_bytes(path.read_bytes(), path.name)
    text = text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError(f"{path.name}: not a readable CSV ({exc})") from None
    rows = [row for row in rows if row]
    if not rows:
        raise InputError(f"{path.name}: the file has no rows")
    width = len(rows[0])
    for number, row in enumerate(rows, 1):
        if len(row) != width:
            raise InputError(
                f"{path.name}: row {number} has {len(row)} cell(s), expected {width} "
                "(one per coder): the table is not rectangular"
            )
    if width < 2:
        raise InputError(f"{path.name}: need at least 2 coder columns, found {width}")
    names = [c.strip() for c in rows[0]] if header else [f"coder {i + 1}" for i in range(width)]
    data = rows[1:] if header else rows
    if not data:
        raise InputError(f"{path.name}: there are no units (rows) below the header")
    return names, [[cell.strip() for cell in row] for row in data]


def _as_number(cell: str) -> float | None:
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def ratings_array(
    cells: list[list[str]], categories: list[str] | None
) -> tuple[Any, list[Any] | None]:
    """Numbers when every filled cell is a number (empty = NaN), else strings (empty = None)."""
    import numpy as np

    filled = [cell for row in cells for cell in row if cell]
    numbers = [_as_number(cell) for cell in filled]
    if filled and all(n is not None for n in numbers):
        array = np.array(
            [[_as_number(c) if c else np.nan for c in row] for row in cells], dtype=np.float64
        )
        cats: list[Any] | None = None
        if categories is not None:
            parsed = [_as_number(c) for c in categories]
            if any(p is None for p in parsed):
                raise InputError("--categories must be numbers when the ratings are numbers")
            cats = [int(p) if p is not None and p.is_integer() else p for p in parsed]
        return array, cats
    objects = np.array([[c if c else None for c in row] for row in cells], dtype=object)
    return objects, categories


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
    from thematica.stats import COEFFICIENTS, agreement

    if coefficient not in COEFFICIENTS:
        raise InputError(
            f"unknown coefficient {coefficient!r}; choose one of {', '.join(COEFFICIENTS)}"
        )
    if weights is not None and weights not in ("linear", "quadratic"):
        raise InputError(f"--weights must be linear or quadratic, not {weights!r}")
    if bootstrap < 0:
        raise InputError("--bootstrap must be 0 or more")
    ui = UI(quiet, verbose)
    names, cells = read_ratings_csv(file, header=not no_header)
    order = [c.strip() for c in categories.split(",")] if categories else None
    data, cats = ratings_array(cells, order)
    ui.detail(f"{len(cells)} unit(s), coders: {', '.join(names)}")
    result = agreement(
        coefficient,
        data,
        level=level,
        weights=weights,  # type: ignore[arg-type]
        categories=cats,
        bootstrap=bootstrap,
        seed=seed,
    )
    row = StatsRow(**{k: getattr(result, k) for k in JSON_KEYS})
    if fmt is Format.json:
        ui.write(json.dumps({k: getattr(row, k) for k in JSON_KEYS}, ensure_ascii=False) + "\n")
        return
    ui.table(Table([row], title=f"{result.coefficient}, {file.name}"), fmt)
    if result.resamples and result.resamples < bootstrap:
        ui.info(
            f"{bootstrap - result.resamples} resample(s) left out: the coefficient was undefined"
        )
