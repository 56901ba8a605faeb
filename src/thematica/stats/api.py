"""One entry point for every coefficient: value, bootstrap CI, label, counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from thematica.core.errors import InputError
from thematica.stats._estimator import Estimator
from thematica.stats.alpha import LEVELS, alpha_estimator
from thematica.stats.kappa import _pair_estimator, multi_estimator
from thematica.stats.result import AgreementResult, bootstrap_ci, reliability_label
from thematica.stats.weights import Weights

__all__ = ["COEFFICIENTS", "agreement", "estimator"]

COEFFICIENTS: dict[str, str] = {
    "percent": "percent agreement",
    "cohen": "Cohen's kappa (2 coders)",
    "scott": "Scott's pi (2 coders)",
    "fleiss": "Fleiss' kappa (any number of coders)",
    "bp": "Brennan–Prediger kappa (free-marginal)",
    "ac1": "Gwet's AC1 (AC2 with weights)",
    "alpha": "Krippendorff's alpha",
}


def estimator(
    coefficient: str,
    data: object,
    *,
    level: str = "nominal",
    weights: Weights = None,
    categories: Sequence[Any] | None = None,
) -> Estimator:
    """The estimator behind ``coefficient`` (one of :data:`COEFFICIENTS`)."""
    if coefficient not in COEFFICIENTS:
        raise InputError(
            f"unknown coefficient {coefficient!r}; choose one of {', '.join(COEFFICIENTS)}"
        )
    if coefficient == "alpha":
        if weights is not None:
            raise InputError("alpha takes a level, not weights", hint="level")
        if level not in LEVELS:
            raise InputError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        return alpha_estimator(data, level, categories)
    if level != "nominal":
        raise InputError(f"a level applies to alpha only; use weights for {coefficient}")
    if coefficient in ("cohen", "scott"):
        return _pair_estimator(data, categories, weights, coefficient)
    return multi_estimator(data, coefficient, weights=weights, categories=categories)


def agreement(
    coefficient: str,
    data: object,
    *,
    level: str = "nominal",
    weights: Weights = None,
    categories: Sequence[Any] | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
    confidence: float = 0.95,
) -> AgreementResult:
    """Compute ``coefficient`` on ``data`` (units × coders) with an optional bootstrap CI.

    ``bootstrap`` is the number of resamples over units (0 = no interval); the same ``seed``
    reproduces the interval. The label is :func:`reliability_label`'s: Landis & Koch's band
    for the kappa family, Krippendorff's standard for alpha, none for percent agreement.
    """
    est = estimator(coefficient, data, level=level, weights=weights, categories=categories)
    value = est.value()
    low = high = None
    valid = 0
    if bootstrap:
        low, high, valid = bootstrap_ci(est, resamples=bootstrap, seed=seed, confidence=confidence)
    label = reliability_label(coefficient, value)
    name = est.name
    if isinstance(weights, str):
        name = f"{name} ({weights} weights)"
    return AgreementResult(
        coefficient=name,
        value=value,
        ci_low=low,
        ci_high=high,
        n_units=est.n_units,
        n_coders=est.n_coders,
        label=label,
        resamples=valid,
        confidence=confidence if bootstrap else None,
    )
