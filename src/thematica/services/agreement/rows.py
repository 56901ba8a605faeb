"""The result rows of an agreement run, the report and comparison that hold them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thematica.core.codebook import CodebookChange
from thematica.core.tables import Table

CODE_COLUMNS = (
    "code",
    "prevalence",
    "coded",
    "units",
    "percent",
    "kappa",
    "alpha",
    "ci_low",
    "ci_high",
    "label",
    "cu_alpha",
    "note",
)


@dataclass(slots=True)
class OverallRow:
    """One overall coefficient; ``value`` is None (with ``note``) when undefined."""

    measure: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_units: int
    label: str | None
    note: str | None = None


@dataclass(slots=True)
class CodeAgreementRow:
    """Agreement on one code. ``coded``: each coder's codings (character, segment) or units
    marked present (sentence, turn, document)."""

    code: str
    prevalence: float | None
    coded: dict[str, int]
    units: int
    percent: float | None
    kappa: float | None
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    label: str | None
    cu_alpha: float | None = None
    note: str | None = None
    code_id: int = 0

    @classmethod
    def unused(cls, code: str, coded: dict[str, int], units: int, code_id: int) -> CodeAgreementRow:
        """The row of a code that no coder used: every coefficient None."""
        return cls(
            code,
            0.0,
            coded,
            units,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "no coder used this code",
            code_id,
        )


@dataclass(slots=True)
class DocumentAgreementRow:
    document: str
    units: int
    coded: dict[str, int]
    percent: float | None
    kappa: float | None
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    label: str | None
    note: str | None = None

    @classmethod
    def empty(
        cls, document: str, units: int, coded: dict[str, int], note: str
    ) -> DocumentAgreementRow:
        """The row of a document with nothing to compare: every coefficient None."""
        return cls(document, units, coded, None, None, None, None, None, None, note)


@dataclass(slots=True)
class PairAgreementRow:
    coder_a: str
    coder_b: str
    units: int
    percent: float | None
    kappa: float | None
    alpha: float | None
    label: str | None
    note: str | None = None

    @classmethod
    def empty(cls, coder_a: str, coder_b: str, units: int, note: str) -> PairAgreementRow:
        """The row of a coder pair with nothing to compare: every coefficient None."""
        return cls(coder_a, coder_b, units, None, None, None, None, note)


@dataclass(slots=True)
class DisagreementRow:
    """Two coders differ: ``kind`` is boundary (both coded, spans differ), only_a or only_b.

    ``unit_start``/``unit_end`` give the sentence, turn or document compared (unit-based
    analyses); ``a_*``/``b_*`` are what each coder coded there (None where they did not).
    """

    code: str
    document: str
    kind: str
    coder_a: str
    coder_b: str
    a_start: int | None
    a_end: int | None
    a_text: str | None
    b_start: int | None
    b_end: int | None
    b_text: str | None
    unit_start: int | None = None
    unit_end: int | None = None
    overlap: float | None = None


@dataclass(slots=True)
class CodeChangeRow:
    """How agreement on one code changed between two runs (matched by the code's id)."""

    code: str
    status: str  # same | renamed | moved | added | removed
    old_code: str | None
    percent_old: float | None
    percent_new: float | None
    kappa_old: float | None
    kappa_new: float | None
    alpha_old: float | None
    alpha_new: float | None
    alpha_change: float | None


@dataclass(slots=True)
class OverallChangeRow:
    measure: str
    old: float | None
    new: float | None
    change: float | None


@dataclass(slots=True)
class RunRow:
    name: str | None
    created_at: str
    unit: str | None
    coders: str


@dataclass(slots=True)
class AgreementReport:
    coders: list[str]
    unit: str
    parameters: dict[str, Any]
    overall: Table[OverallRow]
    codes: Table[CodeAgreementRow]
    documents: Table[DocumentAgreementRow]
    pairs: Table[PairAgreementRow]
    disagreements: Table[DisagreementRow]
    notes: list[str] = field(default_factory=list)
    saved_as: str | None = None

    def tables(self) -> dict[str, Table[Any]]:
        return {
            "overall": self.overall,
            "codes": self.codes,
            "documents": self.documents,
            "pairs": self.pairs,
            "disagreements": self.disagreements,
        }

    def to_dict(self, *, disagreements: bool = True) -> dict[str, Any]:
        """JSON-ready: parameters, notes and every table as a list of records."""
        out: dict[str, Any] = {
            "coders": list(self.coders),
            "unit": self.unit,
            "parameters": dict(self.parameters),
            "notes": list(self.notes),
        }
        for name, table in self.tables().items():
            if name == "disagreements" and not disagreements:
                continue
            out[name] = table.records()
        return out


@dataclass(slots=True)
class AgreementComparison:
    old: str
    new: str
    codebook_changes: Table[CodebookChange]
    overall: Table[OverallChangeRow]
    codes: Table[CodeChangeRow]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "codebook_changes": self.codebook_changes.records(),
            "overall": self.overall.records(),
            "codes": self.codes.records(),
        }
