"""Custom weight (and alpha distance) matrices: asymmetric ones are refused by every coefficient
that takes one; symmetric ones give the same value as the named weights they spell out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from thematica.core.errors import InputError
from thematica.stats import (
    agreement,
    alpha_detail,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)

DATA = [[0, 1], [1, 1], [2, 2], [0, 0], [2, 1], [1, 0], [0, 0], [2, 2]]
# Linear agreement weights for 3 ordered categories, with one cell made one-sided.
LINEAR = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]])
ONE_SIDED = LINEAR.copy()
ONE_SIDED[0, 1] = 0.8

WEIGHTED: list[Callable[..., float]] = [
    cohen_kappa,
    scott_pi,
    percent_agreement,
    fleiss_kappa,
    brennan_prediger,
    gwet_ac1,
]


@pytest.mark.parametrize("fn", WEIGHTED, ids=lambda f: f.__name__)
def test_asymmetric_weights_are_refused(fn: Callable[..., float]) -> None:
    with pytest.raises(InputError) as exc:
        fn(DATA, weights=ONE_SIDED)
    message = str(exc.value)
    assert "\n" not in message
    assert message == "the weight matrix must be symmetric: [0, 1] is 0.8 but [1, 0] is 0.5"


@pytest.mark.parametrize("fn", WEIGHTED, ids=lambda f: f.__name__)
def test_symmetric_custom_weights_equal_the_named_ones(fn: Callable[..., float]) -> None:
    assert fn(DATA, weights=LINEAR) == pytest.approx(fn(DATA, weights="linear"), abs=1e-12)


def test_custom_linear_weights_match_sklearn() -> None:
    a, b = zip(*DATA, strict=True)
    expected = cohen_kappa_score(a, b, weights="linear")
    assert cohen_kappa(DATA, weights=LINEAR) == pytest.approx(expected, abs=1e-12)


def test_asymmetric_weights_through_agreement_name_the_categories() -> None:
    data = [["low", "mid"], ["mid", "mid"], ["high", "high"], ["low", "low"]]
    with pytest.raises(InputError, match=r"\['low', 'mid'\] is 0\.8 but \['mid', 'low'\] is 0\.5"):
        agreement("fleiss", data, weights=ONE_SIDED, categories=["low", "mid", "high"])


def test_non_finite_weights_are_refused() -> None:
    holed = LINEAR.copy()
    holed[2, 2] = np.nan
    with pytest.raises(InputError, match=r"no finite number at \[2, 2\]"):
        gwet_ac1(DATA, weights=holed)


def test_asymmetric_alpha_distances_are_refused() -> None:
    interval = np.array([[0.0, 1.0, 4.0], [1.0, 0.0, 1.0], [4.0, 1.0, 0.0]])
    assert krippendorff_alpha(DATA, level=interval) == pytest.approx(
        krippendorff_alpha(DATA, level="interval"), abs=1e-12
    )
    one_sided = interval.copy()
    one_sided[2, 0] = 9.0
    for fn in (krippendorff_alpha, alpha_detail):
        with pytest.raises(InputError) as exc:
            fn(DATA, level=one_sided)
        assert str(exc.value) == (
            "the distance matrix must be symmetric: [0, 2] is 4 but [2, 0] is 9"
        )
