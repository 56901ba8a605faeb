"""Reading ``.qdpx`` archives from elsewhere without trusting them.

Nothing is ever extracted to disk; entries are read into memory on request. Every entry name
is checked (no absolute paths, drive letters, ``..`` parts, backslashes, symlinks or
duplicates) and decompression is bounded twice: from the sizes in the central directory when
the archive is opened, and again while the bytes are read (a forged header cannot lie past it).
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from thematica.core.errors import InputError


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int = 100_000
    max_entry_bytes: int = 1024 * 1024 * 1024  # one uncompressed entry
    max_total_bytes: int = 4 * 1024 * 1024 * 1024  # all entries together
    max_ratio: float = 200.0  # uncompressed / compressed, for entries over ratio_floor
    ratio_floor: int = 1024 * 1024


DEFAULT_ZIP_LIMITS = ZipLimits()
_CHUNK = 1 << 20


def check_name(name: str, archive: str) -> str:
    """The entry name if it is a safe relative path, else InputError."""
    if not name or "\x00" in name:
        raise InputError(f"{archive}: an entry has an empty or invalid name")
    if "\\" in name:
        raise InputError(f"{archive}: entry {name!r} uses backslashes in its path")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InputError(f"{archive}: entry {name!r} has an absolute path")
    if any(part == ".." for part in PurePosixPath(name).parts):
        raise InputError(f"{archive}: entry {name!r} points outside the archive (..)")
    return name


class SafeZip:
    """A read-only view of a zip archive with checked names and bounded sizes."""

    def __init__(self, path: str | os.PathLike[str], limits: ZipLimits = DEFAULT_ZIP_LIMITS):
        self.path = Path(path)
        self.label = self.path.name
        self.limits = limits
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        if not zipfile.is_zipfile(self.path):
            raise InputError(f"{self.label}: not a zip archive (a .qdpx is a zip file)")
        try:
            self._zf = zipfile.ZipFile(self.path)
            infos = self._zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(f"{self.label}: damaged zip archive ({exc})") from exc
        if len(infos) > limits.max_entries:
            raise InputError(f"{self.label}: more than {limits.max_entries:,} entries")
        self.entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = check_name(info.filename, self.label)
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise InputError(f"{self.label}: entry {name!r} is a symbolic link")
            if info.is_dir():
                continue
            if name in self.entries:
                raise InputError(f"{self.label}: entry {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise InputError(f"{self.label}: entry {name!r} is encrypted")
            self._check_size(name, info.file_size, info.compress_size)
            total += info.file_size
            if total > limits.max_total_bytes:
                raise InputError(
                    f"{self.label}: unpacks to more than {limits.max_total_bytes:,} bytes"
                )
            self.entries[name] = info

    def _check_size(self, name: str, size: int, compressed: int) -> None:
        lim = self.limits
        if size > lim.max_entry_bytes:
            raise InputError(
                f"{self.label}: entry {name!r} unpacks to more than {lim.max_entry_bytes:,} bytes"
            )
        if size > lim.ratio_floor and size > lim.max_ratio * max(compressed, 1):
            raise InputError(
                f"{self.label}: entry {name!r} has a suspicious compression ratio "
                f"({size:,} from {compressed:,} bytes; a zip bomb?)"
            )

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def names(self) -> list[str]:
        return list(self.entries)

    def find(self, name: str) -> str | None:
        """The stored name matching ``name`` with a case-insensitive folder part, or None."""
        if name in self.entries:
            return name
        folded = name.casefold()
        for stored in self.entries:
            if stored.casefold() == folded:
                return stored
        return None

    def read(self, name: str) -> bytes:
        """An entry's bytes, stopping as soon as it passes its declared size or the limits."""
        info = self.entries[name]
        lim = self.limits
        cap = min(info.file_size, lim.max_entry_bytes)
        out = bytearray()
        try:
            with self._zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > cap:
                        raise InputError(
                            f"{self.label}: entry {name!r} unpacks to more than its declared "
                            f"{info.file_size:,} bytes"
                        )
                    self._check_size(name, len(out), info.compress_size)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"{self.label}: entry {name!r} is damaged ({exc})") from exc
        except RuntimeError as exc:  # encrypted entries
            raise InputError(f"{self.label}: entry {name!r} cannot be read ({exc})") from exc
        return bytes(out)

    def open(self, name: str) -> _CheckedEntry:
        """An entry as a file-like object, with the checks of :meth:`read` on every chunk."""
        return _CheckedEntry(self, name)


class _CheckedEntry:
    """Streamed reads of one entry: stops as soon as it passes its declared size or limits."""

    def __init__(self, archive: SafeZip, name: str) -> None:
        self.archive = archive
        self.name = name
        self.info = archive.entries[name]
        self.cap = min(self.info.file_size, archive.limits.max_entry_bytes)
        self.done = 0
        self.fh: IO[bytes] | None = None

    def __enter__(self) -> _CheckedEntry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def read(self, n: int = -1) -> bytes:
        label, name = self.archive.label, self.name
        try:
            if self.fh is None:
                self.fh = self.archive._zf.open(self.info)
            chunk = self.fh.read(n if n and n > 0 else _CHUNK)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError(f"{label}: entry {name!r} is damaged ({exc})") from exc
        except RuntimeError as exc:  # encrypted entries
            raise InputError(f"{label}: entry {name!r} cannot be read ({exc})") from exc
        self.done += len(chunk)
        if self.done > self.cap:
            raise InputError(
                f"{label}: entry {name!r} unpacks to more than its declared "
                f"{self.info.file_size:,} bytes"
            )
        self.archive._check_size(name, self.done, self.info.compress_size)
        return chunk
