"""REFI-QDA .qdpx/.qdc: real samples, positions, round trips, XSD validity, hostile files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from refi_helpers import C, S, U, expected_counts, make_qdpx, project_xml, qde_of, selection
from sqlalchemy import func, select

import thematica
from thematica.core.errors import InputError, ThematicaError
from thematica.exporters import project_files as files
from thematica.interop import positions
from thematica.interop.safezip import ZipLimits
from thematica.services.interop import import_qdpx
from thematica.store import schema as t

SAMPLES = [
    "atlasti-win-23.2_blank-atlas-project.qdpx",
    "atlasti-win-23.2_target-atlas-project.qdpx",
    "maxqda-24.7_ICLS_Conf_Themes_just10.qdpx",
    "nvivo-mac-12.7_OltasSzkepticizmus_17June.qdpx",
    "nvivo-mac-15.0_qc-project.qdpx",
    "nvivo-win-12.6_oltas.qdpx",
    "nvivo-win-12.6_oltas0517.qdpx",
    "qc-1.3.2_demo.qdpx",
]
#: Cross-check with samples/README.md (codes, codings).
README_COUNTS = {
    "nvivo-win-12.6_oltas0517.qdpx": (152, 303),
    "nvivo-mac-12.7_OltasSzkepticizmus_17June.qdpx": (152, 297),
    "maxqda-24.7_ICLS_Conf_Themes_just10.qdpx": (307, 0),
    "qc-1.3.2_demo.qdpx": (262, 205),
    "nvivo-win-12.6_oltas.qdpx": (60, 97),
}


@pytest.fixture(scope="module")
def refi(shared_data: Path) -> Path:
    return shared_data / "refi-qda"


def _xsd(refi: Path, name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(refi / "schema" / name)))


def _texts(db: str, project: str) -> list[tuple[str, str, str, str]]:
    p = thematica.open_project(db, project)
    try:
        with p.db.read() as conn:
            idx = p.codebook.index(conn)
            rows = conn.execute(
                select(
                    t.document.c.name,
                    t.document.c.text,
                    t.coding.c.start,
                    t.coding.c.end,
                    t.coding.c.code_id,
                    t.coder.c.name.label("coder"),
                )
                .join(t.document, t.document.c.id == t.coding.c.document_id)
                .join(t.coder, t.coder.c.id == t.coding.c.coder_id)
                .where(t.coding.c.project_id == p.id)
            ).all()
            return sorted(
                (r.name, idx.paths[r.code_id], r.coder, r.text[r.start : r.end]) for r in rows
            )
    finally:
        p.close()


def _guids(db: str, project: str) -> set[tuple[str, str]]:
    p = thematica.open_project(db, project)
    try:
        with p.db.read() as conn:
            return {
                (r.entity_type, r.guid.lower())
                for r in conn.execute(
                    select(t.external_id).where(t.external_id.c.project_id == p.id)
                )
            }
    finally:
        p.close()


@pytest.mark.parametrize("sample", SAMPLES)
def test_refi_sample_import_counts_and_round_trip(refi: Path, tmp_path: Path, sample: str) -> None:
    path = refi / "samples" / sample
    db = str(tmp_path / "s.db")
    report = import_qdpx(db, path, "first")
    want = expected_counts(qde_of(path))
    assert {k: report.counts[k] for k in want} == want
    if sample in README_COUNTS:
        assert (report.counts["codes"], report.counts["codings"]) == README_COUNTS[sample]
    p = thematica.open_project(db, "first")
    out = tmp_path / "again.qdpx"
    files.write_qdpx(p, out)
    p.close()
    _xsd(refi, "Project-mrt2019.xsd").assertValid(qde_of(out))
    again = import_qdpx(db, out, "second")
    assert {k: again.counts[k] for k in want} == want
    assert _texts(db, "first") == _texts(db, "second")
    p1 = thematica.open_project(db, "first")
    p2 = thematica.open_project(db, "second")
    assert [r.path for r in p1.codebook.tree().rows] == [r.path for r in p2.codebook.tree().rows]
    p1.close()
    p2.close()
    first, second = _guids(db, "first"), _guids(db, "second")
    assert {g for k, g in first if k in ("code", "document", "coder", "coding")} == {
        g for k, g in second if k in ("code", "document", "coder", "coding")
    }


def test_refi_nvivo_positions_land_on_same_text(refi: Path, tmp_path: Path) -> None:
    """Windows (UTF-16 units, CRLF as 2, BOM) and Mac (UTF-16 units, LF) exports agree."""
    db = str(tmp_path / "n.db")
    import_qdpx(db, refi / "samples" / "nvivo-win-12.6_oltas0517.qdpx", "win")
    import_qdpx(db, refi / "samples" / "nvivo-mac-12.7_OltasSzkepticizmus_17June.qdpx", "mac")
    win = {(path, text) for _d, path, _c, text in _texts(db, "win")}
    mac = {(path, text) for _d, path, _c, text in _texts(db, "mac")}
    assert len(win & mac) >= 280
    texts = [text for _p, text in win]
    assert "Szegény Hadas Krisztán is segített az oltás." in texts
    assert all(x == x.strip() or len(x) > 0 for x in texts)


def test_refi_positions_constructed_utf16_crlf(tmp_path: Path) -> None:
    raw = "Intro 😀😀 line\r\nSecond 😀 target word here\r\nEnd"
    target = "target word"
    cp = raw.index(target)
    u16 = len(raw[:cp].encode("utf-16-le")) // 2
    sels = [(u16, u16 + len(target), "")]
    view = positions.choose(raw, sels, "NVivo for Windows 12.6")
    s, e = view.span(*sels[0][:2])  # type: ignore[misc]
    assert view.stored[s:e] == target
    # ATLAS.ti: code points, CRLF counted once, preview in the name
    lf = raw.replace("\r\n", "\n")
    cp_lf = lf.index(target)
    view = positions.choose(raw, [(cp_lf, cp_lf + len(target), "target wo…")], "ATLAS.ti 23")
    s, e = view.span(cp_lf, cp_lf + len(target))  # type: ignore[misc]
    assert view.stored[s:e] == target
    # an unknown tool counting UTF-16 is detected from the boundaries
    view = positions.choose(raw, [(u16, u16 + len(target), "")] * 3, "Other")
    assert view.reading.utf16


def test_refi_import_constructed_file_with_bom_crlf_emoji(tmp_path: Path) -> None:
    text = "\ufeffA 😀 line\r\nthe coded bit\r\n"
    start = len("A 😀 line\r\n".encode("utf-16-le")) // 2
    qde, _ = project_xml(selection("44444444-4444-4444-8444-444444444444", start, start + 13))
    qde = qde.replace('origin="test"', 'origin="NVivo for Windows 12.6"')
    f = make_qdpx(tmp_path / "c.qdpx", qde, {f"Sources/{S}.txt": text.encode("utf-8")})
    db = str(tmp_path / "c.db")
    import_qdpx(db, f)
    assert [x[3] for x in _texts(db, "t")] == ["the coded bit"]


def test_refi_demo_export_validates_and_round_trips(
    demo: object, refi: Path, tmp_path: Path
) -> None:
    out = tmp_path / "demo.qdpx"
    report = files.write_qdpx(demo, out)  # type: ignore[attr-defined]
    root = qde_of(out)
    _xsd(refi, "Project-mrt2019.xsd").assertValid(root)
    out2 = tmp_path / "demo2.qdpx"
    files.write_qdpx(demo, out2)  # type: ignore[attr-defined]
    assert etree.tostring(qde_of(out2)) == etree.tostring(root)  # stable GUIDs
    with zipfile.ZipFile(out) as zf:
        assert all(n == "project.qde" or n.startswith("sources/") for n in zf.namelist())
    url = demo.db.url  # type: ignore[attr-defined]
    back = import_qdpx(url, out, "back")
    for key in ("codes", "codings", "users", "cases", "variables", "sources"):
        assert back.counts[key] == report.counts[key], key
    assert _texts(url, "back") == _texts(url, demo.name)  # type: ignore[attr-defined]
    p = thematica.open_project(url, "back")
    assert p.cases.values() == demo.cases.values()  # type: ignore[attr-defined]
    assert len(p.memos.list().rows) >= len(demo.memos.list().rows)  # type: ignore[attr-defined]
    specs = {r.path: r for r in p.codebook.tree().rows}
    for r in demo.codebook.tree().rows:  # type: ignore[attr-defined]
        assert specs[r.path] == r
    p.close()


def test_refi_qdc_import_and_export(project: object, refi: Path, tmp_path: Path) -> None:
    rep = project.codebook.import_file(refi / "samples" / "taguette-1.4.1_codebook.qdc")  # type: ignore[attr-defined]
    assert len(rep.created) == 3
    project.codebook.add("Parent")  # type: ignore[attr-defined]
    project.codebook.add(
        "Child", parent="Parent", definition="def", inclusion="inc", colour="#aabbcc"
    )  # type: ignore[attr-defined]
    out = tmp_path / "cb.qdc"
    files.write_codebook(project, out)  # type: ignore[attr-defined]
    _xsd(refi, "Codebook-mrt2019.xsd").assertValid(etree.parse(str(out)))
    specs = project.codebook.read_file(out)  # type: ignore[attr-defined]
    child = next(s for s in specs if s.name == "Parent").children[0]
    assert (child.definition, child.inclusion, child.colour) == ("def", "inc", "#aabbcc")


# -- hostile files ------------------------------------------------------------------------
def _snapshot(db: str) -> tuple[int, ...]:
    from thematica.store import open_database

    d = open_database(db)
    try:
        with d.read() as conn:
            return tuple(
                conn.scalar(select(func.count()).select_from(tab)) or 0
                for tab in (t.project, t.document, t.code, t.coding, t.coder, t.external_id)
            )
    finally:
        d.dispose()


def _hostile(tmp_path: Path, name: str, build) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    db = str(tmp_path / f"h-{name}-{len(list(tmp_path.iterdir()))}.db")
    thematica.init_project(db, "existing").close()
    before = _snapshot(db)
    f = build(tmp_path / f"{name}.qdpx")
    with pytest.raises(ThematicaError) as err:
        import_qdpx(db, f)
    assert _snapshot(db) == before
    msg = str(err.value)
    assert "\n" not in msg
    return db, msg


def _ok_text() -> dict[str, bytes]:
    return {f"sources/{S}.txt": b"hello world"}


def test_refi_hostile_xxe_and_doctype(tmp_path: Path) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
    )
    _, msg = _hostile(tmp_path, "xxe", lambda p: make_qdpx(p, xxe))
    assert "DOCTYPE" in msg
    lol = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>'
    )
    _, msg = _hostile(tmp_path, "lol", lambda p: make_qdpx(p, lol))
    assert "DOCTYPE" in msg


def test_refi_hostile_deep_xml(tmp_path: Path) -> None:
    deep = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="d">'
        + "<a>" * 500
        + "</a>" * 500
        + "</Project>"
    )
    _, msg = _hostile(tmp_path, "deep", lambda p: make_qdpx(p, deep))
    assert "deeper" in msg


def test_refi_hostile_zip_paths(tmp_path: Path) -> None:
    qde, _ = project_xml()
    for bad in ("../evil.txt", "/abs.txt", "sources/../../x.txt", "C:/x.txt"):
        _, msg = _hostile(tmp_path, "slip", lambda p, b=bad: make_qdpx(p, qde, {b: b"x"}))
        assert bad in msg

    def symlink(p: Path) -> Path:
        make_qdpx(p, qde, _ok_text())
        with zipfile.ZipFile(p, "a") as zf:
            info = zipfile.ZipInfo("sources/link.txt")
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
        return p

    _, msg = _hostile(tmp_path, "sym", symlink)
    assert "symbolic link" in msg


def test_refi_hostile_zip_bomb(tmp_path: Path) -> None:
    qde, _ = project_xml()
    f = make_qdpx(tmp_path / "bomb.qdpx", qde, {f"sources/{S}.txt": b"0" * (20 * 1024 * 1024)})
    with pytest.raises(InputError, match="compression ratio"):
        from thematica.interop.refi_import import read_qdpx

        read_qdpx(f)
    with pytest.raises(InputError, match="more than"):
        read_qdpx(f, ZipLimits(max_entry_bytes=1000, max_ratio=1e9))
    with pytest.raises(InputError, match="more than"):
        read_qdpx(f, ZipLimits(max_total_bytes=1000, max_ratio=1e9))


def test_refi_hostile_not_zip_and_missing_qde(tmp_path: Path) -> None:
    _, msg = _hostile(tmp_path, "nz", lambda p: (p.write_bytes(b"not a zip"), p)[1])
    assert "not a zip" in msg
    _, msg = _hostile(tmp_path, "nq", lambda p: make_qdpx(p, "x") and _drop_qde(p))
    assert "project.qde" in msg


def _drop_qde(p: Path) -> Path:
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("sources/a.txt", "x")
    return p


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("dangling", "not a Code"),
        ("duplicate", "used twice"),
        ("outside", "outside its text"),
        ("backwards", "outside its text"),
    ],
)
def test_refi_hostile_references_and_positions(tmp_path: Path, case: str, needle: str) -> None:
    g = "55555555-5555-4555-8555-555555555555"
    sel = {
        "dangling": selection(g, 0, 5, code="66666666-6666-4666-8666-666666666666"),
        "duplicate": selection(g, 0, 5) + selection(g, 0, 3),
        "outside": selection(g, 3, 500),
        "backwards": selection(g, 5, 2),
    }[case]
    qde, text = project_xml(sel)
    _, msg = _hostile(
        tmp_path, case, lambda p: make_qdpx(p, qde, {f"sources/{S}.txt": text.encode()})
    )
    assert needle in msg


def test_refi_import_is_atomic_on_both_backends(db_url: str, tmp_path: Path) -> None:
    thematica.init_project(db_url, "existing").close()
    before = _snapshot(db_url)
    qde, text = project_xml(selection("55555555-5555-4555-8555-555555555555", 3, 500))
    f = make_qdpx(tmp_path / "bad.qdpx", qde, {f"sources/{S}.txt": text.encode()})
    with pytest.raises(InputError):
        import_qdpx(db_url, f)
    assert _snapshot(db_url) == before
    qde, text = project_xml(selection("55555555-5555-4555-8555-555555555555", 6, 11))
    ok = make_qdpx(tmp_path / "ok.qdpx", qde, {f"sources/{S}.txt": text.encode()})
    report = import_qdpx(db_url, ok)
    assert report.counts["codings"] == 1
    assert [x[3] for x in _texts(db_url, "t")] == ["world"]


def test_refi_cli_import_json_and_export(tmp_path: Path) -> None:
    from thematica.cli.main import run

    qde, text = project_xml(selection("55555555-5555-4555-8555-555555555555", 6, 11))
    ok = make_qdpx(tmp_path / "ok.qdpx", qde, {f"sources/{S}.txt": text.encode()})
    db = str(tmp_path / "c.db")
    assert run(["qdpx", "import", "--db", db, str(ok), "--format", "json"]) == 0
    assert run(["qdpx", "export", "--db", db, str(tmp_path / "o.qdpx")]) == 0
    assert (tmp_path / "o.qdpx").exists()
    assert run(["qdpx", "import", "--db", db, str(tmp_path / "nope.qdpx")]) == 2
    assert json and U and C
