"""Plain text and Markdown: the text is the document, markup and all."""

from __future__ import annotations

from pathlib import Path

from thematica.core.models import ParsedDocument
from thematica.importers._common import build_document, read_input
from thematica.importers.decode import decode_bytes
from thematica.importers.options import ImportOptions


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    text, encoding = decode_bytes(data, path.name, options.encoding)
    return [build_document(path, text, options, encoding=encoding)]
