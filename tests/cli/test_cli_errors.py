"""Every user error: exit code 2, one 'error:' line on stderr, no traceback, nothing changed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ok, user_error

import thematica
from thematica import CodingInput

TEXT = "Interviewer: How is staffing?\n\nP1: Staffing is short. Pay is low.\n"


def _project(tmp_path: Path) -> Path:
    """A SQLite project with one document, one case, a code and alex's coding (built in-process)."""
    db = tmp_path / "study.db"
    (tmp_path / "P01.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "people.csv").write_text("id,lived_experience\nP01,yes\n", encoding="utf-8")
    with thematica.init_project(db, "study") as p:
        p.cases.import_table(tmp_path / "people.csv", id_column="id")
        p.documents.import_files([tmp_path / "P01.txt"], case="P01")
        p.codebook.add("Staffing")
        p.codebook.add("Pay")
        p.coding.apply_many([CodingInput("P01", "Staffing", 35, 53)], coder="alex")
    return db


def _state(db: Path) -> tuple[object, ...]:
    with thematica.open_project(db) as p:
        return (
            [(d.name, d.characters, d.turns, d.codings) for d in p.documents.list().rows],
            [(c.case, c.attributes) for c in p.cases.list().rows],
            [r.path for r in p.codebook.tree().rows],
            p.coding.count(),
            len(p.audit_log(limit=1000).rows),
        )


def _inputs(tmp_path: Path) -> dict[str, Path]:
    bad = tmp_path / "bad"
    bad.mkdir()
    files = {
        "binary": bad / "P02.txt",
        "encoding": bad / "P03.txt",
        "docx": bad / "P04.docx",
        "dup_cases": bad / "people.csv",
        "coding": bad / "codings.csv",
        "coding_cols": bad / "codings2.csv",
        "yaml": bad / "book.yaml",
    }
    files["binary"].write_bytes(b"\x00\x01\x02\x03PNG\x00\x00\xff\xfe" * 50)
    # valid neither as UTF-8 nor cp1252 (0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned there)
    files["encoding"].write_bytes(b"caf\xe9 \x81\x8d\x8f\x90\x9d")
    with zipfile.ZipFile(files["docx"], "w") as zf:  # a zip, but not a Word document
        zf.writestr("hello.txt", "not word")
    files["dup_cases"].write_text("id,role\nP05,Peer\nP06,Peer\nP05,Lead\n", encoding="utf-8")
    # the first row is fine; the second quote is not in the text, so nothing may be applied
    files["coding"].write_text(
        "document,code,quote\nP01,Pay,Pay is low.\nP01,Pay,Compensation is poor\n",
        encoding="utf-8",
    )
    files["coding_cols"].write_text("doc,code,start,end\nP01,Pay,55,66\n", encoding="utf-8")
    files["yaml"].write_text("codes:\n  - name: New\n    colour: red\n", encoding="utf-8")
    return files


def test_user_errors_are_one_line_and_change_nothing(
    cli: Callable[..., Any], cli_many: Callable[..., Any], tmp_path: Path
) -> None:
    db = _project(tmp_path)
    f = _inputs(tmp_path)
    before = _state(db)
    listing = ok(cli("documents", "list", "--db", db, "--format", "json")).stdout
    d = ["--db", str(db)]
    # the user errors the issue names, each through the real command in its own process
    checks: list[tuple[tuple[object, ...], tuple[str, ...]]] = [
        (("query", "--db", tmp_path / "missing.db", "Staffing"), ("no Thematica database",)),
        (("documents", "list", *d, "--format", "xml"), ("'xml'", "--format")),
        (("query", *d, "--coder", "alex", "Nope"), ("no code 'Nope'",)),
        (("query", *d, "--coder", "alex", "Staffing AND"), ("position",)),
        (("query", *d, "--coder", "alex", "Staffing", "--where", "age > 3"), ("'age'",)),
        (("import", *d, f["binary"]), ("P02.txt", "binary")),
        (("import", *d, f["encoding"]), ("P03.txt", "decode")),
        (("import", *d, tmp_path / "nowhere.txt"), ("nowhere.txt",)),
        (("import", *d, f["docx"]), ("P04.docx",)),
        (("cases", "import", *d, f["dup_cases"], "--id-column", "id"), ("'P05' appears twice",)),
        (("code", *d, "--coder", "alex", "--from", f["coding"]), ("row 3", "not found")),
        # a good file and a bad one in one import: neither lands
        (("import", *d, tmp_path / "P02-good.txt", f["binary"]), ("P02.txt",)),
    ]
    (tmp_path / "P02-good.txt").write_text("Interviewer: fine\n", encoding="utf-8")
    results = cli_many([args for args, _ in checks])
    for (args, fragments), result in zip(checks, results, strict=True):
        user_error(result, *fragments)
        assert str(args[0]) in result.args[3:]
    assert not (tmp_path / "missing.db").exists()
    assert _state(db) == before
    after = ok(cli("documents", "list", "--db", db, "--format", "json")).stdout
    assert hashlib.sha256(after.encode()).digest() == hashlib.sha256(listing.encode()).digest()
    assert json.loads(after)[0]["codings"] == 1


def test_several_projects_need_project_option(cli: Callable[..., Any], tmp_path: Path) -> None:
    db = _project(tmp_path)
    thematica.init_project(db, "second").close()
    user_error(cli("documents", "list", "--db", db), "2 projects", "--project")
    listed = ok(cli("documents", "list", "--db", db, "--project", "study", "--format", "json"))
    assert [d["name"] for d in json.loads(listed.stdout)] == ["P01"]
    user_error(cli("documents", "list", "--db", db, "--project", "third"), "'third'")


def test_more_user_errors_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same contract for the rest, through ``run`` (the entry point minus the process)."""
    from thematica.cli.main import run

    db = _project(tmp_path)
    f = _inputs(tmp_path)
    before = _state(db)
    d = ["--db", str(db)]
    checks: list[tuple[list[str], tuple[str, ...]]] = [
        (["query", *d, "--coder", "alex", "--format", "yaml", "Staffing"], ("--format",)),
        (["cases", "describe", *d, "--format", "pdf"], ("--format must be",)),
        (["cases", "describe", *d, "--format", "docx"], ("--output",)),
        (["query", *d, "--coder", "alex", "(Staffing OR Pay"], ()),
        (["query", *d, "--coder", "alex", "Staffing", "--where", "lived_experience"], ()),
        (["query", *d, "--coder", "kim", "Staffing"], ("no coder named 'kim'",)),
        (["query", *d, "Staffing", "--bogus"], ("--bogus", "thematica query --help")),
        (["query", *d], ("Missing argument",)),
        (["search", *d, '"unbalanced'], ("unbalanced",)),
        (["cases", "import", *d, str(f["dup_cases"]), "--id-column", "pid"], ("'pid'",)),
        (["code", *d, "--coder", "alex", "--from", str(f["coding_cols"])], ("'document'",)),
        (["code", *d, "--coder", "alex", "--from", str(tmp_path / "none.csv")], ("none.csv",)),
        (["code", *d, "--coder", "alex", "--document", "P01", "--code", "Pay"], ("--start",)),
        (["codebook", "import", *d, str(f["yaml"])], ("colour",)),
        (["codebook", "remove", *d, "Staffing"], ("1 codings",)),
        (["init", *d], ("already has a project named 'study'",)),
        (["documents", "remove", *d, "P01"], ("--yes",)),
        (["import", *d, str(tmp_path), "--max-size", "0"], ("--max-size",)),
        (["documents", "list", "--db", "nosuchdriver://x/y"], ()),
    ]
    for argv, fragments in checks:
        code = run(argv)
        out, err = capsys.readouterr()
        lines = err.splitlines()
        assert code == 2, (argv, err)
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
        assert all(fragment in lines[0] for fragment in fragments), (argv, lines[0])
        assert out == "", argv
    assert _state(db) == before
