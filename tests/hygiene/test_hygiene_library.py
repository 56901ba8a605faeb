"""A library a long-running server can host: no garbage-collector tuning, no file writing and
no command-line wording in the service layer."""

from __future__ import annotations

import ast
import gc
import re
from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.cli.hints import HINTS, cli_message
from thematica.core.errors import ConflictError, InputError, NotFoundError

SRC = Path(thematica.__file__).resolve().parent
#: the layers a web app calls; none of them may word errors for a terminal
LIBRARY = ("core", "services", "stats", "interop", "importers", "store")


def _python_files(*layers: str) -> list[Path]:
    return sorted(p for layer in layers for p in (SRC / layer).rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant in a module but its docstrings (f-string parts included)."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def _calls(path: Path) -> list[tuple[int, str]]:
    """Every call written as ``a.b(...)`` or ``b(...)``, by its dotted name."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                base = func.value.id if isinstance(func.value, ast.Name) else "?"
                out.append((node.lineno, f"{base}.{func.attr}"))
            elif isinstance(func, ast.Name):
                out.append((node.lineno, func.id))
    return out


# -- the garbage collector ------------------------------------------------------------------
def test_no_gc_tuning_outside_the_cli_entry_point() -> None:
    tuning = {"gc.freeze", "gc.disable", "gc.set_threshold", "gc.unfreeze", "gc.enable"}
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "cli" / "main.py"
        for line, name in _calls(path)
        if name in tuning
    ]
    assert found == []


def test_opening_and_importing_leave_the_collector_alone(db_url: str, tmp_path: Path) -> None:
    from thematica.exporters.project_files import write_qdpx
    from thematica.services.interop import import_qdpx

    frozen, enabled, thresholds = gc.get_freeze_count(), gc.isenabled(), gc.get_threshold()
    with thematica.init_project(db_url, "first") as p:
        p.codebook.add("Greeting")
        (tmp_path / "P1.txt").write_text("hello there", encoding="utf-8")
        p.documents.import_files([tmp_path / "P1.txt"])
        p.coding.apply("P1", "Greeting", 0, 5, coder="ann")
        write_qdpx(p, tmp_path / "p.qdpx")
    with thematica.open_project(db_url, "first") as p:
        assert p.coding.count() == 1
    report = import_qdpx(db_url, tmp_path / "p.qdpx", "second")
    assert report.counts["codings"] == 1
    assert (gc.get_freeze_count(), gc.isenabled(), gc.get_threshold()) == (
        frozen,
        enabled,
        thresholds,
    )


# -- services return data -------------------------------------------------------------------
def test_services_write_no_files() -> None:
    writers = {
        "write_atomic",
        "open_atomic",
        "write_csv_rows",
        "write_qdc",
        "write_qdpx",
        "write_table_docx",
        "write_saturation_plot",
        "write_xlsx",
        "?.write_text",
        "?.write_bytes",
        "?.savefig",
        "?.mkdir",
        "?.to_csv",
        "?.to_excel",
    }
    found = []
    for path in _python_files("services", "core", "stats"):
        for line, name in _calls(path):
            short = name.split(".")[-1]
            if name in writers or short in writers or f"?.{short}" in writers:
                if short == "to_csv" and path.name == "exports.py":
                    continue  # frame_to_csv writes into an in-memory buffer
                found.append(f"{path.relative_to(SRC)}:{line} {name}")
        text = path.read_text("utf-8")
        for match in re.finditer(r"open\([^)]*[\"'][wax]b?[\"']", text):
            found.append(f"{path.relative_to(SRC)}: {match.group(0)}")
    assert found == []


def test_rendering_writes_nothing_and_exporters_write_the_same_bytes(
    project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thematica.exporters import project_files as files

    project.codebook.add("Greeting", definition="saying hello")
    project.codebook.add("Warm", parent="Greeting")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yaml = project.codebook.render("yaml")
    qdc = project.codebook.render("qdc")
    xlsx = project.codebook.render("xlsx")
    table = project.exports.render("codebook", "csv")
    assert list(work.iterdir()) == []  # nothing written, not even a temporary file
    assert isinstance(yaml, bytes) and b"Greeting" in yaml and b"saying hello" in yaml
    assert qdc.startswith(b"<?xml") and b'name="Warm"' in qdc
    assert xlsx[:2] == b"PK"  # a zip container
    assert table.decode("utf-8").splitlines()[0].startswith("path,")
    out = files.write_codebook(project, work / "book.yaml")
    assert out.read_bytes() == yaml
    out = files.write_export(project, "codebook", work / "codebook.csv")
    assert out.read_bytes() == table
    with pytest.raises(InputError, match="does not exist"):
        files.write_codebook(project, work / "missing" / "book.yaml")
    with pytest.raises(InputError, match=r"book\.txt: choose a \.yaml"):
        files.write_codebook(project, work / "book.txt")
    assert sorted(p.name for p in work.iterdir()) == ["book.yaml", "codebook.csv"]


def test_report_renders_to_bytes_and_markdown_figures_beside_it(
    project: Any, tmp_path: Path
) -> None:
    from thematica.exporters import project_files as files

    source = tmp_path / "P1.txt"
    source.write_text("Interviewer: Hi.\nParticipant 1: Staffing is short.\n")
    project.documents.import_files([source])
    out = tmp_path / "out"
    out.mkdir()
    project.codebook.add("Staffing", sem_level="organizational")
    project.coding.apply("P1", "Staffing", 30, 50, coder="ann")
    project.themes.add("Short staffing", "organizational", codes=["Staffing"])
    rendered = project.reports.render("md", stem="draft", coder="ann")
    assert rendered.format == "md" and rendered.content.startswith(b"# ")
    assert set(rendered.files) == {"draft.sem.png", "draft.saturation.png"}
    assert rendered.files["draft.sem.png"][:4] == b"\x89PNG"
    assert list(out.iterdir()) == []
    result = files.write_report(project, out / "draft.md", coder="ann")
    assert result.state_hash == rendered.state_hash
    assert (out / "draft.md").read_bytes() == rendered.content
    figures = ["draft.saturation.png", "draft.sem.png"]
    assert sorted(p.name for p in out.iterdir()) == ["draft.md", *figures]
    assert sorted(p.name for p in result.files) == figures


# -- errors are worded for any face -------------------------------------------------------
def test_library_messages_name_no_cli_flags_or_commands() -> None:
    flag = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
    command = re.compile(r"['\"(]thematica [a-z]")
    found = []
    for path in _python_files(*LIBRARY):
        if "migrations" in path.parts or path.name == "settings.py":
            continue  # frozen history; the report settings file documents its flags
        for line, value in _strings(path):
            if flag.search(value) or command.search(value):
                found.append(f"{path.relative_to(SRC)}:{line} {value!r}")
    assert found == []


def test_every_hint_a_service_gives_has_cli_wording() -> None:
    used = set()
    for path in _python_files(*LIBRARY):
        used |= set(re.findall(r"hint=\"([a-z_]+)\"", path.read_text("utf-8")))
    assert used, "the services give hints"
    assert sorted(used - set(HINTS)) == []


def test_structured_detail_and_the_cli_wording(db_url: str, tmp_path: Path) -> None:
    thematica.init_project(db_url, "alpha").close()
    thematica.init_project(db_url, "beta").close()
    with pytest.raises(InputError) as exc:
        thematica.open_project(db_url)
    assert str(exc.value).endswith("holds 2 projects (alpha, beta); choose one")
    assert exc.value.detail == {"choices": ["alpha", "beta"], "hint": "project"}
    assert cli_message(exc.value) == f"{exc.value} (--project)"
    with thematica.open_project(db_url, "alpha") as p:
        p.codebook.add("Greeting")
        (tmp_path / "P1.txt").write_text("hello there", encoding="utf-8")
        p.documents.import_files([tmp_path / "P1.txt"])
        p.coding.apply("P1", "Greeting", 0, 5, coder="ann")
        p.coding.apply("P1", "Greeting", 6, 11, coder="bob")
        with pytest.raises(InputError) as exc:
            p.coding.list()
        assert str(exc.value) == (
            "this project has 2 coders (ann, bob) and no consensus layer: choose which to read"
        )
        assert exc.value.detail == {"choices": ["ann", "bob"], "hint": "coder"}
        with pytest.raises(ConflictError) as conflict:
            p.codebook.remove("Greeting")
        assert conflict.value.detail == {"code": "Greeting", "codings": 2, "hint": "force"}
        assert "--" not in str(conflict.value)
        with pytest.raises(NotFoundError) as missing:
            p.consensus.status()
        assert missing.value.detail == {"hint": "consensus_start"}
        assert p.coding.count() == 2  # the refused removal changed nothing


def test_cli_words_the_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    db = str(tmp_path / "two.db")
    thematica.init_project(db, "alpha").close()
    thematica.init_project(db, "beta").close()
    assert run(["documents", "list", "--db", db]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {db} holds 2 projects (alpha, beta); choose one (--project)\n"
    empty = str(tmp_path / "empty.db")
    from thematica.store import open_database

    open_database(empty, create=True).dispose()
    assert run(["documents", "list", "--db", empty]) == 2
    assert capsys.readouterr().err.endswith(
        "has no project yet; create one with 'thematica init'\n"
    )


def test_cli_message_without_a_hint_is_the_message() -> None:
    assert cli_message(InputError("bad value")) == "bad value"
    assert cli_message(InputError("bad value", hint="no-such-hint")) == "bad value"
    assert (
        cli_message(NotFoundError("gone", hint="init")) == "gone; create one with 'thematica init'"
    )
    assert (
        cli_message(NotFoundError("old", hint="upgrade", database="s.db"))
        == "old; run 'thematica upgrade --db s.db'"
    )
