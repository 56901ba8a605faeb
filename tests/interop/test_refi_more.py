"""REFI-QDA: cases with typed variable values, sets, notes (NoteRef and Links), and a round trip
of a project with sets and case variables. The .qdpx files are built here with lxml + zipfile
and checked against the official XSD before they are imported."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lxml import etree
from sqlalchemy import insert, select

import thematica
from thematica.exporters import project_files as files
from thematica.services.interop import import_qdpx
from thematica.store import schema as t

NS = "urn:QDA-XML:project:1.0"
XSD = Path("refi-qda/schema/Project-mrt2019.xsd")


def _g(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


U1, U2 = _g(1), _g(2)
C1, C2, C3 = _g(11), _g(12), _g(13)
V_TEXT, V_BOOL, V_INT, V_FLOAT, V_DATE = _g(21), _g(22), _g(23), _g(24), _g(25)
K1, K2 = _g(31), _g(32)
S1, S2 = _g(41), _g(42)
SEL1, SEL2, COD1, COD2 = _g(51), _g(52), _g(53), _g(54)
N1, N2, N3, N4, N5, N6 = (_g(n) for n in range(61, 67))
L1, L2 = _g(71), _g(72)
SET1, SET2, SET3 = _g(81), _g(82), _g(83)
TEXT1 = "Hello peers, support matters.\n"
TEXT2 = "Stress: deadlines pile up \U0001f600 daily.\n"


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, q(tag), {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def value(parent: Any, var: str, kind: str, text: str) -> None:
    vv = sub(parent, "VariableValue")
    sub(vv, "VariableRef", targetGUID=var)
    sub(vv, f"{kind}Value", text)


def note(parent: Any, guid: str, name: str, text: str, user: str = U1) -> None:
    n = sub(parent, "Note", guid=guid, name=name, creatingUser=user)
    sub(n, "PlainTextContent", text)


def build_qde() -> bytes:
    root = etree.Element(q("Project"), {"name": "typed", "origin": "handmade"}, nsmap={None: NS})
    users = sub(root, "Users")
    sub(users, "User", guid=U1, name="ann")
    sub(users, "User", guid=U2, name="ben")
    codes = sub(sub(root, "CodeBook"), "Codes")
    support = sub(codes, "Code", guid=C1, name="Support", isCodable="true", color="#AA0000")
    sub(support, "Description", "Help from others")
    sub(support, "NoteRef", targetGUID=N1)
    sub(support, "Code", guid=C2, name="Peer", isCodable="true")
    sub(codes, "Code", guid=C3, name="Stress", isCodable="true")
    variables = sub(root, "Variables")
    for guid, name, kind in (
        (V_TEXT, "Role", "Text"),
        (V_BOOL, "Lived", "Boolean"),
        (V_INT, "Age", "Integer"),
        (V_FLOAT, "Score", "Float"),
        (V_DATE, "Interviewed", "Date"),
    ):
        sub(variables, "Variable", guid=guid, name=name, typeOfVariable=kind)
    cases = sub(root, "Cases")
    k1 = sub(cases, "Case", guid=K1, name="P1")
    sub(k1, "Description", "first participant")
    value(k1, V_TEXT, "Text", "Outreach worker")
    value(k1, V_BOOL, "Boolean", "true")
    value(k1, V_INT, "Integer", "34")
    value(k1, V_FLOAT, "Float", "2.5")
    value(k1, V_DATE, "Date", "2024-03-01")
    sub(k1, "SourceRef", targetGUID=S1)
    k2 = sub(cases, "Case", guid=K2, name="P2")
    value(k2, V_TEXT, "Text", "Manager")
    value(k2, V_BOOL, "Boolean", "false")
    value(k2, V_FLOAT, "Float", "-0.75")
    sub(k2, "SourceRef", targetGUID=S2)
    sources = sub(root, "Sources")
    for guid, name, (start, end), sel, cod, code, user in (
        (S1, "doc one", (6, 11), SEL1, COD1, C2, U1),
        (S2, "doc two", (0, 6), SEL2, COD2, C3, U2),
    ):
        src = sub(
            sources, "TextSource", guid=guid, name=name, plainTextPath=f"internal://{guid}.txt"
        )
        s = sub(src, "PlainTextSelection", guid=sel, startPosition=str(start), endPosition=str(end))
        c = sub(s, "Coding", guid=cod, creatingUser=user)
        sub(c, "CodeRef", targetGUID=code)
        if cod == COD1:
            sub(c, "NoteRef", targetGUID=N3)
        if guid == S1:
            sub(src, "NoteRef", targetGUID=N2)
    notes = sub(root, "Notes")
    note(notes, N1, "about Support", "Support covers peers and managers.")
    note(notes, N2, "about doc one", "Interview held outdoors.")
    note(notes, N3, "about a coding", "Clear example of peer support.", U2)
    note(notes, N4, "linked to doc two", "Second interview was rushed.")
    note(notes, N5, "linked to Stress", "Stress shows up late in interviews.")
    note(notes, N6, "project note", "Pilot study notes.")
    links = sub(root, "Links")
    sub(links, "Link", guid=L1, name="n4", originGUID=N4, targetGUID=S2)
    sub(links, "Link", guid=L2, name="n5", originGUID=C3, targetGUID=N5)
    sets = sub(root, "Sets")
    s1 = sub(sets, "Set", guid=SET1, name="Interviews")
    sub(s1, "Description", "all interviews")
    sub(s1, "MemberSource", targetGUID=S1)
    sub(s1, "MemberSource", targetGUID=S2)
    s2 = sub(sets, "Set", guid=SET2, name="Key codes")
    sub(s2, "MemberCode", targetGUID=C1)
    sub(s2, "MemberCode", targetGUID=C3)
    s3 = sub(sets, "Set", guid=SET3, name="Mixed")
    sub(s3, "MemberCode", targetGUID=C2)
    sub(s3, "MemberSource", targetGUID=S1)
    sub(root, "NoteRef", targetGUID=N6)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")  # type: ignore[no-any-return]


def schema(shared_data: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_data / XSD)))


def make(path: Path, shared_data: Path) -> Path:
    qde = build_qde()
    xsd = schema(shared_data)
    assert xsd.validate(etree.fromstring(qde)), xsd.error_log
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{S1}.txt", TEXT1.encode("utf-8"))
        zf.writestr(f"sources/{S2}.txt", TEXT2.encode("utf-8"))
    return path


def _memos(project: Any) -> dict[str, list[tuple[str, Any]]]:
    out: dict[str, list[tuple[str, Any]]] = {}
    with project.db.read() as conn:
        for r in conn.execute(select(t.memo).where(t.memo.c.project_id == project.id)):
            out.setdefault(r.text, []).append((r.target_type, r.target_id))
    return out


def _sets(project: Any) -> dict[str, tuple[str, str, set[str]]]:
    out = {}
    with project.db.read() as conn:
        docs = dict(
            conn.execute(
                select(t.document.c.id, t.document.c.name).where(
                    t.document.c.project_id == project.id
                )
            ).all()
        )
        index = project.codebook.index(conn)
        for s in conn.execute(select(t.doc_set).where(t.doc_set.c.project_id == project.id)):
            members = set(
                conn.scalars(
                    select(t.doc_set_member.c.member_id).where(t.doc_set_member.c.set_id == s.id)
                )
            )
            names = {docs[m] if s.member_type == "documents" else index.paths[m] for m in members}
            out[s.name] = (s.member_type, s.description, names)
    return out


def test_refi_more_cases_variables_sets_notes(
    db_url: str, tmp_path: Path, shared_data: Path
) -> None:
    path = make(tmp_path / "typed.qdpx", shared_data)
    report = import_qdpx(db_url, path)
    assert report.counts["cases"] == 2
    assert report.counts["variables"] == 5
    assert report.counts["notes"] == 6
    assert report.counts["sets"] == 3
    assert report.counts["codings"] == 2
    project = thematica.open_project(db_url, "typed")
    try:
        # typed attributes
        types = {a.name: a.type.value for a in project.cases.attribute_info()}
        assert types == {
            "Role": "categorical",
            "Lived": "boolean",
            "Age": "numeric",
            "Score": "numeric",
            "Interviewed": "date",
        }
        values = project.cases.values()
        assert values["P1"] == {
            "Role": "Outreach worker",
            "Lived": "yes",
            "Age": "34",
            "Score": "2.5",
            "Interviewed": "2024-03-01",
        }
        assert values["P2"] == {
            "Role": "Manager",
            "Lived": "no",
            "Age": None,
            "Score": "-0.75",
            "Interviewed": None,
        }
        frame = project.exports.cases_frame().set_index("case")
        assert frame.loc["P1", "Age"] == 34 and frame.loc["P2", "Age"] is pd.NA
        assert frame.loc["P2", "Score"] == -0.75
        assert frame.loc["P1", "Interviewed"] == pd.Timestamp("2024-03-01")
        assert frame.loc["P2", "Lived"] is False or not frame.loc["P2", "Lived"]
        docs = {r.name: r.case for r in project.documents.list()}
        assert docs == {"doc one": "P1", "doc two": "P2"}
        # codings land on the right text (the second source has an astral character after it)
        codings = project.exports.codings_frame(coder="all")
        got = {(r.document, r.code, r.coder, r.text) for r in codings.itertuples()}
        assert got == {
            ("doc one", "Support/Peer", "ann", "peers"),
            ("doc two", "Stress", "ben", "Stress"),
        }
        # sets: sources, codes, and a mixed set split in two
        sets = _sets(project)
        assert sets["Interviews"] == ("documents", "all interviews", {"doc one", "doc two"})
        assert sets["Key codes"] == ("codes", "", {"Support", "Stress"})
        assert sets["Mixed"][0] in ("documents", "codes")
        mixed = {k: v for k, v in sets.items() if k.startswith("Mixed")}
        assert {(v[0], frozenset(v[2])) for v in mixed.values()} == {
            ("documents", frozenset({"doc one"})),
            ("codes", frozenset({"Support/Peer"})),
        }
        # notes: via NoteRef on a code, a source, a coding, the project; via Links both ways
        memos = _memos(project)
        index = project.codebook.index()
        with project.db.read() as conn:
            doc_ids = dict(
                conn.execute(
                    select(t.document.c.name, t.document.c.id).where(
                        t.document.c.project_id == project.id
                    )
                ).all()
            )
            coding_id = conn.scalar(
                select(t.coding.c.id).where(
                    t.coding.c.project_id == project.id, t.coding.c.start == 6
                )
            )
        assert memos["Support covers peers and managers."] == [("code", index.resolve("Support"))]
        assert memos["Interview held outdoors."] == [("document", doc_ids["doc one"])]
        assert memos["Clear example of peer support."] == [("coding", coding_id)]
        assert memos["Second interview was rushed."] == [("document", doc_ids["doc two"])]
        assert memos["Stress shows up late in interviews."] == [("code", index.resolve("Stress"))]
        assert memos["Pilot study notes."] == [("project", None)]
        # the code's description and colour
        support = project.codebook.get("Support")
        assert support["definition"] == "Help from others"
        assert support["colour"].lower() == "#aa0000"
    finally:
        project.close()


def test_refi_more_round_trip_keeps_sets_and_variables(
    demo: Any, db_url: str, tmp_path: Path, shared_data: Path
) -> None:
    with demo.db.write() as conn:
        docs = list(
            conn.scalars(
                select(t.document.c.id)
                .where(t.document.c.project_id == demo.id)
                .order_by(t.document.c.name)
            )
        )
        index = demo.codebook.index(conn)
        sid = conn.execute(
            insert(t.doc_set).values(
                project_id=demo.id, name="Rural", description="rural sites", member_type="documents"
            )
        ).inserted_primary_key[0]
        conn.execute(insert(t.doc_set_member), [{"set_id": sid, "member_id": d} for d in docs[:3]])
        cid = conn.execute(
            insert(t.doc_set).values(
                project_id=demo.id, name="Focus", description="", member_type="codes"
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(t.doc_set_member),
            [{"set_id": cid, "member_id": c} for c in index.depth_first()[:4]],
        )
    out = tmp_path / "demo.qdpx"
    report = files.write_qdpx(demo, out)
    assert report.counts["sets"] == 2
    with zipfile.ZipFile(out) as zf:
        qde = etree.fromstring(zf.read("project.qde"))
    xsd = schema(shared_data)
    assert xsd.validate(qde), xsd.error_log
    import_qdpx(db_url, out, "again")
    again = thematica.open_project(db_url, "again")
    try:
        assert _sets(again) == _sets(demo)
        assert again.cases.values() == demo.cases.values()
        assert again.cases.attribute_info() == demo.cases.attribute_info()
        before, after = demo.exports.cases_frame(), again.exports.cases_frame()
        pd.testing.assert_frame_equal(before, after)
        pd.testing.assert_frame_equal(
            demo.exports.codings_frame(coder="all").drop(columns="id"),
            again.exports.codings_frame(coder="all").drop(columns="id"),
        )
    finally:
        again.close()


@pytest.mark.parametrize("kind", ["Integer", "Float", "Date", "Boolean"])
def test_refi_more_bad_typed_value_is_refused(
    kind: str, db_url: str, tmp_path: Path, shared_data: Path
) -> None:
    """A value that does not fit its variable's type is one clear error; nothing is written."""
    qde = build_qde().replace(b"<IntegerValue>34</IntegerValue>", b"<TextValue>n/a</TextValue>")
    qde = qde.replace(
        b'name="Age" typeOfVariable="Integer"', f'name="Age" typeOfVariable="{kind}"'.encode()
    )
    path = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{S1}.txt", TEXT1)
        zf.writestr(f"sources/{S2}.txt", TEXT2)
    from thematica.core.errors import ThematicaError

    with pytest.raises(ThematicaError) as info:
        import_qdpx(db_url, path)
    assert "\n" not in str(info.value) and "n/a" in str(info.value)
    from thematica.store import open_database

    database = open_database(db_url, create=True)
    try:
        with database.read() as conn:
            assert conn.scalar(select(t.project.c.id)) is None
    finally:
        database.dispose()
