"""Assembling an :class:`AgreementReport` from the rows a unit's analysis computed."""

from __future__ import annotations

from typing import Any

from thematica.core.tables import Table
from thematica.services.agreement.loading import Data
from thematica.services.agreement.rows import (
    CODE_COLUMNS,
    AgreementReport,
    CodeAgreementRow,
    DisagreementRow,
    DocumentAgreementRow,
    OverallRow,
    PairAgreementRow,
)


def finish(
    data: Data,
    parameters: dict[str, Any],
    overall: list[OverallRow],
    codes: list[CodeAgreementRow],
    documents: list[DocumentAgreementRow],
    pairs: list[PairAgreementRow],
    disagreements: list[DisagreementRow],
    notes: list[str],
) -> AgreementReport:
    unit = parameters["unit"]
    who = " vs ".join(data.coders)
    # These rows show kappa and alpha but label alpha only (coefficients.label): say so.
    labelled = f"{unit}; label: alpha, Krippendorff 2004"
    return AgreementReport(
        coders=list(data.coders),
        unit=unit,
        parameters=parameters,
        overall=Table(overall, title=f"Agreement by {unit}, {who}"),
        codes=Table(codes, columns=CODE_COLUMNS, title=f"Agreement per code ({labelled})"),
        documents=Table(documents, title=f"Agreement per document ({labelled})"),
        pairs=Table(pairs, title=f"Agreement per coder pair ({labelled})"),
        disagreements=Table(disagreements, title=f"Disagreements ({unit})"),
        notes=notes,
    )
