"""Undoing a consensus batch (``consensus apply --final``) from ``thematica batches undo``.

:meth:`thematica.services.batches.Batches.undo` removes the codings the batch inserted and then
calls :meth:`Consensus.undo_batch` in the same transaction. Here the layer goes back to what it
was: the codings the batch removed are inserted again, and one ``undo_batch`` row in the log
takes the batch's decisions out of force and puts back the decisions they had replaced. Nothing
in the log is deleted. Refused when a later decision has since replaced one of the batch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select

from thematica.core.errors import ConflictError
from thematica.services.consensus.deciding import insert_coding
from thematica.services.consensus.decision_log import UNDO, log_state, logged_rows
from thematica.services.consensus.layers import find_layer, layer_names
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


def undo_batch(project: Project, conn: Connection, batch_id: int) -> None:
    from thematica.services.project import now

    cd = t.consensus_decision.c
    first = conn.execute(
        select(cd.disagreement, cd.document_id)
        .where(cd.project_id == project.id, cd.batch_id == batch_id)
        .order_by(cd.id)
        .limit(1)
    ).first()
    if first is None:
        return  # the batch recorded no decisions
    name = str((first.disagreement or {}).get("layer"))
    if name not in layer_names(project, conn):
        return
    layer = find_layer(project, conn, name)
    rows = logged_rows(project, conn, layer)
    state = log_state(rows)
    mine = [r for r in rows if r.batch_id == batch_id]
    in_force = {x.id for x in state.active.values()}
    later = [r for r in mine if int(r.id) not in in_force]
    if later:
        raise ConflictError(
            f"batch {batch_id}: decision {later[0].id} has since been replaced by a later "
            "decision; undo that first"
        )
    restores = [int(x) for x in (mine[0].disagreement or {}).get("replaces") or ()]
    by_id = {int(r.id): r for r in rows}
    index = project.codebook.index(conn)
    stamp = now()
    # put back every coding the replaced decisions had written (the same span is found, not
    # doubled); ids that changed are remapped for the log
    remap: dict[str, int] = {}
    keep: set[int] = set()
    results: list[dict[str, Any]] = []
    for old in restores:
        row = by_id[old]
        for ref in row.result_codings or []:
            code_id = index.find(str(ref["code"]))
            if code_id is None:
                raise ConflictError(
                    f"batch {batch_id}: code {ref['code']!r} of decision {old} is no longer "
                    "in the codebook, so the layer cannot be put back"
                )
            span = (code_id, int(ref["start"]), int(ref["end"]))
            cid, new = insert_coding(project, conn, layer, int(row.document_id), span, stamp)
            keep.add(cid)
            if cid != int(ref["id"]):
                remap[str(ref["id"])] = cid
            if new:
                results.append({**ref, "id": cid})
    # and take out what the batch's decisions wrote that nothing in force any longer needs
    mine_ids = {int(r.id) for r in mine}
    others: set[int] = set()
    theirs: set[int] = set()
    for logged in state.active.values():
        (theirs if logged.id in mine_ids else others).update(logged.result_ids)
    stale = sorted(theirs - keep - others)
    c = t.coding.c
    for i in range(0, len(stale), 500):
        conn.execute(
            delete(t.coding).where(c.id.in_(stale[i : i + 500]), c.coder_id == layer.coder_id)
        )
    snapshot = {
        "id": f"undo-batch-{batch_id}",
        "kind": "undo",
        "layer": layer.name,
        "coders": list(layer.coders),
        "batch": batch_id,
        "replaces": [int(r.id) for r in mine],
        "restores": restores,
        "remap": remap,
    }
    conn.execute(
        insert(t.consensus_decision).values(
            project_id=project.id,
            document_id=int(first.document_id),
            disagreement=snapshot,
            action=UNDO,
            reason=f"coding batch {batch_id} undone",
            decided_by=None,
            decided_at=stamp,
            source_codings=[],
            result_codings=results,
        )
    )
