"""Safety checks for zip-based formats (docx, odt) before a library unpacks them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from thematica.importers._common import fail, format_size
from thematica.importers.options import ImportOptions

#: Total unpacked size allowed, as a multiple of the file size limit.
MAX_EXPANSION = 20
#: Largest compression ratio accepted for a member big enough to matter.
MAX_RATIO = 200
#: Members smaller than this are never a threat, however well they compress.
RATIO_MIN_SIZE = 1024 * 1024


def check_zip(data: bytes, path: Path, options: ImportOptions, required: str, invalid: str) -> None:
    """Refuse non-zips and zip bombs up front.

    python-docx and odfpy load every part into memory, so a tiny file that unpacks to gigabytes
    must be stopped here, from the sizes the archive declares (zipfile never inflates a member
    beyond its declared size, so the declared sizes are a real bound).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise fail(path, invalid) from None
    if required not in {member.filename for member in members}:
        raise fail(path, invalid)
    total = sum(member.file_size for member in members)
    limit = MAX_EXPANSION * options.max_bytes
    if total > limit:
        raise fail(
            path,
            f"refusing to unpack: contents would expand to {format_size(total)}, "
            f"over {MAX_EXPANSION}x the size limit (possible zip bomb)",
        )
    for member in members:
        if member.file_size < RATIO_MIN_SIZE:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_RATIO:
            raise fail(
                path,
                f"refusing to unpack: member {member.filename!r} expands {ratio:.0f}x "
                "(possible zip bomb)",
            )
