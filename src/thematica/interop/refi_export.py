"""Writing REFI-QDA ``.qdpx`` projects and ``.qdc`` codebooks from the plain dataclasses.

Strict, per NOTES.md §8: elements in XSD sequence order, ``project.qde`` plus a lowercase
``sources/`` folder (deflate), one UTF-8 ``.txt`` without BOM per text source named
``<guid>.txt``, code-point offsets with an exclusive end over exactly that text, ``#rrggbb``
colours, no empty containers. Thematica-only fields (code inclusion/exclusion/example, origin,
SEM level; coder kind; attribute type; project settings) travel in ``<?thematica {json}?>``
processing instructions, which XSD validation and other tools ignore. The XML is streamed into
the archive with ``lxml.etree.xmlfile``; the archive is written to a temporary file beside the
target and renamed into place.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from thematica.core.errors import InputError
from thematica.interop.refi_import import (
    PI_TARGET,
    RefiCode,
    RefiProject,
    RefiSet,
)

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


def _pi(data: dict[str, Any]) -> Any:
    """ASCII-only JSON: any text in it (a speaker label with U+FFFE, say) stays XML-safe."""
    body = json.dumps(data, ensure_ascii=True, sort_keys=True).replace("?>", "?\\u003e")
    return etree.ProcessingInstruction(PI_TARGET, body)


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters other than tab/LF/CR)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff"))


def _code_el(ns: str, code: RefiCode, with_notes: bool) -> Any:
    attrs = {"guid": code.guid, "name": code.name, "isCodable": "true" if code.codable else "false"}
    if code.colour:
        attrs["color"] = code.colour.upper()
    el = etree.Element(f"{{{ns}}}Code", attrs)
    extra = {k: v for k, v in code.extra.items() if v and not k.startswith("_")}
    if extra:
        el.append(_pi(extra))
    if code.description:
        etree.SubElement(el, f"{{{ns}}}Description").text = _clean(code.description)
    if with_notes:
        for ref in code.note_refs:
            etree.SubElement(el, f"{{{ns}}}NoteRef", targetGUID=ref)
    for child in code.children:
        el.append(_code_el(ns, child, with_notes))
    return el


def _finish(tmp: str, path: Path) -> Path:
    from thematica.exporters.atomic import finish_atomic

    return finish_atomic(tmp, path)


def _temp_beside(path: Path) -> tuple[int, str]:
    from thematica.exporters.atomic import temp_beside  # follows the umask, unlike mkstemp

    return temp_beside(path)


def write_qdc(codes: list[RefiCode], sets: list[RefiSet], path: str | Path, origin: str) -> Path:
    """Write a ``.qdc`` codebook file atomically."""
    from thematica.exporters.atomic import write_atomic

    return write_atomic(path, qdc_bytes(codes, sets, origin))


def qdc_bytes(codes: list[RefiCode], sets: list[RefiSet], origin: str) -> bytes:
    """A REFI-QDA codebook (``.qdc``) document."""
    root = etree.Element(
        f"{{{CODEBOOK_NS}}}CodeBook", {"origin": origin}, nsmap={None: CODEBOOK_NS}
    )
    codes_el = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    for code in codes:
        codes_el.append(_code_el(CODEBOOK_NS, code, with_notes=False))
    real_sets = [s for s in sets if s.codes]
    if real_sets:
        sets_el = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Sets")
        for s in real_sets:
            se = etree.SubElement(sets_el, f"{{{CODEBOOK_NS}}}Set", guid=s.guid, name=s.name)
            if s.description:
                etree.SubElement(se, f"{{{CODEBOOK_NS}}}Description").text = _clean(s.description)
            for m in s.codes:
                etree.SubElement(se, f"{{{CODEBOOK_NS}}}MemberCode", guid=m)
    if not codes:
        raise InputError("the codebook is empty; a .qdc needs at least one code")
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return data


def write_qdpx(
    p: RefiProject, path: str | Path, source_times: dict[str, str] | None = None
) -> Path:
    """Write ``p`` as a ``.qdpx``; selections are stored-text (code point) offsets."""
    path = Path(path)
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for src in p.sources:
                zf.writestr(f"sources/{src.guid}.txt", src.text.encode("utf-8"))
            with zf.open("project.qde", "w", force_zip64=True) as fh:
                _write_qde(p, fh)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        return _finish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_qde(p: RefiProject, fh: Any) -> None:
    ns = PROJECT_NS

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}"

    def write_all(xf: Any, elems: Iterable[Any]) -> None:
        for e in elems:
            xf.write(e)

    with etree.xmlfile(fh, encoding="utf-8") as xf:
        xf.write_declaration()
        attrs = {"name": p.name, "origin": p.origin}
        if p.creating_user:
            attrs["creatingUserGUID"] = p.creating_user
        with xf.element(q("Project"), attrs, nsmap={None: ns}):
            if p.extra:
                xf.write(_pi(p.extra))
            if p.users:
                with xf.element(q("Users")):
                    for u in p.users:
                        el = etree.Element(q("User"), guid=u.guid, name=u.name)
                        if u.extra:
                            el.append(_pi(u.extra))
                        xf.write(el)
            if p.codes:
                with xf.element(q("CodeBook")), xf.element(q("Codes")):
                    write_all(xf, (_code_el(ns, c, True) for c in p.codes))
            if p.variables:
                with xf.element(q("Variables")):
                    for v in p.variables:
                        el = etree.Element(
                            q("Variable"), guid=v.guid, name=v.name, typeOfVariable=v.kind
                        )
                        if v.extra:
                            el.append(_pi(v.extra))
                        if v.description:
                            etree.SubElement(el, q("Description")).text = _clean(v.description)
                        xf.write(el)
            var_kind = {v.guid: v.kind for v in p.variables}

            def values(el: Any, vals: list[tuple[str, str | None]]) -> None:
                for key, raw in vals:
                    if raw is None:
                        continue
                    vv = etree.SubElement(el, q("VariableValue"))
                    etree.SubElement(vv, q("VariableRef"), targetGUID=key)
                    etree.SubElement(vv, q(f"{var_kind.get(key, 'Text')}Value")).text = _clean(raw)

            if p.cases:
                with xf.element(q("Cases")):
                    for c in p.cases:
                        el = etree.Element(q("Case"), guid=c.guid, name=c.name or "")
                        if c.description:
                            etree.SubElement(el, q("Description")).text = _clean(c.description)
                        values(el, c.values)
                        for s in c.sources:
                            etree.SubElement(el, q("SourceRef"), targetGUID=s)
                        xf.write(el)
            if p.sources:
                with xf.element(q("Sources")):
                    for src in p.sources:
                        el = etree.Element(
                            q("TextSource"),
                            guid=src.guid,
                            name=src.name,
                            plainTextPath=f"internal://{src.guid}.txt",
                        )
                        if src.extra:  # timed turns (interop/refi_turns.py)
                            el.append(_pi(src.extra))
                        if src.description:
                            etree.SubElement(el, q("Description")).text = _clean(src.description)
                        for sel in src.selections:
                            se = etree.SubElement(
                                el,
                                q("PlainTextSelection"),
                                guid=sel.guid,
                                name=_clean(src.text[sel.start : sel.end][:40]),
                                startPosition=str(sel.start),
                                endPosition=str(sel.end),
                            )
                            if sel.description:
                                etree.SubElement(se, q("Description")).text = _clean(
                                    sel.description
                                )
                            for cod in sel.codings:
                                ce = etree.SubElement(
                                    se, q("Coding"), guid=cod.guid, creatingUser=cod.user or ""
                                )
                                if cod.extra:
                                    ce.append(_pi(cod.extra))
                                etree.SubElement(ce, q("CodeRef"), targetGUID=cod.code)
                                for n in cod.note_refs:
                                    etree.SubElement(ce, q("NoteRef"), targetGUID=n)
                            for n in sel.note_refs:
                                etree.SubElement(se, q("NoteRef"), targetGUID=n)
                        for n in src.note_refs:
                            etree.SubElement(el, q("NoteRef"), targetGUID=n)
                        values(el, src.values)
                        xf.write(el)
                        el.clear()
            if p.notes:
                with xf.element(q("Notes")):
                    for note in p.notes:
                        attrs = {"guid": note.guid, "name": note.name}
                        if note.user:
                            attrs["creatingUser"] = note.user
                        el = etree.Element(q("Note"), attrs)
                        if note.extra:
                            el.append(_pi(note.extra))
                        etree.SubElement(el, q("PlainTextContent")).text = _clean(note.text)
                        xf.write(el)
            sets = [s for s in p.sets if s.codes or s.sources or s.notes]
            if sets:
                with xf.element(q("Sets")):
                    for refi_set in sets:
                        el = etree.Element(q("Set"), guid=refi_set.guid, name=refi_set.name)
                        if refi_set.description:
                            description = _clean(refi_set.description)
                            etree.SubElement(el, q("Description")).text = description
                        for m in refi_set.codes:
                            etree.SubElement(el, q("MemberCode"), targetGUID=m)
                        for m in refi_set.sources:
                            etree.SubElement(el, q("MemberSource"), targetGUID=m)
                        for m in refi_set.notes:
                            etree.SubElement(el, q("MemberNote"), targetGUID=m)
                        xf.write(el)
            for n in p.project_note_refs:
                xf.write(etree.Element(q("NoteRef"), targetGUID=n))
