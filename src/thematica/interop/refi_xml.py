"""Element helpers shared by the REFI-QDA readers: namespace-blind lookups, Thematica's
``<?thematica …?>`` extras, colours, positions, the GUID index and the code tree.

Real tools disagree on namespaces (NOTES.md §8), so every lookup matches on local names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from thematica.core.errors import InputError
from thematica.interop import guids
from thematica.interop.refi_model import RefiCode

PROJECT_NS_PREFIX = "urn:QDA-XML:project:"
CODEBOOK_NS_PREFIX = "urn:QDA-XML:codebook:"
#: Processing instructions carrying Thematica-only fields; other tools ignore them.
PI_TARGET = "thematica"
_HEX3 = re.compile(r"^#([0-9a-fA-F])([0-9a-fA-F])([0-9a-fA-F])$")
_HEX6 = re.compile(r"^#[0-9a-fA-F]{6}$")


def local(elem: Any) -> str:
    tag = elem.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def kids(elem: Any, name: str) -> list[Any]:
    return list(elem.iterchildren("{*}" + name))


def kid(elem: Any, name: str) -> Any | None:
    return next(elem.iterchildren("{*}" + name), None)


def text_of(elem: Any | None) -> str:
    return "" if elem is None else "".join(elem.itertext())


def pi_data(elem: Any) -> dict[str, Any]:
    """The JSON object in a ``<?thematica …?>`` child of ``elem`` (empty when absent or bad)."""
    for c in elem:
        if isinstance(c, etree._ProcessingInstruction) and c.target == PI_TARGET:
            try:
                data = json.loads(c.text or "{}")
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def colour_of(raw: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip()
    m = _HEX3.match(raw)
    if m:
        return "#" + "".join(ch * 2 for ch in m.groups()).lower()
    return raw.lower() if _HEX6.match(raw) else None


def parse_int(raw: str | None, what: str) -> int:
    try:
        return int((raw or "").strip())
    except ValueError as exc:
        raise InputError(f"{what}: position {raw!r} is not a whole number") from exc


class GuidIndex:
    """Every ``guid`` attribute in a document, checked for form and uniqueness.

    Built from a whole tree (``root``) or element by element while streaming (:meth:`add`);
    references to GUIDs not seen yet are checked by :meth:`finish` once the file is read.
    """

    def __init__(self, root: Any, label: str) -> None:
        self.label = label
        self.kinds: dict[str, str] = {}
        self.pending: list[tuple[str | None, tuple[str, ...], str]] = []
        self._names: dict[str, str] = {}
        if root is not None:
            for elem in root.iter():
                if isinstance(elem.tag, str):
                    self.add(elem)

    def add(self, elem: Any) -> None:
        raw = elem.get("guid")
        if raw is None:
            return
        name = self._names.get(elem.tag)
        if name is None:
            name = self._names.setdefault(elem.tag, local(elem))
        if not guids.is_guid(raw):
            raise InputError(f"{self.label}: {name} has a malformed GUID {raw!r}")
        key = guids.norm(raw)
        if key in self.kinds:
            raise InputError(f"{self.label}: GUID {raw} is used twice")
        self.kinds[key] = name

    def _fail(self, raw: str | None, allowed: tuple[str, ...], where: str) -> InputError:
        return InputError(
            f"{self.label}: {where} refers to {raw!r}, which is not a "
            f"{' or '.join(allowed)} in the file"
        )

    def ref(self, raw: str | None, allowed: tuple[str, ...], where: str) -> str:
        key = guids.norm(raw)
        if not key or self.kinds.get(key) not in allowed:
            raise self._fail(raw, allowed, where)
        return key

    def later(self, raw: str | None, allowed: tuple[str, ...], where: str) -> str:
        """Like :meth:`ref`, but a GUID not seen yet is checked by :meth:`finish`."""
        key = guids.norm(raw)
        kind = self.kinds.get(key)
        if kind is None and key:
            self.pending.append((raw, allowed, where))
        elif kind not in allowed:
            raise self._fail(raw, allowed, where)
        return key

    def finish(self) -> None:
        for raw, allowed, where in self.pending:
            self.ref(raw, allowed, where)
        self.pending = []


def read_codes(parent: Any, extras: bool) -> list[RefiCode]:
    """The code tree under ``parent`` (``Codes`` or a ``Code``): the same in .qde and .qdc."""
    out = []
    for c in kids(parent, "Code"):
        code = RefiCode(
            guid=guids.bare(c.get("guid", "")),
            name=c.get("name") or "",
            codable=(c.get("isCodable", "true").strip().lower() != "false"),
            colour=colour_of(c.get("color")),
            description=text_of(kid(c, "Description")),
            extra=pi_data(c) if extras else {},
            note_refs=[guids.norm(r.get("targetGUID")) for r in kids(c, "NoteRef")],
            children=read_codes(c, extras),
        )
        if c.get("color") and code.colour is None:
            code.extra.setdefault("_warn", f"colour {c.get('color')!r} is not #RRGGBB")
        out.append(code)
    return out
