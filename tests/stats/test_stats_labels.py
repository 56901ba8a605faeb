"""reliability_label: one scale per coefficient, boundaries checked against the sources.

Landis & Koch (1977, Biometrics 33:159–174, p.165): < 0 poor, 0–.20 slight, .21–.40 fair,
.41–.60 moderate, .61–.80 substantial, .81–1 almost perfect. Krippendorff (2004, Content
Analysis 2nd ed., p.241): α ≥ .800 reliable, .667 ≤ α < .800 tentative, below unreliable.
"""

from __future__ import annotations

import pytest

from thematica.core.errors import InputError
from thematica.stats import COEFFICIENTS, LABEL_SCALES, agreement, label_scale, reliability_label

KAPPA_FAMILY = ("kappa", "cohen", "scott", "fleiss", "bp", "ac1")
ALPHA_FAMILY = ("alpha", "unitized_alpha", "u_alpha", "binary_u_alpha", "cu_alpha")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-0.01, "poor"),
        (0.0, "slight"),
        (0.20, "slight"),
        (0.21, "fair"),
        (0.40, "fair"),
        (0.41, "moderate"),
        (0.60, "moderate"),
        (0.6000000000000001, "moderate"),  # float noise does not cross a boundary
        (0.61, "substantial"),
        (0.80, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
    ],
)
def test_kappa_family_boundaries(value: float, expected: str) -> None:
    for coefficient in KAPPA_FAMILY:
        assert reliability_label(coefficient, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-0.5, "unreliable"),
        (0.666, "unreliable"),
        (0.667, "tentative"),
        (0.7999, "tentative"),
        (0.8, "reliable"),
        (0.7999999999999999, "reliable"),  # 0.8 computed with rounding error
        (1.0, "reliable"),
    ],
)
def test_alpha_family_boundaries(value: float, expected: str) -> None:
    for coefficient in ALPHA_FAMILY:
        assert reliability_label(coefficient, value) == expected


def test_the_example_of_the_issue_gets_one_word_per_coefficient() -> None:
    """0.64 and 0.65 are both substantial as kappa and both unreliable as alpha."""
    assert {reliability_label("cohen", v) for v in (0.64, 0.65)} == {"substantial"}
    assert {reliability_label("alpha", v) for v in (0.64, 0.65)} == {"unreliable"}


def test_every_coefficient_has_a_scale_and_percent_has_no_label() -> None:
    assert set(COEFFICIENTS) <= set(LABEL_SCALES)
    assert label_scale("percent") is None
    assert reliability_label("percent", 0.9) is None
    assert reliability_label("alpha", None) is None
    with pytest.raises(InputError, match="no reliability scale for 'kripp'"):
        reliability_label("kripp", 0.5)


def test_agreement_labels_with_the_same_function() -> None:
    # a = b except one unit: kappa and alpha computed, labelled by reliability_label.
    data = [[1, 1], [2, 2], [3, 3], [1, 1], [2, 2], [3, 1], [1, 1], [2, 2]]
    for coefficient in COEFFICIENTS:
        result = agreement(coefficient, data)
        assert result.label == reliability_label(coefficient, result.value)
