"""Saturation as data collection goes on: documents (or cases) in interview order, new codes
per interview, the Guest, Namey & Chen (2020) assessment and the code-frequency view.

The definition is spelled out in :mod:`thematica.core.saturation`. Ordering: by the value of a
case attribute of each document's case (typed: dates and numbers compare as such, ordinal
values by their declared rank), ties broken by document name. Documents whose case has no
value for the attribute, or that have no case, are **listed last** (by name) and named in the
result's notes; with no ``order_by`` documents are taken in name order. A code counts for an
interview when the chosen coder layer applied it there at least once (the consensus layer by
default; with several layers, e.g. ``"alex,sam"``, a code counts when any of them applied it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.errors import InputError, NotFoundError
from thematica.core.models import AttributeType
from thematica.core.saturation import (
    CodeFirstSeen,
    Interview,
    SaturationResult,
    assess,
    check_parameters,
    first_seen,
)
from thematica.core.tables import Table
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

UNITS = ("document", "case")


@dataclass(slots=True)
class SaturationRow:
    position: int
    document: str
    case: str | None
    order_value: str | None
    new: int
    cumulative: int
    ratio: float | None
    new_codes: list[str]


def attribute_sort_key(
    kind: AttributeType, order: tuple[str, ...] | None, value: str
) -> tuple[Any, ...]:
    if kind is AttributeType.NUMERIC:
        try:
            return (0, float(value), "")
        except ValueError:
            return (1, 0.0, value)
    if kind is AttributeType.ORDINAL and order:
        return (0, order.index(value), "") if value in order else (1, 0, value)
    return (0, 0, value)  # dates are ISO text; categorical and yes/no compare as text


class Saturation:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- data -------------------------------------------------------------------------------
    def interviews(
        self,
        order_by: str | None = None,
        *,
        coder: str | None = None,
        unit: str = "document",
    ) -> tuple[list[Interview], list[str]]:
        """The interviews in order and notes about the ordering (who was listed last)."""
        if unit not in UNITS:
            raise InputError(f"unit must be 'document' or 'case', not {unit!r}")
        pid = self.project.id
        d = t.document.c
        with self.project.db.read() as conn:
            infos = {a.name: a for a in self.project.cases.attribute_info(conn)}
            if order_by is not None and order_by not in infos:
                known = ", ".join(infos) or "none yet"
                raise NotFoundError(f"no attribute named {order_by!r} (attributes: {known})")
            case_of = self.project.documents.case_names(conn)
            docs: dict[int, str] = dict(
                conn.execute(select(d.id, d.name).where(d.project_id == pid)).all()
            )
            if not docs:
                raise InputError("the project has no documents yet; import transcripts first")
            values = self.project.cases.values(conn) if order_by else {}
            codes = self._codes(conn, coder)
        # One unit per document, or per case (the union of its documents' codes).
        units: dict[str, tuple[str, str | None, set[str]]] = {}  # key -> (label, case, codes)
        for doc_id, name in docs.items():
            case = case_of.get(doc_id)
            if unit == "case":
                key = case if case is not None else f"\0{name}"
                label, _, got = units.get(key, ("", case, set()))
                label = f"{label}; {name}" if label else name
                units[key] = (label, case, got | codes.get(doc_id, set()))
            else:
                units[name] = (name, case, set(codes.get(doc_id, set())))
        ordered: list[tuple[tuple[Any, ...], Interview]] = []
        missing: list[str] = []
        for label, case, got in units.values():
            name = case if unit == "case" and case is not None else label
            value = values.get(case, {}).get(order_by) if (order_by and case) else None
            if order_by is None:
                sort: tuple[Any, ...] = (0, (), name)
            elif value is None:
                sort = (1, (), name)
                missing.append(name)
            else:
                info = infos[order_by]
                sort = (0, attribute_sort_key(info.type, info.order, value), name)
            ordered.append((sort, Interview(label, case, value, frozenset(got))))
        ordered.sort(key=lambda pair: pair[0])
        notes = []
        if missing:
            notes.append(
                f"no {order_by!r} value for {', '.join(sorted(missing))}: listed last, by name"
            )
        return [iv for _, iv in ordered], notes

    def _codes(self, conn: Connection, coder: str | None) -> dict[int, set[str]]:
        layer = self.project.coding.coder_ids(conn, coder)
        paths = self.project.codebook.index(conn).paths
        k = t.coding.c
        out: dict[int, set[str]] = {}
        rows = conn.execute(
            select(k.document_id, k.code_id)
            .distinct()
            .where(k.project_id == self.project.id, k.coder_id.in_(list(layer)))
        )
        for doc_id, code_id in rows:
            out.setdefault(doc_id, set()).add(paths[code_id])
        return out

    # -- results ----------------------------------------------------------------------------
    def assess(
        self,
        order_by: str | None = None,
        *,
        base: int = 4,
        run: int = 2,
        threshold: float = 0.05,
        coder: str | None = None,
        unit: str = "document",
    ) -> SaturationResult:
        """New/cumulative codes per interview in order, and where saturation was reached.

        >>> project.saturation.assess("interview_date", base=4, run=2, threshold=0.05)
        ... # doctest: +SKIP
        """
        check_parameters(base, run, threshold)
        interviews, notes = self.interviews(order_by, coder=coder, unit=unit)
        result = assess(interviews, base=base, run=run, threshold=threshold)
        result.notes = notes + result.notes
        return result

    @staticmethod
    def table(result: SaturationResult) -> Table[SaturationRow]:
        rows = [
            SaturationRow(
                s.position,
                s.document,
                s.case,
                s.order_value,
                s.new,
                s.cumulative,
                None if s.ratio is None else round(s.ratio, 4),
                s.new_codes,
            )
            for s in result.documents
        ]
        title = (
            f"Saturation reached at {result.saturation_reached_at} ({result.report_as})"
            if result.saturation_reached_at
            else "Saturation not reached"
        )
        return Table(rows, title=title)

    def frequency(
        self, order_by: str | None = None, *, coder: str | None = None, unit: str = "document"
    ) -> Table[CodeFirstSeen]:
        """When each code first appeared (position, document, case) and how often it recurs."""
        interviews, _notes = self.interviews(order_by, coder=coder, unit=unit)
        return Table(first_seen(interviews), title="Codes by first appearance")
