"""Applying the reconciled result as a whole: a final wide coding table becomes the layer.

Teams that reconcile in a spreadsheet hand over the final coding per unit (document, turn or
paragraph; the table format of ``code --from-table``). Each (unit, code) is compared with what
the two coders did there and recorded as one decision:

============  =============  ==================
coders        table has it   table leaves it out
============  =============  ==================
both          agreed         overturn
only A        keep_a         drop (kind only_a)
only B        keep_b         drop (kind only_b)
neither       add            (nothing to record)
============  =============  ==================

**Which units a coder "has" a code on.** A coder has code C on a unit when any of their codings
of C shares at least one character with the unit. With whole-unit coding (the normal case for
such tables) that is exactly the units they coded; a shorter passage counts for the unit it
lies in, and a passage across two units for both (as NVivo and MAXQDA aggregate coding to a
paragraph or document). A coding that touches no unit at all (text outside every turn) is
recorded as dropped.

**Which codes a table speaks for.** Its code columns (0 or blank says "not this code here"), or
every code when it has one ``codes`` column. For those codes the layer afterwards is exactly the
table: one coding per positive cell, over the unit's whole span, and no other; the new decisions
replace every decision in force about those codes (those stay in the log, marked superseded),
so the meeting's earlier work and a final table never count twice. Other codes are left as they
are, so a study that reconciled one code by answer and another by interview applies two tables.

It is one transaction and one coding batch (the codings it inserted carry the batch id, and so
do its decision rows); a bad file changes nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from thematica.core.errors import ConflictError, InputError
from thematica.services.consensus.deciding import insert_coding
from thematica.services.consensus.decision_log import log_state, logged_rows
from thematica.services.consensus.layers import (
    Layer,
    check_pair,
    ensure_layer,
    find_layer,
    layer_names,
    starts,
)
from thematica.services.consensus.rows import DEFAULT_LAYER, FinalSummary
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.project import Project

#: (document_id, unit number, code_id); number 0 for a coding that touches no unit
Key = tuple[int, int, int]

_ACTION = {
    ("both", True): "agreed",
    ("both", False): "overturn",
    ("only_a", True): "keep_a",
    ("only_a", False): "drop",
    ("only_b", True): "keep_b",
    ("only_b", False): "drop",
    ("neither", True): "add",
}


def _choose_layer(
    project: Project,
    conn: Connection,
    coders: Sequence[str] | str | None,
    name: str | None,
    actor: str | None,
) -> Layer:
    """The layer named (or the only one); with ``coders``, started if it does not exist."""
    from thematica.services.coding import check_coder_name

    if coders is None:
        return find_layer(project, conn, name)
    if name is not None:
        name = check_coder_name(name)
    pair = check_pair(coders, name or DEFAULT_LAYER, 0.0)
    names = layer_names(project, conn)
    records = starts(project, conn)
    if name is None:
        same = [n for n in names if list(records.get(n, {}).get("coders", [])) == pair]
        name = same[0] if len(same) == 1 else DEFAULT_LAYER
    if name in names and name in records:
        layer = find_layer(project, conn, name)
        if list(layer.coders) != pair:
            raise ConflictError(
                f"consensus layer {name!r} compares {', '.join(layer.coders)}, "
                f"not {', '.join(pair)}"
            )
        return layer
    return ensure_layer(project, conn, pair, name, 0.0, actor)


def _units_hit(units: list[tuple[int, int]], starts_: list[int], start: int, end: int) -> list[int]:
    """1-based numbers of the units a span [start, end) shares a character with."""
    i = max(0, bisect.bisect_right(starts_, start) - 1)
    out = []
    while i < len(units) and units[i][0] < end:
        if units[i][1] > start and units[i][0] < units[i][1]:
            out.append(i + 1)
        i += 1
    return out


def _table_scope(path: Path, index: CodeIndex) -> set[int] | None:
    """The codes a final table speaks for: its code columns (a 0 or blank there says the code
    does not apply), or every code when it lists codes in one ``codes`` column. Read after
    :func:`~thematica.services.coding_table.read_coding_table` has checked the file."""
    from thematica.services.tabular import read_table

    header, _rows = read_table(path)
    names = [h.strip() for h in header]
    if any(n.casefold() == "codes" for n in names):
        return None
    scope: set[int] = set()
    for n in names:
        if n and n.casefold() not in ("document", "turn", "paragraph"):
            cid = index.find(n)
            if cid is not None:
                scope.add(cid)
    return scope


def _codes_of(row: Any, index: CodeIndex) -> set[int]:
    """The codes a logged decision is about: its sources', results' and snapshot's."""
    snap = row.disagreement or {}
    out = {int(x["code_id"]) for x in (snap.get("a"), snap.get("b"), snap.get("added")) if x}
    if snap.get("code_id") is not None:
        out.add(int(snap["code_id"]))
    for ref in [*(row.source_codings or []), *(row.result_codings or [])]:
        try:
            cid = index.find(str(ref["code"]))
        except InputError:
            cid = None
        if cid is not None:
            out.add(cid)
    return out


def _coverage(
    codings: Sequence[Any],
    layer: Layer,
    index: CodeIndex,
    spans: dict[int, list[tuple[int, int]]],
) -> tuple[
    dict[Key, dict[str, list[dict[str, Any]]]],
    list[tuple[Key, str, dict[str, Any]]],
    dict[tuple[int, int, int, int], int],
]:
    """Which coder has which code on which unit (their codings, as log references), their
    codings that touch no unit, and the layer's codings now ((doc, code, start, end) -> id)."""
    starts_of = {doc: [s for s, _e in units] for doc, units in spans.items()}
    has: dict[Key, dict[str, list[dict[str, Any]]]] = {}
    outside: list[tuple[Key, str, dict[str, Any]]] = []
    current: dict[tuple[int, int, int, int], int] = {}
    for r in codings:
        doc = int(r.document_id)
        if r.coder_id == layer.coder_id:
            current[(doc, int(r.code_id), int(r.start), int(r.end))] = int(r.id)
            continue
        side = "a" if r.coder_id == layer.coder_ids[0] else "b"
        ref = {
            "id": int(r.id),
            "coder": layer.coders[0 if side == "a" else 1],
            "code": index.paths.get(r.code_id, f"#{r.code_id}"),
            "start": int(r.start),
            "end": int(r.end),
        }
        hit = _units_hit(spans.get(doc, []), starts_of.get(doc, []), r.start, r.end)
        if not hit:
            outside.append(((doc, 0, int(r.code_id)), side, ref))
        for number in hit:
            has.setdefault((doc, number, int(r.code_id)), {"a": [], "b": []})[side].append(ref)
    return has, outside, current


def _sync_layer(
    project: Project,
    conn: Connection,
    layer: Layer,
    current: dict[tuple[int, int, int, int], int],
    wanted: set[tuple[int, int, int, int]],
    batch_id: int,
    stamp: Any,
) -> tuple[dict[tuple[int, int, int, int], int], int, int]:
    """Make the layer exactly ``wanted``: keep what is there (its ids unchanged), remove the
    rest, insert what is missing stamped with the batch. Returns (span -> id, inserted,
    removed)."""
    c = t.coding.c
    removed = [cid for span, cid in current.items() if span not in wanted]
    for i in range(0, len(removed), 500):
        conn.execute(delete(t.coding).where(c.id.in_(removed[i : i + 500])))
    layer_ids = {span: cid for span, cid in current.items() if span in wanted}
    missing = sorted(wanted - set(layer_ids))
    for doc, code_id, start, end in missing:
        layer_ids[(doc, code_id, start, end)], _ = insert_coding(
            project, conn, layer, doc, (code_id, start, end), stamp, batch_id
        )
    return layer_ids, len(missing), len(removed)


def apply_final(
    project: Project,
    source: str | Path,
    unit: str,
    *,
    coders: Sequence[str] | str | None = None,
    name: str | None = None,
    decided_by: str | None = None,
) -> FinalSummary:
    from thematica.services.coding_table import read_coding_table, unit_spans
    from thematica.services.project import now

    path = Path(source)
    if coders is not None:
        check_pair(coders, name or DEFAULT_LAYER, 0.0)
    table = read_coding_table(project, path, unit)  # checks every row before anything is written
    final = {(u.document_id, u.number, u.code_id): u for u in table}
    with project.db.write() as conn:
        layer = _choose_layer(project, conn, coders, name, decided_by)
        who = (decided_by or "").strip() or "+".join(layer.coders)
        index = project.codebook.index(conn)
        scope = _table_scope(path, index)
        state = log_state(logged_rows(project, conn, layer))
        by_id = {int(r.id): r for r in state.rows}
        replaced = sorted(
            x.id
            for x in state.active.values()
            if scope is None or _codes_of(by_id[x.id], index) & scope
        )
        c = t.coding.c
        codings = [
            r
            for r in conn.execute(
                select(c.id, c.document_id, c.code_id, c.coder_id, c.start, c.end).where(
                    c.project_id == project.id,
                    c.coder_id.in_([*layer.coder_ids, layer.coder_id]),
                )
            )
            if scope is None or r.code_id in scope
        ]
        doc_ids = {int(r.document_id) for r in codings} | {k[0] for k in final}
        spans = unit_spans(conn, unit, doc_ids)
        d = t.document.c
        doc_names: dict[int, str] = {}
        listed = sorted(doc_ids)
        for i in range(0, len(listed), 500):
            doc_names.update(
                (int(r.id), r.name)
                for r in conn.execute(select(d.id, d.name).where(d.id.in_(listed[i : i + 500])))
            )
        has, outside, current = _coverage(codings, layer, index, spans)
        if not has and not outside and not final:
            raise InputError(
                f"{path.name}: the table codes nothing and neither coder has coded anything; "
                "nothing to apply"
            )

        # the layer becomes the table: keep what is there, insert what is missing
        stamp = now()
        batch_id = project.batches.open(
            conn,
            "consensus_apply",
            layer.name,
            {"file": path.name, "unit": unit, "coders": list(layer.coders)},
            who,
        )
        target: dict[Key, tuple[int, int, int, int]] = {}
        for (doc, number, code_id), u in final.items():
            target[(doc, number, code_id)] = (doc, code_id, u.start, u.end)
        wanted = set(target.values())
        layer_ids, inserted, removed = _sync_layer(
            project, conn, layer, current, wanted, batch_id, stamp
        )

        counts = dict.fromkeys(
            ("agreed", "kept_a", "kept_b", "added", "overturned", "dropped_a", "dropped_b"), 0
        )
        count_key = {
            "agreed": "agreed",
            "keep_a": "kept_a",
            "keep_b": "kept_b",
            "add": "added",
            "overturn": "overturned",
        }
        base = {
            "coders": list(layer.coders),
            "layer": layer.name,
            "min_overlap": layer.min_overlap,
            "unit": unit,
            "batch": batch_id,
            "a": None,
            "b": None,
            "overlap": 0.0,
            "supersedes": None,
        }
        values: list[dict[str, Any]] = []

        def record(
            key: Key,
            kind: str,
            action: str,
            reason: str,
            sources: list[dict[str, Any]],
            did: str | None = None,
        ) -> None:
            doc, number, code_id = key
            span = target.get(key)
            results = []
            if span is not None:
                results = [
                    {
                        "id": layer_ids[span],
                        "coder": layer.name,
                        "code": index.paths[code_id],
                        "start": span[2],
                        "end": span[3],
                    }
                ]
            snap = {
                **base,
                "id": did or f"{unit}:{doc}:{number}:{code_id}",
                "kind": kind,
                "document": doc_names[doc],
                "number": number,
                "code": index.paths.get(code_id, f"#{code_id}"),
                "code_id": code_id,
            }
            if number:
                snap["start"], snap["end"] = spans[doc][number - 1]
            if not values and replaced:
                snap["replaces"] = replaced
            values.append(
                {
                    "project_id": project.id,
                    "document_id": doc,
                    "disagreement": snap,
                    "action": action,
                    "reason": reason,
                    "decided_by": who,
                    "decided_at": stamp,
                    "source_codings": sources,
                    "result_codings": results,
                    "batch_id": batch_id,
                }
            )

        order = sorted(
            set(has) | set(final), key=lambda k: (doc_names[k[0]], k[1], index.paths[k[2]])
        )
        for key in order:
            sides = has.get(key, {"a": [], "b": []})
            kind = {
                (True, True): "both",
                (True, False): "only_a",
                (False, True): "only_b",
                (False, False): "neither",
            }[(bool(sides["a"]), bool(sides["b"]))]
            row = final.get(key)
            action = _ACTION[(kind, row is not None)]
            if action == "drop":
                counts["dropped_a" if kind == "only_a" else "dropped_b"] += 1
            else:
                counts[count_key[action]] += 1
            where = f"{path.name}, row {row.row}" if row is not None else f"not in {path.name}"
            coded = {
                "both": "both coders coded it",
                "only_a": f"only {layer.coders[0]} coded it",
                "only_b": f"only {layer.coders[1]} coded it",
                "neither": "neither coder coded it",
            }[kind]
            record(key, kind, action, f"final table ({where}): {coded}", sides["a"] + sides["b"])
        for key, side, ref in outside:
            kind = "only_a" if side == "a" else "only_b"
            counts["dropped_a" if side == "a" else "dropped_b"] += 1
            record(
                key,
                kind,
                "drop",
                f"final table ({path.name}): the coding lies outside every {unit}",
                [ref],
                f"{unit}:outside:{ref['id']}",
            )
        for i in range(0, len(values), 500):
            conn.execute(insert(t.consensus_decision), values[i : i + 500])
        project.batches.finish(conn, batch_id, inserted)
        total = int(
            conn.scalar(
                select(func.count()).where(c.project_id == project.id, c.coder_id == layer.coder_id)
            )
            or 0
        )
        project.audit(
            conn,
            "consensus_apply_final",
            decided_by=who,
            layer=layer.name,
            file=path.name,
            unit=unit,
            batch=batch_id,
            decisions=len(values),
            inserted=inserted,
            removed=removed,
            **dict[str, Any](counts),
        )
    return FinalSummary(
        layer=layer.name,
        coders=list(layer.coders),
        source=path.name,
        unit=unit,
        batch=batch_id,
        decisions=len(values),
        outside=len(outside),
        consensus_codings=total,
        inserted=inserted,
        removed=removed,
        **counts,
    )
