"""The codebook service: edits, history, versions, files and templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from svc_helpers import count_rows, write

import thematica
from thematica import ConflictError, InputError, NotFoundError
from thematica.core.codebook import FIELDS
from thematica.exporters import project_files as files
from thematica.store import schema as t

TEMPLATE = "sem-harm-reduction-workforce"


def _paths(project: object) -> list[str]:
    return [r.path for r in project.codebook.tree().rows]  # type: ignore[attr-defined]


def _full(project: object) -> list[dict[str, object]]:
    cb = project.codebook  # type: ignore[attr-defined]
    out = []
    for path in _paths(project):
        info = cb.get(path)
        out.append({"path": info["path"], **{f: info[f] or None for f in FIELDS}})
    return out


def test_add_update_rename_move_remove(project: object, tmp_path: Path) -> None:
    p = project
    cb = p.codebook
    assert (
        cb.add("Organizational", sem_level="Organizational", colour="#AABBCC") == "Organizational"
    )
    assert cb.add(
        "Staffing", "Organizational", definition="Too few staff.", origin="deductive"
    ) == ("Organizational/Staffing")
    assert cb.add("Pay", "Organizational") == "Organizational/Pay"
    assert cb.add("Wellbeing") == "Wellbeing"
    with pytest.raises(ConflictError, match="already exists"):
        cb.add("staffing", "Organizational")
    with pytest.raises(NotFoundError, match="no code 'Nowhere'"):
        cb.add("X", "Nowhere")

    info = cb.get("Staffing")  # unique names resolve without the path
    assert (info["path"], info["definition"], info["origin"]) == (
        "Organizational/Staffing",
        "Too few staff.",
        "deductive",
    )
    assert cb.get("Organizational")["colour"] == "#aabbcc"
    assert cb.get("Organizational")["sem_level"] == "organizational"

    cb.update("Organizational/Staffing", definition="Not enough staff for the work.")
    cb.update("Organizational/Pay", name="Compensation")
    cb.move("Organizational/Compensation", "Wellbeing")
    assert _paths(p) == [
        "Organizational",
        "Organizational/Staffing",
        "Wellbeing",
        "Wellbeing/Compensation",
    ]
    with pytest.raises(InputError, match="under itself"):
        cb.move("Organizational", "Organizational/Staffing")

    write(tmp_path / "d.txt", "Interviewer: we are short of staff\n")
    p.documents.import_files([tmp_path / "d.txt"])
    p.coding.apply("d", "Organizational/Staffing", 13, 34, coder="alex")
    with pytest.raises(ConflictError, match="1 codings"):
        cb.remove("Organizational")
    assert len(_paths(p)) == 4
    assert p.coding.count() == 1
    assert cb.remove("Organizational", force=True) == 1
    assert _paths(p) == ["Wellbeing", "Wellbeing/Compensation"]
    assert p.coding.count() == 0

    history = [(r.action, r.path, r.field, r.old, r.new) for r in cb.history().rows]
    assert history == [
        ("create", "Organizational", None, None, None),
        ("create", "Organizational/Staffing", None, None, None),
        ("create", "Organizational/Pay", None, None, None),
        ("create", "Wellbeing", None, None, None),
        (
            "update",
            "Organizational/Staffing",
            "definition",
            "Too few staff.",
            "Not enough staff for the work.",
        ),
        ("rename", "Organizational/Pay", "name", "Pay", "Compensation"),
        ("move", "Organizational/Compensation", "parent", "Organizational", "Wellbeing"),
        ("delete", "Organizational/Staffing", None, None, None),
        ("delete", "Organizational", None, None, None),
    ]


def test_freeze_and_compare(project: object) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("A")
    cb.add("B")
    cb.add("C", "A", definition="first")
    cb.add("Gone")
    assert cb.freeze("v1", "before the pilot") == 4
    with pytest.raises(ConflictError, match="'v1' already exists"):
        cb.freeze("v1")
    with pytest.raises(InputError):
        cb.freeze("current")
    cb.update("A/C", definition="second")
    cb.update("B", name="Bee")
    cb.move("A/C", "Bee")
    cb.add("New")
    cb.remove("Gone")
    changes = {(c.change, c.path, c.field, c.old, c.new) for c in cb.compare("v1").rows}
    assert changes == {
        ("renamed", "Bee", "name", "B", "Bee"),
        ("moved", "Bee/C", "parent", "A", "Bee"),
        ("changed", "Bee/C", "definition", "first", "second"),
        ("added", "New", None, None, None),
        ("removed", "Gone", None, None, None),
    }
    cb.freeze("v2")
    assert [(v.version, v.codes, v.note) for v in cb.versions().rows] == [
        ("v1", 4, "before the pilot"),
        ("v2", 4, ""),
    ]
    assert len(cb.compare("v2", "current").rows) == 0
    assert {c.change for c in cb.compare("v2", "v1").rows} == {
        "renamed",
        "moved",
        "changed",
        "added",
        "removed",
    }
    with pytest.raises(NotFoundError, match="no codebook version named 'v9'"):
        cb.compare("v9")


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_export_import_round_trip(db_url: str, tmp_path: Path, fmt: str) -> None:
    with thematica.init_project(db_url, "source") as src:
        src.codebook.apply_template(TEMPLATE)
        src.codebook.add("Inductive, with comma", "Individual", origin="inductive", memo='a "q"')
        src.codebook.update("Individual", example="Line one\nline two")
        exported = files.write_codebook(src, tmp_path / f"book.{fmt}")
        expected = _full(src)
    with thematica.init_project(db_url, "copy") as dst:
        report = dst.codebook.import_file(exported)
        assert report.created == [row["path"] for row in expected]
        assert _full(dst) == expected
        # importing again changes nothing
        again = dst.codebook.import_file(exported)
        assert (again.created, again.updated) == ([], [])


def test_template_loads_four_levels(project: object) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    assert TEMPLATE in cb.templates()
    report = cb.apply_template(TEMPLATE)
    tree = cb.tree().rows
    top = [(r.name, r.sem_level) for r in tree if r.depth == 0]
    assert top == [
        ("Individual", "individual"),
        ("Interpersonal", "interpersonal"),
        ("Organizational", "organizational"),
        ("Community", "community"),
    ]
    assert len(report.created) == len(tree) == 21
    # every code has a definition and the SEM level of its top-level ancestor
    level = {r.name: r.sem_level for r in tree if r.depth == 0}
    for r in tree:
        assert r.definition.strip(), r.path
        assert r.sem_level == level[r.path.split("/")[0]], r.path
    assert "Organizational/Receiving resources and benefits from the organization/Staffing" in [
        r.path for r in tree
    ]
    with pytest.raises(NotFoundError, match="no template"):
        cb.apply_template("nope")


BAD_CODEBOOKS = [
    ("bad.yaml", "codes:\n  - name: A\n    children: [\n", "not valid YAML"),
    ("nocodes.yaml", "name: x\n", "top-level 'codes:'"),
    ("level.yaml", "codes:\n  - name: A\n    sem_level: galaxy\n", "unknown SEM level"),
    ("levels.yaml", "sem_levels: [cosmic]\ncodes: []\n", "SEM levels this project lacks"),
    ("colour.yaml", "codes:\n  - name: Fine\n  - name: A\n    colour: red\n", "colour must look"),
    ("origin.yaml", "codes:\n  - name: A\n    origin: dreamt\n", "origin must be"),
    ("twice.yaml", "codes:\n  - name: A\n  - name: a\n", "appears twice"),
    ("colour.csv", "path,colour\nNew,#12345\n", "row 2: colour must look like"),
    ("cols.csv", "path,shade\nNew,#123456\n", "unknown columns shade"),
    ("cycle.csv", "name,parent\nA,B\nB,A\n", "row 2: code 'A' is its own ancestor"),
    ("orphan.csv", "name,parent\nA,Nowhere\n", "parent 'Nowhere' is neither a code"),
    ("twice.csv", "name,parent\nA,\na,\n", "code 'a' is listed twice \\(rows 2 and 3\\)"),
    ("mismatch.csv", "path,name,parent\nX/A,A,\n", "path 'X/A' does not match"),
    ("parentless.csv", "path,parent\nA,B\n", "a 'parent' column needs a 'name' column"),
    ("alias.csv", "name,Code\nA,B\n", "column 'name' appears twice \\(or under two names\\)"),
    ("book.qdc", "<xml/>", "not a REFI-QDA codebook"),
    ("evil.qdc", '<!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE or entity"),
    ("notes.txt", "codes: []", "expected a .yaml, .yml, .csv, .xlsx, .docx or .qdc codebook"),
]


def test_bad_codebook_files_change_nothing(project: object, tmp_path: Path) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("Existing", colour="#123456")
    before = (_full(project), count_rows(project, t.codebook_change))
    for name, content, message in BAD_CODEBOOKS:
        with pytest.raises(InputError, match=message):
            cb.import_file(write(tmp_path / name, content))
        assert (_full(project), count_rows(project, t.codebook_change)) == before, name


def test_bad_fields_through_the_api_change_nothing(project: object) -> None:
    cb = project.codebook  # type: ignore[attr-defined]
    cb.add("A", sem_level="individual")
    before = _full(project)
    with pytest.raises(InputError, match="unknown SEM level"):
        cb.add("B", sem_level="planetary")
    with pytest.raises(InputError, match="colour"):
        cb.update("A", colour="#12")
    with pytest.raises(InputError, match="unknown code field"):
        cb.update("A", shade="#123456")
    assert _full(project) == before


def test_custom_sem_levels_per_project(db_url: str) -> None:
    with thematica.init_project(db_url, "custom", sem_levels=["micro", "macro"]) as p:
        p.codebook.add("Big", sem_level="Macro")
        assert p.codebook.get("Big")["sem_level"] == "macro"
        with pytest.raises(InputError, match="this project has: micro, macro"):
            p.codebook.add("Org", sem_level="organizational")
        with pytest.raises(InputError, match="SEM levels this project lacks"):
            p.codebook.apply_template(TEMPLATE)
        assert _paths(p) == ["Big"]
