"""cuα and (k)cuα (Krippendorff et al. 2016) against nominal α from the independent
``krippendorff`` package, on pre-segmented equal units that only some coders coded.

A unit one coder left uncoded is a gap in that coder's continuum and a missing value in the
units × coders table. When every unit is coded by the same number k of the m coders (or by at
most one), cuα equals nominal α with missing values and (k)cuα equals α on "k vs other";
with unequal k they differ by design (worked example below and in docs/statistics.md).
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from thematica.stats import u_alpha_family

Table = list[list[int | None]]  # coders × units; None = the coder left the unit uncoded


@st.composite
def presegmented(draw: st.DrawFn) -> tuple[Table, int]:
    """Coders × units values where every unit is coded by exactly k coders or by at most one."""
    m = draw(st.integers(2, 5))
    k = draw(st.integers(2, m))
    n_units = draw(st.integers(2, 14))
    q = draw(st.integers(2, 4))
    table: Table = [[None] * n_units for _ in range(m)]
    for u in range(n_units):
        few = draw(st.booleans()) and draw(st.booleans())  # about a quarter: 0 or 1 coder
        size = draw(st.integers(0, 1)) if few else k
        coders = draw(st.permutations(range(m)))[:size]
        truth = draw(st.integers(0, q - 1))
        for i in coders:
            table[i][u] = draw(st.sampled_from([truth, truth, *range(q)]))
    width = draw(st.integers(1, 7))
    return table, width


def _spans(table: Table, width: int) -> list[list[tuple[int, int, str]]]:
    return [
        [(u * width, (u + 1) * width, f"v{v}") for u, v in enumerate(row) if v is not None]
        for row in table
    ]


def _reference(table: Table) -> np.ndarray:
    return np.array([[np.nan if v is None else float(v) for v in row] for row in table])


def _pairable_values(table: Table) -> list[int]:
    m = len(table)
    out: list[int] = []
    for u in range(len(table[0])):
        values = [table[i][u] for i in range(m) if table[i][u] is not None]
        if len(values) >= 2:
            out.extend(v for v in values if v is not None)
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(presegmented())
def test_cu_alpha_on_presegmented_units_is_nominal_alpha_with_missing(
    data: tuple[Table, int],
) -> None:
    table, width = data
    pairable = _pairable_values(table)
    assume(len(set(pairable)) >= 2)  # α (and cuα) are undefined with one value
    length = len(table[0]) * width
    family = u_alpha_family(_spans(table, width), length)
    ref = _reference(table)
    expected = krippendorff.alpha(reliability_data=ref, level_of_measurement="nominal")
    assert family.cu_alpha == pytest.approx(expected, abs=1e-9)
    for value in sorted(set(pairable)):
        binary = np.where(np.isnan(ref), np.nan, (ref == value).astype(float))
        per_value = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
        assert family.per_code[f"v{value}"] == pytest.approx(per_value, abs=1e-9)


def test_three_coders_two_per_unit_worked_by_hand() -> None:
    """3 coders, every unit coded by 2 of them: cuα = α = 1 − 5·2/(2·3·3) = 4/9.

    Units: U1 (A x, B x), U2 (B y, C y), U3 (A x, C y). α: o_xx = 2, o_yy = 2,
    o_xy = o_yx = 1, n_x = n_y = 3, n = 6: α = 1 − (n − 1)·2/(2·n_x·n_y) = 1 − 10/18 = 4/9.
    cuα per unit length: l_xx = l_yy = 1, l_xy = l_yx = 1/2 (pairs / (m − 1)); each segment's
    mass is 1/2, Σ mass² = 3/4 per value; ε_xy = 1.5·1.5/(3 − 1.5/3) = 0.9; cuα = 1 − 1/1.8.
    The earlier correction (each segment's shared length squared instead of its mass, here
    1/2 of it, squared) took four times too much self-pairing off and gave 7/9.
    """
    a = [(0, 10, "x"), (20, 30, "x")]
    b = [(0, 10, "x"), (10, 20, "y")]
    c = [(10, 20, "y"), (20, 30, "y")]
    family = u_alpha_family([a, b, c], 30)
    assert family.cu_alpha == pytest.approx(4 / 9, abs=1e-12)


def test_unequal_coverage_differs_from_alpha_as_published() -> None:
    """Worked example of docs/statistics.md: 3 coders; U1, U2 coded by all three (agreeing),
    U3, U4 by two who disagree. Krippendorff et al. (2016) divide every coincidence by
    m − 1 = 2, so a unit coded by 2 of 3 coders weighs half of what it weighs in α (where it
    is divided by m_u − 1 = 1): cuα = 71/128 while α with missing values = 7/25.
    """
    a = [(0, 10, "x"), (10, 20, "y"), (20, 30, "x"), (30, 40, "y")]
    b = [(0, 10, "x"), (10, 20, "y"), (20, 30, "y"), (30, 40, "x")]
    c = [(0, 10, "x"), (10, 20, "y")]
    family = u_alpha_family([a, b, c], 40)
    # l = [[3, 1], [1, 3]] per unit length; masses 1 (U1, U2) and 1/2 (U3, U4):
    # Σ mass² = 3.5 per value; ε_xy = 16 / (8 − 7/8) = 128/57; cuα = 1 − 2/(256/57).
    assert family.cu_alpha == pytest.approx(71 / 128, abs=1e-12)
    table = [[0, 1, 0, 1], [0, 1, 1, 0], [0, 1, None, None]]
    alpha = krippendorff.alpha(reliability_data=_reference(table), level_of_measurement="nominal")
    assert alpha == pytest.approx(7 / 25, abs=1e-12)


def test_two_coders_unchanged_by_the_correction() -> None:
    """With 2 coders a segment's mass is its length shared with the other coder (as before):
    A codes [0,10) x, [10,20) y; B codes [0,10) x, [10,20) x, [20,30) y (no partner there).
    Pairable: U1 x/x, U2 y/x -> o_xx = 2, o_xy = o_yx = 1, n_x = 3, n_y = 1, n = 4:
    α = 1 − 3·2/(2·3·1) = 0.
    """
    family = u_alpha_family(
        [[(0, 10, "x"), (10, 20, "y")], [(0, 10, "x"), (10, 20, "x"), (20, 30, "y")]], 30
    )
    assert family.cu_alpha == pytest.approx(0.0, abs=1e-12)
