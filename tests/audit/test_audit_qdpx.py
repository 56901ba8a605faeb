"""``qdpx import`` records the imported codebook as the project's first codebook version, and
the person importing as its owner and as the actor of its audit entries."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

import thematica
from thematica.core.errors import PermissionDenied
from thematica.services.interop import import_qdpx

SOURCE = "33333333-3333-4333-8333-333333333333"
QDE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="tiny" origin="test">'
    '<Users><User guid="11111111-1111-4111-8111-111111111111" name="ann"/></Users>'
    "<CodeBook><Codes>"
    '<Code guid="22222222-2222-4222-8222-222222222222" name="Work" isCodable="true">'
    '<Code guid="22222222-2222-4222-8222-222222222223" name="Staffing" isCodable="true"/>'
    "</Code>"
    '<Code guid="22222222-2222-4222-8222-222222222224" name="Pay" isCodable="true"/>'
    "</Codes></CodeBook>"
    f'<Sources><TextSource guid="{SOURCE}" name="doc" plainTextPath="internal://{SOURCE}.txt"/>'
    "</Sources></Project>"
)


def tiny_qdpx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", QDE)
        zf.writestr(f"sources/{SOURCE}.txt", "hello world")
    return path


def test_import_saves_the_codebook_as_a_first_version(db_url: str, tmp_path: Path) -> None:
    report = import_qdpx(db_url, tiny_qdpx(tmp_path / "tiny.qdpx"), actor="pat")
    with thematica.open_project(db_url, report.project, actor="pat") as p:
        versions = p.codebook.versions().rows
        assert [(v.version, v.codes) for v in versions] == [("imported from tiny.qdpx", 3)]
        # nothing changed since: comparing the version with the codebook finds no change
        assert p.codebook.compare("imported from tiny.qdpx").rows == []
        log = [(r.actor, r.action, r.detail) for r in p.audit_log(limit=None)]
        assert log[0][:2] == ("pat", "import_qdpx")
        assert log[0][2]["codebook_version"] == "imported from tiny.qdpx"
        assert log[1] == (
            "pat",
            "freeze_codebook",
            {"version": "imported from tiny.qdpx", "codes": 3},
        )
        # the importer owns the project: others are not members
        assert [(m.user, m.role) for m in p.members.list()] == [("pat", "owner")]
    eve = thematica.open_project(db_url, report.project, actor="eve")
    with eve, pytest.raises(PermissionDenied):
        eve.codebook.add("Burnout")


@pytest.mark.shared
def test_a_real_export_imports_with_its_version(shared_data: Path, tmp_path: Path) -> None:
    sample = shared_data / "refi-qda" / "samples" / "nvivo-mac-15.0_qc-project.qdpx"
    if not sample.is_file():
        pytest.skip(f"{sample.name} is not among the shared samples")
    with zipfile.ZipFile(sample) as zf:
        qde = next(n for n in zf.namelist() if n.endswith(".qde"))
        root = etree.fromstring(zf.read(qde))
    codes = int(root.xpath("count(//q:CodeBook//q:Code)", namespaces={"q": root.nsmap[None]}))
    db = tmp_path / "nv.db"
    report = import_qdpx(str(db), sample, actor="pat")
    with thematica.open_project(str(db), report.project, actor="pat") as p:
        (version,) = p.codebook.versions().rows
        assert version.version == f"imported from {sample.name}"
        assert version.codes == codes == len(p.codebook.tree().rows)
