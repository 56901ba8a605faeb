"""File importers: bytes on disk -> :class:`thematica.core.models.ParsedDocument`.

Importers never touch the database and report every problem with the file as a one-line
:class:`~thematica.core.errors.InputError` that starts with the file name.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from thematica.core.errors import InputError
from thematica.core.models import ParsedDocument
from thematica.importers import captions, csv_rows, plain
from thematica.importers.decode import decode_bytes
from thematica.importers.options import ImportOptions

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ImportOptions",
    "collect_files",
    "decode_bytes",
    "parse_file",
]

_Importer = Callable[[Path, ImportOptions], list[ParsedDocument]]


def _lazy(module: str) -> _Importer:
    """The reader in ``module``, imported on first use: python-docx, odfpy, pypdf and striprtf
    cost more to import than most commands take to run."""

    def parse(path: Path, options: ImportOptions) -> list[ParsedDocument]:
        reader: _Importer = importlib.import_module(f"thematica.importers.{module}").parse
        return reader(path, options)

    return parse


_IMPORTERS: dict[str, _Importer] = {
    ".txt": plain.parse,
    ".md": plain.parse,
    ".docx": _lazy("word"),
    ".odt": _lazy("odt"),
    ".pdf": _lazy("pdf"),
    ".rtf": _lazy("rtf"),
    ".vtt": captions.parse,
    ".srt": captions.parse,
    ".csv": csv_rows.parse,
}

#: Lower-case suffixes, with the dot, that :func:`parse_file` accepts.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_IMPORTERS)


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def parse_file(path: Path, options: ImportOptions | None = None) -> list[ParsedDocument]:
    """Parse one file; most formats give one document, CSV gives one per row."""
    path = Path(path)
    suffix = path.suffix.lower()
    importer = _IMPORTERS.get(suffix)
    if importer is None:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        raise InputError(
            f"{path.name}: unsupported file type {kind}; supported: {_supported_list()}"
        )
    return importer(path, options or ImportOptions())


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _expand_folder(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        # Pruning in place stops os.walk descending into .git, .venv and the like.
        dirs[:] = [name for name in dirs if not _is_hidden(name)]
        found.extend(
            Path(root, name)
            for name in files
            if not _is_hidden(name) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES
        )
    return sorted(found, key=lambda path: path.relative_to(folder).parts)


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """Expand the user's paths into the files to import, in a stable order.

    Files named explicitly are kept even if hidden or unsupported, so that parse_file can say
    why they fail instead of them vanishing silently; folders only yield importable files.
    """
    collected: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        candidates = _expand_folder(path) if path.is_dir() else [path]
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                collected.append(candidate)
    return collected
