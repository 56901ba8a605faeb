"""Agreement for a ratings file from anywhere: a units × coders CSV read into arrays.

File reading lives here, not in ``thematica.stats``, which stays pure numpy.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from thematica.core.errors import InputError
from thematica.importers.csv_rows import sniff_delimiter
from thematica.importers.decode import decode_bytes
from thematica.stats import COEFFICIENTS, AgreementResult, agreement

_MAX_BYTES = 200 * 1024 * 1024


def read_ratings_csv(path: Path, *, header: bool = True) -> tuple[list[str], list[list[str]]]:
    """One column per coder, one row per unit; the encoding is detected as the importers do."""
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
                raise InputError(
                    "the categories must be numbers when the ratings are numbers",
                    hint="categories",
                )
            cats = [int(p) if p is not None and p.is_integer() else p for p in parsed]
        return array, cats
    objects = np.array([[c if c else None for c in row] for row in cells], dtype=object)
    return objects, categories


def agreement_from_file(
    coefficient: str,
    path: Path,
    *,
    level: str = "nominal",
    weights: str | None = None,
    categories: list[str] | None = None,
    bootstrap: int = 1000,
    seed: int | None = None,
    header: bool = True,
) -> tuple[list[str], AgreementResult]:
    """The coder names and the coefficient (with its bootstrap interval) for a ratings CSV."""
    if coefficient not in COEFFICIENTS:
        raise InputError(
            f"unknown coefficient {coefficient!r}; choose one of {', '.join(COEFFICIENTS)}"
        )
    if weights is not None and weights not in ("linear", "quadratic"):
        raise InputError(f"weights must be linear or quadratic, not {weights!r}", hint="weights")
    if bootstrap < 0:
        raise InputError("the number of bootstrap resamples must be 0 or more", hint="bootstrap")
    names, cells = read_ratings_csv(path, header=header)
    data, cats = ratings_array(cells, categories)
    result = agreement(
        coefficient,
        data,
        level=level,
        weights=weights,  # type: ignore[arg-type]
        categories=cats,
        bootstrap=bootstrap,
        seed=seed,
    )
    return names, result
