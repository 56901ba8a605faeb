"""Reading REFI-QDA files (``.qdpx`` projects, ``.qdc`` codebooks) into plain dataclasses.

Tolerant of what real tools write (NOTES.md §8: any single ``*.qde``, ``sources/`` in any case,
namespace variants, bare paths, missing optional parts) and strict about what makes a file
unsafe or meaningless: DTDs and entities, unsafe zip entries, oversize data, duplicate GUIDs,
references to GUIDs that do not exist, and text positions outside the text. Nothing here
touches the database. The dataclasses it builds are in :mod:`refi_model` and the element helpers
in :mod:`refi_xml`; both are re-exported here for existing callers.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from thematica.core.errors import InputError
from thematica.interop import guids, positions, safexml
from thematica.interop.refi_model import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSet,
    RefiSource,
    RefiUser,
    RefiVariable,
)
from thematica.interop.refi_xml import (
    CODEBOOK_NS_PREFIX,
    PI_TARGET,
    PROJECT_NS_PREFIX,
    GuidIndex,
    colour_of,
    kid,
    kids,
    local,
    parse_int,
    pi_data,
    read_codes,
    text_of,
)
from thematica.interop.safezip import DEFAULT_ZIP_LIMITS, SafeZip, ZipLimits, check_name

#: Names callers have always imported from here; the model and helpers live in their own modules.
__all__ = [
    "CODEBOOK_NS_PREFIX",
    "PI_TARGET",
    "PROJECT_NS_PREFIX",
    "SOURCE_KINDS",
    "RefiCase",
    "RefiCode",
    "RefiCoding",
    "RefiNote",
    "RefiProject",
    "RefiSelection",
    "RefiSet",
    "RefiSource",
    "RefiUser",
    "RefiVariable",
    "colour_of",
    "kid",
    "kids",
    "local",
    "parse_qdc",
    "pi_data",
    "read_qdc",
    "read_qdpx",
    "text_of",
]


# -- codebooks ----------------------------------------------------------------------------
def parse_qdc(data: bytes, label: str) -> tuple[list[RefiCode], list[RefiSet], str]:
    """A ``.qdc`` codebook: (code tree, code sets, origin). Accepts Taguette's empty <Sets/>."""
    root = safexml.parse(data, label)
    ns = etree.QName(root).namespace or ""
    if local(root) != "CodeBook" or not ns.startswith(CODEBOOK_NS_PREFIX):
        raise InputError(f"{label}: not a REFI-QDA codebook (root is {local(root) or '?'})")
    g = GuidIndex(root, label)
    codes_el = kid(root, "Codes")
    codes = read_codes(codes_el, True) if codes_el is not None else []
    sets = []
    sets_el = kid(root, "Sets")
    for s in kids(sets_el, "Set") if sets_el is not None else []:
        members = [
            g.ref(m.get("guid"), ("Code",), "a code set member") for m in kids(s, "MemberCode")
        ]
        sets.append(
            RefiSet(
                guids.bare(s.get("guid", "")),
                s.get("name") or "",
                text_of(kid(s, "Description")),
                codes=members,
            )
        )
    return codes, sets, root.get("origin") or ""


def read_qdc(path: str | Path) -> tuple[list[RefiCode], list[RefiSet], str]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size > safexml.DEFAULT_XML_LIMITS.max_bytes:
        raise InputError(f"{path.name}: codebook file too large")
    return parse_qdc(path.read_bytes(), path.name)


# -- projects -----------------------------------------------------------------------------
class _ProjectReader:
    """Reads ``project.qde`` as a stream: each part of the project is turned into dataclasses
    as soon as its element ends, and the element is then dropped, so the XML tree never holds
    more than one source (or one small top-level part) at a time."""

    def __init__(self, archive: SafeZip, label: str) -> None:
        self.zip = archive
        self.label = label
        self.g = GuidIndex(None, label)
        self.p = RefiProject(name="")
        self.done: set[str] = set()
        self.sources_el: Any = None
        self.raw_links: list[tuple[str | None, str | None, str | None, str | None]] = []
        self.graphs = False
        self.all_note_refs: list[str | None] = []
        self.ref_keys: dict[str | None, str] = {}
        self.user_keys: dict[str | None, str] = {}

    def user(self, raw: str | None, where: str) -> str | None:
        if not raw:
            return None
        return self.g.later(raw, ("User",), where)

    def run(self, events: Any) -> RefiProject:
        p, g = self.p, self.g
        root: Any = None
        parts = {
            "Users": self._users,
            "CodeBook": self._codebook,
            "Variables": self._variables,
            "Cases": self._cases,
            "Notes": self._notes,
            "Links": self._links,
            "Sets": self._sets,
        }
        for event, elem, depth in events:
            if event == "start":
                if depth == 1:
                    root = elem
                    ns = etree.QName(root).namespace or ""
                    if local(root) != "Project" or not ns.startswith(PROJECT_NS_PREFIX):
                        raise InputError(
                            f"{self.label}: not a REFI-QDA project (root is {local(root) or '?'})"
                        )
                    p.name = (root.get("name") or "").strip()
                    p.origin = root.get("origin") or ""
                g.add(elem)
                if depth == 2 and self.sources_el is None and local(elem) == "Sources":
                    self.sources_el = elem
                tag = elem.tag
                if isinstance(tag, str) and tag.endswith("NoteRef") and local(elem) == "NoteRef":
                    self.all_note_refs.append(elem.get("targetGUID"))
                continue
            if depth == 3 and self.sources_el is not None and elem.getparent() is self.sources_el:
                if isinstance(elem.tag, str):
                    self._source(elem)
                elem.clear()
                self.sources_el.remove(elem)
            elif depth == 2:
                name = local(elem)
                if name == "NoteRef":
                    p.project_note_refs.append(
                        g.later(elem.get("targetGUID"), ("Note",), "the project's NoteRef")
                    )
                    continue
                if name == "Graphs":
                    self.graphs = True
                elif name in parts and name not in self.done:
                    parts[name](elem)
                self.done.add(name)
                if elem is not self.sources_el:
                    elem.clear()
                    root.remove(elem)
        p.extra = pi_data(root)
        g.finish()
        self._finish_links()
        if self.graphs:
            p.skipped.append(("graphs", "network diagrams are not supported"))
        for ref in self.all_note_refs:
            g.ref(ref, ("Note",), "a NoteRef")
        creating = root.get("creatingUserGUID")
        if creating and guids.norm(creating) in g.kinds:
            p.creating_user = guids.norm(creating)
        return p

    def _users(self, users: Any) -> None:
        for u in kids(users, "User"):
            self.p.users.append(
                RefiUser(
                    guids.bare(u.get("guid")),
                    (u.get("name") or u.get("id") or "").strip(),
                    pi_data(u),
                )
            )

    def _codebook(self, book: Any) -> None:
        codes_el = kid(book, "Codes")
        self.p.codes = read_codes(codes_el, True) if codes_el is not None else []
        self._check_code_notes(self.p.codes)

    def _variables(self, variables: Any) -> None:
        for v in kids(variables, "Variable"):
            self.p.variables.append(
                RefiVariable(
                    guids.bare(v.get("guid")),
                    (v.get("name") or "").strip(),
                    v.get("typeOfVariable") or "Text",
                    text_of(kid(v, "Description")),
                    pi_data(v),
                )
            )

    def _cases(self, cases: Any) -> None:
        p = self.p
        for c in kids(cases, "Case"):
            case = RefiCase(
                guids.bare(c.get("guid")),
                (c.get("name") or "").strip() or None,
                text_of(kid(c, "Description")),
                self._values(c, "a case"),
            )
            case.sources = [
                self.g.later(s.get("targetGUID"), SOURCE_KINDS, "a case's SourceRef")
                for s in kids(c, "SourceRef")
            ]
            if kids(c, "SelectionRef") or kids(c, "CodeRef"):
                p.skipped.append(
                    (
                        f"case {case.name or case.guid}",
                        "SelectionRef/CodeRef members are not supported; only whole sources",
                    )
                )
            p.cases.append(case)

    def _notes(self, notes: Any) -> None:
        for n in kids(notes, "Note"):
            self.p.notes.append(
                RefiNote(
                    guids.bare(n.get("guid")),
                    n.get("name") or "",
                    self._text(n, f"note {n.get('name') or n.get('guid')}"),
                    self.user(n.get("creatingUser"), "a note's creatingUser"),
                    pi_data(n),
                )
            )

    def _links(self, links: Any) -> None:
        self.raw_links = [
            (
                link.get("originGUID"),
                link.get("targetGUID"),
                link.get("name"),
                link.get("guid"),
            )
            for link in kids(links, "Link")
        ]

    def _finish_links(self) -> None:
        p, kinds = self.p, self.g.kinds
        for origin, target, name, guid in self.raw_links:
            o, t = guids.norm(origin), guids.norm(target)
            if kinds.get(o) == "Note" and t in kinds:
                p.links.append((o, t))
            elif kinds.get(t) == "Note" and o in kinds:
                p.links.append((t, o))
            else:
                p.skipped.append(
                    (
                        f"link {name or guid}",
                        "links between objects other than notes are not supported",
                    )
                )

    def _sets(self, sets: Any) -> None:
        g = self.g
        for s in kids(sets, "Set"):
            self.p.sets.append(
                RefiSet(
                    guids.bare(s.get("guid")),
                    (s.get("name") or "").strip(),
                    text_of(kid(s, "Description")),
                    codes=[
                        g.later(m.get("targetGUID"), ("Code",), "a set's MemberCode")
                        for m in kids(s, "MemberCode")
                    ],
                    sources=[
                        g.later(m.get("targetGUID"), SOURCE_KINDS, "a set's MemberSource")
                        for m in kids(s, "MemberSource")
                    ],
                    notes=[
                        g.later(m.get("targetGUID"), ("Note",), "a set's MemberNote")
                        for m in kids(s, "MemberNote")
                    ],
                )
            )

    def _check_code_notes(self, codes: list[RefiCode]) -> None:
        for c in codes:
            self._check_code_notes(c.children)

    def _values(self, elem: Any, where: str) -> list[tuple[str, str | None]]:
        out = []
        for vv in kids(elem, "VariableValue"):
            ref = kid(vv, "VariableRef")
            key = self.g.later(
                ref.get("targetGUID") if ref is not None else None,
                ("Variable",),
                f"a VariableValue in {where}",
            )
            value = None
            for c in vv:
                if isinstance(c.tag, str) and local(c).endswith("Value"):
                    value = text_of(c).strip()
            out.append((key, value))
        return out

    def _read_internal(self, path: str, what: str) -> bytes | None:
        """Bytes of a source file named by ``path``, or None (recorded as skipped)."""
        if path.startswith("internal://"):
            rel = path[len("internal://") :].lstrip("/")
        elif "://" in path:
            self.p.skipped.append((what, f"its file {path} is outside the archive; not read"))
            return None
        else:
            rel = path  # qc writes a bare file name
        check_name(rel, self.label)
        name = PurePosixPath(rel).name
        for candidate in (f"sources/{rel}", f"sources/{name}", rel):
            stored = self.zip.find(candidate)
            if stored:
                return self.zip.read(stored)
        self.p.skipped.append((what, f"its file {path} is missing from the archive"))
        return None

    def _text(self, elem: Any, what: str) -> str:
        """The raw (un-normalised) plain text of a TextSource-like element, '' if none."""
        content = kid(elem, "PlainTextContent")
        if content is not None:
            return text_of(content)
        path = elem.get("plainTextPath")
        if not path:
            return ""
        data = self._read_internal(path, what)
        if data is None:
            return ""
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            from thematica.importers.decode import decode_bytes

            text, _enc = decode_bytes(data, path)
            return text

    def _coding(self, c: Any, where: str) -> RefiCoding:
        ref = kid(c, "CodeRef")
        raw = ref.get("targetGUID") if ref is not None else None
        # the same few code and user GUIDs recur in every coding: one checked key each
        code = self.ref_keys.get(raw)
        if code is None:
            code = self.g.later(raw, ("Code",), f"a Coding in {where}")
            self.ref_keys[raw] = code
        raw_user = c.get("creatingUser")
        user = self.user_keys.get(raw_user)
        if user is None:
            user = self.user(raw_user, f"a Coding in {where}")
            if user is not None:
                self.user_keys[raw_user] = user
        return RefiCoding(
            guids.bare(c.get("guid")),
            code,
            user,
            [guids.norm(n.get("targetGUID")) for n in kids(c, "NoteRef")],
            pi_data(c),
        )

    def _source(self, s: Any) -> None:
        kind = local(s)
        name = (s.get("name") or "").strip()
        what = f"{kind} {name or s.get('guid')}"
        text_el: Any = None
        if kind == "TextSource":
            text_el = s
        elif kind == "PDFSource":
            text_el = kid(s, "Representation")
            if kids(s, "PDFSelection"):
                self.p.skipped.append(
                    (what, f"{len(kids(s, 'PDFSelection'))} PDF region selection(s) not supported")
                )
        elif kind in ("AudioSource", "VideoSource"):
            text_el = kid(s, "Transcript")
            n_media = len(kids(s, "AudioSelection")) + len(kids(s, "VideoSelection"))
            if n_media:
                self.p.skipped.append((what, f"{n_media} media selection(s) not supported"))
        elif kind == "PictureSource":
            text_el = kid(s, "TextDescription")
            if kids(s, "PictureSelection"):
                self.p.skipped.append(
                    (
                        what,
                        f"{len(kids(s, 'PictureSelection'))} picture region(s) not supported",
                    )
                )
        else:
            self.p.skipped.append((what, "unknown source type"))
            return
        if text_el is None or (
            kid(text_el, "PlainTextContent") is None and not text_el.get("plainTextPath")
        ):
            self.p.skipped.append(
                (what, f"{kind} without a plain-text representation; not imported")
            )
            return
        raw = self._text(text_el, what)
        if text_el.get("plainTextPath") and raw == "" and any(w == what for w, _ in self.p.skipped):
            return  # file missing or outside: already reported
        sels = kids(text_el, "PlainTextSelection")
        triples = [
            (
                parse_int(x.get("startPosition"), what),
                parse_int(x.get("endPosition"), what),
                x.get("name") or "",
            )
            for x in sels
        ]
        view = positions.choose(raw, triples, self.p.origin)
        src = RefiSource(
            guids.bare(s.get("guid")),
            name or (text_el.get("name") or "").strip(),
            kind,
            view.stored,
            view.reading.label,
            text_of(kid(s, "Description")),
            extra=pi_data(s),
        )
        for x, (start, end, _n) in zip(sels, triples, strict=True):
            span = view.span(start, end)
            if span is None:
                raise InputError(
                    f"{self.label}: selection {x.get('guid')} in {what} has positions "
                    f"{start}-{end} outside its text ({view.length} characters)"
                )
            sel = RefiSelection(
                guids.bare(x.get("guid")), span[0], span[1], text_of(kid(x, "Description")).strip()
            )
            sel.codings = [self._coding(c, what) for c in kids(x, "Coding")]
            sel.note_refs = [guids.norm(n.get("targetGUID")) for n in kids(x, "NoteRef")]
            src.selections.append(sel)
        holders = [s] if text_el is s else [s, text_el]
        for h in holders:
            src.whole += [self._coding(c, what) for c in kids(h, "Coding")]
            src.note_refs += [guids.norm(n.get("targetGUID")) for n in kids(h, "NoteRef")]
            src.values += self._values(h, what)
        self.p.sources.append(src)


SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")


def read_qdpx(path: str | Path, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> RefiProject:
    """Parse a ``.qdpx`` archive; raises InputError with a one-line reason."""
    with SafeZip(path, limits) as archive:
        qdes = [n for n in archive.names() if "/" not in n and n.lower().endswith(".qde")]
        if not qdes:
            raise InputError(f"{archive.label}: no project.qde at the root of the archive")
        if len(qdes) > 1:
            qdes = [n for n in qdes if n.lower() == "project.qde"] or qdes
            if len(qdes) > 1:
                raise InputError(
                    f"{archive.label}: several .qde files at the root ({', '.join(qdes)})"
                )
        label = f"{archive.label}:{qdes[0]}"
        with archive.open(qdes[0]) as raw:
            return _ProjectReader(archive, label).run(safexml.iterparse(raw, label))
