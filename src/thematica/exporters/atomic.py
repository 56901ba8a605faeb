"""Writing output files so that a crash never leaves half a file behind.

Every file is written to a temporary file beside its target, flushed to disk, then renamed
into place. The temporary file is created with mode 0o666 so that the kernel applies the
user's umask, as for any file a program creates (``tempfile.mkstemp`` would make it 0600 and
the rename would keep that); a file that is replaced keeps its permission bits.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from thematica.core.errors import InputError

__all__ = ["finish_atomic", "open_atomic", "temp_beside", "write_atomic", "write_csv_rows"]


def temp_beside(path: str | Path) -> tuple[int, str]:
    """Create a new temporary file next to ``path`` (umask applies); its descriptor and name."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def finish_atomic(tmp: str, path: str | Path) -> Path:
    """Rename a written temporary file onto ``path``, keeping the mode of a file it replaces."""
    path = Path(path)
    try:
        old = os.stat(path)
    except OSError:
        old = None
    if old is not None and stat.S_ISREG(old.st_mode):
        os.chmod(tmp, stat.S_IMODE(old.st_mode))
    os.replace(tmp, path)
    return path


@contextmanager
def open_atomic(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: it appears, whole, only if the block ends
    without an exception (streaming writers use this instead of building the bytes first)."""
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        finish_atomic(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_atomic(path) as fh:
        fh.write(payload)
    return Path(path)


def write_csv_rows(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a CSV (UTF-8, LF line ends, minimal quoting, as pandas writes it) row by row as
    ``rows`` yields them, atomically; the number of rows written."""
    count = 0
    try:
        with open_atomic(path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
            writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
            text.flush()
            text.detach()  # open_atomic closes (and fsyncs) the file itself
    finally:
        close = getattr(rows, "close", None)
        if close is not None:  # a generator reading a database: end its transaction now
            close()
    return count
