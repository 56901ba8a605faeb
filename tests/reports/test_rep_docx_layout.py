"""The Word report's structure that makes it print as a manuscript: fixed column widths that fit
the page and hold every word, header rows repeated, rows never split, the per-code table in the
appendix, code paths where names repeat, no "-0.00" and no sentence opening with a numeral."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rep_helpers import with_consensus

import thematica
from thematica.exporters import project_files as files
from thematica.exporters.report_docx import column_widths
from thematica.services.reports import SimpleTable
from thematica.services.reports.text import ci, num, pct, sentence_count

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Advance widths (em) of Times Roman (Adobe AFM; Liberation Serif has the same metrics)
# fmt: off
TIMES = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        [0.444, 0.5, 0.444, 0.5, 0.444, 0.333, 0.5, 0.5, 0.278, 0.278, 0.5, 0.278, 0.778,
         0.5, 0.5, 0.5, 0.5, 0.333, 0.389, 0.278, 0.5, 0.5, 0.722, 0.5, 0.5, 0.444],
        strict=True,
    )
) | {"M": 0.889, "W": 0.944, "I": 0.333, "J": 0.389, "%": 0.833, "(": 0.333, ")": 0.333,
     ".": 0.25, ",": 0.25, ";": 0.278, ":": 0.278, "/": 0.278, "-": 0.333, "'": 0.333}
# fmt: on


def times_width_twips(word: str, size_pt: float, bold: bool) -> float:
    em = sum(TIMES.get(ch, 0.722 if ch.isupper() else 0.5) for ch in word)
    return em * (1.1 if bold else 1.0) * size_pt * 20


TEXT_WIDTH_TWIPS = 6.5 * 1440  # Letter, 1 inch margins
STAFFING = "Organizational/Receiving resources and benefits from the organization/Staffing"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    folder = tmp_path_factory.mktemp("rep-layout")
    project, _ = thematica.build_demo(str(folder / "demo.db"))
    with_consensus(project, close=True)
    # a second "Staffing" in another branch: the tables must then show paths
    project.codebook.add("Staffing", "Individual")
    project.themes.link("1", ["Individual/Staffing"])
    result = files.write_report(project, folder / "results.docx")
    yield project, result.path
    project.close()


def _val(el: Any, tag: str) -> str | None:
    found = el.find(f"{W}{tag}")
    return None if found is None else found.get(f"{W}val", "true")


def test_tables_are_fixed_fitted_and_never_split(report: tuple[Any, Path]) -> None:
    from docx import Document

    doc = Document(str(report[1]))
    assert len(doc.tables) == 4
    for table in doc.tables:
        tbl = table._tbl
        layout = tbl.tblPr.find(f"{W}tblLayout")
        assert layout is not None and layout.get(f"{W}type") == "fixed"
        grid = [int(c.get(f"{W}w")) for c in tbl.tblGrid.findall(f"{W}gridCol")]
        assert abs(sum(grid) - TEXT_WIDTH_TWIPS) <= len(grid)  # the text width, to rounding
        rows = tbl.findall(f"{W}tr")
        assert _val(rows[0].trPr, "tblHeader") == "true"  # repeated on every page
        for tr in rows[1:]:
            assert tr.trPr.find(f"{W}tblHeader") is None
        for n, tr in enumerate(rows):
            assert _val(tr.trPr, "cantSplit") == "true"
            cells = tr.findall(f"{W}tc")
            widths = [int(tc.tcPr.find(f"{W}tcW").get(f"{W}w")) for tc in cells]
            assert widths == grid
            for tc, width in zip(cells, widths, strict=True):
                # an empty cell's paragraph mark is at the table size too: rows stay even
                mark = tc.find(f"{W}p/{W}pPr/{W}rPr/{W}sz")
                assert mark is not None and mark.get(f"{W}val") == "19"
                text = "".join(t.text or "" for t in tc.iter(f"{W}t"))
                for word in re.split(r"[\s\u200b]+", text):
                    # the word at 9.5 pt (bold in the header) plus the two cell margins
                    need = times_width_twips(word, 9.5, n == 0) + 0.16 * 1440
                    assert need <= width, (word, width)


def test_appendix_and_paths(report: tuple[Any, Path]) -> None:
    from docx import Document

    doc = Document(str(report[1]))
    body = list(doc.element.body)
    headings = {
        p.text: body.index(p._p) for p in doc.paragraphs if p.style.name.startswith("Heading")
    }
    tables = [body.index(t._tbl) for t in doc.tables]
    assert headings["Findings by theme"] < headings["Appendix"] < tables[3]
    assert tables[2] < headings["Saturation"]  # the overall agreement table stays in the text
    per_code = [[c.text.replace("\u200b", "") for c in r.cells] for r in doc.tables[3].rows]
    assert per_code[0][:3] == ["Code", "Coded by alex", "Coded by sam"]
    codes = [row[0] for row in per_code[1:]]
    assert STAFFING in codes and "Staffing" not in codes
    assert "Feelings of guilt" in codes  # a unique name stays short
    themes = [[c.text.replace("\u200b", "") for c in r.cells] for r in doc.tables[1].rows]
    theme1 = themes[1][3].split("; ")
    assert "Individual/Staffing" in theme1
    assert any(STAFFING in row[3].split("; ") for row in themes[1:])


def test_no_negative_zero_and_no_numeral_opening_a_sentence(report: tuple[Any, Path]) -> None:
    import zipfile

    from docx import Document

    xml = zipfile.ZipFile(report[1]).read("word/document.xml").decode("utf-8")
    assert "-0.00" not in xml and "\u22120.00" not in xml
    doc = Document(str(report[1]))
    for para in doc.paragraphs:
        if para.paragraph_format.left_indent is not None:  # participants' own words
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", para.text.strip()):
            assert not sentence[:1].isdigit(), sentence


def test_number_formatting() -> None:
    assert num(-0.0004) == "0.00"
    assert num(-0.004, 2) == "0.00"
    assert num(-0.25) == "\u22120.25"
    assert num(0.125, 2) == "0.12" or num(0.125, 2) == "0.13"  # float rounding, no sign
    assert pct(-0.00001) == "0.0%"
    assert ci(-0.001, 0.5) == "0.00\u20130.50"
    assert ci(-0.2, 0.5) == "\u22120.20 to 0.50"
    assert ci(None, 0.5) == "\u2013"
    assert sentence_count(2) == "Two" and sentence_count(57) == "A total of 57"


def test_column_widths_fit_words_and_page() -> None:
    table = SimpleTable(
        "T",
        ["Code", "n"],
        [["Organizational/Receiving resources and benefits/Staffing", "12"], ["Guilt", "3"]],
    )
    widths = column_widths(table, 6.5)
    assert sum(widths) == pytest.approx(6.5)
    assert widths[0] > widths[1] > 0
    # a table too wide for one line per cell: every column still holds its longest word
    wide = SimpleTable("T", ["A", "B"], [["x" * 40, "word " * 60]])
    a, b = column_widths(wide, 6.5)
    assert a + b == pytest.approx(6.5)
    assert a >= 40 * 0.5 * 9.5 / 72  # 40 lowercase letters at half an em
