"""Table 1: exact percents and the counting and ordering rules, checked against hand counts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thematica.core.describe import DescribeRow, describe, natural_key, percent
from thematica.core.filters import AttributeInfo
from thematica.core.models import AttributeType

T = AttributeType
ROLE_ORDER = ("<1 year", "1-3 years", "4-10 years", ">10 years")


@pytest.mark.parametrize(
    ("n", "total", "expected"),
    [
        (1, 8, 12.5),
        (1, 16, 6.3),  # 6.25 exactly: half-up, where float rounding gives 6.2
        (3, 16, 18.8),  # 18.75
        (5, 17, 29.4),  # 29.41...
        (6, 17, 35.3),  # 35.29...
        (1, 17, 5.9),  # 5.88...
        (7, 8, 87.5),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 80, 1.3),  # 1.25
        (1, 800, 0.1),  # 0.125
        (1, 2000, 0.1),  # 0.05
        (1, 2001, 0.0),  # 0.04997...
        (3, 400, 0.8),  # 0.75
        (29, 160, 18.1),  # 18.125
        (0, 5, 0.0),
        (17, 17, 100.0),
        (0, 0, 0.0),
        (3, 0, 0.0),
    ],
)
def test_percent(n: int, total: int, expected: float) -> None:
    assert percent(n, total) == expected


def test_percent_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        percent(-1, 5)
    with pytest.raises(ValueError):
        percent(1, -5)


@given(st.integers(1, 10**9).flatmap(lambda t: st.tuples(st.integers(0, t), st.just(t))))
def test_percent_is_exact_half_up(pair: tuple[int, int]) -> None:
    n, total = pair
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(100 * n) / Decimal(total)
        expected = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert percent(n, total) == float(expected)


def test_natural_key() -> None:
    values = ["Site 10", "site 2", "Site 1", "alpha", "Beta", "10", "9"]
    assert sorted(values, key=natural_key) == [
        "9",
        "10",
        "alpha",
        "Beta",
        "Site 1",
        "site 2",
        "Site 10",
    ]


# --------------------------------------------------------------------------- the N = 17 dataset
#
# Hand counts (percent of all 17 cases):
#   county_type  Rural 5 (29.4), Suburban 6 (35.3), Urban 4 (23.5), missing 2 (11.8)
#   time_in_role <1 year 3 (17.6), 1-3 years 6 (35.3), 4-10 years 0 (0.0),
#                >10 years 7 (41.2), Unknown 1 (5.9)
#   age          9: 1 (5.9), 28: 2 (11.8), 30: 3 (17.6), 45: 4 (23.5), 100: 5 (29.4),
#                missing 2 (11.8)
#   lived_experience  yes 8 (47.1), no 9 (52.9)
#   interview_date    2025-12-01 4 (23.5), 2026-01-15 6 (35.3), 2026-03-01 7 (41.2)
#   site         Site 2: 10 (58.8), Site 10: 7 (41.2)

COUNTY = ["Rural", "Suburban", "rural", "Urban", "Suburban", None, "Rural", " RURAL ",
          "Urban", "Suburban", "Suburban", "Urban", "  ", "Rural", "Suburban", "Urban",
          "Suburban"]  # fmt: skip
ROLE = [">10 years", "<1 year", "1-3 years", ">10 years", "1-3 YEARS", "Unknown", "<1 year",
        ">10 years", "1-3 years", ">10 years", " 1-3 years", "<1 year", ">10 years", "1-3 years",
        ">10 years", "1-3 years", ">10 years"]  # fmt: skip
AGE = ["100", "45", "30", "9", "28", "100", "", "45", "30.0", "100", "28", "45", None, "100",
       "30", "45", "100"]  # fmt: skip
LIVED = ["yes", "no", "Y", "N", "true", "0", "no", "1", "No", "yes", "no", "YES", "n", "yes",
         "no", "y", "no"]  # fmt: skip
DATES = ["2026-03-01", "2026-01-15", "2025-12-01", "2026-03-01", "2026-01-15", "2026-03-01",
         "2025-12-01", "2026-01-15", "2026-03-01", "2025-12-01", "2026-01-15", "2026-03-01",
         "2026-01-15", "2026-03-01", "2025-12-01", "2026-01-15", "2026-03-01"]  # fmt: skip
SITE = ["Site 10", "Site 2", "site 2", "Site 10", "Site 2", "Site 2", "Site 10", "Site 2",
        "Site 2", "Site 10", "Site 2", "Site 10", "Site 2", "Site 2", "Site 10", "Site 2",
        "Site 10"]  # fmt: skip

CASES: dict[str, dict[str, str | None]] = {
    f"P{i + 1:02d}": {
        "county_type": COUNTY[i],
        "time_in_role": ROLE[i],
        "age": AGE[i],
        "lived_experience": LIVED[i],
        "interview_date": DATES[i],
        "site": SITE[i],
    }
    for i in range(17)
}
ATTRIBUTES = [
    AttributeInfo("county_type", T.CATEGORICAL),
    AttributeInfo("time_in_role", T.ORDINAL, ROLE_ORDER),
    AttributeInfo("age", T.NUMERIC),
    AttributeInfo("lived_experience", T.BOOLEAN),
    AttributeInfo("interview_date", T.DATE),
    AttributeInfo("site", T.CATEGORICAL),
]


def test_dataset_has_17_cases() -> None:
    assert len(CASES) == 17
    assert all(len(column) == 17 for column in (COUNTY, ROLE, AGE, LIVED, DATES, SITE))


def test_describe_hand_counted_table() -> None:
    R = DescribeRow
    assert describe(ATTRIBUTES, CASES) == [
        R("county_type", "Rural", 5, 29.4),
        R("county_type", "Suburban", 6, 35.3),
        R("county_type", "Urban", 4, 23.5),
        R("county_type", None, 2, 11.8),
        R("time_in_role", "<1 year", 3, 17.6),
        R("time_in_role", "1-3 years", 6, 35.3),
        R("time_in_role", "4-10 years", 0, 0.0),
        R("time_in_role", ">10 years", 7, 41.2),
        R("time_in_role", "Unknown", 1, 5.9),
        R("age", "9", 1, 5.9),
        R("age", "28", 2, 11.8),
        R("age", "30", 3, 17.6),
        R("age", "45", 4, 23.5),
        R("age", "100", 5, 29.4),
        R("age", None, 2, 11.8),
        R("lived_experience", "yes", 8, 47.1),
        R("lived_experience", "no", 9, 52.9),
        R("interview_date", "2025-12-01", 4, 23.5),
        R("interview_date", "2026-01-15", 6, 35.3),
        R("interview_date", "2026-03-01", 7, 41.2),
        R("site", "Site 2", 10, 58.8),
        R("site", "Site 10", 7, 41.2),
    ]


def test_each_attribute_adds_up_to_all_cases() -> None:
    rows = describe(ATTRIBUTES, CASES)
    for info in ATTRIBUTES:
        assert sum(r.n for r in rows if r.attribute == info.name) == 17


def test_attribute_order_is_kept_and_absent_keys_are_missing() -> None:
    cases: dict[str, dict[str, str | None]] = {"a": {"x": "1"}, "b": {"y": "u"}, "c": {}}
    rows = describe([AttributeInfo("y", T.CATEGORICAL), AttributeInfo("x", T.NUMERIC)], cases)
    assert rows == [
        DescribeRow("y", "u", 1, 33.3),
        DescribeRow("y", None, 2, 66.7),
        DescribeRow("x", "1", 1, 33.3),
        DescribeRow("x", None, 2, 66.7),
    ]


def test_no_cases_gives_no_rows() -> None:
    assert describe([AttributeInfo("x", T.CATEGORICAL)], {}) == []


def test_categorical_order_lists_only_used_values_then_the_rest() -> None:
    cases = {str(i): {"c": v} for i, v in enumerate(["urban", "Rural", "Zeta", "alpha", "Urban"])}
    info = AttributeInfo("c", T.CATEGORICAL, ("Urban", "Suburban", "Rural"))
    assert describe([info], cases) == [
        DescribeRow("c", "Urban", 2, 40.0),
        DescribeRow("c", "Rural", 1, 20.0),
        DescribeRow("c", "alpha", 1, 20.0),
        DescribeRow("c", "Zeta", 1, 20.0),
    ]


def test_ordinal_without_order_is_natural() -> None:
    cases = {str(i): {"o": v} for i, v in enumerate(["Level 10", "level 2", "Level 1"])}
    rows = describe([AttributeInfo("o", T.ORDINAL)], cases)
    assert [r.value for r in rows] == ["Level 1", "level 2", "Level 10"]


def test_unparsable_typed_values_are_shown_after_the_valid_ones() -> None:
    cases = {str(i): {"age": v, "d": w, "b": u} for i, (v, w, u) in enumerate(
        [("12", "2026-01-02", "no"), ("unknown", "soon", "maybe"), ("3", "2025-05-05", "Y"),
         ("about 40", "2024-01-01", "n")]
    )}  # fmt: skip
    rows = describe(
        [
            AttributeInfo("age", T.NUMERIC),
            AttributeInfo("d", T.DATE),
            AttributeInfo("b", T.BOOLEAN),
        ],
        cases,
    )
    assert [(r.attribute, r.value, r.n) for r in rows] == [
        ("age", "3", 1),
        ("age", "12", 1),
        ("age", "about 40", 1),
        ("age", "unknown", 1),
        ("d", "2024-01-01", 1),
        ("d", "2025-05-05", 1),
        ("d", "2026-01-02", 1),
        ("d", "soon", 1),
        ("b", "yes", 1),
        ("b", "no", 2),
        ("b", "maybe", 1),
    ]


def test_missing_row_only_when_something_is_missing() -> None:
    full = describe([AttributeInfo("x", T.CATEGORICAL)], {"a": {"x": "v"}, "b": {"x": "V "}})
    assert full == [DescribeRow("x", "v", 2, 100.0)]
    empty = describe([AttributeInfo("x", T.CATEGORICAL)], {"a": {"x": " "}, "b": {"x": None}})
    assert empty == [DescribeRow("x", None, 2, 100.0)]
