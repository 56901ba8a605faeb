"""Pairing two coders' codings into the meeting's agenda.

:func:`thematica.core.segments.match_segments` pairs A's and B's codings per document and code
(``agreed``, ``boundary``, ``only_a``, ``only_b``). Coding is multi-label: a passage may carry
several codes, so A's ``X`` where B has ``Y`` is normally two independent disagreements (X only
A, Y only B), each decided on its own. Only when X and Y are declared alternatives — they sit in
different branches under a code marked ``exclusive`` (its subcodes are mutually exclusive) — can
the passage not carry both, and the two become one ``different_code`` disagreement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from thematica.core.segments import Segment, SegmentPair, match_segments, overlap_share
from thematica.services.consensus.rows import Disagreement, Side
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.consensus.layers import Layer
    from thematica.services.project import Project


def _lineage(index: CodeIndex, cid: int) -> list[int]:
    """The code and its ancestors, nearest first."""
    out = [cid]
    parent = index.rows[cid].parent_id if cid in index.rows else None
    while parent is not None and parent in index.rows and parent not in out:
        out.append(parent)
        parent = index.rows[parent].parent_id
    return out


def exclusive_pairs(index: CodeIndex) -> Callable[[int, int], bool]:
    """``alternatives(x, y)``: true when codes x and y cannot both apply to one passage.

    That is when their nearest common ancestor is marked ``exclusive`` and neither code lies
    under the other (a subcode refines its parent; it is no alternative to it).
    """
    cache: dict[tuple[int, int], bool] = {}

    def alternatives(x: int, y: int) -> bool:
        key = (min(x, y), max(x, y))
        if key not in cache:
            lx, ly = _lineage(index, x), _lineage(index, y)
            common = next((c for c in lx if c in ly), None)
            cache[key] = (
                x != y
                and common is not None
                and common not in (x, y)
                and bool(getattr(index.rows[common], "exclusive", False))
            )
        return cache[key]

    return alternatives


def group_different_codes(
    pairs: Sequence[SegmentPair], alternatives: Callable[[int, int], bool]
) -> list[tuple[SegmentPair, str]]:
    """Pairs with their kind; an only_a and an only_b of two alternative codes that overlap
    become one ``different_code`` disagreement (best overlap first, one-to-one, per document).
    Any other only_a and only_b stay two disagreements: both codes may well apply."""
    out: list[tuple[SegmentPair, str]] = []
    lone_a: dict[int, list[Segment]] = {}
    lone_b: dict[int, list[Segment]] = {}
    for p in pairs:
        if p.kind == "only_a" and p.a is not None:
            lone_a.setdefault(p.document_id, []).append(p.a)
        elif p.kind == "only_b" and p.b is not None:
            lone_b.setdefault(p.document_id, []).append(p.b)
        else:
            out.append((p, p.kind))
    for doc_id in sorted(set(lone_a) | set(lone_b)):
        xs = lone_a.get(doc_id, [])
        ys = lone_b.get(doc_id, [])
        candidates = sorted(
            (-overlap_share(x, y), x.start, x.id, y.id, i, j)
            for i, x in enumerate(xs)
            for j, y in enumerate(ys)
            if alternatives(x.code_id, y.code_id) and overlap_share(x, y) > 0
        )
        used_x: set[int] = set()
        used_y: set[int] = set()
        for neg, *_rest, i, j in candidates:
            if i in used_x or j in used_y:
                continue
            used_x.add(i)
            used_y.add(j)
            out.append((SegmentPair(xs[i], ys[j], -neg), "different_code"))
        out.extend(
            (SegmentPair(x, None, 0.0), "only_a") for i, x in enumerate(xs) if i not in used_x
        )
        out.extend(
            (SegmentPair(None, y, 0.0), "only_b") for j, y in enumerate(ys) if j not in used_y
        )
    return out


def compare(
    project: Project, conn: Connection, layer: Layer, index: CodeIndex
) -> list[Disagreement]:
    """Every pairing of A's and B's codings, agreed ones included, in document order."""
    c = t.coding.c
    id_a, id_b = layer.coder_ids
    segs: dict[int, list[Segment]] = {id_a: [], id_b: []}
    for r in conn.execute(
        select(c.id, c.document_id, c.code_id, c.coder_id, c.start, c.end).where(
            c.project_id == project.id, c.coder_id.in_([id_a, id_b])
        )
    ):
        segs[r.coder_id].append(Segment(r.id, r.document_id, r.code_id, r.start, r.end))
    pairs = match_segments(segs[id_a], segs[id_b], min_overlap=layer.min_overlap)
    grouped = group_different_codes(pairs, exclusive_pairs(index))
    doc_ids = sorted({p[0].document_id for p in grouped})
    docs: dict[int, tuple[str, str]] = {}
    d = t.document.c
    for i in range(0, len(doc_ids), 500):
        for doc in conn.execute(select(d.id, d.name, d.text).where(d.id.in_(doc_ids[i : i + 500]))):
            docs[int(doc.id)] = (doc.name, doc.text)

    def side(seg: Segment | None, coder: str) -> Side | None:
        if seg is None:
            return None
        text = docs[seg.document_id][1]
        return Side(
            seg.id,
            coder,
            index.paths.get(seg.code_id, f"#{seg.code_id}"),
            seg.code_id,
            seg.start,
            seg.end,
            text[seg.start : seg.end],
        )

    items = [
        Disagreement.of(
            pair.document_id,
            docs[pair.document_id][0],
            kind,
            layer.coders,
            side(pair.a, layer.coders[0]),
            side(pair.b, layer.coders[1]),
            pair.overlap,
        )
        for pair, kind in grouped
    ]
    items.sort(key=lambda x: (x.document, x.start, x.end, x.id))
    return items


def results_of(
    item: Disagreement, action: str, code_id: int | None = None
) -> list[tuple[int, int, int]]:
    """The consensus codings (code_id, start, end) an action makes of a disagreement (edit is
    handled apart)."""
    if action == "keep_a":
        sides = [item.a]
    elif action == "keep_b":
        sides = [item.b]
    elif action == "keep_both":
        sides = [item.a, item.b]
    elif action == "merge":
        assert item.a is not None and item.b is not None
        code = code_id if code_id is not None else item.a.code_id
        return [(code, min(item.a.start, item.b.start), max(item.a.end, item.b.end))]
    else:  # drop, overturn
        return []
    out = [(s.code_id, s.start, s.end) for s in sides if s is not None]
    return list(dict.fromkeys(out))
