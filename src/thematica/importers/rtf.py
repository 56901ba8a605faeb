"""Rich Text Format via striprtf."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from thematica.core.models import ParsedDocument
from thematica.importers._common import build_document, fail, read_input
from thematica.importers.decode import decode_bytes
from thematica.importers.options import ImportOptions

_CODEPAGE = re.compile(r"\\ansicpg(\d+)")


def _codepage(source: str) -> str:
    """Codec for ``\\'hh`` escapes: the file declares it with ``\\ansicpgNNNN``."""
    match = _CODEPAGE.search(source, 0, 4096)
    if match is not None:
        candidate = f"cp{match.group(1)}"
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            pass
    return "cp1252"


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    # RTF itself is 7-bit ASCII; decoding only guards against stray 8-bit bytes.
    source, _ = decode_bytes(data, path.name, options.encoding)
    if not source.lstrip("\ufeff \t\r\n").startswith("{\\rtf"):
        raise fail(path, "not an RTF file (it does not start with {\\rtf)")
    codepage = _codepage(source)
    try:
        text: str = rtf_to_text(source, encoding=codepage, errors="strict")  # type: ignore[no-untyped-call]
    except UnicodeDecodeError as exc:
        raise fail(path, f"cannot decode the RTF text with its code page {codepage}") from exc
    except Exception as exc:  # striprtf is a regex parser; malformed input can trip it
        raise fail(path, f"cannot read the RTF: {type(exc).__name__}") from exc
    return [build_document(path, text, options, encoding=codepage, what="document")]
