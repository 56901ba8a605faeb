"""Cases and typed attributes from CSV and XLSX, and Table 1 checked against hand counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from svc_helpers import count_rows, write

from thematica import InputError, NotFoundError
from thematica.store import schema as t

TENURE = ["<1 year", "1-3 years", "3-5 years", ">5 years"]
# Eight cases. By hand: age 34 twice ("34" and "34.0"), one missing; role "outreach" is the
# same value as "Outreach"; lived has Y (= yes) and one missing; tenure skips "3-5 years".
PEOPLE_CSV = (
    "id,age,role,lived,tenure,start_date\n"
    "C1,34,Outreach,yes,<1 year,2024-01-05\n"
    "C2,41,Peer,no,1-3 years,2023-06-01\n"
    "C3,29,Outreach,yes,>5 years,2022-02-02\n"
    "C4,,Manager,Y,1-3 years,2021-03-03\n"
    "C5,52,outreach,no,,2020-04-04\n"
    "C6,34.0,Peer,,1-3 years,2019-05-05\n"
    "C7,47,Outreach,yes,<1 year,2018-06-06\n"
    "C8,38,Manager,no,1-3 years,2017-07-07\n"
)


def _rows(table: object) -> list[tuple[str, str | None, int, float]]:
    return [(r.attribute, r.value, r.n, r.percent) for r in table.rows]  # type: ignore[attr-defined]


def test_csv_import_infers_types_and_table1_matches_hand_counts(
    project: object, tmp_path: Path
) -> None:
    p = project
    report = p.cases.import_table(
        write(tmp_path / "people.csv", PEOPLE_CSV), id_column="id", orders={"tenure": TENURE}
    )
    assert report.cases_created == [f"C{i}" for i in range(1, 9)]
    assert report.attributes == {
        "age": "numeric",
        "role": "categorical",
        "lived": "boolean",
        "tenure": "ordinal",
        "start_date": "date",
    }
    table = p.cases.describe()
    assert table.title == "Participants (N = 8)"
    assert _rows(table) == [
        ("age", "29", 1, 12.5),
        ("age", "34", 2, 25.0),
        ("age", "38", 1, 12.5),
        ("age", "41", 1, 12.5),
        ("age", "47", 1, 12.5),
        ("age", "52", 1, 12.5),
        ("age", None, 1, 12.5),
        ("role", "Manager", 2, 25.0),
        ("role", "Outreach", 4, 50.0),
        ("role", "Peer", 2, 25.0),
        ("lived", "yes", 4, 50.0),
        ("lived", "no", 3, 37.5),
        ("lived", None, 1, 12.5),
        ("tenure", "<1 year", 2, 25.0),
        ("tenure", "1-3 years", 4, 50.0),
        ("tenure", "3-5 years", 0, 0.0),
        ("tenure", ">5 years", 1, 12.5),
        ("tenure", None, 1, 12.5),
        ("start_date", "2017-07-07", 1, 12.5),
        ("start_date", "2018-06-06", 1, 12.5),
        ("start_date", "2019-05-05", 1, 12.5),
        ("start_date", "2020-04-04", 1, 12.5),
        ("start_date", "2021-03-03", 1, 12.5),
        ("start_date", "2022-02-02", 1, 12.5),
        ("start_date", "2023-06-01", 1, 12.5),
        ("start_date", "2024-01-05", 1, 12.5),
    ]
    only = p.cases.describe(["lived"])
    assert _rows(only) == [
        ("lived", "yes", 4, 50.0),
        ("lived", "no", 3, 37.5),
        ("lived", None, 1, 12.5),
    ]
    with pytest.raises(NotFoundError, match="'height'"):
        p.cases.describe(["height"])
    frame = p.cases.dataframe()
    assert frame.shape == (8, 5)
    assert frame.loc["C4", "lived"] == "yes"  # "Y" stored canonically
    assert frame.loc["C6", "age"] == "34"  # "34.0" stored canonically
    assert pd.isna(frame.loc["C5", "tenure"])


def test_xlsx_import_made_by_openpyxl(project: object, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["site_id", "visits", "first_visit", "rural", "band"])
    rows = [
        ("S1", 3, dt.datetime(2024, 1, 1), True, "Low"),
        ("S2", 5, dt.datetime(2024, 2, 1), False, "High"),
        ("S3", 3.0, dt.datetime(2024, 3, 1), True, "Mid"),
        ("S4", None, dt.datetime(2024, 4, 1), True, "low"),
        ("S5", 10, dt.datetime(2024, 5, 1), False, "Low"),
        ("S6", 2, None, True, None),
        ("S7", 3, dt.datetime(2024, 7, 1), None, "Mid"),
    ]
    for row in rows:
        ws.append(list(row))
    wb.save(tmp_path / "sites.xlsx")

    p = project
    report = p.cases.import_table(
        tmp_path / "sites.xlsx", id_column="site_id", orders={"band": ["Low", "Mid", "High"]}
    )
    assert report.attributes == {
        "visits": "numeric",
        "first_visit": "date",
        "rural": "boolean",
        "band": "ordinal",
    }
    # N = 7: 1/7 = 14.29 -> 14.3, 2/7 = 28.57 -> 28.6, 3/7 = 42.86 -> 42.9, 4/7 = 57.14 -> 57.1
    assert _rows(p.cases.describe()) == [
        ("visits", "2", 1, 14.3),
        ("visits", "3", 3, 42.9),
        ("visits", "5", 1, 14.3),
        ("visits", "10", 1, 14.3),
        ("visits", None, 1, 14.3),
        ("first_visit", "2024-01-01", 1, 14.3),
        ("first_visit", "2024-02-01", 1, 14.3),
        ("first_visit", "2024-03-01", 1, 14.3),
        ("first_visit", "2024-04-01", 1, 14.3),
        ("first_visit", "2024-05-01", 1, 14.3),
        ("first_visit", "2024-07-01", 1, 14.3),
        ("first_visit", None, 1, 14.3),
        ("rural", "yes", 4, 57.1),
        ("rural", "no", 2, 28.6),
        ("rural", None, 1, 14.3),
        ("band", "Low", 3, 42.9),
        ("band", "Mid", 2, 28.6),
        ("band", "High", 1, 14.3),
        ("band", None, 1, 14.3),
    ]


def test_reimport_updates_cases_and_explicit_types(project: object, tmp_path: Path) -> None:
    p = project
    p.cases.import_table(write(tmp_path / "a.csv", "id,code\nA,1\nB,2\n"), id_column="id")
    report = p.cases.import_table(
        write(tmp_path / "b.csv", "id,code\nB,07\nC,3\n"),
        id_column="id",
        types={"code": "categorical"},
    )
    assert report.cases_created == ["C"]
    assert report.cases_updated == ["B"]
    values = {r.case: r.attributes["code"] for r in p.cases.list().rows}
    assert values == {"A": "1", "B": "07", "C": "3"}


BAD_TABLES: list[tuple[str, dict[str, object], str]] = [
    ("id,age\nP1,30\nP1,31\n", {}, "'P1' appears twice"),
    ("id,age\nP1,30\n,31\n", {}, "row 3 has an empty 'id'"),
    ("pid,age\nP1,30\n", {}, "no column 'id'"),
    ("id,age\nP1,30\nP2,old\n", {"types": {"age": "numeric"}}, "row 3.*not a number"),
    ("id,level\nP1,low\nP2,huge\n", {"orders": {"level": ["low", "high"]}}, "'huge'"),
    ("id,age,age\nP1,3,4\n", {}, "column names appear twice"),
]


def test_bad_case_tables_write_nothing(project: object, tmp_path: Path) -> None:
    p = project
    p.cases.import_table(write(tmp_path / "ok.csv", "id,age\nP9,50\n"), id_column="id")
    before = (count_rows(p, t.case), count_rows(p, t.attribute), count_rows(p, t.audit_log))
    for content, kwargs, message in BAD_TABLES:
        with pytest.raises(InputError, match=message):
            p.cases.import_table(write(tmp_path / "bad.csv", content), id_column="id", **kwargs)
        after = (count_rows(p, t.case), count_rows(p, t.attribute), count_rows(p, t.audit_log))
        assert after == before, content
    assert [(r.case, r.attributes) for r in p.cases.list().rows] == [("P9", {"age": "50"})]


def test_ordinal_needs_its_order_and_empty_project_has_no_table1(
    project: object, tmp_path: Path
) -> None:
    p = project
    with pytest.raises(InputError, match="no cases yet"):
        p.cases.describe()
    with pytest.raises(InputError, match="ordinal: give its order"):
        p.cases.import_table(
            write(tmp_path / "o.csv", "id,level\nP1,low\n"),
            id_column="id",
            types={"level": "ordinal"},
        )
    assert count_rows(p, t.case) == 0
