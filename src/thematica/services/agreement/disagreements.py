"""The disagreements table: where two coders differ, with what each of them coded there."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from thematica.core.segments import SegmentPair
from thematica.services.agreement.loading import Data, Doc, pairs
from thematica.services.agreement.rows import DisagreementRow


def _text(doc: Doc, start: int | None, end: int | None) -> str | None:
    return None if start is None or end is None else doc.text[start:end]


def segment_disagreements(
    data: Data, matches: Iterable[tuple[int, int, list[SegmentPair]]]
) -> list[DisagreementRow]:
    """The unagreed pairs of each coder pair's matched segments (character, segment units)."""
    docs = {doc.id: doc for doc in data.docs}
    out: list[DisagreementRow] = []
    for i, j, matched in matches:
        for pair in matched:
            kind = pair.kind
            if kind == "agreed":
                continue
            doc = docs[pair.document_id]
            a, b = pair.a, pair.b
            out.append(
                DisagreementRow(
                    code=data.paths[pair.code_id],
                    document=doc.name,
                    kind=kind,
                    coder_a=data.coders[i],
                    coder_b=data.coders[j],
                    a_start=a.start if a else None,
                    a_end=a.end if a else None,
                    a_text=_text(doc, a.start, a.end) if a else None,
                    b_start=b.start if b else None,
                    b_end=b.end if b else None,
                    b_text=_text(doc, b.start, b.end) if b else None,
                    overlap=round(pair.overlap, 4) if kind == "boundary" else None,
                )
            )
    return out


def unit_disagreements(
    data: Data,
    presence: np.ndarray[Any, Any],
    u_start: np.ndarray[Any, Any],
    u_end: np.ndarray[Any, Any],
    doc_first: list[int],
) -> list[DisagreementRow]:
    """Every unit × code one coder of a pair marked and the other did not."""
    m = len(data.coders)
    firsts = np.asarray(doc_first[:-1], dtype=np.int64)
    # each coder's codings per (code, document), sorted by start, for the spans shown
    index: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    for k, rows in enumerate(data.codings):
        for d, c, s, e, _id in rows:
            index[(k, c, d)].append((s, e))
    for spans in index.values():
        spans.sort()

    def extent(k: int, code: int, doc: Doc, s: int, e: int) -> tuple[int | None, int | None]:
        spans = index.get((k, code, doc.id), [])
        hits = [(a, b) for a, b in spans[: bisect.bisect_left(spans, (e, e))] if b > s and a < e]
        if not hits:
            return None, None
        return max(s, min(a for a, _ in hits)), min(e, max(b for _, b in hits))

    out: list[DisagreementRow] = []
    for i, j in pairs(m):
        differ = presence[i] != presence[j]  # codes × units
        code_idx, unit_idx = np.nonzero(differ)
        order = np.lexsort((code_idx, unit_idx))
        for n in order:
            c, u = int(code_idx[n]), int(unit_idx[n])
            cid = data.codes[c]
            di = int(np.searchsorted(firsts, u, side="right") - 1)
            doc = data.docs[di]
            s = int(u_start[u]) - doc.offset
            e = int(u_end[u]) - doc.offset
            a_s, a_e = extent(i, cid, doc, s, e) if presence[i, c, u] else (None, None)
            b_s, b_e = extent(j, cid, doc, s, e) if presence[j, c, u] else (None, None)
            out.append(
                DisagreementRow(
                    code=data.paths[cid],
                    document=doc.name,
                    kind="only_a" if presence[i, c, u] else "only_b",
                    coder_a=data.coders[i],
                    coder_b=data.coders[j],
                    a_start=a_s,
                    a_end=a_e,
                    a_text=_text(doc, a_s, a_e),
                    b_start=b_s,
                    b_end=b_e,
                    b_text=_text(doc, b_s, b_e),
                    unit_start=s,
                    unit_end=e,
                )
            )
    return out
