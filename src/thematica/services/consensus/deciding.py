"""Recording decisions: check each request against the agenda and the log, then write the
consensus codings and the decision rows, all in the caller's one transaction.

A decision in force is replaced only on purpose (``revise``), except that ``overturn`` of an
automatic ``agreed`` needs no revise: overturning an agreement is what it is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.services.consensus.decision_log import Logged, LogState
from thematica.services.consensus.pairing import results_of
from thematica.services.consensus.rows import ACTIONS, Disagreement, Request
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.consensus.layers import Layer
    from thematica.services.project import Project

#: the actions a request may name (``add`` has its own entry point: it has no disagreement)
REQUEST_ACTIONS = (*ACTIONS, "overturn")


@dataclass(slots=True)
class Plan:
    item: Disagreement
    action: str
    reason: str
    decided_by: str
    results: list[tuple[int, int, int]]  # (code_id, start, end)
    supersedes: Logged | None


@dataclass(slots=True)
class Context:
    """What every request of one batch is checked against."""

    layer: Layer
    index: CodeIndex
    items: dict[str, Disagreement]
    state: LogState
    snapshots: dict[str, Any]
    lengths: dict[int, int]
    seen: set[str]


def document_length(conn: Connection, ctx: Context, document_id: int) -> int:
    if document_id not in ctx.lengths:
        ctx.lengths[document_id] = int(
            conn.scalar(select(t.document.c.length).where(t.document.c.id == document_id)) or 0
        )
    return ctx.lengths[document_id]


def plan_request(conn: Connection, ctx: Context, req: Request) -> Plan:
    """Check one request; raises a one-line error naming what is wrong."""
    layer, index = ctx.layer, ctx.index
    action = req.action.strip().lower()
    if action not in REQUEST_ACTIONS:
        raise InputError(f"unknown action {req.action!r}; one of {', '.join(REQUEST_ACTIONS)}")
    did = req.id.strip()
    if did in ctx.seen:
        raise InputError(f"disagreement {did} is decided twice")
    ctx.seen.add(did)
    old = ctx.state.active.get(did)
    item = ctx.items.get(did)
    if old is None and item is not None:
        other = ctx.state.settled_by(item)
        if other is not None:
            raise ConflictError(
                f"disagreement {did} is already settled by decision {other.id} "
                f"({other.action} of {other.disagreement_id})"
            )
    if old is not None and old.unit is not None:
        raise ConflictError(
            f"{did} was decided by a final table (decision {old.id}); "
            "apply a corrected final table instead"
        )
    overturns_agreed = action == "overturn" and old is not None and old.action == "agreed"
    if old is not None and not req.revise and not overturns_agreed:
        raise ConflictError(
            f"disagreement {did} is already decided ({old.action}, decision {old.id}); "
            "revise it to replace that decision"
        )
    if old is None and req.revise:
        raise InputError(f"disagreement {did} has not been decided yet; nothing to revise")
    if item is None:
        if old is None:
            raise NotFoundError(
                f"no open disagreement {did!r} in consensus layer {layer.name!r}",
                disagreement=did,
                layer=layer.name,
                hint="consensus_list",
            )
        snap = ctx.snapshots[did]
        item = Disagreement.from_snapshot(int(snap.document_id), snap.disagreement)
    if action != "edit" and (req.start is not None or req.end is not None):
        raise InputError(f"start and end are only for edit, not {action}")
    if action not in ("edit", "merge") and req.code:
        raise InputError(f"a code is only for edit or merge, not {action}")
    if item.added is not None and action not in ("drop", "edit"):
        raise InputError(f"{did} is a coding the team added; revise it with drop or edit")
    codes = {s.code_id for s in item.sides} or ({item.added[0]} if item.added else set())
    code_id: int | None = index.resolve(req.code) if req.code else None
    if action == "overturn" and (
        item.a is None or item.b is None or item.a.code_id != item.b.code_id
    ):
        raise InputError(
            f"overturn is for a coding both coders made; {did} is {item.kind} (use drop)"
        )
    if action == "merge":
        if item.a is None or item.b is None:
            raise InputError(
                f"merge needs both coders' spans; {did} is {item.kind} (use keep_a, keep_b, "
                "edit or drop)"
            )
        if code_id is None and len(codes) > 1:
            raise InputError(f"the coders used different codes ({item.code}); merge needs a code")
    results: list[tuple[int, int, int]]
    if action == "edit":
        if req.start is None or req.end is None:
            raise InputError("edit needs a start and an end")
        if code_id is None:
            if len(codes) > 1:
                raise InputError(
                    f"the coders used different codes ({item.code}); edit needs a code"
                )
            code_id = next(iter(codes))
        length = document_length(conn, ctx, item.document_id)
        if not 0 <= req.start < req.end <= length:
            raise InputError(
                f"span [{req.start}, {req.end}) is outside {item.document} (0 to {length}) or empty"
            )
        results = [(code_id, req.start, req.end)]
    else:
        results = results_of(item, action, code_id)
    for cid, _s, _e in results:
        if cid not in index.rows:
            raise NotFoundError(f"code #{cid} of {did} is no longer in the codebook")
    reason = " ".join((req.reason or "").split())
    if action == "overturn" and not reason:
        raise InputError(f"overturning {did} needs a reason")
    who = (req.decided_by or "").strip() or "+".join(layer.coders)
    return Plan(item, action, reason, who, results, old)


def insert_coding(
    project: Project,
    conn: Connection,
    layer: Layer,
    document_id: int,
    span: tuple[int, int, int],
    stamp: Any,
    batch_id: int | None = None,
) -> tuple[int, bool]:
    """The layer's coding of (code_id, start, end) in a document: (id, newly inserted)."""
    c = t.coding.c
    code_id, start, end = span
    cid = conn.scalar(
        select(c.id).where(
            c.document_id == document_id,
            c.code_id == code_id,
            c.coder_id == layer.coder_id,
            c.start == start,
            c.end == end,
        )
    )
    if cid is not None:
        if batch_id is None:
            # a decision outside the batch that added this coding now relies on it: undoing
            # that batch must not take it away
            conn.execute(
                update(t.coding).where(c.id == cid, c.batch_id.is_not(None)).values(batch_id=None)
            )
        return int(cid), False
    new = conn.execute(
        insert(t.coding).values(
            project_id=project.id,
            document_id=document_id,
            code_id=code_id,
            coder_id=layer.coder_id,
            start=start,
            end=end,
            memo=None,
            starred=False,
            created_at=stamp,
            batch_id=batch_id,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    return int(new), True


def write_plans(
    project: Project,
    conn: Connection,
    layer: Layer,
    plans: Sequence[Plan],
    active: dict[str, Logged],
) -> list[int]:
    """Write each plan's consensus codings and decision row; returns the decision ids."""
    from thematica.services.project import now

    if not plans:
        return []
    index = project.codebook.index(conn)
    c = t.coding.c
    stamp = now()
    written: list[int] = []
    for plan in plans:
        if plan.supersedes is not None:
            old = plan.supersedes
            still_used: set[int] = set()
            for did, logged in active.items():
                if did != old.disagreement_id:
                    still_used |= logged.result_ids
            orphans = sorted(old.result_ids - still_used)
            if orphans:
                conn.execute(
                    delete(t.coding).where(c.id.in_(orphans), c.coder_id == layer.coder_id)
                )
        result_refs: list[dict[str, Any]] = []
        for span in dict.fromkeys(plan.results):
            cid, _new = insert_coding(project, conn, layer, plan.item.document_id, span, stamp)
            result_refs.append(
                {
                    "id": cid,
                    "coder": layer.name,
                    "code": index.paths[span[0]],
                    "start": span[1],
                    "end": span[2],
                }
            )
        snapshot = {
            **plan.item.snapshot(),
            "layer": layer.name,
            "min_overlap": layer.min_overlap,
            "supersedes": plan.supersedes.id if plan.supersedes else None,
        }
        if plan.item.added is not None:
            snapshot["added"] = _added_ref(index, plan.item.added)
        decision_id = int(
            conn.execute(
                insert(t.consensus_decision).values(
                    project_id=project.id,
                    document_id=plan.item.document_id,
                    disagreement=snapshot,
                    action=plan.action,
                    reason=plan.reason,
                    decided_by=plan.decided_by,
                    decided_at=stamp,
                    source_codings=[s.ref() for s in plan.item.sides],
                    result_codings=result_refs,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        active[plan.item.id] = Logged(
            decision_id,
            plan.item.id,
            plan.action,
            {r["id"] for r in result_refs},
            {s.id for s in plan.item.sides},
        )
        written.append(decision_id)
    project.audit(
        conn,
        "consensus_decide",
        decided_by=plans[0].decided_by,
        layer=layer.name,
        decisions=len(plans),
        agreed=sum(1 for p in plans if p.action == "agreed"),
        overturned=sum(1 for p in plans if p.action == "overturn"),
        revised=sum(1 for p in plans if p.supersedes is not None),
        first=written[0],
        last=written[-1],
    )
    return written


def _added_ref(index: CodeIndex, added: tuple[int, int, int]) -> dict[str, Any]:
    return {
        "code_id": added[0],
        "code": index.paths.get(added[0], f"#{added[0]}"),
        "start": added[1],
        "end": added[2],
    }


def write_added(
    project: Project,
    conn: Connection,
    layer: Layer,
    document_id: int,
    document: str,
    span: tuple[int, int, int],
    reason: str,
    decided_by: str,
) -> int:
    """Record a coding neither coder made: the layer's coding and an ``add`` decision whose
    disagreement id is ``add-<decision id>`` (unique, never reused). Returns the decision id."""
    from thematica.services.project import now

    index = project.codebook.index(conn)
    stamp = now()
    cid, new = insert_coding(project, conn, layer, document_id, span, stamp)
    if not new:
        raise ConflictError(
            f"{document} [{span[1]}, {span[2]}) is already coded {index.paths[span[0]]} "
            f"in consensus layer {layer.name!r}"
        )
    ref = {
        "id": cid,
        "coder": layer.name,
        "code": index.paths[span[0]],
        "start": span[1],
        "end": span[2],
    }
    snapshot: dict[str, Any] = {
        "id": "add",
        "kind": "added",
        "document": document,
        "coders": list(layer.coders),
        "overlap": 0.0,
        "a": None,
        "b": None,
        "added": _added_ref(index, span),
        "layer": layer.name,
        "min_overlap": layer.min_overlap,
        "supersedes": None,
    }
    decision_id = int(
        conn.execute(
            insert(t.consensus_decision).values(
                project_id=project.id,
                document_id=document_id,
                disagreement=snapshot,
                action="add",
                reason=reason,
                decided_by=decided_by,
                decided_at=stamp,
                source_codings=[],
                result_codings=[ref],
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    conn.execute(
        update(t.consensus_decision)
        .where(t.consensus_decision.c.id == decision_id)
        .values(disagreement={**snapshot, "id": f"add-{decision_id}"})
    )
    project.audit(
        conn,
        "consensus_add",
        decided_by=decided_by,
        layer=layer.name,
        decision=decision_id,
        document=document,
        code=index.paths[span[0]],
        start=span[1],
        end=span[2],
    )
    return decision_id
