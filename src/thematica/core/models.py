"""Domain value objects shared by every layer.

Text positions are Unicode code-point offsets ``[start, end)`` into a document's normalised
text (see :mod:`thematica.core.text`), which is exactly how Python indexes ``str``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Turn:
    """A speaker turn: a span of the text attributed to one speaker (or none)."""

    start: int
    end: int
    speaker: str | None = None
    #: Seconds from the start of the recording, for caption imports (vtt/srt).
    time_start: float | None = None
    time_end: float | None = None


@dataclass(slots=True)
class ParsedDocument:
    """What an importer returns: normalised text ready to store, plus where it came from."""

    name: str
    text: str
    turns: list[Turn] = field(default_factory=list)
    source_format: str = "txt"
    #: The text encoding that decoded the file (``None`` for binary formats such as docx/pdf).
    encoding: str | None = None
    source_path: str | None = None
    #: Case identifier this document belongs to, when the file says so (e.g. a CSV id column).
    case: str | None = None
    #: Case attributes carried by the file itself (CSV rows: the non-text columns).
    attributes: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


class AttributeType(StrEnum):
    CATEGORICAL = "categorical"
    ORDINAL = "ordinal"
    NUMERIC = "numeric"
    DATE = "date"
    BOOLEAN = "boolean"


class Origin(StrEnum):
    DEDUCTIVE = "deductive"
    INDUCTIVE = "inductive"


#: The Social-Ecological Model levels a new project starts with (innermost first).
DEFAULT_SEM_LEVELS: tuple[str, ...] = (
    "individual",
    "interpersonal",
    "organizational",
    "community",
    "policy",
)


@dataclass(frozen=True, slots=True)
class Span:
    """A coded region of one document, as the query engine sees it."""

    document_id: int
    start: int
    end: int
    codes: frozenset[int] = frozenset()
    coders: frozenset[int] = frozenset()
