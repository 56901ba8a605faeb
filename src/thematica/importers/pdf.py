"""PDF: the embedded text layer only; OCR is deliberately out of scope."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from thematica.core.models import ParsedDocument
from thematica.importers._common import build_document, fail, read_input
from thematica.importers.options import ImportOptions

_INVALID = "not a valid PDF (corrupt or not a .pdf file)"
_ENCRYPTED = "the PDF is password-protected; save an unprotected copy and import that"
_NO_TEXT = "the PDF has no text layer (scanned or image-only?); run OCR first"


def _extract(data: bytes, path: Path) -> list[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf reports malformed files with many exception types
        raise fail(path, f"{_INVALID}: {type(exc).__name__}") from exc
    if reader.is_encrypted:
        # Many "protected" PDFs only restrict printing and open with the empty password.
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # missing AES backend, unsupported handler, ...
            raise fail(path, _ENCRYPTED) from exc
        if not opened:
            raise fail(path, _ENCRYPTED)
    try:
        return [(page.extract_text() or "").strip() for page in reader.pages]
    except FileNotDecryptedError as exc:
        raise fail(path, _ENCRYPTED) from exc
    except Exception as exc:
        raise fail(path, f"{_INVALID}: {type(exc).__name__}") from exc


def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
    data = read_input(path, options)
    # pypdf logs every recoverable defect as a warning; the import result already says enough.
    pypdf_logger = logging.getLogger("pypdf")
    previous = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        pages = _extract(data, path)
    finally:
        pypdf_logger.setLevel(previous)
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise fail(path, _NO_TEXT)
    return [build_document(path, text, options, what="PDF")]
