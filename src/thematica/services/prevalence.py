"""Prevalence: how many cases (participants) raised each theme and code, in numbers and words.

The unit is the **participant** (``unit="participants"``, the default): a case counts for a
code when at least one segment coded with it belongs to it. A segment belongs to its document's
case, or, in a focus group with a speaker map, to the case of the speaker who said it (the rule
is spelled out in :mod:`thematica.services.speakers`; the moderator belongs to no one). A
document linked to no case counts as a unit of its own (named ``document:NAME``), as does an
unmapped speaker of a focus group (``DOCUMENT / SPEAKER``), so nothing is silently dropped. The
denominator is every unit that could have been coded (cases without documents cannot be and are
left out). ``unit="groups"`` counts groups instead: each document's own case (the focus group;
an individual interview is a group of one), a group counting when anyone but the moderator
said it. Every row says which unit it counts (``unit``).

A code counts with its subcodes (``include_subcodes=False`` for the code alone); a theme counts
the codes linked to it and to its subthemes. Segments are the coding rows that count for some
unit (not the moderator's): with several coder layers selected, each layer's coding is a
segment.

The coder layer is the consensus layer by default (see ``Coding.coder_ids``); any layer on
request. The quantifier word comes from :mod:`thematica.core.quantifiers`: the project's
``quantifiers`` setting, or the ``scale`` argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.quantifiers import QuantifierScale, scale_from_settings
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.speakers import Attributor, load_attributor
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

MISSING_GROUP = "(missing)"
NO_CASE_GROUP = "(no case)"
#: what prevalence counts: participants (speakers' or documents' cases) or groups (documents')
UNITS = ("participants", "groups")


@dataclass(slots=True)
class PrevalenceRow:
    kind: str  # theme | subtheme | code
    number: str  # theme number (2.1) or the code's depth-first position
    name: str  # theme name or code path
    level: str | None
    group: str | None  # attribute value with --by, else None
    cases: int
    total: int
    percent: float
    segments: int
    quantifier: str
    unit: str = "participants"  # what ``cases`` and ``total`` count: participants | groups


@dataclass(slots=True)
class Coded:
    """What prevalence and co-occurrence read: the selected layer's codings and the units."""

    codings: list[tuple[int, int, int, int, int]]  # id, document, code, start, end
    unit_of: dict[int, str]  # document id -> unit (case name or document:NAME)
    case_of: dict[int, str | None]  # document id -> case name
    coders: list[str]
    attributor: Attributor  # who each coding belongs to (speaker maps of focus groups)

    def units(self, unit: str) -> tuple[dict[str, str | None], dict[int, list[str]]]:
        """(every unit -> its case, coding id -> the units it counts for) for ``unit``."""
        attr = self.attributor
        if unit == "groups":
            every = attr.group_units_all()
            return every, {i: attr.group_units(d, s, e) for i, d, _c, s, e in self.codings}
        every = attr.participant_units()
        owned: dict[int, list[str]] = {}
        for i, d, _c, s, e in self.codings:
            owners = attr.owners(d, s, e)
            owned[i] = [o.unit for o in owners]
            for o in owners:  # text outside every turn of a focus group
                every.setdefault(o.unit, o.case)
        return every, owned


def load_coded(project: Project, conn: Connection, coder: str | Sequence[str] | None) -> Coded:
    d = t.document.c
    docs = conn.execute(select(d.id, d.name).where(d.project_id == project.id)).all()
    if not docs:
        raise InputError("the project has no documents yet; import transcripts first")
    names = project.documents.case_names(conn)
    case_of: dict[int, str | None] = {r.id: names.get(r.id) for r in docs}
    unit_of = {r.id: case_of[r.id] or f"document:{r.name}" for r in docs}
    coder_ids = project.coding.coder_ids(conn, coder)
    k = t.coding.c
    codings = [
        (r.id, r.document_id, r.code_id, r.start, r.end)
        for r in conn.execute(
            select(k.id, k.document_id, k.code_id, k.start, k.end)
            .where(k.project_id == project.id, k.coder_id.in_(list(coder_ids)))
            .order_by(k.document_id, k.start, k.end, k.id)
        )
    ]
    attributor = load_attributor(project, conn, unit_of)
    return Coded(codings, unit_of, case_of, list(coder_ids.values()), attributor)


class Prevalence:
    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.READ)
    def scale(self, scale: QuantifierScale | None = None) -> QuantifierScale:
        return scale or scale_from_settings(self.project.settings)

    @requires(Operation.SETTINGS)
    def set_scale(self, spec: object) -> QuantifierScale:
        """Store the project's quantifier scale (its JSON form; None restores the default)."""
        scale = QuantifierScale.from_spec(spec)  # type: ignore[arg-type]
        self.project.update_settings(quantifiers=None if spec is None else scale.to_spec())
        return scale

    @requires(Operation.READ)
    def table(
        self,
        of: str = "themes",
        *,
        coder: str | Sequence[str] | None = None,
        by: str | None = None,
        scale: QuantifierScale | None = None,
        include_subcodes: bool = True,
        unit: str = "participants",
    ) -> Table[PrevalenceRow]:
        """Prevalence of every theme (``of="themes"``) or code (``of="codes"``), optionally
        broken down by a case attribute (``by``): one row per item, or per item and group.

        ``unit`` says what is counted: participants (the default) or groups (focus groups:
        each document's own case); see the module docstring."""
        if of not in ("themes", "codes"):
            raise InputError(f"prevalence is of themes or codes, not {of!r}")
        if unit not in UNITS:
            raise InputError(f"prevalence counts participants or groups, not {unit!r}")
        words = self.scale(scale)
        with self.project.db.read() as conn:
            coded = load_coded(self.project, conn, coder)
            codes = self.project.codebook.index(conn)
            themes = self.project.themes.index(conn)
            every, owned = coded.units(unit)
            groups = self._groups(conn, every, by)
        # items: (kind, number, name, level, code ids)
        items: list[tuple[str, str, str, str | None, set[int]]] = []
        if of == "codes":
            for n, cid in enumerate(codes.depth_first(), 1):
                ids = set(codes.subtree(cid)) if include_subcodes else {cid}
                level = _code_level(codes, cid)
                items.append(("code", str(n), codes.paths[cid], level, ids))
        else:
            if not themes.themes:
                raise InputError("no themes yet: add some first", hint="themes_add")

            def expand(ids: list[int]) -> set[int]:
                out: set[int] = set()
                for cid in ids:
                    out.update(codes.subtree(cid) if include_subcodes else [cid])
                return out

            for th in themes.ordered():
                own = list(th.code_ids)
                for child in th.children:
                    own += themes.themes[child].code_ids
                kind = "subtheme" if th.parent_id else "theme"
                items.append((kind, th.number, th.name, th.level, expand(own)))
        # unit -> group, group totals
        group_names: list[str | None] = list(dict.fromkeys(groups.values())) if by else [None]
        if by:
            group_names = sorted(group_names, key=lambda g: (g in (MISSING_GROUP, NO_CASE_GROUP),))
        units = set(every)
        totals = {
            g: sum(1 for u in units if groups.get(u) == g) if by else len(units)
            for g in group_names
        }
        by_code: dict[int, list[tuple[int, str]]] = {}
        for cod_id, _doc_id, code_id, _s, _e in coded.codings:
            by_code.setdefault(code_id, []).extend((cod_id, u) for u in owned[cod_id])
        rows = []
        for kind, number, name, level, ids in items:
            hits = {pair for cid in ids for pair in by_code.get(cid, [])}
            for g in group_names:
                mine = [(i, u) for i, u in hits if not by or groups.get(u) == g]
                n_units = len({u for _i, u in mine})
                total = totals[g]
                rows.append(
                    PrevalenceRow(
                        kind=kind,
                        number=number,
                        name=name,
                        level=level,
                        group=g,
                        cases=n_units,
                        total=total,
                        percent=round(100 * n_units / total, 1) if total else 0.0,
                        segments=len({i for i, _u in mine}),
                        quantifier=words.word(n_units, total) if total else words.none,
                        unit=unit,
                    )
                )
        columns = ["kind", "number", "name", "level"]
        if by:
            columns.append("group")
        columns += ["cases", "total", "percent", "segments", "quantifier", "unit"]
        title = f"Prevalence of {of} ({', '.join(coded.coders)})" + (f" by {by}" if by else "")
        if unit == "groups" or coded.attributor.has_maps:
            title += f", counting {unit}"
        return Table(rows, columns=tuple(columns), title=title)

    @requires(Operation.READ)
    def themes(self, **kwargs: object) -> Table[PrevalenceRow]:
        return self.table("themes", **kwargs)  # type: ignore[arg-type]

    @requires(Operation.READ)
    def codes(self, **kwargs: object) -> Table[PrevalenceRow]:
        return self.table("codes", **kwargs)  # type: ignore[arg-type]

    def _groups(
        self, conn: Connection, every: dict[str, str | None], by: str | None
    ) -> dict[str, str]:
        """unit -> attribute value (as group name) for a breakdown."""
        if by is None:
            return {}
        infos = {a.name: a for a in self.project.cases.attribute_info(conn)}
        if by not in infos:
            known = ", ".join(infos) or "none yet"
            raise NotFoundError(f"no attribute named {by!r} (attributes: {known})")
        values = self.project.cases.values(conn)
        order = infos[by].order or ()
        out: dict[str, str] = {}
        for unit, case in every.items():
            if case is None:
                out[unit] = NO_CASE_GROUP
            else:
                value = values.get(case, {}).get(by)
                out[unit] = MISSING_GROUP if value is None else value
        # stable order: the attribute's own order for ordinals, else sorted
        rank = {v: i for i, v in enumerate(order)}
        return dict(sorted(out.items(), key=lambda kv: (rank.get(kv[1], len(rank)), kv[1])))


def _code_level(codes: object, cid: int) -> str | None:
    from thematica.services.codebook import CodeIndex

    assert isinstance(codes, CodeIndex)
    node: int | None = cid
    while node is not None:
        level = codes.rows[node].sem_level
        if level:
            return str(level)
        node = codes.rows[node].parent_id
    return None
