"""Coefficients from :mod:`thematica.stats` as report values, and the rows built from them.

A coefficient that cannot be computed is None with the reason in ``note``; it never becomes
NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.services.agreement.rows import (
    CodeAgreementRow,
    DocumentAgreementRow,
    OverallRow,
)
from thematica.stats import bootstrap_ci, estimator, reliability_label

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(slots=True)
class Coef:
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str | None = None
    n_units: int = 0


def coefficient(
    name: str,
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
) -> Coef:
    """A coefficient from :mod:`thematica.stats`, or None with the reason it is undefined."""
    try:
        est = estimator(name, data, categories=categories)
        value = est.value()
    except InputError as exc:
        return Coef(note=str(exc))
    out = Coef(value=value, n_units=est.n_units)
    if bootstrap:
        try:
            out.ci_low, out.ci_high, _valid = bootstrap_ci(est, resamples=bootstrap, seed=seed)
        except InputError as exc:
            out.note = f"no interval: {exc}"
    return out


def kappa_name(m: int) -> str:
    return "cohen" if m == 2 else "fleiss"


def kappa_label(m: int) -> str:
    return "Cohen's kappa" if m == 2 else "Fleiss' kappa"


def join_notes(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(dict.fromkeys(kept)) or None


def label(alpha: float | None) -> str | None:
    """The label of a code, document or pair row: its alpha's, on Krippendorff's scale.

    A row shows kappa and alpha but has one label, which belongs to alpha (whose interval the
    row shows too). It never falls back to kappa's label: that would put Landis & Koch's words
    in a column of Krippendorff's, and a code's kappa of 0.65 would read "substantial" in one
    row and its neighbour's alpha of 0.65 "unreliable". Overall rows label each coefficient
    with the same :func:`~thematica.stats.reliability_label`.
    """
    return reliability_label("alpha", alpha)


def binary_from_histogram(hist: FloatArray, m: int) -> tuple[float | None, float | None, str]:
    """Percent agreement and Fleiss' kappa (Cohen's for the 2×2 case is computed apart) from
    ``hist[j]`` = number of units that exactly ``j`` of ``m`` coders marked present.

    Fleiss, J. L. (1971) Psychol. Bull. 76(5):378–382 with a binary category; percent is the
    mean pairwise agreement per unit. Returns (percent, kappa, reason if kappa undefined).
    """
    n = float(hist.sum())
    if n <= 0:
        return None, None, "no units"
    j = np.arange(m + 1, dtype=np.float64)
    agree = (j * (j - 1) + (m - j) * (m - j - 1)) / (m * (m - 1))
    p_o = float((hist * agree).sum() / n)
    p = float((hist * j).sum() / (n * m))
    p_e = p * p + (1 - p) * (1 - p)
    if abs(1.0 - p_e) < 1e-12:
        return p_o, None, "only one category (every unit coded, or none): kappa is undefined"
    return p_o, (p_o - p_e) / (1.0 - p_e), ""


def cohen_2x2(both: float, only_a: float, only_b: float, neither: float) -> tuple[float, str]:
    """Cohen's (1960) kappa from a 2×2 table of present/absent counts (NaN-free)."""
    n = both + only_a + only_b + neither
    p_o = (both + neither) / n
    pa, pb = (both + only_a) / n, (both + only_b) / n
    p_e = pa * pb + (1 - pa) * (1 - pb)
    if abs(1.0 - p_e) < 1e-12:
        return float("nan"), "only one category (every unit coded, or none): kappa is undefined"
    return (p_o - p_e) / (1.0 - p_e), ""


# -- rows built from coefficients -----------------------------------------------------------
def percent_overall(measure: str, value: float | None, n: int, note: str | None) -> OverallRow:
    """An overall percent-agreement row (no interval, no label)."""
    return OverallRow(measure, value, None, None, n, None, note)


def kappa_overall(measure: str, value: float | None, n: int, note: str | None) -> OverallRow:
    """An overall kappa row, labelled on the Landis & Koch scale (no interval)."""
    label_ = reliability_label("kappa", value)
    return OverallRow(measure, value, None, None, n, label_, note)


def alpha_overall(measure: str, alpha: Coef, n: int) -> OverallRow:
    """An overall alpha row with its interval, labelled on Krippendorff's scale."""
    label_ = reliability_label("alpha", alpha.value)
    return OverallRow(measure, alpha.value, alpha.ci_low, alpha.ci_high, n, label_, alpha.note)


def row_value(measure: str, value: float | None, n: int, why: str) -> OverallRow:
    """An overall row of the unitised alpha family (αU, uα, |uα, cuα), Krippendorff's scale."""
    label_ = reliability_label("alpha", value)
    return OverallRow(measure, value, None, None, n, label_, None if value is not None else why)


def try_overall(measure: str, n: int, fn: Any) -> OverallRow:
    try:
        value = fn()
    except InputError as exc:
        return OverallRow(measure, None, None, None, n, None, str(exc))
    return row_value(measure, value, n, "undefined: no variation to expect")


def code_row(
    code: str,
    code_id: int,
    *,
    prevalence: float | None,
    coded: dict[str, int],
    units: int,
    percent: float | None,
    kappa: Coef,
    alpha: Coef,
) -> CodeAgreementRow:
    """A code's row from its percent, kappa and alpha (whose interval it shows)."""
    return CodeAgreementRow(
        code=code,
        prevalence=prevalence,
        coded=coded,
        units=units,
        percent=percent,
        kappa=kappa.value,
        alpha=alpha.value,
        ci_low=alpha.ci_low,
        ci_high=alpha.ci_high,
        label=label(alpha.value),
        note=join_notes(kappa.note, alpha.note),
        code_id=code_id,
    )


def document_row(
    document: str,
    units: int,
    coded: dict[str, int],
    percent: float | None,
    kappa: Coef,
    alpha: Coef,
) -> DocumentAgreementRow:
    """A document's row from its percent, kappa and alpha (whose interval it shows)."""
    return DocumentAgreementRow(
        document,
        units,
        coded,
        percent,
        kappa.value,
        alpha.value,
        alpha.ci_low,
        alpha.ci_high,
        label(alpha.value),
        join_notes(kappa.note, alpha.note),
    )
