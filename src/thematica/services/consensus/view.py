"""One document as a reconciliation meeting sees it: both coders' codings, every pairing of
them with its state (open, agreed, decided and how), the consensus layer's codings, and the
state of every document of the project.

This is what a side-by-side comparison needs in one read; it works before a consensus layer
exists (every pairing but the identical ones is then open) so the two coders can be compared
first and the layer started afterwards. Blind coding applies: both coders' layers must be
readable, as for :meth:`Consensus.disagreements`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.errors import InputError
from thematica.services.consensus.decision_log import Logged, LogState, log_state, logged_rows
from thematica.services.consensus.layers import (
    Layer,
    check_pair,
    find_layer,
    human_coder_ids,
    layer_names,
    starts,
)
from thematica.services.consensus.pairing import compare
from thematica.services.consensus.rows import Disagreement, Side
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.code_index import CodeIndex
    from thematica.services.project import Project

#: the state of a pairing: ``open`` (to decide), ``agreed`` (identical spans, in the layer or
#: to be once it is started) or ``decided`` (a decision in force; ``action`` says which)
STATES = ("open", "agreed", "decided")


@dataclass(slots=True)
class SpanView:
    """One coding shown in a pane; ``item`` is the pairing it belongs to."""

    id: int
    code: str
    code_id: int
    start: int
    end: int
    item: str | None = None


@dataclass(slots=True)
class ItemView:
    """One pairing of the two coders' codings (or a coding the team added) and its state."""

    id: str
    kind: str  # agreed | boundary | only_a | only_b | different_code | added
    code: str
    start: int
    end: int
    overlap: float
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    state: str
    action: str | None = None
    decision: int | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    #: the consensus codings the decision in force wrote: code, code_id, start, end
    results: list[dict[str, Any]] = field(default_factory=list)
    #: both coders applied the same code here, so the team may overturn it
    overturnable: bool = False


@dataclass(slots=True)
class DocumentState:
    """How far reconciliation of one document has come."""

    document: str
    open: int
    decided: int
    agreed: int


@dataclass(slots=True)
class DocumentComparison:
    document: str
    text: str
    coders: list[str]
    #: the consensus layer comparing these coders; None before one is started
    layer: str | None
    layers: list[str]
    coder_a: list[SpanView]
    coder_b: list[SpanView]
    consensus: list[SpanView]
    items: list[ItemView]
    documents: list[DocumentState]
    #: every code of the codebook, depth first: id and path
    codes: list[dict[str, Any]]
    #: identical codings made after the layer was started: starting it again brings them in
    pending_agreed: int = 0


def _side(s: Side | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "id": s.id,
        "coder": s.coder,
        "code": s.code,
        "code_id": s.code_id,
        "start": s.start,
        "end": s.end,
        "text": s.text,
    }


def _choose_layer(
    project: Project,
    conn: Connection,
    coders: Sequence[str] | str | None,
    name: str | None,
) -> tuple[Layer | None, list[str]]:
    """The layer to show and the two coders, in the layer's order when it has one."""
    if name is not None:
        layer = find_layer(project, conn, name)
        if coders is not None:
            pair = check_pair(coders, name, 0.0)
            if set(pair) != set(layer.coders):
                raise InputError(
                    f"consensus layer {name!r} compares {' and '.join(layer.coders)}, "
                    f"not {' and '.join(pair)}",
                    layer=name,
                    hint="coders",
                )
        return layer, list(layer.coders)
    records = starts(project, conn)
    names = layer_names(project, conn)
    if coders is None:
        if len(names) == 1:
            only = find_layer(project, conn, None)
            return only, list(only.coders)
        raise InputError("choose the two coders to compare", hint="coders")
    pair = check_pair(coders, "", 0.0)
    matching = [
        n for n in names if n in records and list(records[n].get("coders") or []) == pair
    ] or [n for n in names if n in records and set(records[n].get("coders") or []) == set(pair)]
    if not matching:
        return None, pair
    chosen = "consensus" if "consensus" in matching else matching[0]
    layer = find_layer(project, conn, chosen)
    return layer, list(layer.coders)


def _state(item: Disagreement, state: LogState | None) -> tuple[str, Logged | None]:
    settled = state.settled_by(item) if state is not None else None
    if settled is None:
        return ("agreed" if item.kind == "agreed" else "open"), None
    if settled.action == "agreed":
        return "agreed", settled
    return "decided", settled


def _spans(conn: Connection, index: CodeIndex, coder_id: int, document_id: int) -> list[SpanView]:
    c = t.coding.c
    return [
        SpanView(int(r.id), index.paths.get(r.code_id, f"#{r.code_id}"), r.code_id, r.start, r.end)
        for r in conn.execute(
            select(c.id, c.code_id, c.start, c.end)
            .where(c.coder_id == coder_id, c.document_id == document_id)
            .order_by(c.start, c.end, c.id)
        )
    ]


def document_comparison(
    project: Project,
    document: str,
    coders: Sequence[str] | str | None,
    name: str | None,
) -> DocumentComparison:
    with project.db.read() as conn:
        layer, pair = _choose_layer(project, conn, coders, name)
        ids = layer.coder_ids if layer else human_coder_ids(project, conn, pair)
        index = project.codebook.index(conn)
        doc_id = project.documents.id_of(conn, document)
        d = t.document.c
        text = str(conn.scalar(select(d.text).where(d.id == doc_id)) or "")
        all_docs = list(
            conn.scalars(select(d.name).where(d.project_id == project.id).order_by(d.name))
        )
        shape = layer or Layer("", 0, (pair[0], pair[1]), (ids[0], ids[1]), 0.0)
        items = compare(project, conn, shape, index)
        rows = logged_rows(project, conn, layer) if layer else []
        state = log_state(rows) if layer else None
        coder_a = _spans(conn, index, ids[0], doc_id)
        coder_b = _spans(conn, index, ids[1], doc_id)
        consensus = _spans(conn, index, layer.coder_id, doc_id) if layer else []
        layers = list(layer_names(project, conn))
    by_decision = {int(r.id): r for r in rows}
    code_of = {s.id: s.code_id for s in consensus}
    path_ids = {path: cid for cid, path in index.paths.items()}

    def view(item: Disagreement, status: str, logged: Logged | None) -> ItemView:
        row = by_decision.get(logged.id) if logged is not None else None
        out = _view(item, status, logged, row)
        for r in row.result_codings or [] if row is not None else []:
            code_id = code_of.get(int(r["id"])) or path_ids.get(r["code"], 0)
            out.results.append(
                {"code": r["code"], "code_id": code_id, "start": r["start"], "end": r["end"]}
            )
        return out

    counts = {n: DocumentState(n, 0, 0, 0) for n in all_docs}
    views: list[ItemView] = []
    seen: set[str] = set()
    pending = 0
    for item in items:
        status, logged = _state(item, state)
        seen.add(item.id)
        if logged is not None:
            seen.add(logged.disagreement_id)
        if layer is not None and item.kind == "agreed" and logged is None:
            pending += 1
        tally = counts.setdefault(item.document, DocumentState(item.document, 0, 0, 0))
        if status == "open":
            tally.open += 1
        elif status == "decided":
            tally.decided += 1
        else:
            tally.agreed += 1
        if item.document_id == doc_id:
            views.append(view(item, status, logged))
    # decisions in force about no pairing made now (the team's additions, decisions of a final
    # table, pairings whose codings changed afterwards): shown as the meeting saw them
    if state is not None:
        for did, logged in state.active.items():
            row = by_decision.get(logged.id)
            if did in seen or logged.action == "agreed" or row is None:
                continue
            doc_name = str(row.document_name)
            counts.setdefault(doc_name, DocumentState(doc_name, 0, 0, 0)).decided += 1
            if int(row.document_id) == doc_id:
                views.append(view(_from_snapshot(doc_id, row.disagreement), "decided", logged))
    # which pairing each coding shown in a pane belongs to
    side_item: dict[tuple[str, int], str] = {}
    result_item: dict[int, str] = {}
    for v in views:
        for key, side in (("a", v.a), ("b", v.b)):
            if side is not None:
                side_item[(key, int(side["id"]))] = v.id
        if v.decision is not None:
            row = by_decision[v.decision]
            for r in row.result_codings or []:
                result_item.setdefault(int(r["id"]), v.id)
    for s in coder_a:
        s.item = side_item.get(("a", s.id))
    for s in coder_b:
        s.item = side_item.get(("b", s.id))
    for s in consensus:
        s.item = result_item.get(s.id)
    views.sort(key=lambda v: (v.start, v.end, v.id))
    return DocumentComparison(
        document=document,
        text=text,
        coders=pair,
        layer=layer.name if layer else None,
        layers=layers,
        coder_a=coder_a,
        coder_b=coder_b,
        consensus=consensus,
        items=views,
        documents=[counts[n] for n in sorted(counts)],
        codes=[{"id": cid, "path": index.paths[cid]} for cid in index.depth_first()],
        pending_agreed=pending,
    )


def _from_snapshot(document_id: int, snap: dict[str, Any]) -> Disagreement:
    """The disagreement a logged decision was about; a final table's decisions (recorded per
    unit, with no pairing) keep their unit's span and code."""
    item = Disagreement.from_snapshot(document_id, snap)
    if not item.sides and item.added is None and snap.get("code_id") is not None:
        start, end = int(snap.get("start") or 0), int(snap.get("end") or 0)
        item.added = (int(snap["code_id"]), start, end)
        item.code = str(snap.get("code") or "")
    return item


def _view(item: Disagreement, status: str, logged: Logged | None, row: Any) -> ItemView:
    return ItemView(
        id=item.id,
        kind=item.kind,
        code=item.code,
        start=item.start,
        end=item.end,
        overlap=item.overlap,
        a=_side(item.a),
        b=_side(item.b),
        state=status,
        action=logged.action if logged is not None else None,
        decision=logged.id if logged is not None else None,
        reason=(row.reason or "") if row is not None else None,
        decided_by=row.decided_by if row is not None else None,
        decided_at=row.decided_at.isoformat(timespec="seconds") if row is not None else None,
        overturnable=item.a is not None and item.b is not None and item.a.code_id == item.b.code_id,
    )
