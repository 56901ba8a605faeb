"""Saved agreement runs: what is stored for a run, and how two runs compare."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from thematica.core.codebook import diff_snapshots
from thematica.core.tables import Table
from thematica.services.agreement.rows import (
    AgreementComparison,
    AgreementReport,
    CodeChangeRow,
    OverallChangeRow,
)


def results(report: AgreementReport) -> dict[str, Any]:
    """The part of a report stored with a saved run."""
    return {
        "overall": report.overall.records(),
        "codes": [asdict(row) for row in report.codes.rows],
        "documents": report.documents.records(),
        "pairs": report.pairs.records(),
        "notes": list(report.notes),
    }


def _delta(old: Any, new: Any) -> float | None:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(new) - float(old)
    return None


def _change_row(
    code: str, status: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> CodeChangeRow:
    def get(row: dict[str, Any] | None, key: str) -> float | None:
        return None if row is None else row.get(key)

    return CodeChangeRow(
        code=code,
        status=status,
        old_code=None if before is None or before["code"] == code else before["code"],
        percent_old=get(before, "percent"),
        percent_new=get(after, "percent"),
        kappa_old=get(before, "kappa"),
        kappa_new=get(after, "kappa"),
        alpha_old=get(before, "alpha"),
        alpha_new=get(after, "alpha"),
        alpha_change=_delta(get(before, "alpha"), get(after, "alpha")),
    )


def compare_runs(
    old: str, new_label: str, old_run: dict[str, Any], new_run: dict[str, Any]
) -> AgreementComparison:
    """How agreement changed from ``old_run`` to ``new_run`` (each with its ``codebook``
    snapshot and ``results``), codes matched by their stable id."""
    changes = diff_snapshots(old_run["codebook"], new_run["codebook"])
    change_table = Table(
        changes, columns=("change", "path", "field", "old", "new"), title="Codebook changes"
    )
    old_codes = {row["code_id"]: row for row in old_run["results"]["codes"]}
    new_codes = {row["code_id"]: row for row in new_run["results"]["codes"]}
    old_snap = {row["id"]: row for row in old_run["codebook"]}
    new_snap = {row["id"]: row for row in new_run["codebook"]}
    rows: list[CodeChangeRow] = []
    for cid, after in new_codes.items():
        before = old_codes.get(cid)
        if before is None:
            status = "added" if cid not in old_snap else "newly compared"
        elif before["code"] != after["code"]:
            was, now_ = old_snap.get(cid), new_snap.get(cid)
            renamed = was is not None and now_ is not None and was["name"] != now_["name"]
            status = "renamed" if renamed else "moved"
        else:
            status = "same"
        rows.append(_change_row(after["code"], status, before, after))
    for cid, before in old_codes.items():
        if cid not in new_codes:
            status = "removed" if cid not in new_snap else "not compared"
            rows.append(_change_row(before["code"], status, before, None))
    old_overall = {r["measure"]: r["value"] for r in old_run["results"]["overall"]}
    new_overall = {r["measure"]: r["value"] for r in new_run["results"]["overall"]}
    overall = [
        OverallChangeRow(
            m,
            old_overall.get(m),
            new_overall.get(m),
            _delta(old_overall.get(m), new_overall.get(m)),
        )
        for m in dict.fromkeys([*old_overall, *new_overall])
    ]
    return AgreementComparison(
        old,
        new_label,
        change_table,
        Table(overall, title=f"Overall agreement, {old} -> {new_label}"),
        Table(rows, title=f"Agreement per code, {old} -> {new_label}"),
    )
