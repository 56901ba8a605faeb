"""Codebook tables: a '/' inside a name stays in the name; CSV, Excel and Word round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from intake_helpers import run_cli, write

import thematica
from thematica import InputError
from thematica.core.codebook import FIELDS
from thematica.exporters import project_files as files

BOOK = (
    "name,parent,definition,exclusive\n"
    "Positive change,,Good things the pandemic brought.,true\n"
    "optimism / positivity,Positive change,Hope about the future.,\n"
    "work/life balance,Positive change,,\n"
    "Negative change,,,\n"
    'loneliness,Negative change,"Feeling alone;\nisolated.",\n'
    # a parent named by its path, listed before the parent's own row
    "cautious,Positive change/optimism / positivity,,\n"
)


def _tree(project: object) -> list[tuple[str, int, str, bool]]:
    cb = project.codebook  # type: ignore[attr-defined]
    return [(r.path, r.depth, r.definition, r.exclusive) for r in cb.tree().rows]


def _everything(project: object) -> list[tuple[object, ...]]:
    cb = project.codebook  # type: ignore[attr-defined]
    out = []
    for r in cb.tree().rows:
        info = cb.get(r.path)
        out.append((r.path, r.depth, *(info[f] or None for f in FIELDS)))
    return out


def test_slash_in_a_name_is_never_a_level(project: object, tmp_path: Path) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    report = cb.import_file(write(tmp_path / "book.csv", BOOK))
    assert report.created == [
        "Positive change",
        "Positive change/optimism / positivity",
        "Positive change/optimism / positivity/cautious",
        "Positive change/work/life balance",
        "Negative change",
        "Negative change/loneliness",
    ]
    assert _tree(project) == [
        ("Positive change", 0, "Good things the pandemic brought.", True),
        ("Positive change/optimism / positivity", 1, "Hope about the future.", False),
        ("Positive change/optimism / positivity/cautious", 2, "", False),
        ("Positive change/work/life balance", 1, "", False),
        ("Negative change", 0, "", False),
        ("Negative change/loneliness", 1, "Feeling alone;\nisolated.", False),
    ]
    # names with '/' resolve by name, by exact path, and by path typed with loose spaces
    assert cb.get("optimism / positivity")["path"] == "Positive change/optimism / positivity"
    assert cb.get("work/life balance")["name"] == "work/life balance"
    assert cb.get("Positive change / work/life balance")["name"] == "work/life balance"
    # a name added through the API keeps its '/'
    assert cb.add("before/after") == "before/after"
    assert cb.get("before/after")["name"] == "before/after"


def test_parent_may_be_a_code_already_in_the_codebook(project: object, tmp_path: Path) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("Org")
    cb.add("Pay", "Org")
    book = write(tmp_path / "more.csv", "name,parent\nBenefits/perks,Org/Pay\nRota,Org\n")
    assert cb.import_file(book).created == ["Org/Pay/Benefits/perks", "Org/Rota"]
    assert [(r.path, r.depth) for r in cb.tree().rows] == [
        ("Org", 0),
        ("Org/Pay", 1),
        ("Org/Pay/Benefits/perks", 2),
        ("Org/Rota", 1),
    ]


def test_path_column_with_an_explicit_separator(project: object, tmp_path: Path) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    book = write(tmp_path / "paths.csv", "path,memo\nWork > work/life balance,m\nWork > Pay,\n")
    created = cb.import_file(book, path_separator=" > ").created
    assert created == ["Work", "Work/work/life balance", "Work/Pay"]
    assert cb.get("work/life balance")["memo"] == "m"
    with pytest.raises(InputError, match="a path separator only applies to a table without"):
        cb.import_file(write(tmp_path / "n.csv", "name\nX\n"), path_separator=">")


def test_clashing_paths_are_refused(project: object) -> None:
    from thematica.core.errors import ConflictError

    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("A")
    cb.add("B/C", "A")  # the path A/B/C, with a "/" inside a name
    cb.add("A/B")
    # C under the top-level "A/B" would also be A/B/C: two codes that no path could tell apart
    with pytest.raises(ConflictError, match="already has the path 'A/B/C'"):
        cb.add("C", "A/B")
    assert cb.get("A/B/C")["name"] == "B/C"
    assert cb.get("B/C")["path"] == "A/B/C"  # the unique name finds it too


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".docx", ".yaml"])
def test_round_trip_through_every_format(
    project: object, tmp_path: Path, db_url: str, suffix: str
) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.import_file(write(tmp_path / "book.csv", BOOK))
    cb.update("loneliness", sem_level="individual", colour="#1B9E77", origin="inductive")
    out = files.write_codebook(project, tmp_path / f"out{suffix}")
    other_url = db_url if "://" in db_url else str(tmp_path / "other.db")
    with thematica.init_project(other_url, "copy") as copy:
        copy.codebook.import_file(out)
        assert _everything(copy) == _everything(project)


def test_word_codebook_written_by_hand(project: object, tmp_path: Path) -> None:
    """A team's own Word table, with the headers such tables usually have."""
    from docx import Document

    doc = Document()
    doc.add_paragraph("Our codebook, version 3")
    grid = doc.add_table(rows=1, cols=3)
    for cell, text in zip(grid.rows[0].cells, ["Code", "Parent code", "Description"], strict=True):
        cell.text = text
    for values in [("Stigma", "", "Being judged."), ("self/other", "Stigma", "Whose view.")]:
        for cell, text in zip(grid.add_row().cells, values, strict=True):
            cell.text = text
    doc.save(tmp_path / "book.docx")
    cb = project.codebook  # type: ignore[attr-defined]
    assert cb.import_file(tmp_path / "book.docx").created == ["Stigma", "Stigma/self/other"]
    assert cb.get("self/other")["definition"] == "Whose view."
    Document().save(tmp_path / "empty.docx")
    with pytest.raises(InputError, match=r"empty\.docx: the document has no table"):
        cb.import_file(tmp_path / "empty.docx")


def test_codebook_table_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, db2 = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    for path in (db, db2):
        thematica.init_project(path, "study").close()
    book = write(tmp_path / "paths.csv", "path\nWork > work/life balance\n")
    done = run_cli(capsys, "codebook", "import", book, "--path-separator", " > ", "--db", db)
    assert done.code == 0 and "2 code(s) added" in done.err
    added = run_cli(capsys, "codebook", "add", "either/or", "--db", db)
    assert "note: 'either/or' is one code; to make a subcode, use --parent" in added.err
    assert run_cli(capsys, "codebook", "export", tmp_path / "b.docx", "--db", db).code == 0
    assert run_cli(capsys, "codebook", "import", tmp_path / "b.docx", "--db", db2).code == 0
    with thematica.open_project(db2) as p:
        assert [r.path for r in p.codebook.tree().rows] == [
            "Work",
            "Work/work/life balance",
            "either/or",
        ]
