"""Bad input raises one-line InputErrors; labels and results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thematica.core.errors import InputError
from thematica.stats import (
    Ratings,
    agreement,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_label,
    landis_koch_label,
    percent_agreement,
    scott_pi,
)

ALL = [
    percent_agreement,
    cohen_kappa,
    scott_pi,
    fleiss_kappa,
    brennan_prediger,
    gwet_ac1,
    krippendorff_alpha,
]


def _one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


@pytest.mark.parametrize("fn", ALL)
def test_one_coder(fn: object) -> None:
    with pytest.raises(InputError, match="at least 2 coders") as exc:
        fn([[1], [2], [1]])  # type: ignore[operator]
    _one_line(exc)


@pytest.mark.parametrize("fn", ALL)
def test_non_rectangular(fn: object) -> None:
    with pytest.raises(InputError, match="not rectangular") as exc:
        fn([[1, 2], [1], [2, 2]])  # type: ignore[operator]
    _one_line(exc)


@pytest.mark.parametrize("fn", ALL)
def test_all_missing(fn: object) -> None:
    with pytest.raises(InputError, match="all values are missing"):
        fn([[None, None], [None, ""], [float("nan"), None]])  # type: ignore[operator]
    with pytest.raises(InputError, match="all values are missing"):
        fn(np.full((4, 3), np.nan))  # type: ignore[operator]


@pytest.mark.parametrize("fn", ALL)
def test_fewer_than_two_pairable_units(fn: object) -> None:
    with pytest.raises(InputError, match="at least 2") as exc:
        fn([[1, 2], [1, None], [None, 2]])  # type: ignore[operator]
    _one_line(exc)


@pytest.mark.parametrize(
    "fn", [cohen_kappa, scott_pi, fleiss_kappa, brennan_prediger, gwet_ac1, krippendorff_alpha]
)
def test_single_category_is_undefined_not_nan(fn: object) -> None:
    with pytest.raises(InputError, match="only one category") as exc:
        fn([["a", "a"], ["a", "a"], ["a", None]])  # type: ignore[operator]
    assert "undefined" in _one_line(exc)


def test_single_category_percent_agreement_is_defined() -> None:
    assert percent_agreement([["a", "a"], ["a", "a"]]) == 1.0


def test_declared_categories_make_bp_and_ac1_defined_for_one_used_category() -> None:
    data = [["a", "a"], ["a", "a"], ["a", "a"]]
    assert brennan_prediger(data, categories=["a", "b"]) == 1.0
    assert gwet_ac1(data, categories=["a", "b"]) == 1.0


def test_alpha_single_pairable_category_with_other_unpairable_values() -> None:
    with pytest.raises(InputError, match="only one category"):
        krippendorff_alpha([[1, 1], [1, 1], [2, None]])


def test_other_bad_inputs() -> None:
    with pytest.raises(InputError, match="exactly 2 coders"):
        cohen_kappa([[1, 2, 1], [2, 2, 1]])
    with pytest.raises(InputError, match="not among the declared categories"):
        cohen_kappa([["a", "b"], ["b", "c"]], categories=["a", "b"])
    with pytest.raises(InputError, match="ordered categories"):
        cohen_kappa([["a", "b"], ["b", "a"], ["a", "a"]], weights="linear")
    with pytest.raises(InputError, match="numeric values"):
        krippendorff_alpha([["a", "b"], ["b", "b"]], level="interval")
    with pytest.raises(InputError, match="level must be"):
        krippendorff_alpha([[1, 2], [2, 2]], level="circular")
    with pytest.raises(InputError, match="unknown coefficient"):
        agreement("kappa", [[1, 2], [2, 2]])
    with pytest.raises(InputError, match="category counts"):
        cohen_kappa(Ratings.from_counts([[2, 0], [1, 1]]))
    with pytest.raises(InputError, match="non-negative"):
        krippendorff_alpha([[1, -2], [2, 2], [0, 1]], level="ratio")


def test_string_categories_with_declared_order_allow_weights() -> None:
    data = [["low", "mid"], ["mid", "mid"], ["high", "high"], ["low", "low"]]
    value = cohen_kappa(data, weights="linear", categories=["low", "mid", "high"])
    numeric = cohen_kappa([[0, 1], [1, 1], [2, 2], [0, 0]], weights="linear")
    assert value == pytest.approx(numeric)
    assert krippendorff_alpha(data, level="ordinal", categories=["low", "mid", "high"]) == (
        pytest.approx(krippendorff_alpha([[0, 1], [1, 1], [2, 2], [0, 0]], level="ordinal"))
    )


def test_labels_bands() -> None:
    assert landis_koch_label(-0.1) == "poor"
    assert landis_koch_label(0.2) == "slight"
    assert landis_koch_label(0.35) == "fair"
    assert landis_koch_label(0.6) == "moderate"
    assert landis_koch_label(0.75) == "substantial"
    assert landis_koch_label(0.81) == "almost perfect"
    assert krippendorff_label(0.8) == "reliable"
    assert krippendorff_label(0.7) == "tentative"
    assert krippendorff_label(0.5) == "unreliable"


def test_result_carries_the_number_and_the_label() -> None:
    data = [[1, 1], [2, 2], [3, 3], [1, 2], [2, 2], [3, 1]]
    result = agreement("alpha", data)
    assert math.isfinite(result.value)
    assert result.label == krippendorff_label(result.value)
    assert (result.ci_low, result.ci_high) == (None, None)
    assert (result.n_units, result.n_coders) == (6, 2)
    kappa = agreement("cohen", data, weights="quadratic")
    assert kappa.label == landis_koch_label(kappa.value)
    assert "quadratic" in kappa.coefficient
    assert agreement("percent", data).label is None
    assert agreement("ac1", data, weights="linear").coefficient.startswith("Gwet's AC2")
