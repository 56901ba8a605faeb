"""Percent agreement and the kappa family on categorical ratings.

All functions take reliability data as a units × coders table (rows are units, columns coders;
``None``/NaN/"" = missing) or a :class:`~thematica.stats.Ratings`, and return a float.
Undefined results raise :class:`~thematica.core.errors.InputError`; none returns NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._estimator import Estimator, chance_corrected
from thematica.stats._input import FloatArray, Ratings
from thematica.stats.weights import Weights, resolve_weights

__all__ = [
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_category_kappas",
    "fleiss_kappa",
    "gwet_ac1",
    "percent_agreement",
    "scott_pi",
]


# -- two coders: Cohen and Scott -----------------------------------------------------------
def _pair_estimator(
    data: object, categories: Sequence[Any] | None, weights: Weights, kind: str
) -> Estimator:
    ratings = Ratings.coerce(data, categories)
    label = "Cohen's kappa" if kind == "cohen" else "Scott's pi"
    if ratings.codes is None:
        raise InputError(f"{label} needs each coder's ratings, not category counts")
    if ratings.codes.shape[1] != 2:
        raise InputError(
            f"{label} is for exactly 2 coders, got {ratings.codes.shape[1]}; "
            "use Fleiss' kappa, AC1 or alpha for more"
        )
    w = resolve_weights(ratings, weights)
    q = ratings.n_categories
    a, b = ratings.codes[:, 0], ratings.codes[:, 1]
    both = (a >= 0) & (b >= 0)
    cells = a[both] * q + b[both]
    totals = np.bincount(cells, minlength=q * q).astype(np.float64)

    def stats() -> FloatArray:
        out = np.zeros((cells.size, q * q), dtype=np.float64)
        out[np.arange(cells.size), cells] = 1.0
        return out

    def finish(t: FloatArray) -> FloatArray:
        n = t.sum(axis=1)
        p = t.reshape(-1, q, q) / np.where(n > 0, n, 1.0)[:, None, None]
        observed = np.einsum("kl,bkl->b", w, p)
        rows, cols = p.sum(axis=2), p.sum(axis=1)
        if kind == "cohen":
            expected = np.einsum("bk,kl,bl->b", rows, w, cols)
        else:
            pooled = (rows + cols) / 2.0
            expected = np.einsum("bk,kl,bl->b", pooled, w, pooled)
        return chance_corrected(observed, expected)

    used = Ratings(ratings.counts[both], ratings.categories, ratings.codes[both], ratings.ordered)
    return Estimator(
        name=label,
        totals=totals,
        stats=stats,
        finish=finish,
        n_units=int(both.sum()),
        n_coders=2,
        ratings=used,
        min_units_reason="units rated by both coders",
    )


def cohen_kappa(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Cohen's kappa for two coders; weighted (linear/quadratic) for ordinal categories.

    Cohen, J. (1960) A coefficient of agreement for nominal scales, Educ. Psychol. Meas.
    20:37–46; weighted: Cohen, J. (1968) Weighted kappa, Psychol. Bull. 70:213–220.
    Units that either coder left empty are left out (complete pairs only).
    """
    return _pair_estimator(data, categories, weights, "cohen").value()


def scott_pi(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Scott's pi for two coders: chance agreement from the pooled category distribution.

    Scott, W. A. (1955) Reliability of content analysis: the case of nominal scale coding,
    Public Opinion Quarterly 19(3):321–325. Complete pairs only; for more coders use Fleiss.
    """
    return _pair_estimator(data, categories, weights, "scott").value()


# -- any number of coders: Gwet's generalisations -------------------------------------------
_MULTI_NAMES = {
    "percent": "percent agreement",
    "fleiss": "Fleiss' kappa",
    "bp": "Brennan–Prediger kappa",
    "ac1": "Gwet's AC1",
}


def multi_estimator(
    data: object, kind: str, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> Estimator:
    """Percent agreement, Fleiss, Brennan–Prediger, AC1/AC2 for any number of coders.

    With missing ratings these are Gwet's (2014, Handbook of Inter-Rater Reliability, 4th ed.,
    ch. 2–5; R package irrCAC) generalisations: observed agreement averages the per-unit pairwise
    agreement over units with ≥ 2 ratings; category propensities π_k average each unit's share
    of ratings in k over units with ≥ 1 rating. With complete data they reduce to the originals.
    """
    ratings = Ratings.coerce(data, categories)
    w = resolve_weights(ratings, weights)
    q = ratings.n_categories
    r = ratings.counts
    r_i = r.sum(axis=1)
    two = r_i >= 2
    one = r_i > 0
    weighted = r @ w.T
    pair_agree = np.zeros(r.shape[0], dtype=np.float64)
    denom = r_i * (r_i - 1.0)
    np.divide((r * (weighted - 1.0)).sum(axis=1), denom, out=pair_agree, where=two)
    shares = np.zeros_like(r)
    np.divide(r, r_i[:, None], out=shares, where=one[:, None])

    def stats() -> FloatArray:
        out: FloatArray = np.column_stack([pair_agree, two, shares, one])[one].astype(np.float64)
        return out

    totals = np.concatenate([[pair_agree.sum(), two.sum()], shares.sum(axis=0), [one.sum()]])
    w_sum = float(w.sum())

    def finish(t: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            observed = t[:, 0] / t[:, 1]
            pi = t[:, 2 : 2 + q] / t[:, -1:]
        if kind == "percent":
            return np.asarray(observed, dtype=np.float64)
        if kind == "fleiss":
            expected = np.einsum("bk,kl,bl->b", pi, w, pi)
        elif kind == "bp":
            expected = np.full(t.shape[0], w_sum / q**2 if q else 1.0)
        else:  # ac1 / ac2
            if q < 2:
                return np.full(t.shape[0], np.nan)
            expected = w_sum * (pi * (1.0 - pi)).sum(axis=1) / (q * (q - 1))
        return chance_corrected(observed, expected)

    name = _MULTI_NAMES[kind]
    if kind == "ac1" and weights is not None:
        name = "Gwet's AC2"
    return Estimator(
        name=name,
        totals=totals.astype(np.float64),
        stats=stats,
        finish=finish,
        n_units=int(two.sum()),
        n_coders=ratings.n_coders,
        ratings=ratings,
    )


def percent_agreement(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Share of agreeing coder pairs, averaged over units rated by ≥ 2 coders.

    For two coders the proportion of units on which they agree; for more coders the mean
    pairwise agreement per unit (Fleiss 1971; Gwet 2014, Handbook of Inter-Rater Reliability,
    4th ed., §2.3). Not chance-corrected. With ``weights``, Gwet's weighted percent agreement.
    """
    return multi_estimator(data, "percent", weights=weights, categories=categories).value()


def fleiss_kappa(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Fleiss' kappa for any number of coders (equal to Scott's pi for two coders, full data).

    Fleiss, J. L. (1971) Measuring nominal scale agreement among many raters, Psychol. Bull.
    76(5):378–382; missing ratings as in Gwet (2014, Handbook, 4th ed., ch. 5; irrCAC
    ``fleiss.kappa.raw``). Accepts ``Ratings.from_counts`` (subjects × category counts).
    """
    return multi_estimator(data, "fleiss", weights=weights, categories=categories).value()


def brennan_prediger(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Brennan–Prediger coefficient (Bennett's S, Randolph's free-marginal kappa): p_e = 1/q.

    Brennan, R. L. & Prediger, D. J. (1981) Coefficient kappa: some uses, misuses, and
    alternatives, Educ. Psychol. Meas. 41(3):687–699; many coders: Randolph, J. J. (2005)
    Free-marginal multirater kappa. q is the number of categories: declare unused ones with
    ``categories``. Weighted: p_e = Σw/q² (Gwet 2014, Handbook, 4th ed., ch. 3).
    """
    return multi_estimator(data, "bp", weights=weights, categories=categories).value()


def gwet_ac1(
    data: object, *, weights: Weights = None, categories: Sequence[Any] | None = None
) -> float:
    """Gwet's AC1 (AC2 when ``weights`` are given) for any number of coders.

    Gwet, K. L. (2008) Computing inter-rater reliability and its variance in the presence of
    high agreement, Br. J. Math. Stat. Psychol. 61:29–48; AC2 and missing ratings: Gwet (2014)
    Handbook of Inter-Rater Reliability, 4th ed., ch. 4 (irrCAC ``gwet.ac1.raw``).
    """
    return multi_estimator(data, "ac1", weights=weights, categories=categories).value()


def fleiss_category_kappas(
    data: object, *, categories: Sequence[Any] | None = None
) -> dict[Any, float]:
    """Fleiss' per-category kappa κ_j = 1 − Σ_i x_ij(m−x_ij) / (N m (m−1) p_j q_j).

    Fleiss, J. L. (1971) Psychol. Bull. 76(5):378–382, eq. for category-specific agreement.
    Needs the same number of ratings m for every unit; categories nobody used are left out.
    """
    ratings = Ratings.coerce(data, categories)
    r = ratings.counts
    m_i = r.sum(axis=1)
    rated = m_i > 0
    r, m_i = r[rated], m_i[rated]
    if r.shape[0] < 2:
        raise InputError("Fleiss' category kappas need at least 2 rated units")
    if not np.allclose(m_i, m_i[0]):
        raise InputError("Fleiss' category kappas need the same number of ratings per unit")
    m = float(m_i[0])
    if m < 2:
        raise InputError("Fleiss' category kappas need at least 2 ratings per unit")
    n = r.shape[0]
    p = r.sum(axis=0) / (n * m)
    out: dict[Any, float] = {}
    for j, category in enumerate(ratings.categories):
        if 0 < p[j] < 1:
            spread = float((r[:, j] * (m - r[:, j])).sum())
            out[category] = 1.0 - spread / (n * m * (m - 1) * p[j] * (1 - p[j]))
    return out
