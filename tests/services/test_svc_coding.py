"""Coding: offsets and quotes, all-or-nothing batches, duplicates, and coder blindness."""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_helpers import P03_TEXT, count_rows, write

from thematica import CodingInput, ConflictError, InputError, NotFoundError
from thematica.store import schema as t

TEXT = (
    "Interviewer: What helps?\n"
    "P2: Naloxone helps. Supervision helps. Naloxone saves lives.\n"
    "Interviewer: Anything else?\n"
    "P2: Time off.\n"
)


@pytest.fixture
def coded(project: object, tmp_path: Path) -> object:
    p = project
    p.documents.import_files([write(tmp_path / "P02.txt", TEXT)])
    p.codebook.add("Tools")
    p.codebook.add("Support")
    return p


def _state(p: object) -> tuple[int, int, int]:
    return (count_rows(p, t.coding), count_rows(p, t.coder), count_rows(p, t.audit_log))


def test_apply_by_offsets_and_by_quote(coded: object, tmp_path: Path) -> None:
    p = coded
    # by hand: "P2: " starts at 25, so "Naloxone helps" is [29, 43)
    coding_id = p.coding.apply("P02", "Tools", 29, 43, coder="alex", memo="first mention")
    assert coding_id > 0
    f = write(
        tmp_path / "q.csv",
        "document,code,quote,memo\n"
        "P02,Support,Supervision helps.,\n"
        "P02,Tools,Naloxone,\n"  # twice in the text...
        ",,,\n",  # blank rows are ignored
    )
    with pytest.raises(InputError, match=r"row 3 .*occurs 2 times"):
        p.coding.import_csv(f, coder="alex")
    f = write(
        tmp_path / "q.csv",
        "document,code,quote,occurrence,memo\n"
        "P02,Support,Supervision helps.,,about supervisors\n"
        "P02,Tools,Naloxone,2,\n"
        "P02,Support,Time   off,,\n",  # runs of white space match flexibly
    )
    report = p.coding.import_csv(f, coder="alex")
    assert (report.applied, report.duplicates, report.documents) == (3, 0, {"P02"})
    rows = [(r.code, r.start, r.end, r.text, r.memo) for r in p.coding.list(coder="alex").rows]
    assert rows == [
        ("Tools", 29, 43, "Naloxone helps", "first mention"),
        ("Support", 45, 63, "Supervision helps.", "about supervisors"),
        ("Tools", 64, 72, "Naloxone", None),
        ("Support", 118, 126, "Time off", None),
    ]


def test_offsets_csv_and_duplicates_are_counted(coded: object, tmp_path: Path) -> None:
    p = coded
    f = write(tmp_path / "o.csv", "document,code,start,end\nP02,Tools,29,43\nP02,Tools,29,43\n")
    report = p.coding.import_csv(f, coder="alex")
    assert (report.applied, report.duplicates) == (1, 1)
    again = p.coding.import_csv(f, coder="alex")
    assert (again.applied, again.duplicates) == (0, 2)
    # the same span by another coder is a separate coding, not a duplicate
    assert p.coding.import_csv(f, coder="sam").applied == 1
    assert p.coding.count() == 2
    with pytest.raises(ConflictError, match="already coded"):
        p.coding.apply("P02", "Tools", 29, 43, coder="alex")
    assert p.coding.count() == 2


BAD_BATCHES = [
    ("P02,Tools,Supervision,\nP02,Tools,not in the text,\n", InputError, "row 3.*not found"),
    ("P02,Tools,Supervision,\nP02,Tools,Naloxone,\n", InputError, "row 3.*occurs 2 times"),
    ("P02,Tools,Supervision,\nP02,Tools,Naloxone,7\n", InputError, "occurrence 7"),
    ("P02,Tools,Supervision,\nP09,Tools,Naloxone,\n", NotFoundError, "row 3.*'P09'"),
    ("P02,Tools,Supervision,\nP02,Nope,Time off,\n", NotFoundError, "row 3.*no code 'Nope'"),
    ("P02,Tools,Supervision,\nP02,,Time off,\n", InputError, "row 3.*must not be empty"),
]


def test_a_bad_last_row_applies_nothing_from_the_batch(coded: object, tmp_path: Path) -> None:
    p = coded
    p.coding.apply("P02", "Tools", 29, 43, coder="alex")
    before = _state(p)
    for rows, error, message in BAD_BATCHES:
        f = write(tmp_path / "batch.csv", "document,code,quote,occurrence\n" + rows)
        with pytest.raises(error, match=message):
            p.coding.import_csv(f, coder="alex")
        assert _state(p) == before, rows


def test_out_of_range_spans_apply_nothing(coded: object) -> None:
    p = coded
    n = len(TEXT)
    before = _state(p)
    for start, end in [(0, n + 1), (-1, 5), (10, 10), (12, 3)]:
        batch = [CodingInput("P02", "Tools", 29, 43), CodingInput("P02", "Tools", start, end)]
        with pytest.raises(InputError, match=f"coding 2: span .*0 to {n}"):
            p.coding.apply_many(batch, coder="newcoder")
    # a failed batch does not even create the coder
    assert _state(p) == before
    assert p.coding.coders() == []
    p.coding.apply_many([CodingInput("P02", "Tools", 0, n)], coder="newcoder")
    assert p.coding.list(coder="newcoder").rows[0].text == TEXT


def test_bad_coding_csv_shapes(coded: object, tmp_path: Path) -> None:
    p = coded
    cases = {
        "nocode.csv": ("document,quote\nP02,Naloxone\n", "needs a 'code' column"),
        "nospan.csv": ("document,code\nP02,Tools\n", "'start' and 'end' columns or a 'quote'"),
        "notint.csv": ("document,code,start,end\nP02,Tools,1,two\n", "whole numbers"),
        "empty.csv": ("document,code,start,end\n", "no codings in the file"),
    }
    for name, (content, message) in cases.items():
        with pytest.raises(InputError, match=message):
            p.coding.import_csv(write(tmp_path / name, content), coder="alex")
    assert p.coding.count() == 0
    with pytest.raises(InputError, match="cannot be a coder name"):
        p.coding.apply("P02", "Tools", 29, 43, coder="all")
    with pytest.raises(InputError, match="cannot be a coder name"):
        p.coding.apply("P02", "Tools", 29, 43, coder="a,b")
    assert p.coding.count() == 0


def test_coders_are_blind_to_each_other(session_project: object) -> None:
    p = session_project
    assert p.coding.coders() == ["alex", "sam"]
    with pytest.raises(InputError, match=r"2 coders.*: choose which to read") as exc:
        p.coding.list()
    assert exc.value.detail == {"choices": ["alex", "sam"], "hint": "coder"}
    with pytest.raises(InputError, match="2 coders"):
        p.query("Org/Staffing")
    sam = p.coding.list(coder="sam").rows
    assert [(r.coder, r.start, r.end, r.text) for r in sam] == [
        ("sam", 52, 69, "We lost two peers")
    ]
    alex = p.coding.list(coder="alex", code="Org/Staffing").rows
    assert {r.coder for r in alex} == {"alex"}
    assert [(r.document, r.start, r.end) for r in alex] == [
        ("P03-session", 52, 79),
        ("P04-session", 15, 23),
    ]
    assert [e.coders for e in p.query("Org/Staffing", coder="sam").rows] == [["sam"]]
    both = p.query("Org/Staffing", coder="alex,sam").rows
    assert [(e.start, e.end, e.coders) for e in both] == [
        (52, 69, ["sam"]),
        (52, 79, ["alex"]),
        (15, 23, ["alex"]),
    ]
    assert len(p.query("Org/Staffing", coder="all").rows) == 3
    with pytest.raises(NotFoundError, match="no coder named 'kim'"):
        p.coding.list(coder="kim")


def test_remove_a_coding_and_memo_on_it(session_project: object) -> None:
    p = session_project
    (row,) = p.coding.list(coder="sam").rows
    p.coding.set_memo(row.id, "check this span")
    assert p.coding.list(coder="sam").rows[0].memo == "check this span"
    with pytest.raises(NotFoundError, match="no coding"):
        p.coding.remove("P03-session", "Org/Staffing", 52, 70, coder="sam")
    p.coding.remove("P03-session", "Org/Staffing", 52, 69, coder="sam")
    assert p.coding.list(coder="sam").rows == []
    # alex's identical-looking work is untouched
    assert P03_TEXT[52:79] in [r.text for r in p.coding.list(coder="alex").rows]
