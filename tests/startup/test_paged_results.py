"""Paged results for an API: ``query`` and ``search`` return one page (``limit``/``offset``)
and the number of rows of the whole result in ``total``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from thematica.core.errors import InputError

#: "pay" three times in A, twice in B (worked by hand; B's second is "Pay," at the start of
#: its second line)
A_TEXT = "pay was low. Staffing was thin. The pay rose. Staffing again. pay\n"
B_TEXT = "Nobody talked about pay.\nPay, though, mattered.\n"


def _study(p: Any, folder: Path) -> None:
    (folder / "A.txt").write_text(A_TEXT, "utf-8")
    (folder / "B.txt").write_text(B_TEXT, "utf-8")
    p.documents.import_files([folder / "A.txt", folder / "B.txt"])
    p.codebook.add("Staffing")
    # three Staffing codings, applied out of order: pages follow document and position
    p.coding.apply("B", "Staffing", 0, 6, coder="alex")
    p.coding.apply("A", "Staffing", 13, 30, coder="alex")
    p.coding.apply("A", "Staffing", 46, 61, coder="alex")


def test_query_pages_in_document_and_position_order(project: Any, tmp_path: Path) -> None:
    _study(project, tmp_path)
    everything = project.query("Staffing", coder="alex")
    assert [(e.document, e.start) for e in everything] == [("A", 13), ("A", 46), ("B", 0)]
    assert everything.total == 3
    page = project.query("Staffing", coder="alex", limit=2, offset=1)
    assert [(e.document, e.start, e.text) for e in page] == [
        ("A", 46, "Staffing again."),
        ("B", 0, "Nobody"),
    ]
    assert page.total == 3
    past = project.query("Staffing", coder="alex", limit=10, offset=3)
    assert (len(past), past.total) == (0, 3)
    assert list(past.columns) == list(everything.columns)  # an empty page keeps its columns


def test_search_pages_and_counts_every_hit(project: Any, tmp_path: Path) -> None:
    _study(project, tmp_path)
    page = project.search("pay", limit=2, offset=2)
    assert [(h.document, h.start, h.match) for h in page] == [("A", 62, "pay"), ("B", 20, "pay")]
    assert page.total == 5
    last = project.search("pay", limit=2, offset=4)
    assert [(h.document, h.start, h.match) for h in last] == [("B", 25, "Pay")]
    assert last.total == 5
    # without an offset: the first `limit` hits, the search stops there and does not count
    first = project.search("pay", limit=2)
    assert [(h.document, h.start) for h in first] == [("A", 0), ("A", 36)]
    assert first.total is None


def test_pages_of_the_demo_add_up_to_the_whole_result(demo: Any) -> None:
    whole = demo.query("Staffing", coder="alex")
    assert whole.total == len(whole) > 3  # several pages of 3
    pages: list[Any] = []
    offset = 0
    while offset < whole.total:
        page = demo.query("Staffing", coder="alex", limit=3, offset=offset)
        assert page.total == whole.total
        pages += page.rows
        offset += 3
    assert pages == whole.rows


def test_a_negative_page_is_refused(project: Any, tmp_path: Path) -> None:
    _study(project, tmp_path)
    with pytest.raises(InputError, match="offset must be 0 or more, not -1"):
        project.query("Staffing", coder="alex", offset=-1)
    with pytest.raises(InputError, match="limit must be 0 or more, not -2"):
        project.query("Staffing", coder="alex", limit=-2)
    with pytest.raises(InputError, match="offset must be 0 or more"):
        project.search("pay", offset=-5)
