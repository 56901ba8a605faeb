"""CSV: one document per row, attributes from the other columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from thematica.core.errors import InputError
from thematica.importers import ImportOptions, parse_file

WriteBytes = Callable[[str, bytes], Path]


def test_auto_text_column_attributes_and_names(write_bytes: WriteBytes) -> None:
    data = (
        "id,Response,age,site\r\n"
        'p01,"I liked it, mostly.\r\nI: Why?\r\nP: Staff.",34,north\r\n'
        "p02,,40,south\r\n"
        'p03,"cafe\u0301 🙂",,east\r\n'
    ).encode()
    docs = parse_file(write_bytes("survey.csv", data))
    assert [d.name for d in docs] == ["survey row 1", "survey row 3"]  # empty row 2 skipped
    first, third = docs
    assert first.text == "I liked it, mostly.\nI: Why?\nP: Staff."
    assert first.attributes == {"id": "p01", "age": "34", "site": "north"}
    assert first.case is None
    assert (first.source_format, first.encoding) == ("csv", "utf-8")
    assert [t.speaker for t in first.turns] == [None, "I"]
    assert third.text == "café 🙂"
    assert third.attributes == {"id": "p03", "site": "east"}


def test_id_column_and_semicolon_delimiter(write_bytes: WriteBytes) -> None:
    data = "Participant;Answer;Gender\nP7;Oui, très bien;f\nP8;Non;m\n".encode("cp1252")
    docs = parse_file(
        write_bytes("fr.csv", data),
        ImportOptions(csv_id_column="participant", csv_text_column="ANSWER"),
    )
    assert [(d.name, d.case, d.text, d.attributes) for d in docs] == [
        ("fr row P7", "P7", "Oui, très bien", {"Gender": "f"}),
        ("fr row P8", "P8", "Non", {"Gender": "m"}),
    ]
    assert docs[0].encoding == "cp1252"


def test_tab_delimiter(write_bytes: WriteBytes) -> None:
    docs = parse_file(write_bytes("t.csv", b"text\tgroup\nhello, there\tA\n"))
    assert [(d.text, d.attributes) for d in docs] == [("hello, there", {"group": "A"})]


def test_long_cell_over_default_csv_field_limit(write_bytes: WriteBytes) -> None:
    long_text = "word " * 40_000  # 200 000 characters, over csv's 131 072 default
    docs = parse_file(write_bytes("long.csv", f'transcript\n"{long_text}"\n'.encode()))
    assert docs[0].text == long_text.strip()


@pytest.mark.parametrize(
    ("content", "options", "reason"),
    [
        (
            "id,comment,note\n1,a,b\n",
            ImportOptions(),
            "cannot tell which column holds the text (columns: id, comment, note)",
        ),
        (
            "text,answer\na,b\n",
            ImportOptions(),
            "cannot tell which column holds the text (columns: text, answer)",
        ),
        ("id,text\n1,a\n", ImportOptions(csv_text_column="body"), "no text column 'body'"),
        ("id,text\n1,a\n", ImportOptions(csv_id_column="pid"), "no id column 'pid'"),
        ("id,text,age\n1,hello,3\n2,hi\n", ImportOptions(), "line 3 has 2 fields"),
        ("id,text\n1,\n2,  \n", ImportOptions(), "no rows with text in column 'text'"),
        ("id,text,id\n1,a,2\n", ImportOptions(), "duplicate column names in the header: id"),
        (
            'id,text\n1,"unterminated\n',
            ImportOptions(),
            "line 2: malformed CSV (unexpected end of data)",
        ),
    ],
)
def test_bad_csv(
    write_bytes: WriteBytes, content: str, options: ImportOptions, reason: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_file(write_bytes("bad.csv", content.encode()), options)
    message = str(info.value)
    assert message.startswith(f"bad.csv: {reason}")
    assert "\n" not in message
