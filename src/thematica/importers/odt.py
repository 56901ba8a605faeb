"""OpenDocument .odt: text:p and text:h in document order, one per line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from odf import teletype
from odf.namespaces import TEXTNS
from odf.opendocument import load

from thematica.core.models import ParsedDocument
from thematica.importers._common import build_document, fail, read_input
from thematica.importers._zip import check_zip
from thematica.importers.options import ImportOptions

_INVALID = "not a valid OpenDocument text file (corrupt or not a .odt file)"
_BLOCKS = frozenset({(TEXTNS, "p"), (TEXTNS, "h")})
_ELEMENT_NODE = 1


def _blocks(node: Any) -> Iterator[str]:
    # getElementsByType() would list all p, then all h, losing their relative order.
    for child in node.childNodes:
        if child.nodeType != _ELEMENT_NODE:
            continue
        if child.qname in _BLOCKS:
            yield teletype.extractText(child)
        else:
            yield from _blocks(child)


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    check_zip(data, path, options, "content.xml", _INVALID)
    try:
        document = load(io.BytesIO(data))
        lines = list(_blocks(document.text))
    # odfpy surfaces malformed input as anything from KeyError to SAX errors; after check_zip
    # every failure here is a broken file.
    except Exception as exc:
        raise fail(path, f"{_INVALID}: {type(exc).__name__}") from exc
    return [build_document(path, "\n".join(lines), options, what="document")]
