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
    #: A wide survey table: these columns are questions, each row one respondent's document
    #: with one turn per answered question (see ``importers.survey``).
    csv_text_columns: tuple[str, ...] | None = None
    #: Tables wider than this are refused at once: each column becomes an attribute, and a
    #: runaway export (100,000 columns) would otherwise take minutes to refuse or store.
    max_columns: int = 1000
    #: Force a text encoding instead of detecting it.
    encoding: str | None = None
