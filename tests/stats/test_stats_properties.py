"""Properties of the coefficients (hypothesis) and agreement with the ``krippendorff`` package."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thematica.stats import (
    Ratings,
    agreement,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw: st.DrawFn, coders: int | None = None, missing: bool = False) -> np.ndarray:
    """Units × coders integer ratings (NaN = missing) using at least two categories."""
    n_coders = coders or draw(st.integers(2, 5))
    n_units = draw(st.integers(3, 30))
    q = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    data = rng.integers(0, q, size=(n_units, n_coders)).astype(float)
    data[0, :] = 0
    data[1, :] = 1  # two categories, two complete units at least
    if missing:
        holes = rng.random(data.shape) < draw(st.sampled_from([0.0, 0.1, 0.3]))
        holes[:2] = False
        data[holes] = np.nan
    return data


@FAST
@given(st.integers(2, 6), st.integers(2, 40), st.integers(2, 5), st.integers(0, 10**6))
def test_perfect_agreement_gives_one(coders: int, units: int, q: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    column = rng.integers(0, q, size=units)
    column[:2] = [0, 1]
    data = np.repeat(column[:, None], coders, axis=1)
    for fn in (fleiss_kappa, brennan_prediger, gwet_ac1, percent_agreement, krippendorff_alpha):
        assert fn(data) == pytest.approx(1.0)
    for level in ("ordinal", "interval", "ratio"):
        assert krippendorff_alpha(data, level=level) == pytest.approx(1.0)
    if coders == 2:
        assert cohen_kappa(data) == pytest.approx(1.0)
        assert scott_pi(data) == pytest.approx(1.0)
        assert cohen_kappa(data, weights="quadratic") == pytest.approx(1.0)


@FAST
@given(tables(missing=True), st.randoms(use_true_random=False))
def test_nominal_coefficients_ignore_label_names(data: np.ndarray, rnd: object) -> None:
    labels = np.unique(data[~np.isnan(data)])
    shuffled = list(labels)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    names = {v: f"cat{int(s)}" for v, s in zip(labels, shuffled, strict=True)}
    renamed = np.array([[None if np.isnan(v) else names[v] for v in row] for row in data])
    for fn in (fleiss_kappa, brennan_prediger, gwet_ac1, percent_agreement, krippendorff_alpha):
        assert fn(renamed) == pytest.approx(fn(data), abs=1e-12)
    two = data[:, :2]
    if (~np.isnan(two)).all(axis=1).sum() >= 2:
        renamed_two = renamed[:, :2]
        for fn in (cohen_kappa, scott_pi):
            try:
                expected = fn(two)
            except Exception:
                continue  # undefined on this draw (e.g. one category among complete pairs)
            assert fn(renamed_two) == pytest.approx(expected, abs=1e-12)


def _naive_cohen(a: list[int], b: list[int]) -> float:
    n = len(a)
    cats = sorted(set(a) | set(b))
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    p_e = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    return (p_o - p_e) / (1 - p_e)


@FAST
@given(tables(coders=2))
def test_cohen_equals_the_naive_two_coder_formula(data: np.ndarray) -> None:
    a, b = data[:, 0].astype(int).tolist(), data[:, 1].astype(int).tolist()
    assert cohen_kappa(data) == pytest.approx(_naive_cohen(a, b), abs=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(missing=True), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_equals_the_krippendorff_package(data: np.ndarray, level: str) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    expected = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level) == pytest.approx(expected, abs=1e-9)


def test_alpha_equals_the_package_on_real_valued_interval_data() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(7)
    data = rng.normal(size=(200, 3)) + rng.normal(size=(200, 1)) * 2
    data[rng.random(data.shape) < 0.2] = np.nan
    for level in ("interval", "ordinal"):
        expected = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
        assert krippendorff_alpha(data, level=level) == pytest.approx(expected, abs=1e-9)


def test_two_coders_full_data_fleiss_is_scott() -> None:
    rng = np.random.default_rng(3)
    data = rng.integers(0, 4, size=(50, 2))
    assert fleiss_kappa(data) == pytest.approx(scott_pi(data), abs=1e-12)


def test_contingency_table_and_raw_ratings_agree() -> None:
    table = [[20, 5, 1], [4, 15, 6], [0, 5, 18]]
    raw = Ratings.from_contingency(table)
    codes = raw.codes
    assert codes is not None
    assert cohen_kappa(raw) == pytest.approx(cohen_kappa(codes))


# -- bootstrap ---------------------------------------------------------------------------
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.sampled_from(["cohen", "fleiss", "ac1", "alpha", "percent"]))
def test_bootstrap_is_reproducible_and_contains_the_estimate(seed: int, coefficient: str) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=60)
    data = np.where(rng.random((60, 2)) < 0.75, truth[:, None], rng.integers(0, 3, size=(60, 2)))
    one = agreement(coefficient, data, bootstrap=300, seed=seed)
    two = agreement(coefficient, data, bootstrap=300, seed=seed)
    assert (one.ci_low, one.ci_high) == (two.ci_low, two.ci_high)
    assert one.ci_low is not None and one.ci_high is not None
    assert one.ci_low <= one.value <= one.ci_high
    assert one.resamples == 300


def test_bootstrap_default_is_1000_resamples_and_differs_by_seed() -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 3, size=(40, 3))
    data[:20, 1] = data[:20, 0]
    a = agreement("alpha", data, bootstrap=1000, seed=1)
    b = agreement("alpha", data, bootstrap=1000, seed=2)
    assert a.resamples == 1000
    assert (a.ci_low, a.ci_high) != (b.ci_low, b.ci_high)
    assert a.value == b.value
