"""Helpers every importer shares: bounded reading, error wording, building the document."""

from __future__ import annotations

from pathlib import Path

from thematica.core.errors import InputError
from thematica.core.models import ParsedDocument, Turn
from thematica.core.text import detect_turns, normalise
from thematica.importers.options import ImportOptions

_MB = 1024 * 1024


def fail(path: Path | str, reason: str, **detail: object) -> InputError:
    """One-line error that starts with the file name; ``detail`` carries the facts (and a
    ``hint`` that a face words as its own flag or control)."""
    name = path.name if isinstance(path, Path) else path
    reason = " ".join(reason.split())  # library messages can span lines
    return InputError(f"{name}: {reason}", file=name, **detail)


def format_size(size: int) -> str:
    if size >= _MB // 10:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def _too_big(path: Path, size: int, limit: int) -> InputError:
    return fail(
        path,
        f"file is {format_size(size)}, over the {format_size(limit)} limit; "
        "the limit can be raised",
        size=size,
        limit=limit,
        hint="max_size",
    )


def read_input(path: Path, options: ImportOptions) -> bytes:
    """Read the whole file, refusing oversize files before any byte is loaded."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except OSError as exc:
        raise fail(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if path.is_dir():
        raise fail(path, "is a folder, not a file")
    if size > options.max_bytes:
        raise _too_big(path, size, options.max_bytes)
    try:
        with path.open("rb") as handle:
            # Bounded read: the file may have grown since stat().
            data = handle.read(options.max_bytes + 1)
    except OSError as exc:
        raise fail(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > options.max_bytes:
        raise _too_big(path, len(data), options.max_bytes)
    return data


def build_document(
    path: Path,
    raw_text: str,
    options: ImportOptions,
    *,
    encoding: str | None = None,
    turns: list[Turn] | None = None,
    what: str = "file",
) -> ParsedDocument:
    """Normalise once and attach turns; refuse documents with nothing to code."""
    text = normalise(raw_text)
    if not text.strip():
        raise fail(path, f"the {what} has no text")
    return ParsedDocument(
        name=path.stem,
        text=text,
        turns=detect_turns(text, options.speaker_pattern) if turns is None else turns,
        source_format=path.suffix.lower().lstrip("."),
        encoding=encoding,
        source_path=str(path),
    )
