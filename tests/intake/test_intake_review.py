"""Found in review: an xlsx whose sheet is damaged gets one line, not an internal error."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

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


def test_a_cell_merged_across_columns_fills_one_field(tmp_path: Path) -> None:
    import docx

    from thematica.importers.docx_grid import read_docx_table

    doc = docx.Document()
    table = doc.add_table(rows=3, cols=3)
    for j, name in enumerate(("name", "definition", "memo")):
        table.cell(0, j).text = name
    table.cell(1, 0).text = "Joy"
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    merged.text = "Feeling happy"
    table.cell(2, 0).text = "Grief"
    table.cell(2, 1).text = "Loss"
    table.cell(2, 2).text = "see P4"
    path = tmp_path / "codebook.docx"
    doc.save(path)
    header, rows = read_docx_table(path)
    assert header == ["name", "definition", "memo"]
    assert rows == [["Joy", "Feeling happy", ""], ["Grief", "Loss", "see P4"]]


def test_a_name_with_a_slash_cannot_take_an_existing_path(project: Any) -> None:
    from thematica.core.errors import ConflictError

    project.codebook.add("A")
    project.codebook.add("B", parent="A")
    with pytest.raises(ConflictError, match="already has the path 'A/B'"):
        project.codebook.add("A/B")
    project.codebook.add("A/C")  # a "/" in a name is fine while no other code has that path
    with pytest.raises(ConflictError, match="already has the path 'A/C'"):
        project.codebook.add("C", parent="A")
    with pytest.raises(ConflictError, match="already has the path 'A/C'"):
        project.codebook.update("A/B", name="C")
    assert len(project.codebook.tree()) == 3


def test_role_words_in_lower_case_prose_are_not_labels() -> None:
    from thematica.core.text import detect_turns

    text = "Interviewer: Who pays?\nPARTICIPANT 3: The county.\nclient: Acme Ltd\nClient: Yes.\n"
    assert [t.speaker for t in detect_turns(text)] == ["Interviewer", "PARTICIPANT 3", "Client"]


def test_a_header_name_of_a_million_characters_is_refused(project: Any, tmp_path: Path) -> None:
    big = tmp_path / "hugehdr.csv"
    big.write_text("id," + "x" * 1_000_000 + "\nP1,yes\n", "utf-8")
    with pytest.raises(InputError) as err:
        project.cases.import_table(big, id_column="id")
    message = str(err.value)
    assert message.startswith("hugehdr.csv: column 2's name is 1,000,000 characters long")
    assert len(message) < 300
    with pytest.raises(InputError, match="column 2's name is 1,000,000 characters long"):
        project.documents.import_files([big], options=None)
    assert project.cases.list().rows == [] and project.documents.list().rows == []
