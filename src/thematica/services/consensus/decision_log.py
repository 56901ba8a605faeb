"""Reading the decision log: every decision of a layer, which are in force, what is settled.

Decisions are never deleted. A decision stops being in force when a later one takes its place:
a revision of the same disagreement (``supersedes``: one decision id), or a final table applied
to the whole layer (``replaces``: every decision in force before it).

Undoing a batch (``consensus apply --final``) appends one ``undo_batch`` row that takes the
batch's decisions out of force and puts back the ones it had replaced (``restores``).

A pairing of the coders' codings is *settled* when a decision in force is about it: by its id,
or because every coding it pairs is a source of such decisions. The second covers decisions
recorded per unit (a final table) and decisions recorded before the pairing changed shape
(e.g. an ``X`` against ``Y`` decided as one ``different_code`` before the codes stopped being
declared exclusive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.services.consensus.rows import DecisionRow, Disagreement
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.consensus.layers import Layer
    from thematica.services.project import Project

#: the action of the log row that records an undone batch (not a decision about any coding)
UNDO = "undo_batch"


@dataclass(slots=True)
class Logged:
    """A decision in force."""

    id: int
    disagreement_id: str
    action: str
    result_ids: set[int]
    source_ids: set[int] = field(default_factory=set)
    #: the unit it was recorded for when it came from a final table, else None
    unit: str | None = None


@dataclass(slots=True)
class LogState:
    rows: list[Any]
    active: dict[str, Logged]
    #: coding id of a coder -> the decision in force that has it among its sources
    sources: dict[int, Logged]

    def settled_by(self, item: Disagreement) -> Logged | None:
        """The decision in force that settles a pairing, or None while it is open."""
        if item.id in self.active:
            return self.active[item.id]
        sides = item.sides
        if sides and all(s.id in self.sources for s in sides):
            return self.sources[sides[0].id]
        return None

    def is_open(self, item: Disagreement) -> bool:
        return item.kind != "agreed" and self.settled_by(item) is None


def logged_rows(project: Project, conn: Connection, layer: Layer) -> list[Any]:
    """All decision rows of a layer, oldest first."""
    cd = t.consensus_decision.c
    rows = conn.execute(
        select(t.consensus_decision, t.document.c.name.label("document_name"))
        .join(t.document, t.document.c.id == cd.document_id)
        .where(cd.project_id == project.id)
        .order_by(cd.id)
    ).all()
    return [r for r in rows if (r.disagreement or {}).get("layer") == layer.name]


def log_state(rows: Sequence[Any]) -> LogState:
    active: dict[str, Logged] = {}
    every: dict[int, Logged] = {}
    for r in rows:
        snap = r.disagreement or {}
        replaced = {int(x) for x in snap.get("replaces") or ()}
        if replaced:
            active = {k: v for k, v in active.items() if v.id not in replaced}
        if r.action == UNDO:
            # an undone batch: the decisions it replaced are in force again, with the codings
            # re-inserted for them under new ids
            remap = {int(k): int(v) for k, v in (snap.get("remap") or {}).items()}
            for old in snap.get("restores") or ():
                logged = every[int(old)]
                logged.result_ids = {remap.get(x, x) for x in logged.result_ids}
                active[logged.disagreement_id] = logged
            continue
        did = str(snap["id"])
        every[int(r.id)] = active[did] = Logged(
            int(r.id),
            did,
            r.action,
            {int(x["id"]) for x in r.result_codings or []},
            {int(x["id"]) for x in r.source_codings or []},
            snap.get("unit"),
        )
    sources: dict[int, Logged] = {}
    for logged in active.values():
        for sid in logged.source_ids:
            sources.setdefault(sid, logged)
    return LogState(list(rows), active, sources)


def _describe(refs: Iterable[dict[str, Any]]) -> str:
    return "; ".join(
        f"{r['coder']} #{r['id']} {r['code']} [{r['start']}, {r['end']})" for r in refs
    )


def _fmt_time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _no_source(action: str, snap: dict[str, Any]) -> str:
    if action == UNDO:
        return f"(batch {snap.get('batch')} undone)"
    return "(neither coder)"


def decision_rows(rows: Sequence[Any]) -> list[DecisionRow]:
    superseded_by: dict[int, int] = {}
    for r in rows:
        snap = r.disagreement or {}
        old = snap.get("supersedes")
        if old is not None:
            superseded_by[int(old)] = int(r.id)
        for x in snap.get("replaces") or ():
            superseded_by[int(x)] = int(r.id)
        for x in snap.get("restores") or ():
            superseded_by.pop(int(x), None)
    out = []
    for r in rows:
        snap = r.disagreement or {}
        source = list(r.source_codings or [])
        result = list(r.result_codings or [])
        codes = [x["code"] for x in source] + [x["code"] for x in result]
        out.append(
            DecisionRow(
                decision=int(r.id),
                decided_at=_fmt_time(r.decided_at),
                decided_by=r.decided_by,
                action=r.action,
                reason=r.reason or "",
                document=r.document_name,
                disagreement=str(snap.get("id", "")),
                kind=str(snap.get("kind", "")),
                code=" | ".join(dict.fromkeys(codes)),
                source=_describe(source) if source else _no_source(r.action, snap),
                result=_describe(result) if result else "(nothing coded)",
                superseded_by=superseded_by.get(int(r.id)),
                supersedes=snap.get("supersedes"),
                source_codings=source,
                result_codings=result,
            )
        )
    return out
