"""Parsing XML from untrusted files: no DTDs, no entities, no network, bounded size and depth."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from thematica.core.errors import InputError

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class XmlLimits:
    max_bytes: int = 512 * 1024 * 1024
    max_depth: int = 128
    max_elements: int = 20_000_000


DEFAULT_XML_LIMITS = XmlLimits()


def parser() -> etree.XMLParser:
    """The one lxml parser configuration used for files from elsewhere."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def _syntax_error(name: str, exc: etree.XMLSyntaxError, limits: XmlLimits) -> InputError:
    """Word libxml2's own refusals like ours: newer libxml2 stops at 256 levels by itself,
    sometimes before our counter sees the elements, and names an option we never turn on."""
    if "excessive depth" in (exc.msg or "").lower():
        return InputError(f"{name}: XML nested deeper than {limits.max_depth} levels")
    return InputError(f"{name}: not well-formed XML ({exc.msg})")


def parse(data: bytes, name: str, limits: XmlLimits = DEFAULT_XML_LIMITS) -> etree._Element:
    """Parse ``data`` safely and return the root element; raises InputError naming ``name``."""
    if len(data) > limits.max_bytes:
        raise InputError(f"{name}: XML larger than {limits.max_bytes:,} bytes")
    if _DOCTYPE.search(data):
        raise InputError(f"{name}: XML with a DOCTYPE or entity declarations is not accepted")
    depth = 0
    count = 0
    try:
        events = etree.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
        )
        for event, _elem in events:
            if event == "start":
                depth += 1
                count += 1
                if depth > limits.max_depth:
                    raise InputError(f"{name}: XML nested deeper than {limits.max_depth} levels")
                if count > limits.max_elements:
                    raise InputError(f"{name}: XML has more than {limits.max_elements:,} elements")
            else:
                depth -= 1
        root = events.root
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(name, exc, limits) from exc
    if root is None:
        raise InputError(f"{name}: empty XML")
    if root.getroottree().docinfo.doctype:
        raise InputError(f"{name}: XML with a DOCTYPE is not accepted")
    return root


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class _Scanned:
    """A file-like wrapper that refuses DOCTYPE/ENTITY declarations before lxml sees them."""

    _OVERLAP = 16  # longer than any match of _DOCTYPE's prefix, so no split match is missed

    def __init__(self, raw: Readable, name: str, limits: XmlLimits) -> None:
        self.raw = raw
        self.name = name
        self.limits = limits
        self.total = 0
        self.tail = b""

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n if n and n > 0 else 1 << 20)
        if not chunk:
            return b""
        self.total += len(chunk)
        if self.total > self.limits.max_bytes:
            raise InputError(f"{self.name}: XML larger than {self.limits.max_bytes:,} bytes")
        if _DOCTYPE.search(self.tail + chunk):
            raise InputError(
                f"{self.name}: XML with a DOCTYPE or entity declarations is not accepted"
            )
        self.tail = chunk[-self._OVERLAP :]
        return chunk


def iterparse(
    raw: Readable, name: str, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> Iterator[tuple[str, etree._Element, int]]:
    """Stream ``raw`` safely: ``(event, element, depth)`` for each start and end.

    The same settings and limits as :func:`parse` (no DTD, no entities, no network, bounded
    bytes, depth and element count), without holding the whole input: the caller may clear
    elements it has finished with. ``depth`` is the element's own depth (the root's is 1).
    Raises InputError naming ``name``.
    """
    depth = 0
    count = 0
    max_depth, max_elements = limits.max_depth, limits.max_elements
    try:
        events = etree.iterparse(
            _Scanned(raw, name, limits),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
        )
        for event, elem in events:
            if event == "start":
                depth += 1
                count += 1
                if depth > max_depth:
                    raise InputError(f"{name}: XML nested deeper than {max_depth} levels")
                if count > max_elements:
                    raise InputError(f"{name}: XML has more than {max_elements:,} elements")
                if count == 1 and elem.getroottree().docinfo.doctype:
                    raise InputError(f"{name}: XML with a DOCTYPE is not accepted")
                yield event, elem, depth
            else:
                yield event, elem, depth
                depth -= 1
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(name, exc, limits) from exc
    if count == 0:
        raise InputError(f"{name}: empty XML")
