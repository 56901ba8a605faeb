"""The result of an agreement analysis, its interpretation label, and the bootstrap CI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._estimator import Estimator

__all__ = [
    "LABEL_SCALES",
    "AgreementResult",
    "bootstrap_ci",
    "krippendorff_label",
    "label_scale",
    "landis_koch_label",
    "reliability_label",
]

DEFAULT_RESAMPLES = 1000
_BATCH_CELLS = 4_000_000  # resamples × unit patterns held in memory at once


@dataclass(frozen=True)
class AgreementResult:
    """One coefficient on one data set. ``label`` accompanies the number, never replaces it."""

    coefficient: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n_units: int
    n_coders: int
    label: str | None
    resamples: int = 0
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def landis_koch_label(value: float) -> str:
    """Landis & Koch (1977) bands for kappa-type coefficients.

    Landis, J. R. & Koch, G. G. (1977) The measurement of observer agreement for categorical
    data, Biometrics 33(1):159–174, p.165: < 0 poor, ≤ .20 slight, ≤ .40 fair, ≤ .60 moderate,
    ≤ .80 substantial, above almost perfect.
    """
    if value < 0:
        return "poor"
    for limit, label in (
        (0.20, "slight"),
        (0.40, "fair"),
        (0.60, "moderate"),
        (0.80, "substantial"),
    ):
        if value <= limit:
            return label
    return "almost perfect"


def krippendorff_label(value: float) -> str:
    """Krippendorff's (2004, Content Analysis 2nd ed., p.241) standards for alpha.

    α ≥ .800: reliable; .667 ≤ α < .800: tentative conclusions only; below .667: unreliable.
    """
    if value >= 0.800:
        return "reliable"
    if value >= 0.667:
        return "tentative"
    return "unreliable"


LANDIS_KOCH = "Landis & Koch (1977)"
KRIPPENDORFF = "Krippendorff (2004)"

# Coefficient -> the one scale its values are labelled on, overall and per code alike.
# Kappa-type coefficients (chance-corrected agreement of Cohen, Scott, Fleiss, Brennan &
# Prediger, Gwet) are read on Landis & Koch's bands, as their authors and irrCAC do; every
# member of the alpha family (coded units, unitised αU, uα, |uα, cuα, Cu-α) on Krippendorff's
# standard. Percent agreement is not chance-corrected and gets no label.
LABEL_SCALES: dict[str, str | None] = {
    "percent": None,
    "kappa": LANDIS_KOCH,
    "cohen": LANDIS_KOCH,
    "scott": LANDIS_KOCH,
    "fleiss": LANDIS_KOCH,
    "bp": LANDIS_KOCH,
    "ac1": LANDIS_KOCH,
    "alpha": KRIPPENDORFF,
    "unitized_alpha": KRIPPENDORFF,
    "u_alpha": KRIPPENDORFF,
    "binary_u_alpha": KRIPPENDORFF,
    "cu_alpha": KRIPPENDORFF,
}


def label_scale(coefficient: str) -> str | None:
    """The scale ``coefficient`` is labelled on (a :data:`LABEL_SCALES` key), None for none."""
    try:
        return LABEL_SCALES[coefficient]
    except KeyError:
        raise InputError(
            f"no reliability scale for {coefficient!r}; one of {', '.join(LABEL_SCALES)}"
        ) from None


def reliability_label(coefficient: str, value: float | None) -> str | None:
    """The one label for ``value`` of ``coefficient``, wherever the value is shown.

    Overall rows, per-code rows, document and pair rows and :func:`agreement` all call this,
    so equal values of one coefficient always carry the same word. The value is rounded to 9
    decimals first, so that 0.6000000000000001 is still "moderate".
    """
    scale = label_scale(coefficient)
    if scale is None or value is None:
        return None
    v = round(float(value), 9)
    return landis_koch_label(v) if scale == LANDIS_KOCH else krippendorff_label(v)


def bootstrap_ci(
    estimator: Estimator,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = None,
    confidence: float = 0.95,
) -> tuple[float, float, int]:
    """Percentile bootstrap CI over units: ``(low, high, valid resamples)``.

    Efron, B. & Tibshirani, R. J. (1993) An Introduction to the Bootstrap, ch. 13 (percentile
    interval). Units are drawn with replacement (as units, not values): identical units are
    pooled and drawn as one multinomial, which is the same distribution as drawing units one by
    one. Resamples on which the coefficient is undefined (e.g. one category left) are dropped.
    Reproducible: the same ``seed`` gives the same interval (numpy ``default_rng``).
    """
    if resamples < 1:
        raise InputError("the number of bootstrap resamples must be at least 1")
    if not 0 < confidence < 1:
        raise InputError("the confidence level must be between 0 and 1")
    stats = estimator.stats()
    patterns, weights = np.unique(stats, axis=0, return_counts=True)
    n = int(weights.sum())
    if n < 2:
        raise InputError("a bootstrap needs at least 2 units")
    rng = np.random.default_rng(seed)
    p = weights / n
    batch = max(1, _BATCH_CELLS // max(patterns.shape[0], 1))
    values: list[np.ndarray[Any, Any]] = []
    done = 0
    while done < resamples:
        size = min(batch, resamples - done)
        draws = rng.multinomial(n, p, size=size).astype(np.float64)
        values.append(estimator.finish(draws @ patterns))
        done += size
    all_values = np.concatenate(values)
    valid = all_values[np.isfinite(all_values)]
    if valid.size == 0:
        raise InputError(f"{estimator.name} is undefined on every bootstrap resample")
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(valid, [tail, 1.0 - tail])
    return float(low), float(high), int(valid.size)
