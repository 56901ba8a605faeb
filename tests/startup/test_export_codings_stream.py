"""The codings CSV streams: rows are written as they are read, and the file is the same table,
cell for cell, as the in-memory DataFrame export (pandas' own CSV is the independent check)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from thematica.core.errors import ThematicaError
from thematica.exporters.atomic import write_csv_rows
from thematica.exporters.project_files import write_export
from thematica.services.exports import frame_to_csv

A_TEXT = "We were short staffed. Pay was low, honestly.\n"
B_TEXT = "Nobody trained me.\nI learned by watching.\n"


def _study(p: Any, folder: Path) -> dict[str, int]:
    (folder / "people.csv").write_text("participant_id,age,site\nP1,34,north\nP2,,south\n")
    p.cases.import_table(
        folder / "people.csv",
        id_column="participant_id",
        types={"age": "numeric", "site": "categorical"},
    )
    # b first: rows must come in document-name order, not import order
    (folder / "P2-b.txt").write_text(B_TEXT, "utf-8")
    (folder / "P1-a.txt").write_text(A_TEXT, "utf-8")
    p.documents.import_files([folder / "P2-b.txt", folder / "P1-a.txt"], case_pattern=r"^(P\d)")
    for code in ("Staffing", "Pay", "Training"):
        p.codebook.add(code)
    return {
        "pay": p.coding.apply("P1-a", "Pay", 23, 45, coder="alex", memo='low, "honestly"'),
        "staff": p.coding.apply("P1-a", "Staffing", 0, 21, coder="alex"),
        "train": p.coding.apply("P2-b", "Training", 0, 18, coder="alex"),
        "sam": p.coding.apply("P2-b", "Training", 19, 41, coder="sam"),
    }


def test_a_small_study_worked_by_hand(project: Any, tmp_path: Path) -> None:
    ids = _study(project, tmp_path)
    out = tmp_path / "codings.csv"
    assert write_csv_rows(out, *project.exports.codings_rows("alex")) == 3
    # by hand: P1-a before P2-b, by start within a document; age 34 -> "34", P2's is empty;
    # the memo's comma and quotes are quoted; the text is the [start, end) slice
    assert out.read_text("utf-8") == (
        "id,document,case,age,site,code,coder,start,end,text,memo\n"
        f"{ids['staff']},P1-a,P1,34,north,Staffing,alex,0,21,We were short staffed,\n"
        f'{ids["pay"]},P1-a,P1,34,north,Pay,alex,23,45,"Pay was low, honestly.",'
        '"low, ""honestly"""\n'
        f"{ids['train']},P2-b,P2,,south,Training,alex,0,18,Nobody trained me.,\n"
    )
    both = write_csv_rows(tmp_path / "both.csv", *project.exports.codings_rows("alex,sam"))
    rows = list(csv.DictReader((tmp_path / "both.csv").open(encoding="utf-8", newline="")))
    assert both == 4
    assert [(r["coder"], r["text"]) for r in rows][-2:] == [
        ("alex", "Nobody trained me."),
        ("sam", "I learned by watching."),
    ]


def test_the_stream_equals_the_dataframe_export(demo: Any, tmp_path: Path) -> None:
    for coder in ("alex", "all"):
        out = tmp_path / f"{coder}.csv"
        write_export(demo, "codings", out, coder=coder)  # what the CLI and the API call
        frame = demo.exports.codings_frame(coder=coder)
        assert len(frame) > 50
        assert out.read_text("utf-8") == frame_to_csv(frame)


def test_rows_are_produced_lazily(demo: Any) -> None:
    header, rows = demo.exports.codings_rows("alex")
    assert header[:3] == ["id", "document", "case"]
    assert iter(rows) is rows  # an iterator, not a built list
    first = next(rows)
    assert len(first) == len(header)
    rows.close()  # type: ignore[attr-defined]  # ends its read transaction


def test_a_bad_coder_fails_before_the_file_is_made(demo: Any, tmp_path: Path) -> None:
    with pytest.raises(ThematicaError, match="nobody"):
        write_export(demo, "codings", tmp_path / "x.csv", coder="nobody")
    assert not [p for p in tmp_path.iterdir() if "x.csv" in p.name]


def test_an_empty_project_writes_the_header_only(project: Any, tmp_path: Path) -> None:
    out = tmp_path / "codings.csv"
    assert write_csv_rows(out, *project.exports.codings_rows()) == 0
    header = next(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert header == ["id", "document", "case", "code", "coder", "start", "end", "text", "memo"]
