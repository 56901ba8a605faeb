"""Unitised alpha family: properties and errors (reference values: test_stats_reference.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thematica.core.errors import InputError
from thematica.stats import (
    concatenate_continua,
    krippendorff_alpha,
    u_alpha_family,
    unitized_alpha,
)


@st.composite
def codings(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str]]]:
    length = draw(st.integers(20, 200))
    cuts = sorted(set(draw(st.lists(st.integers(1, length - 1), min_size=2, max_size=8))))
    bounds = [0, *cuts, length]
    spans = []
    for s, e in itertools.pairwise(bounds):
        code = draw(st.sampled_from(["a", "b", "c", None]))
        if code is not None:
            spans.append((s, e, code))
    if not spans:
        spans = [(0, bounds[1], "a")]
    return length, spans


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codings(), st.integers(2, 4))
def test_identical_coders_agree_perfectly(coding: tuple[int, list], coders: int) -> None:
    length, spans = coding
    result = unitized_alpha([spans] * coders, length)
    assert result.alpha == pytest.approx(1.0)
    family = u_alpha_family([spans] * coders, length)
    for value in (family.u_alpha, family.binary_u_alpha, family.cu_alpha):
        assert value is None or value == pytest.approx(1.0)


def test_u_alpha_on_equal_presegmented_units_is_nominal_alpha() -> None:
    """Equal-length units coded by everyone: uα and cuα reduce to ordinary nominal alpha."""
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 3, size=30)
    values = np.where(rng.random((30, 3)) < 0.7, truth[:, None], rng.integers(0, 3, size=(30, 3)))
    width = 10
    spans = [[(u * width, (u + 1) * width, int(values[u, c])) for u in range(30)] for c in range(3)]
    family = u_alpha_family(spans, 30 * width)
    expected = krippendorff_alpha(values)
    assert family.u_alpha == pytest.approx(expected, abs=1e-12)
    assert family.cu_alpha == pytest.approx(expected, abs=1e-12)


def test_label_names_do_not_matter() -> None:
    a = [(0, 10, "x"), (20, 35, "y")]
    b = [(2, 10, "x"), (22, 30, "x")]
    renamed = {"x": "q", "y": "r"}
    ra = [(s, e, renamed[c]) for s, e, c in a]
    rb = [(s, e, renamed[c]) for s, e, c in b]
    assert unitized_alpha([a, b], 50).alpha == pytest.approx(unitized_alpha([ra, rb], 50).alpha)
    f1, f2 = u_alpha_family([a, b], 50), u_alpha_family([ra, rb], 50)
    assert (f1.u_alpha, f1.binary_u_alpha, f1.cu_alpha) == pytest.approx(
        (f2.u_alpha, f2.binary_u_alpha, f2.cu_alpha)
    )


def test_domains_give_cu_alpha_over_domains() -> None:
    a = [(0, 10, "x1"), (20, 35, "y1")]
    b = [(0, 10, "x2"), (20, 35, "y1")]
    by_code = u_alpha_family([a, b], 50)
    by_domain = u_alpha_family([a, b], 50, domains={"x1": "X", "x2": "X", "y1": "Y"})
    assert by_domain.cu_alpha == pytest.approx(1.0)
    assert by_code.cu_alpha is not None and by_code.cu_alpha < 1.0
    assert set(by_code.per_code) == {"x1", "x2", "y1"}


def test_concatenating_documents_offsets_the_spans() -> None:
    total, spans = concatenate_continua(
        [(10, {"A": [(0, 5, "c")], "B": [(1, 5, "c")]}), (20, {"A": [(2, 8, "c")], "B": []})]
    )
    assert total == 30
    assert spans == [[(0, 5, "c"), (12, 18, "c")], [(1, 5, "c")]]
    assert -1 < unitized_alpha(spans, total).alpha < 1


def test_same_category_overlaps_of_one_coder_are_merged() -> None:
    merged = unitized_alpha([[(0, 10, "a")], [(0, 6, "a"), (4, 10, "a")]], 20)
    assert merged.alpha == pytest.approx(1.0)


def test_unitizing_errors() -> None:
    with pytest.raises(InputError, match="at least 2 coders"):
        unitized_alpha([[(0, 5, "a")]], 10)
    with pytest.raises(InputError, match="outside the continuum"):
        unitized_alpha([[(0, 15, "a")], []], 10)
    with pytest.raises(InputError, match="nothing to compare"):
        unitized_alpha([[], []], 10)
    with pytest.raises(InputError, match="mutually exclusive"):
        u_alpha_family([[(0, 5, "a"), (3, 8, "b")], [(0, 5, "a")]], 10)
    with pytest.raises(InputError, match="semantic domain"):
        u_alpha_family([[(0, 5, "a")], [(0, 5, "b")]], 10, domains={"a": "D"})
