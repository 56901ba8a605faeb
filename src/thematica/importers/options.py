"""Settings shared by every importer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImportOptions"]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the user can tune about an import; the defaults suit ordinary transcripts."""

    #: Files larger than this are refused before they are read, so a stray video or database
    #: dump cannot exhaust memory.
    max_bytes: int = 50 * 1024 * 1024
    #: Regex with a ``speaker`` group; ``None`` uses ``core.text.DEFAULT_SPEAKER_PATTERN``.
    speaker_pattern: str | None = None
    csv_text_column: str | None = None
    csv_id_column: str | None = None
    #: Force a text encoding instead of detecting it.
    encoding: str | None = None
