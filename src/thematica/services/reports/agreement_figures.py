"""The agreement figures a report prints: from a saved run, or computed exactly as
``thematica agreement`` computes them.

A report never has agreement numbers of its own. It either reads a saved run (``agreement.run``
names one; or, when none is named, the newest saved run with the very parameters the report
asks for) or calls ``project.agreement.compute`` with the same coders, unit, codes, resamples
and seed as the standalone command, so the two always print the same values and intervals.

A saved run is used only while it is **current**: nothing that could change its numbers has
happened since it was saved. That is judged from the audit log, conservatively: any logged
change after the run counts, except those known not to touch the compared coders' codings
(themes, memos, stars, matrices, attribute values, codebook definitions, case links, coder
kinds, another coder's coding, and consensus decisions when no consensus layer is compared).
A named run that is out of date is an error rather than a silently wrong methods paragraph.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project
    from thematica.services.reports.settings import ReportSettings

#: audit actions that never change what an agreement run measured
HARMLESS_ACTIONS = frozenset(
    {
        "agreement_run",
        "coding_star",
        "coding_unstar",
        "coding_memo",
        "memo",
        "settings",
        "freeze_codebook",
        "update_code",
        "define_attribute",
        "set_attribute",
        "import_cases",
        "link_case",
    }
)
HARMLESS_PREFIXES = ("theme", "matrix", "report")
#: actions whose actor is the coder whose codings they change
CODER_ACTIONS = frozenset({"code", "uncode"})


@dataclass(slots=True)
class AgreementFigures:
    """What a report shows of agreement: the run's parameters and its overall and per-code
    results (the records ``thematica agreement`` saves with ``--save``)."""

    coders: list[str]
    unit: str
    bootstrap: int
    seed: int | None
    codes_asked: list[str] | None
    overall: list[dict[str, Any]]
    codes: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    run: str | None = None
    run_created: datetime | None = None

    def measure(self, prefix: str) -> dict[str, Any] | None:
        """The first overall row whose measure starts with (or, for kappa, contains) ``prefix``."""
        for row in self.overall:
            name = str(row["measure"])
            if name.startswith(prefix) or (prefix == "kappa" and "kappa" in name):
                return row
        return None

    def used_codes(self) -> list[dict[str, Any]]:
        """Per-code rows of the codes some compared coder used."""
        return [r for r in self.codes if any((r.get("coded") or {}).values())]

    def state(self) -> dict[str, Any]:
        """What of these figures enters the report's state hash."""
        return {
            "coders": self.coders,
            "unit": self.unit,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "codes": self.codes_asked,
            "run": self.run,
            "overall": self.overall,
            "per_code": [
                [r["code"], r.get("percent"), r.get("kappa"), r.get("alpha")] for r in self.codes
            ],
        }


def _runs(conn: Connection, project: Project) -> list[Any]:
    r = t.agreement_run.c
    return list(
        conn.execute(
            select(r.id, r.name, r.created_at, r.parameters, r.results)
            .where(r.project_id == project.id)
            .order_by(r.id)
        )
    )


def stale_reason(conn: Connection, project: Project, run: Any, kinds: dict[str, str]) -> str | None:
    """Why a saved run may no longer be current (the first such logged change), or None."""
    a = t.audit_log.c
    coders = set(run.parameters.get("coders") or [])
    compares_consensus = any(kinds.get(c) == "consensus" for c in coders)
    created = run.created_at
    for row in conn.execute(
        select(a.id, a.at, a.action, a.actor, a.detail)
        .where(a.project_id == project.id, a.at >= created)
        .order_by(a.id)
    ):
        action = str(row.action)
        if action == "agreement_run" and (row.detail or {}).get("name") == run.name:
            continue
        if action in HARMLESS_ACTIONS or action.startswith(HARMLESS_PREFIXES) or "kind" in action:
            continue
        # whose layer changed: the entry's coder (older entries named the coder as actor)
        layer = (row.detail or {}).get("coder") or row.actor
        if action in CODER_ACTIONS and layer is not None and layer not in coders:
            continue
        if action.startswith("consensus") and not compares_consensus:
            continue
        return f"{action} at {row.at.isoformat(timespec='seconds')}"
    return None


def _figures(run: Any, paths: dict[int, str]) -> AgreementFigures:
    p = run.parameters
    results = run.results
    codes = []
    for row in results.get("codes", []):
        row = dict(row)
        cid = row.get("code_id")
        if cid in paths:
            row["code"] = paths[cid]  # a renamed code shows its present path
        codes.append(row)
    return AgreementFigures(
        coders=list(p.get("coders") or []),
        unit=str(p.get("unit")),
        bootstrap=int(p.get("bootstrap") or 0),
        seed=p.get("seed"),
        codes_asked=p.get("codes"),
        overall=list(results.get("overall", [])),
        codes=codes,
        notes=list(results.get("notes", [])),
        run=run.name,
        run_created=run.created_at,
    )


def default_coders(kinds: dict[str, str], reconciled: list[str] | None) -> list[str]:
    """The coders a report compares when none are named: those the consensus layer being read
    reconciled, else every human coder (fewer than two: none)."""
    if reconciled and len(reconciled) >= 2:
        return list(reconciled)
    humans = [n for n, k in kinds.items() if k == "human"]
    return humans if len(humans) >= 2 else []


def resolve(
    conn: Connection,
    project: Project,
    settings: ReportSettings,
    kinds: dict[str, str],
    coders: list[str],
    paths: dict[int, str],
) -> tuple[Any | None, list[str]]:
    """The saved run to use (or None: compute) and the coders compared.

    ``kinds``: every coder's kind; ``coders``: the coders the report would compare (from the
    settings or :func:`default_coders`).
    """
    runs = _runs(conn, project)
    if settings.agreement_run is not None:
        named = [r for r in runs if r.name == settings.agreement_run]
        if not named:
            known = ", ".join(str(r.name) for r in runs if r.name) or "none saved yet"
            raise NotFoundError(
                f"no saved agreement run named {settings.agreement_run!r} (runs: {known})"
            )
        run = named[0]
        why = stale_reason(conn, project, run, kinds)
        if why is not None:
            raise ConflictError(
                f"agreement run {run.name!r} is out of date: the project changed after it was "
                f"saved ({why}); save a new run"
            )
        return run, list(run.parameters.get("coders") or [])
    if len(coders) < 2:
        return None, coders
    for run in reversed(runs):
        p = run.parameters
        same = (
            sorted(p.get("coders") or []) == sorted(coders)
            and p.get("unit") == settings.agreement_unit
            and int(p.get("bootstrap") or 0) == settings.agreement_bootstrap
            and p.get("seed") == settings.agreement_seed
            and not p.get("documents")
            and (p.get("codes") or None)
            == (list(settings.agreement_codes) if settings.agreement_codes else None)
            and (settings.agreement_unit != "segment" or p.get("min_overlap", 0.9) == 0.9)
        )
        if same and stale_reason(conn, project, run, kinds) is None:
            return run, list(p.get("coders") or [])
    return None, coders


def figures_of_run(run: Any, paths: dict[int, str]) -> AgreementFigures:
    """The figures a saved run holds, its codes under their present paths."""
    return _figures(run, paths)


def compute(project: Project, settings: ReportSettings, coders: list[str]) -> AgreementFigures:
    """Agreement computed as ``thematica agreement`` computes it with these settings."""
    if len(set(coders)) < 2:
        raise InputError("agreement.coders must name at least two different coders")
    report = project.agreement.compute(
        coders,
        settings.agreement_unit,
        codes=list(settings.agreement_codes) if settings.agreement_codes else None,
        bootstrap=settings.agreement_bootstrap,
        seed=settings.agreement_seed,
    )
    return AgreementFigures(
        coders=list(report.coders),
        unit=report.unit,
        bootstrap=settings.agreement_bootstrap,
        seed=settings.agreement_seed,
        codes_asked=list(settings.agreement_codes) if settings.agreement_codes else None,
        overall=report.overall.records(),
        codes=[asdict(row) for row in report.codes.rows],
        notes=list(report.notes),
    )
