from __future__ import annotations

import pytest

from thematica.core.errors import InputError
from thematica.core.quantifiers import DEFAULT_SCALE, QuantifierScale, quantifier


@pytest.mark.parametrize(
    ("n", "total", "word"),
    [
        (0, 10, "none"),
        (10, 10, "all"),
        (1, 1, "all"),
        (1, 10, "one"),
        (1, 2, "one"),
        (9, 10, "almost all"),
        (8, 10, "most"),
        (6, 10, "most"),
        (5, 10, "many"),  # exactly half is not "most"
        (3, 10, "many"),  # 30 % is "many"
        (29, 100, "some"),
        (15, 100, "some"),
        (14, 100, "a few"),
        (2, 20, "a few"),
        (17, 17, "all"),
        (16, 17, "almost all"),  # 94 %
        (9, 17, "most"),
        (8, 17, "many"),
    ],
)
def test_ana_default_scale_boundaries(n: int, total: int, word: str) -> None:
    assert quantifier(n, total) == word


def test_ana_words_are_monotone() -> None:
    order = DEFAULT_SCALE.words()[::-1]  # smallest first
    for total in range(1, 40):
        ranks = [order.index(DEFAULT_SCALE.word(n, total)) for n in range(total + 1)]
        assert ranks == sorted(ranks), total


def test_ana_custom_scale_and_errors() -> None:
    scale = QuantifierScale.from_spec(
        {"bands": [["most", ">", 50], ["several", ">=", 20]], "rest": "few", "none": "no"}
    )
    assert scale.word(6, 10) == "most"
    assert scale.word(2, 10) == "several"
    assert scale.word(0, 10) == "no"
    assert scale.word(3, 20) == "few"
    assert QuantifierScale.from_spec(scale.to_spec()) == scale
    with pytest.raises(InputError):
        QuantifierScale.from_spec({"bands": [["a", ">=", 20], ["b", ">=", 50]]})
    with pytest.raises(InputError):
        QuantifierScale.from_spec({"bands": [["a", "<", 20]]})
    with pytest.raises(InputError):
        QuantifierScale.from_spec({"bands": [["most", ">", 50]], "rest": "most"})
    with pytest.raises(InputError):
        DEFAULT_SCALE.word(3, 2)
