"""Pairing two coders' segments of the same code, as a consensus meeting and MAXQDA-style
segment agreement both need.

Within one document and one code, A's and B's codings are paired one-to-one, best overlap
first. Overlap is the intersection over the union of the two spans (1.0 = identical spans).
Pairs below ``min_overlap`` are not paired; what is left over is coded by one coder only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

PairKind = Literal["agreed", "boundary", "only_a", "only_b"]


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    document_id: int
    code_id: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SegmentPair:
    """One line of the comparison: a pair, or a segment that only one coder has."""

    a: Segment | None
    b: Segment | None
    overlap: float

    @property
    def kind(self) -> PairKind:
        if self.a is None:
            return "only_b"
        if self.b is None:
            return "only_a"
        same = (self.a.start, self.a.end) == (self.b.start, self.b.end)
        return "agreed" if same else "boundary"

    @property
    def document_id(self) -> int:
        seg = self.a or self.b
        assert seg is not None
        return seg.document_id

    @property
    def code_id(self) -> int:
        seg = self.a or self.b
        assert seg is not None
        return seg.code_id

    @property
    def start(self) -> int:
        return min(s.start for s in (self.a, self.b) if s is not None)

    @property
    def end(self) -> int:
        return max(s.end for s in (self.a, self.b) if s is not None)


def overlap_share(x: Segment, y: Segment) -> float:
    """Intersection over union of two spans (0 when they do not overlap)."""
    inter = min(x.end, y.end) - max(x.start, y.start)
    if inter <= 0:
        return 0.0
    union = max(x.end, y.end) - min(x.start, y.start)
    return inter / union


def match_segments(
    a: Sequence[Segment], b: Sequence[Segment], *, min_overlap: float = 0.0
) -> list[SegmentPair]:
    """Pair A's and B's segments per (document, code); sorted by document, then position.

    Any positive overlap pairs when ``min_overlap`` is 0; otherwise the share must reach it.
    """
    if not 0.0 <= min_overlap <= 1.0:
        raise ValueError("min_overlap must be between 0 and 1")
    groups: dict[tuple[int, int], tuple[list[Segment], list[Segment]]] = defaultdict(
        lambda: ([], [])
    )
    for seg in a:
        groups[(seg.document_id, seg.code_id)][0].append(seg)
    for seg in b:
        groups[(seg.document_id, seg.code_id)][1].append(seg)
    out: list[SegmentPair] = []
    for xs, ys in groups.values():
        xs.sort(key=lambda s: (s.start, s.end, s.id))
        ys.sort(key=lambda s: (s.start, s.end, s.id))
        candidates: list[tuple[float, int, int]] = []
        for i, x in enumerate(xs):
            for j in range(len(ys)):  # ys sorted by start: stop at the first one past x
                y = ys[j]
                if y.start >= x.end:
                    break
                share = overlap_share(x, y)
                if share > 0 and share >= min_overlap:
                    candidates.append((share, i, j))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        used_x: set[int] = set()
        used_y: set[int] = set()
        for share, i, j in candidates:
            if i in used_x or j in used_y:
                continue
            used_x.add(i)
            used_y.add(j)
            out.append(SegmentPair(xs[i], ys[j], share))
        out.extend(SegmentPair(x, None, 0.0) for i, x in enumerate(xs) if i not in used_x)
        out.extend(SegmentPair(None, y, 0.0) for j, y in enumerate(ys) if j not in used_y)
    out.sort(key=lambda p: (p.document_id, p.start, p.end, p.code_id))
    return out
