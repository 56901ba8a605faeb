"""Found in review: an xlsx whose sheet is damaged gets one line, not an internal error."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from thematica.core.errors import InputError
from thematica.services.tabular import read_table


def test_a_damaged_sheet_is_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    wb = Workbook()
    for row in (["case_id", "role"], ["P1", "peer"], ["P2", "manager"]):
        wb.active.append(row)
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut the sheet's XML in half
            dst.writestr(item, data)
    assert read_table(good) == (["case_id", "role"], [["P1", "peer"], ["P2", "manager"]])
    with pytest.raises(InputError, match=r"bad\.xlsx: not a readable Excel workbook"):
        read_table(bad)
