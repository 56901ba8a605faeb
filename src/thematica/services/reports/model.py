"""What a report holds, free of any output format: tables, figures, theme sections, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thematica.services.reports.agreement_figures import AgreementFigures


@dataclass(slots=True)
class SimpleTable:
    """A titled table of strings; ``align`` gives each column's alignment ("l", or "r" for
    numbers). Column widths are fitted to the content by each renderer."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    align: list[str] = field(default_factory=list)

    def alignment(self, column: int) -> str:
        return self.align[column] if column < len(self.align) else "l"


@dataclass(slots=True)
class Figure:
    key: str  # file-name part: "sem" or "saturation"
    caption: str
    png: bytes = b""  # empty when not asked for
    svg: str = ""


@dataclass(slots=True)
class Quote:
    text: str
    attribution: str
    document: str
    case: str | None
    start: int
    end: int
    coding_id: int
    starred: bool


@dataclass(slots=True)
class ThemeSection:
    kind: str  # theme | subtheme
    number: str
    name: str
    level: str | None
    description: str
    prevalence: str  # "most participants (5 of 7, 71.4%)"
    cases: int
    total: int
    percent: float
    segments: int
    quantifier: str
    quotes: list[Quote] = field(default_factory=list)
    quote_rule: str = "default"  # starred | default | none


@dataclass(slots=True)
class ReportData:
    """Everything a report shows. ``open_notice`` is the sentence that opens the findings when
    consensus disagreements are still open (empty otherwise); ``appendix`` holds the long
    per-code tables, which a manuscript puts after the findings."""

    title: str
    state_hash: str
    as_of: datetime
    layer: str
    methods: str
    participants: SimpleTable | None
    themes: SimpleTable
    sem_figure: Figure
    agreement_overall: SimpleTable | None
    agreement_codes: SimpleTable | None
    saturation: Figure | None
    sections: list[ThemeSection]
    notes: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    open_notice: str = ""
    appendix: list[SimpleTable] = field(default_factory=list)
    agreement: AgreementFigures | None = None


@dataclass(slots=True)
class RenderedReport:
    """A report in one format, not yet written: the document and, for Markdown, the figure
    files it links (name beside the report -> bytes)."""

    format: str
    content: bytes
    files: dict[str, bytes]
    state_hash: str


@dataclass(slots=True)
class ReportResult:
    path: Path
    format: str
    state_hash: str
    files: list[Path]
