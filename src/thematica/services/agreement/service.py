"""The :class:`Agreement` service (``project.agreement``): compute, save and compare runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.agreement.character import character_report
from thematica.services.agreement.compare import compare_runs, results
from thematica.services.agreement.loading import coder_names, load_data
from thematica.services.agreement.rows import AgreementComparison, AgreementReport, RunRow
from thematica.services.agreement.segment import segment_report
from thematica.services.agreement.units import units_report
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

UNITS = ("character", "segment", "sentence", "turn", "document")


class Agreement:
    """Inter-coder agreement on the project's coder layers (``project.agreement``)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- public API --------------------------------------------------------------------------
    @requires(Operation.READ)
    def compute(
        self,
        coders: str | Sequence[str] = ("alex", "sam"),
        unit: str = "character",
        *,
        documents: Sequence[str] | None = None,
        codes: Sequence[str] | None = None,
        min_overlap: float = 0.9,
        bootstrap: int = 1000,
        seed: int | None = 1,
        save: str | None = None,
    ) -> AgreementReport:
        """Agreement between ``coders`` (2 or more; "a,b" or a list) on ``unit``.

        ``documents`` (names) and ``codes`` (paths or unique names; each with its subcodes)
        restrict the comparison; ``min_overlap`` is the segment unit's pairing threshold
        (intersection over union); ``bootstrap`` resamples units for 95% intervals (0 = none)
        with ``seed``. ``save`` stores the run under that name for :meth:`compare`.
        """
        if unit not in UNITS:
            raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
        if not 0.0 < min_overlap <= 1.0:
            raise InputError("min_overlap must be greater than 0 and at most 1")
        if bootstrap < 0:
            raise InputError("bootstrap must be 0 or more resamples")
        names = coder_names(coders)
        if save is not None and not save.strip():
            raise InputError("a saved agreement run needs a name")
        if save is not None:  # computing is reading; keeping the run is analysis
            self.project.access.check(Operation.ANALYSE, "compute")
        data, snapshot = load_data(self.project, names, unit, documents, codes)
        parameters = {
            "coders": data.coders,
            "unit": unit,
            "documents": list(documents) if documents else None,
            "codes": list(codes) if codes else None,
            "min_overlap": min_overlap,
            "bootstrap": bootstrap,
            "seed": seed,
        }
        if unit == "character":
            report = character_report(data, parameters)
        elif unit == "segment":
            report = segment_report(data, parameters, min_overlap, bootstrap, seed)
        else:
            report = units_report(data, parameters, unit, bootstrap, seed)
        if save is not None:
            self._save(save.strip(), report, snapshot)
            report.saved_as = save.strip()
        return report

    @requires(Operation.READ)
    def runs(self) -> Table[RunRow]:
        """Saved agreement runs, oldest first."""
        r = t.agreement_run.c
        with self.project.db.read() as conn:
            rows = [
                RunRow(
                    row.name,
                    row.created_at.isoformat(timespec="seconds"),
                    row.parameters.get("unit"),
                    ",".join(row.parameters.get("coders") or []),
                )
                for row in conn.execute(
                    select(t.agreement_run).where(r.project_id == self.project.id).order_by(r.id)
                )
            ]
        return Table(rows, title="Saved agreement runs")

    @requires(Operation.READ)
    def compare(self, old: str, new: str | None = None) -> AgreementComparison:
        """How agreement changed from saved run ``old`` to saved run ``new``.

        With ``new`` None or ``"current"`` the old run's parameters are re-run on the project
        as it is now. Codes are matched by their stable id, so a renamed code keeps its
        history; codebook changes in between come from the two codebook snapshots.
        """
        old_run = self._load_run(old)
        if new is None or new == "current":
            p = old_run["parameters"]
            report = self.compute(
                p["coders"],
                p["unit"],
                documents=p.get("documents"),
                codes=p.get("codes"),
                min_overlap=p.get("min_overlap", 0.9),
                bootstrap=p.get("bootstrap", 0),
                seed=p.get("seed"),
            )
            with self.project.db.read() as conn:
                snapshot = self.project.codebook.index(conn).snapshot()
            new_run: dict[str, Any] = {"codebook": snapshot, "results": results(report)}
            new_label = "current"
        else:
            new_run = self._load_run(new)
            new_label = new
        return compare_runs(old, new_label, old_run, new_run)

    # -- storage -------------------------------------------------------------------------
    def _save(self, name: str, report: AgreementReport, snapshot: list[dict[str, Any]]) -> None:
        from thematica.services.project import now

        r = t.agreement_run.c
        with self.project.db.write() as conn:
            exists = conn.scalar(
                select(r.id).where(r.project_id == self.project.id, r.name == name)
            )
            if exists is not None:
                raise ConflictError(f"an agreement run named {name!r} already exists")
            conn.execute(
                insert(t.agreement_run).values(
                    project_id=self.project.id,
                    name=name,
                    created_at=now(),
                    parameters=report.parameters,
                    codebook=snapshot,
                    results=results(report),
                )
            )
            self.project.audit(conn, "agreement_run", name=name, unit=report.unit)

    def _load_run(self, name: str) -> dict[str, Any]:
        r = t.agreement_run.c
        with self.project.db.read() as conn:
            row = conn.execute(
                select(t.agreement_run).where(r.project_id == self.project.id, r.name == name)
            ).first()
            if row is None:
                raise NotFoundError(f"no saved agreement run named {name!r}")
            kinds = dict(
                conn.execute(
                    select(t.coder.c.name, t.coder.c.kind).where(
                        t.coder.c.project_id == self.project.id
                    )
                ).all()
            )
        # a saved run shows the compared layers' per-code figures: blind coding applies
        for coder in row.parameters.get("coders") or []:
            self.project.access.check_read_layer(coder, kinds.get(coder, "human"))
        return {"parameters": row.parameters, "codebook": row.codebook, "results": row.results}
