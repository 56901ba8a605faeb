"""Attribute filters: parsing and typed matching."""

from __future__ import annotations

import pytest

from thematica.core.errors import InputError, QuerySyntaxError
from thematica.core.filters import (
    AttributeInfo,
    Condition,
    matches,
    normalise_boolean,
    parse_date,
    parse_filter,
    parse_number,
)
from thematica.core.models import AttributeType

T = AttributeType
ROLE = AttributeInfo("time_in_role", T.ORDINAL, ("<1 year", "1-3 years", "4-10 years", ">10 years"))
AGE = AttributeInfo("age", T.NUMERIC)
DATE = AttributeInfo("interview_date", T.DATE)
LIVED = AttributeInfo("lived_experience", T.BOOLEAN)
COUNTY = AttributeInfo("county_type", T.CATEGORICAL)


def check(text: str, info: AttributeInfo, value: str | None) -> bool:
    return matches(parse_filter(text), info, value)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lived_experience = yes", Condition("lived_experience", "=", ("yes",))),
        ("lived_experience == yes", Condition("lived_experience", "=", ("yes",))),
        ('time_in_role >= "1-3 years"', Condition("time_in_role", ">=", ("1-3 years",))),
        ("time_in_role >= 1-3 years", Condition("time_in_role", ">=", ("1-3 years",))),
        ("county_type in (Rural, Suburban)", Condition("county_type", "in", ("Rural", "Suburban"))),
        (
            "county_type IN ( 'Rural, remote' ,  Small   town )",
            Condition("county_type", "in", ("Rural, remote", "Small town")),
        ),
        ("county_type in (Rural)", Condition("county_type", "in", ("Rural",))),
        (
            'employer_type != "Health department"',
            Condition("employer_type", "!=", ("Health department",)),
        ),
        (
            "employer_type != Health department",
            Condition("employer_type", "!=", ("Health department",)),
        ),
        ("age > 30", Condition("age", ">", ("30",))),
        ("age>30", Condition("age", ">", ("30",))),
        ("age<=30", Condition("age", "<=", ("30",))),
        ("age < 30", Condition("age", "<", ("30",))),
        ("interview_date < 2026-03-01", Condition("interview_date", "<", ("2026-03-01",))),
        ("lived_experience is missing", Condition("lived_experience", "is missing")),
        ("lived_experience IS NOT Missing", Condition("lived_experience", "is not missing")),
        ('"Time in role" = 3', Condition("Time in role", "=", ("3",))),
        (r'quote = "say \"hi\""', Condition("quote", "=", ('say "hi"',))),
        ('note = ""', Condition("note", "=", ("",))),
    ],
)
def test_parse_filter(text: str, expected: Condition) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty filter"),
        (
            "age",
            "expected an operator (=, !=, <, <=, >, >=, in (...), is missing or is not missing)",
        ),
        ("age ~ 3", "after 'age' at position 5"),
        ("age >", "expected a value after '>' at position 6"),
        ("county_type in Rural", "'in' needs a list in parentheses"),
        ("county_type in (Rural,", "the list is never closed"),
        ("county_type in ()", "expected a value in the list at position 17"),
        ("county_type in (a,,b)", "expected a value in the list at position 19"),
        ("county_type in ('a' 'b')", "expected ',' or ')' in the list at position 21"),
        ("x is", "expected 'is missing' or 'is not missing' at position 3"),
        ("x is not here", "expected 'is missing' or 'is not missing'"),
        ('x = "abc', 'unterminated quote " starting at position 5'),
        ('x = "a" b', "unexpected text 'b' at position 9"),
        ("x is missing now", "unexpected text 'now'"),
        ("= 3", "expected an attribute name at position 1"),
    ],
)
def test_parse_filter_errors(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_condition_checks_its_arity() -> None:
    with pytest.raises(ValueError):
        Condition("age", ">", ())
    with pytest.raises(ValueError):
        Condition("age", "is missing", ("x",))


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        (" YES ", True),
        ("True", True),
        ("1", True),
        ("y", True),
        ("no", False),
        ("FALSE", False),
        ("0", False),
        ("N", False),
        ("maybe", None),
        ("", None),
        ("2", None),
    ],
)
def test_normalise_boolean(value: str, expected: bool | None) -> None:
    assert normalise_boolean(value) is expected


def test_parse_number_and_date() -> None:
    assert parse_number(" 3.5 ") == 3.5
    assert parse_number("nan") is None
    assert parse_number("inf") is None
    assert parse_number("thirty") is None
    assert parse_date("2026-03-01") is not None
    assert parse_date("01/03/2026") is None


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("age > 30", "31", True),
        ("age > 30", "30", False),
        ("age > 30", "30.5", True),
        ("age >= 30", "30.0", True),
        ("age < 30", "9", True),  # numeric, not string, comparison
        ("age <= 30", "30", True),
        ("age = 30", "30.0", True),
        ("age != 30", "30.0", False),
        ("age != 30", "31", True),
        ("age in (30, 40)", " 40 ", True),
        ("age in (30, 40)", "35", False),
    ],
)
def test_numeric(text: str, value: str, expected: bool) -> None:
    assert check(text, AGE, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("interview_date < 2026-03-01", "2026-02-28", True),
        ("interview_date < 2026-03-01", "2026-03-01", False),
        ("interview_date <= 2026-03-01", "2026-03-01", True),
        ("interview_date > 2026-03-01", "2026-12-01", True),
        ("interview_date >= 2026-03-01", "2025-12-31", False),
        ("interview_date = 2026-03-01", "2026-03-01", True),
        ("interview_date != 2026-03-01", "2026-03-02", True),
        ("interview_date in (2026-03-01, 2026-03-02)", "2026-03-02", True),
    ],
)
def test_date(text: str, value: str, expected: bool) -> None:
    assert check(text, DATE, value) is expected


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ('time_in_role >= "1-3 years"', "4-10 years", True),
        ('time_in_role >= "1-3 years"', "1-3 years", True),
        ('time_in_role >= "1-3 years"', "<1 year", False),
        ('time_in_role > "1-3 years"', "1-3 years", False),
        ('time_in_role < "1-3 years"', "<1 year", True),
        ('time_in_role <= ">10 years"', ">10 years", True),
        ('time_in_role = "1-3 YEARS"', " 1-3 years ", True),
        ('time_in_role != "1-3 years"', ">10 years", True),
        ('time_in_role in ("<1 year", ">10 years")', "<1 year", True),
        ('time_in_role in ("<1 year", ">10 years")', "1-3 years", False),
    ],
)
def test_ordinal(text: str, value: str, expected: bool) -> None:
    assert check(text, ROLE, value) is expected


def test_ordinal_errors_name_the_allowed_values() -> None:
    with pytest.raises(InputError, match=r"one of: <1 year, 1-3 years, 4-10 years, >10 years"):
        check('time_in_role >= "2 years"', ROLE, "1-3 years")
    with pytest.raises(InputError, match=r"a case has '15 years'"):
        check('time_in_role >= "1-3 years"', ROLE, "15 years")
    unordered = AttributeInfo("time_in_role", T.ORDINAL)
    with pytest.raises(InputError, match="ordinal but has no order"):
        check('time_in_role >= "1-3 years"', unordered, "1-3 years")
    # Without an order, equality still works like a categorical attribute.
    assert check('time_in_role = "1-3 Years"', unordered, "1-3 years")


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("lived_experience = yes", "Yes", True),
        ("lived_experience = yes", "y", True),
        ("lived_experience = yes", "TRUE", True),
        ("lived_experience = yes", "1", True),
        ("lived_experience = yes", "no", False),
        ("lived_experience = true", "y", True),
        ("lived_experience = no", "0", True),
        ("lived_experience = N", "false", True),
        ("lived_experience != yes", "no", True),
        ("lived_experience != yes", "yes", False),
        ("lived_experience in (yes, no)", "n", True),
    ],
)
def test_boolean(text: str, value: str, expected: bool) -> None:
    assert check(text, LIVED, value) is expected


def test_boolean_errors() -> None:
    with pytest.raises(InputError, match="'maybe' is not yes or no"):
        check("lived_experience = maybe", LIVED, "yes")
    with pytest.raises(InputError, match="is boolean; use =, != or in"):
        check("lived_experience > no", LIVED, "yes")


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("county_type = Rural", "Rural", True),
        ("county_type = rural", "  RURAL ", True),
        ("county_type = Rural", "Urban", False),
        ("county_type != Rural", "Urban", True),
        ("county_type != Rural", "rural", False),
        ("county_type in (Rural, Suburban)", "suburban", True),
        ("county_type in (Rural, Suburban)", "Urban", False),
        ('county_type = " Rural "', "Rural", True),
    ],
)
def test_categorical(text: str, value: str, expected: bool) -> None:
    assert check(text, COUNTY, value) is expected


def test_ordering_a_categorical_is_an_error() -> None:
    with pytest.raises(InputError, match="attribute county_type is categorical; use =, != or in"):
        check("county_type < Rural", COUNTY, "Rural")
    # Even when the case has no value: the filter itself is wrong.
    with pytest.raises(InputError, match="categorical"):
        check("county_type >= Rural", COUNTY, None)


def test_bad_comparison_values() -> None:
    with pytest.raises(InputError, match="attribute age is numeric: 'thirty' is not a number"):
        check("age > thirty", AGE, "31")
    with pytest.raises(InputError, match="is not an ISO date"):
        check("interview_date < March", DATE, "2026-01-01")
    with pytest.raises(InputError, match="a case has 'unknown'"):
        check("age > 30", AGE, "unknown")


@pytest.mark.parametrize("missing", [None, "", "   "])
@pytest.mark.parametrize(
    ("info", "text"),
    [
        (AGE, "age > 30"),
        (AGE, "age != 30"),
        (AGE, "age = 30"),
        (DATE, "interview_date < 2026-03-01"),
        (ROLE, 'time_in_role != "1-3 years"'),
        (LIVED, "lived_experience != yes"),
        (LIVED, "lived_experience = no"),
        (COUNTY, "county_type != Rural"),
        (COUNTY, "county_type in (Rural, Urban)"),
        (COUNTY, "county_type is not missing"),
    ],
)
def test_missing_matches_only_is_missing(
    info: AttributeInfo, text: str, missing: str | None
) -> None:
    assert check(text, info, missing) is False
    assert check(f"{info.name} is missing", info, missing) is True


def test_is_missing_on_present_values() -> None:
    assert check("age is missing", AGE, "30") is False
    assert check("age is not missing", AGE, "30") is True
    # The presence checks do not care whether the value parses.
    assert check("age is not missing", AGE, "unknown") is True
