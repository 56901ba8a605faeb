"""Wide coding tables (document / turn / paragraph units, code columns or a 'codes' column):
the spans are the units' whole spans, worked out from the texts by string search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from coding_helpers import A, B, C, batch_count, span, spans, write

from thematica.core.errors import ConflictError, InputError
from thematica.services.coding_table import read_coding_table


def test_document_unit_code_columns(small: Any, tmp_path: Path) -> None:
    # header by path and by unique name; yes / x / 1 / TRUE are positives, 0 / no / blank not
    table = write(
        tmp_path,
        "docs.csv",
        "document,Health/Mood,Money,Wellbeing\na,yes,0,\nb,,x,no\nc,1,TRUE,0\n",
    )
    report = small.coding.apply_table(table, coder="alex", unit="document")
    assert report.applied == 4 and report.duplicates == 0
    # the whole document: the stored text is the file's, final line break included
    assert spans(small, "alex") == {
        ("a", "Health/Mood", 0, len(A) + 1),
        ("b", "Money", 0, len(B) + 1),
        ("c", "Health/Mood", 0, len(C) + 1),
        ("c", "Money", 0, len(C) + 1),
    }


def test_turn_unit(small: Any, tmp_path: Path) -> None:
    table = write(tmp_path, "turns.csv", "document,turn,Wellbeing,Mood\na,2,1,0\na,3,,1\na,1,0,0\n")
    cells = read_coding_table(small, table, "turn")
    assert [(c.document, c.number, c.code, c.row) for c in cells] == [
        ("a", 2, "Wellbeing", 2),
        ("a", 3, "Health/Mood", 3),
    ]
    small.coding.apply_table(table, coder="alex", unit="turn")
    assert spans(small, "alex") == {
        ("a", "Wellbeing", *span(A, "Participant 1:", "I mean it.")),
        ("a", "Health/Mood", *span(A, "Interviewer: Good.", "Good.")),
    }


def test_paragraph_unit_blank_lines_and_lines(small: Any, tmp_path: Path) -> None:
    table = write(tmp_path, "paras.csv", "document;paragraph;Money\nb;2;1\nc;2;1\nc;3;0\na;1;1\n")
    small.coding.apply_table(table, coder="alex", unit="paragraph")
    assert spans(small, "alex") == {
        ("b", "Money", *span(B, "Second para", "money.")),
        # c has no blank line, so each line is a paragraph
        ("c", "Money", *span(C, "Line two", "money.")),
        ("a", "Money", *span(A, "Interviewer: How", "Really fine.")),
    }


def test_codes_column(small: Any, tmp_path: Path) -> None:
    table = write(
        tmp_path,
        "codes.csv",
        'document,turn,codes\na,2,"Wellbeing; Health/Mood"\na,1,\nb,2,Money\n',
    )
    small.coding.apply_table(table, coder="sam", unit="turn")
    participant = span(A, "Participant 1:", "I mean it.")
    assert spans(small, "sam") == {
        ("a", "Wellbeing", *participant),
        ("a", "Health/Mood", *participant),
        ("b", "Money", *span(B, "Second para", "money.")),
    }


def test_xlsx_table(small: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["Document", "Turn", "Money"])
    sheet.append(["b", 1, 1])
    path = tmp_path / "codes.xlsx"
    wb.save(path)
    small.coding.apply_table(path, coder="alex", unit="turn")
    assert spans(small, "alex") == {("b", "Money", *span(B, "First para line one", "line two."))}


@pytest.mark.parametrize(
    ("unit", "content", "fragments"),
    [
        ("document", "document,Money\na,1\nnope,1\n", ["row 3", "column 'document'", "'nope'"]),
        ("document", "document,Money,Nothing\na,1,0\n", ["row 1", "column 'Nothing'"]),
        ("turn", "document,turn,codes\na,1,Money;Ghost\n", ["row 2", "column 'codes'", "Ghost"]),
        ("turn", "document,turn,Money\na,1,1\na,4,1\n", ["row 3", "column 'turn'", "3 turn"]),
        ("turn", "document,turn,Money\na,two,1\n", ["row 2", "column 'turn'", "'two'"]),
        ("turn", "document,turn,Money\na,0,1\n", ["row 2", "column 'turn'", "no turn 0"]),
        ("document", "document,Money\na,1\nb,maybe\n", ["row 3", "column 'Money'", "'maybe'"]),
        ("paragraph", "document,paragraph,Money\nc,4,1\n", ["row 2", "column 'paragraph'"]),
        ("turn", "document,Money\na,1\n", ["'turn' column"]),
        ("document", "document,turn,Money\na,1,1\n", ["row 1", "column 'turn'"]),
        ("turn", "document,turn,Money\na,1,1\na,1,0\n", ["row 3", "already coded in row 2"]),
        ("document", "document,Money,Health/Mood,Mood\na,1,0,1\n", ["row 1", "column 'Mood'"]),
    ],
)
def test_bad_tables_name_row_and_column_and_store_nothing(
    small: Any, tmp_path: Path, unit: str, content: str, fragments: list[str]
) -> None:
    table = write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError) as info:
        small.coding.apply_table(table, coder="alex", unit=unit)
    message = str(info.value)
    assert "\n" not in message and message.startswith("bad.csv")
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert small.coding.count() == 0
    assert batch_count(small) == 0
    assert small.coding.coders() == []


def test_table_is_one_batch_and_kind_is_set(small: Any, tmp_path: Path) -> None:
    table = write(tmp_path, "t.csv", "document,Money\nb,1\nc,1\n")
    report = small.coding.apply_table(table, coder="published", unit="document", kind="imported")
    rows = small.batches.list().rows
    assert [(r.id, r.operation, r.coder, r.added) for r in rows] == [
        (report.batch_id, "table", "published", 2)
    ]
    assert "unit=document" in rows[0].parameters and "file=t.csv" in rows[0].parameters
    kinds = {r.name: r.kind for r in small.coding.coder_rows().rows}
    assert kinds == {"published": "imported"}
    # loading the same coder as another kind is refused, nothing written
    with pytest.raises(ConflictError, match="imported, not human"):
        small.coding.apply_table(table, coder="published", unit="document", kind="human")
    assert small.coding.count() == 2 and batch_count(small) == 1


def test_turn_named_by_its_speaker_label(small: Any, tmp_path: Path) -> None:
    # a survey question or a speaker with one turn can be named instead of numbered
    table = write(tmp_path, "labels.csv", "document,turn,Wellbeing\na,participant 1,1\n")
    cells = read_coding_table(small, table, "turn")
    assert [(c.number, c.start, c.end) for c in cells] == [
        (2, *span(A, "Participant 1:", "I mean it."))
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Interviewer", "'a' has 2 turns by 'Interviewer'; give the turn number"),
        ("Q3", "'a' has no turn by 'Q3' (speakers: Interviewer, Participant 1)"),
    ],
)
def test_turn_label_that_names_no_single_turn(
    small: Any, tmp_path: Path, cell: str, message: str
) -> None:
    table = write(tmp_path, "labels.csv", f"document,turn,Wellbeing\na,{cell},1\n")
    with pytest.raises(InputError, match="row 2, column 'turn'") as err:
        small.coding.apply_table(table, coder="alex", unit="turn")
    assert message in str(err.value)
    assert small.coding.count() == 0
