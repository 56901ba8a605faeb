"""Krippendorff's alpha via the coincidence matrix, for any number of coders and missing data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._estimator import Estimator
from thematica.stats._input import FloatArray, Ratings
from thematica.stats.weights import check_symmetric

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

__all__ = ["LEVELS", "AlphaDetail", "alpha_detail", "krippendorff_alpha"]


@dataclass(frozen=True)
class AlphaDetail:
    """Alpha with its parts: α = 1 − D_o / D_e over ``n_pairable`` pairable values."""

    alpha: float
    observed_disagreement: float
    expected_disagreement: float
    n_pairable: int
    n_units: int
    coincidences: FloatArray


def _distances(level: str | FloatArray, ratings: Ratings, marginals: FloatArray) -> FloatArray:
    """δ²_ck for a batch of marginals (B × q) -> (B × q × q) or (q × q) when fixed.

    Metrics from Krippendorff (2004) Content Analysis, 2nd ed., §11.4 and Krippendorff (2011)
    Computing Krippendorff's Alpha-Reliability: ordinal uses the marginals (ranks), not values.
    """
    q = ratings.n_categories
    if not isinstance(level, str):
        try:
            matrix = np.asarray(level, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("a distance matrix must hold numbers only") from None
        if matrix.shape != (q, q):
            raise InputError(f"a distance matrix must be {q} × {q} for {q} categories")
        check_symmetric(matrix, ratings.categories, "distance")
        return np.asarray(matrix, dtype=np.float64)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        if not ratings.ordered:
            raise InputError("the ordinal level needs ordered categories: give the order")
        cum = np.cumsum(marginals, axis=-1)
        # Σ_{g=c..k} n_g − (n_c + n_k)/2 for c ≤ k, symmetric.
        lower = cum[..., :, None] - marginals[..., :, None]
        span = cum[..., None, :] - lower - (marginals[..., :, None] + marginals[..., None, :]) / 2
        span = np.abs(
            np.where(
                np.arange(q)[:, None] <= np.arange(q)[None, :], span, np.swapaxes(span, -1, -2)
            )
        )
        return np.asarray(span**2, dtype=np.float64)
    values = ratings.values()
    diff = values[:, None] - values[None, :]
    if level == "interval":
        return diff**2
    if level == "ratio":
        if (values < 0).any():
            raise InputError("the ratio level needs non-negative values")
        total = values[:, None] + values[None, :]
        out = np.zeros((q, q), dtype=np.float64)
        np.divide(diff, total, out=out, where=total != 0)
        return out**2
    raise InputError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")


def alpha_estimator(
    data: object,
    level: Level | str | FloatArray = "nominal",
    categories: Sequence[Any] | None = None,
) -> Estimator:
    """Krippendorff's alpha as an estimator (see :func:`krippendorff_alpha`)."""
    ratings = Ratings.coerce(data, categories)
    if isinstance(level, str) and level not in LEVELS:
        raise InputError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    q = ratings.n_categories
    counts = ratings.counts
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    used = counts[pairable]
    scale = 1.0 / (m_u[pairable] - 1.0)
    weighted = used * scale[:, None]
    coincidences = weighted.T @ used
    coincidences[np.diag_indices(q)] -= weighted.sum(axis=0)
    # Fixed metrics are checked (and computed) once, before any bootstrap.
    _distances(level, ratings, coincidences.sum(axis=0))

    def stats() -> FloatArray:
        out: FloatArray = np.einsum("uk,ul->ukl", weighted, used)
        idx = np.arange(q)
        out[:, idx, idx] -= weighted
        return out.reshape(-1, q * q)

    def finish(t: FloatArray) -> FloatArray:
        o = t.reshape(-1, q, q)
        n_c = o.sum(axis=1)
        n = n_c.sum(axis=1)
        delta = _distances(level, ratings, n_c)
        observed = (o * delta).sum(axis=(-2, -1))
        spec = "bk,bkl,bl->b" if delta.ndim == 3 else "bk,kl,bl->b"
        expected = np.einsum(spec, n_c, delta, n_c) / np.where(n > 1, n - 1, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = 1.0 - observed / expected
        return np.where(expected > 1e-12 * np.maximum(n, 1.0), value, np.nan)

    name = (
        "Krippendorff's alpha"
        if not isinstance(level, str)
        else (f"Krippendorff's alpha ({level})")
    )
    return Estimator(
        name=name,
        totals=coincidences.ravel(),
        stats=stats,
        finish=finish,
        n_units=int(pairable.sum()),
        n_coders=ratings.n_coders,
        ratings=Ratings(used, ratings.categories, None, ratings.ordered),
    )


def krippendorff_alpha(
    data: object,
    *,
    level: Level | str | FloatArray = "nominal",
    categories: Sequence[Any] | None = None,
) -> float:
    """Krippendorff's alpha for nominal, ordinal, interval or ratio data, any number of coders.

    Krippendorff, K. (2004) Content Analysis: An Introduction to Its Methodology, 2nd ed.,
    ch. 11, and Krippendorff, K. (2011) Computing Krippendorff's Alpha-Reliability (Univ. of
    Pennsylvania, asc_papers/43): α = 1 − D_o/D_e from the coincidence matrix, using only
    pairable values (units with ≥ 2 values). ``data`` is units × coders (missing allowed) or a
    :class:`Ratings`; ``level`` may also be a q × q matrix of squared distances δ²_ck.
    """
    return alpha_estimator(data, level, categories).value()


def alpha_detail(
    data: object,
    *,
    level: Level | str | FloatArray = "nominal",
    categories: Sequence[Any] | None = None,
) -> AlphaDetail:
    """Alpha with D_o, D_e and the coincidence matrix (Krippendorff 2011, as above)."""
    est = alpha_estimator(data, level, categories)
    value = est.value()
    q = est.ratings.n_categories
    o = est.totals.reshape(q, q)
    n_c = o.sum(axis=0)
    n = float(n_c.sum())
    delta = np.asarray(_distances(level, est.ratings, n_c), dtype=np.float64)
    d_o = float((o * delta).sum() / n)
    d_e = float(n_c @ delta @ n_c / (n * (n - 1)))
    return AlphaDetail(value, d_o, d_e, round(n), est.n_units, o)
