"""Attribute types are inferred from the values a spreadsheet holds, with dates written the
ways people write them when the month is a word (and only then: 07/03/2020 is ambiguous)."""

from __future__ import annotations

import pytest

from thematica.core.attributes import canonical, infer_type
from thematica.core.errors import InputError
from thematica.core.models import AttributeType


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2020-07-03", "2020-07-03"),
        ("3-Jul-20", "2020-07-03"),
        ("12-Sep-20", "2020-09-12"),
        ("03-Jul-2020", "2020-07-03"),
        ("3 July 2020", "2020-07-03"),
        ("Jul 3, 2020", "2020-07-03"),
        ("July 3, 2020", "2020-07-03"),
    ],
)
def test_dates_with_a_named_month(text: str, iso: str) -> None:
    assert canonical(text, AttributeType.DATE) == iso


def test_inference() -> None:
    # the world_after_covid recording dates
    assert infer_type(["3-Jul-20", "1-Dec-20", None, ""]) is AttributeType.DATE
    assert infer_type(["07/03/2020", "08/03/2020"]) is AttributeType.CATEGORICAL
    assert infer_type(["July", "June"]) is AttributeType.CATEGORICAL
    assert infer_type(["1", "2", "3"]) is AttributeType.NUMERIC
    assert infer_type(["yes", "no", None]) is AttributeType.BOOLEAN
    with pytest.raises(InputError, match="'31-Feb-20' is not a date"):
        canonical("31-Feb-20", AttributeType.DATE)
