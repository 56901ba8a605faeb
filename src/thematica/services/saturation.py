"""Saturation as data collection goes on: documents (or cases) in interview order, new codes
per interview, the Guest, Namey & Chen (2020) assessment and the code-frequency view.

The definition is spelled out in :mod:`thematica.core.saturation`. Ordering: by the value of a
case attribute of each document's case (typed: dates and numbers compare as such, ordinal
values by their declared rank), ties broken by document name. Documents whose case has no
value for the attribute, or that have no case, are **listed last** (by name) and named in the
result's notes; with no ``order_by`` documents are taken in name order. A code counts for an
interview when the chosen coder layer applied it there at least once (the consensus layer by
default; with several layers, e.g. ``"alex,sam"``, a code counts when any of them applied it).

Documents with no coding at all in the layer (newly imported, not yet coded) are **left out**:
they are no evidence of saturation, so they do not count as interviews without new codes. The
result names them (``not_yet_coded``) and a note says so.

Units (``unit``): each ``document`` (a focus-group session is one interview); each ``case``,
i.e. participant, with its documents together, where a focus group's codings go to the speaker
who said them (the rule of :mod:`thematica.services.speakers`; the moderator's go to no one);
or each ``group``: a document's own case, the focus group (an individual interview is a group of
one), a code counting when anyone but the moderator said it. Without speaker maps ``case`` and
``group`` are the same. Participants and groups are ordered by their own attribute values.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.access import Operation
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
from thematica.services.access import requires
from thematica.services.speakers import Attributor, attributor_for
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

UNITS = ("document", "case", "group")


@dataclass(slots=True)
class LayerSaturation(SaturationResult):
    """The assessment of one coder layer, and the documents left out of it because nothing in
    them is coded in that layer yet (newly imported, not yet coded): they are no evidence of
    saturation, so they neither add interviews nor count as interviews with no new codes."""

    not_yet_coded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {**SaturationResult.to_dict(self), "not_yet_coded": list(self.not_yet_coded)}


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
    @requires(Operation.READ)
    def interviews(
        self,
        order_by: str | None = None,
        *,
        coder: str | None = None,
        unit: str = "document",
    ) -> tuple[list[Interview], list[str]]:
        """The interviews in order and notes about the ordering (who was listed last) and about
        the documents left out because nothing in them is coded in the layer yet."""
        interviews, notes, uncoded = self._interviews(order_by, coder, unit)
        return interviews, notes + _uncoded_note(uncoded)

    def _interviews(
        self, order_by: str | None, coder: str | None, unit: str
    ) -> tuple[list[Interview], list[str], list[str]]:
        """The interviews in order, notes on the ordering, and the documents without any coding
        in the layer (left out of the interviews: not yet coded is not "no new codes")."""
        if unit not in UNITS:
            raise InputError(f"unit must be 'document', 'case' or 'group', not {unit!r}")
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
            uncoded = sorted(name for i, name in docs.items() if i not in codes)
            docs = {i: name for i, name in docs.items() if i in codes}
            attr = attributor_for(
                self.project, conn, {i: (n, case_of.get(i)) for i, n in docs.items()}
            )
            if unit != "document" and attr.has_maps:
                units = self._speaker_units(conn, coder, attr, unit)
            else:
                units = self._document_units(codes, docs, case_of, unit)
        ordered: list[tuple[tuple[Any, ...], Interview]] = []
        missing: list[str] = []
        for label, case, got in units.values():
            name = case if unit != "document" and case is not None else label
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
        return [iv for _, iv in ordered], notes, uncoded

    @staticmethod
    def _document_units(
        codes: dict[int, set[str]],
        docs: dict[int, str],
        case_of: dict[int, str],
        unit: str,
    ) -> dict[str, tuple[str, str | None, set[str]]]:
        """One unit per document, or per case (the union of its documents' codes)."""
        units: dict[str, tuple[str, str | None, set[str]]] = {}  # key -> (label, case, codes)
        for doc_id, name in docs.items():
            case = case_of.get(doc_id)
            if unit != "document":
                key = case if case is not None else f"\0{name}"
                label, _, got = units.get(key, ("", case, set()))
                label = f"{label}; {name}" if label else name
                units[key] = (label, case, got | codes.get(doc_id, set()))
            else:
                units[name] = (name, case, set(codes.get(doc_id, set())))
        return units

    def _speaker_units(
        self, conn: Connection, coder: str | None, attr: Attributor, unit: str
    ) -> dict[str, tuple[str, str | None, set[str]]]:
        """Participants or groups of a project with speaker maps, each with its codes."""
        units: dict[str, tuple[str, str | None, set[str]]] = {}

        def add(key: str, label: str, case: str | None) -> None:
            old, _, got = units.get(key, ("", case, set()))
            if old and label not in old.split("; "):
                label = f"{old}; {label}"
            units[key] = (label or old, case, got)

        for doc_id, doc in attr.docs.items():
            if unit == "group" or not doc.mapped:
                add(doc.case if doc.case is not None else f"\0{doc.name}", doc.name, doc.case)
                continue
            for owner in attr.speaker_owners(doc_id):
                if owner is not None:
                    key = owner.case if owner.case is not None else f"\0{owner.unit}"
                    add(key, doc.name if owner.case is not None else owner.unit, owner.case)
        layer = self.project.coding.coder_ids(conn, coder)
        paths = self.project.codebook.index(conn).paths
        k = t.coding.c
        for doc_id, code_id, start, end in conn.execute(
            select(k.document_id, k.code_id, k.start, k.end).where(
                k.project_id == self.project.id, k.coder_id.in_(list(layer))
            )
        ):
            doc = attr.docs[doc_id]
            if unit == "group":
                keys = [
                    doc.case if doc.case is not None else f"\0{doc.name}"
                    for _g in attr.group_units(doc_id, start, end)
                ]
            else:
                keys = []
                for owner in attr.owners(doc_id, start, end):
                    key = owner.case if owner.case is not None else f"\0{owner.unit}"
                    if key not in units:  # text outside every turn of a focus group
                        add(key, owner.unit, None)
                    keys.append(key)
            for key in keys:
                units[key][2].add(paths[code_id])
        return units

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
    @requires(Operation.READ)
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
        interviews, notes, uncoded = self._interviews(order_by, coder, unit)
        core = assess(interviews, base=base, run=run, threshold=threshold)
        result = LayerSaturation(
            **{f.name: getattr(core, f.name) for f in fields(core)}, not_yet_coded=uncoded
        )
        result.notes = notes + _uncoded_note(uncoded) + core.notes
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

    @requires(Operation.READ)
    def frequency(
        self, order_by: str | None = None, *, coder: str | None = None, unit: str = "document"
    ) -> Table[CodeFirstSeen]:
        """When each code first appeared (position, document, case) and how often it recurs."""
        interviews, _notes = self.interviews(order_by, coder=coder, unit=unit)
        return Table(first_seen(interviews), title="Codes by first appearance")


def _uncoded_note(uncoded: list[str]) -> list[str]:
    if not uncoded:
        return []
    shown = ", ".join(uncoded[:5]) + (f" and {len(uncoded) - 5} more" if len(uncoded) > 5 else "")
    return [f"not yet coded (no coding in this layer), so left out: {shown}"]
