"""A coefficient as unit-level statistics plus a function of their sum.

Every coefficient here is a function of sums over units (contingency cells, per-unit agreement,
coincidences). Writing it that way gives the point estimate (sum over all units) and the
bootstrap over units (sums over resampled units, many resamples at once) from one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._input import FloatArray, Ratings

Finish = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class Estimator:
    """``finish(totals)`` maps (B × d) sums of ``stats`` rows to B values (NaN = undefined).

    ``totals`` is the sum over all units (computed directly, for speed on large data);
    ``stats`` (units × d, rows of contributing units only) is built lazily for the bootstrap.
    """

    name: str
    totals: FloatArray
    stats: Callable[[], FloatArray]
    finish: Finish
    n_units: int
    n_coders: int
    ratings: Ratings
    min_units_reason: str = "units rated by at least 2 coders"

    def value(self) -> float:
        if self.n_units < 2:
            raise InputError(
                f"{self.name} needs at least 2 {self.min_units_reason}, got {self.n_units}"
            )
        result = float(self.finish(self.totals[None, :])[0])
        if not np.isfinite(result):
            raise InputError(_undefined_reason(self.name, self.ratings))
        return result


def _undefined_reason(name: str, ratings: Ratings) -> str:
    used = [c for c, n in zip(ratings.categories, ratings.counts.sum(axis=0), strict=True) if n]
    if len(used) == 1:
        return (
            f"only one category ({used[0]!r}) occurs in the rated units, so {name} is undefined "
            "(chance agreement is 1); report percent agreement or declare the full category set"
        )
    return f"{name} is undefined for these data: expected (chance) agreement is 1"


def chance_corrected(observed: FloatArray, expected: FloatArray) -> FloatArray:
    """(p_o − p_e) / (1 − p_e), NaN where p_e is 1 (undefined)."""
    denominator = 1.0 - expected
    safe = np.abs(denominator) > 1e-12
    out = np.full(observed.shape, np.nan)
    np.divide(observed - expected, denominator, out=out, where=safe)
    return out
