"""Helpers for the REFI-QDA tests: building small .qdpx files and independent counts."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

NS = {"q": "urn:QDA-XML:project:1.0"}
U = "11111111-1111-4111-8111-111111111111"
C = "22222222-2222-4222-8222-222222222222"
S = "33333333-3333-4333-8333-333333333333"


def make_qdpx(path: Path, qde: str | bytes, files: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def project_xml(selections: str = "", text: str = "hello world", extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="test">'
        f'<Users><User guid="{U}" name="ann"/></Users>'
        f'<CodeBook><Codes><Code guid="{C}" name="A" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{S}" name="doc" plainTextPath="internal://{S}.txt">'
        f"{selections}</TextSource></Sources>{extra}</Project>"
    ), text


def selection(guid: str, start: int, end: int, code: str = C, name: str = "") -> str:
    return (
        f'<PlainTextSelection guid="{guid}" name="{name}" startPosition="{start}" '
        f'endPosition="{end}"><Coding guid="{guid[:-4]}aaaa" creatingUser="{U}">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".qde"))
        return etree.fromstring(zf.read(name))


def expected_counts(root: etree._Element) -> dict[str, int]:
    def n(xpath: str) -> int:
        return int(root.xpath(f"count({xpath})", namespaces=NS))

    return {
        "sources": n("//q:Sources/q:TextSource"),
        "codes": n("//q:CodeBook//q:Code"),
        "codings": n("//q:TextSource//q:Coding"),
        "users": n("//q:Users/q:User"),
        "cases": n("//q:Cases/q:Case"),
        "variables": n("//q:Variables/q:Variable"),
    }
