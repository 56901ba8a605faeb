"""Pairing two coders' segments: one-to-one, best overlap first, per document and code."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thematica.core.segments import Segment, match_segments, overlap_share


def seg(i: int, start: int, end: int, code: int = 1, doc: int = 1) -> Segment:
    return Segment(i, doc, code, start, end)


def test_identical_spans_agree_and_shifted_spans_are_boundary_disagreements() -> None:
    pairs = match_segments([seg(1, 0, 10), seg(2, 20, 30)], [seg(3, 0, 10), seg(4, 22, 30)])
    assert [(p.kind, p.a.id, p.b.id) for p in pairs] == [  # type: ignore[union-attr]
        ("agreed", 1, 3),
        ("boundary", 2, 4),
    ]
    assert pairs[1].overlap == pytest.approx(8 / 10)


def test_different_codes_and_documents_never_pair() -> None:
    pairs = match_segments([seg(1, 0, 10, code=1)], [seg(2, 0, 10, code=2), seg(3, 0, 10, doc=2)])
    assert sorted(p.kind for p in pairs) == ["only_a", "only_b", "only_b"]


def test_best_overlap_wins_and_pairing_is_one_to_one() -> None:
    # A has one long segment; B has two pieces of it. The bigger piece pairs, the other is left.
    pairs = match_segments([seg(1, 0, 100)], [seg(2, 0, 30), seg(3, 30, 100)])
    kinds = {(p.kind, p.a.id if p.a else None, p.b.id if p.b else None) for p in pairs}
    assert kinds == {("boundary", 1, 3), ("only_b", None, 2)}


def test_min_overlap_threshold() -> None:
    a, b = [seg(1, 0, 100)], [seg(2, 50, 100)]  # share 0.5
    assert [p.kind for p in match_segments(a, b, min_overlap=0.5)] == ["boundary"]
    assert sorted(p.kind for p in match_segments(a, b, min_overlap=0.6)) == ["only_a", "only_b"]
    with pytest.raises(ValueError):
        match_segments(a, b, min_overlap=1.5)


def test_overlap_share() -> None:
    assert overlap_share(seg(1, 0, 10), seg(2, 10, 20)) == 0.0
    assert overlap_share(seg(1, 0, 10), seg(2, 5, 15)) == pytest.approx(5 / 15)


spans = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 20), st.integers(1, 2)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(spans, spans)
def test_every_segment_appears_exactly_once(xs: list, ys: list) -> None:  # type: ignore[type-arg]
    a = [seg(i, s, s + n, code=c) for i, (s, n, c) in enumerate(xs)]
    b = [seg(100 + i, s, s + n, code=c) for i, (s, n, c) in enumerate(ys)]
    pairs = match_segments(a, b)
    assert sorted(p.a.id for p in pairs if p.a) == sorted(s.id for s in a)
    assert sorted(p.b.id for p in pairs if p.b) == sorted(s.id for s in b)
    for p in pairs:
        if p.a and p.b:
            assert p.a.code_id == p.b.code_id and overlap_share(p.a, p.b) > 0
