"""Agreement weights for ordinal categories (weighted kappa, AC2, weighted Brennan–Prediger)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._input import FloatArray, Ratings

WeightName = Literal["linear", "quadratic"]
Weights = WeightName | FloatArray | None


def agreement_weights(q: int, kind: WeightName | None) -> FloatArray:
    """q × q agreement weights w_kl on category positions 0..q−1 (1 on the diagonal).

    Linear: 1 − |k−l|/(q−1); quadratic: 1 − (k−l)²/(q−1)² (Cohen 1968, Psychol. Bull. 70:213;
    Gwet 2014, Handbook of Inter-Rater Reliability, 4th ed., ch. 3). Positions, not values, are
    used, as R ``irr::kappa2`` and scikit-learn do: unused categories that are not declared drop
    out of the scale.
    """
    if kind is None or q < 2:
        return np.eye(max(q, 1), dtype=np.float64)
    pos = np.arange(q, dtype=np.float64)
    diff = np.abs(pos[:, None] - pos[None, :]) / (q - 1)
    if kind == "linear":
        return 1.0 - diff
    if kind == "quadratic":
        return 1.0 - diff**2
    raise InputError(f"weights must be linear or quadratic, not {kind!r}")


def resolve_weights(ratings: Ratings, weights: Weights) -> FloatArray:
    """The weight matrix for ``ratings``; ordered categories are required for named weights."""
    q = ratings.n_categories
    if weights is None:
        return np.eye(q, dtype=np.float64)
    if isinstance(weights, str):
        if not ratings.ordered:
            raise InputError(
                f"{weights} weights need ordered categories: give the order (categories=…)"
            )
        return agreement_weights(q, weights)
    try:
        matrix = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("a weight matrix must hold numbers only") from None
    if matrix.shape != (q, q):
        raise InputError(f"a weight matrix must be {q} × {q} for {q} categories")
    check_symmetric(matrix, ratings.categories, "weight")
    return matrix


def check_symmetric(matrix: FloatArray, categories: Sequence[Any], what: str) -> None:
    """Refuse a custom q × q matrix that is not finite and symmetric.

    Agreement between two coders does not depend on which of them is called first: Fleiss, AC1
    and alpha average over both orders (silently symmetrising a one-sided matrix), while Cohen's
    kappa would use it as given. Rather than two meanings, an asymmetric matrix is an error.
    """
    bad = ~np.isfinite(matrix)
    if bad.any():
        i, j = (int(x) for x in np.argwhere(bad)[0])
        raise InputError(
            f"the {what} matrix has no finite number at [{categories[i]!r}, {categories[j]!r}]"
        )
    diff = np.abs(matrix - matrix.T) > 1e-12 * np.maximum(1.0, np.abs(matrix))
    if diff.any():
        i, j = (int(x) for x in np.argwhere(diff)[0])
        a, b = categories[i], categories[j]
        raise InputError(
            f"the {what} matrix must be symmetric: [{a!r}, {b!r}] is {matrix[i, j]:g} "
            f"but [{b!r}, {a!r}] is {matrix[j, i]:g}"
        )
