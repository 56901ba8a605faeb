"""The code-query language: parsing, each operator on hand-worked cases, and properties."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thematica.core.errors import QuerySyntaxError
from thematica.core.models import Span
from thematica.core.query import (
    And,
    AndNot,
    Near,
    Node,
    Or,
    Overlaps,
    Term,
    evaluate,
    parse,
    terms,
    unparse,
)

A, B, C, D = Term("A"), Term("B"), Term("C"), Term("D")


def sp(
    doc: int, start: int, end: int, codes: Iterable[int] = (), coders: Iterable[int] = ()
) -> Span:
    return Span(doc, start, end, frozenset(codes), frozenset(coders))


def run(query: str, **spans: Sequence[Span]) -> list[Span]:
    return evaluate(parse(query), spans)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("A", A),
        ("A OR B AND C", Or(A, And(B, C))),
        ("A AND B OR C", Or(And(A, B), C)),
        ("(A OR B) AND C", And(Or(A, B), C)),
        ("A AND B AND C", And(And(A, B), C)),
        ("A OR B OR C", Or(Or(A, B), C)),
        ("A AND B OVERLAPS C", And(A, Overlaps(B, C))),
        ("A OVERLAPS B OR C", Or(Overlaps(A, B), C)),
        ("A OVERLAPS B NEAR/5 C", Near(Overlaps(A, B), C, 5)),
        ("A WITHIN 12 B", Near(A, B, 12)),
        ("A near/0 B", Near(A, B, 0)),
        ("A AND NOT B", AndNot(A, B)),
        ("A AND NOT B OR C", Or(AndNot(A, B), C)),
        ("A AND NOT B AND C", And(AndNot(A, B), C)),
        ("A AND NOT (B OR C)", AndNot(A, Or(B, C))),
        ("A AND NOT (B OVERLAPS C)", AndNot(A, Overlaps(B, C))),
        ("a and not b or c", Or(AndNot(Term("a"), Term("b")), Term("c"))),
        ("((A))", A),
        ("A OVERLAPS (B OR C)", Overlaps(A, Or(B, C))),
        ("C AND D", And(C, D)),
    ],
)
def test_precedence_and_associativity(query: str, tree: Node) -> None:
    assert parse(query) == tree


def test_multi_word_terms_paths_and_punctuation() -> None:
    assert parse("Feelings of guilt AND Staffing") == And(
        Term("Feelings of guilt"), Term("Staffing")
    )
    assert parse("  Feelings \t of\nguilt   OR  x ") == Or(Term("Feelings of guilt"), Term("x"))
    assert parse("Organizational/Staffing OVERLAPS Don't know") == Overlaps(
        Term("Organizational/Staffing"), Term("Don't know")
    )
    assert parse("Self-care 2 NEAR/40 COVID-19") == Near(Term("Self-care 2"), Term("COVID-19"), 40)
    # Parentheses end a bare term.
    assert parse("(Guilt)OR(Shame)") == Or(Term("Guilt"), Term("Shame"))
    # A word that merely contains a keyword is a code word.
    assert parse("Android AND Nearby/Ortho") == And(Term("Android"), Term("Nearby/Ortho"))


def test_quoted_terms() -> None:
    assert parse("\"Salt and pepper\" AND 'Not now'") == And(
        Term("Salt and pepper"), Term("Not now")
    )
    assert parse(r'"say \"no\"" OR ' + r"'it\'s'") == Or(Term('say "no"'), Term("it's"))
    assert parse(r'"back\\slash"') == Term("back\\slash")
    assert parse('("A (draft)")') == Term("A (draft)")
    assert parse('"  spaced   out "') == Term("spaced   out")


def test_keywords_are_case_insensitive() -> None:
    assert parse("A Or B aNd NoT (C oVeRlApS D)") == Or(A, AndNot(B, Overlaps(C, D)))
    assert parse("A Within 3 B") == Near(A, B, 3)


def test_terms_are_distinct_in_order_of_appearance() -> None:
    node = parse("Zeta AND (Alpha OR Zeta) AND NOT Beta OR Gamma NEAR/3 Alpha")
    assert terms(node) == ["Zeta", "Alpha", "Beta", "Gamma"]
    assert terms(parse("x")) == ["x"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ("Feelings AND", "expected a code name after 'AND' at position 13"),
        ("A OR", "expected a code name after 'OR' at position 5"),
        ("A AND OR B", "expected a code name after 'AND' at position 7, found 'OR'"),
        ("A AND NOT", "expected a code name after 'NOT' at position 10"),
        ("A OVERLAPS", "expected a code name after 'OVERLAPS' at position 11"),
        ("AND B", "expected a code name at position 1, found 'AND'"),
        ("(A OR B", "unbalanced parenthesis: '(' at position 1 is never closed"),
        ("A OR B)", "unbalanced parenthesis: ')' at position 7 has no matching '('"),
        (")", "unbalanced parenthesis: ')' at position 1"),
        ("A AND ()", "expected a code name inside '()' at position 8"),
        ("A AND )", "expected a code name after 'AND' at position 7, found ')'"),
        ("NOT A", 'NOT must follow AND, as in "A AND NOT B" (position 1)'),
        ("A OR NOT B", 'NOT must follow AND, as in "A AND NOT B" (position 6)'),
        ("A NOT B", 'NOT must follow AND, as in "A AND NOT B" (position 3)'),
        ("A AND NOT NOT B", 'NOT must follow AND, as in "A AND NOT B" (position 11)'),
        ("(A NOT B)", 'NOT must follow AND, as in "A AND NOT B" (position 4)'),
        ("A AND NOT B OVERLAPS C", "write A AND NOT (B OVERLAPS C) (position 13)"),
        ("A NEAR B", "NEAR needs a distance, as in NEAR/200 (position 3)"),
        ("A NEAR/ B", "NEAR needs a distance, as in NEAR/200"),
        ("A WITHIN B", "WITHIN needs a distance, as in WITHIN 200 (position 3)"),
        ("A WITHIN", "WITHIN needs a distance"),
        ('A "B"', "expected AND, OR, OVERLAPS, NEAR/N, WITHIN N or ')' before 'B' at position 3"),
        ("(A) B", "before 'B' at position 5"),
        ('"abc', 'unterminated quote " starting at position 1'),
        ("A OR 'b", "unterminated quote ' starting at position 6"),
        ('"a"b', "expected a space after the closing quote at position 4"),
        ('""', "empty code name in quotes at position 1"),
    ],
)
def test_syntax_errors(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


# Quoted names are trimmed, so only trimmed names round-trip.
names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).map(str.strip).filter(bool)


def trees(leaves: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        pair = st.tuples(children, children)
        return st.one_of(
            pair.map(lambda p: Or(*p)),
            pair.map(lambda p: And(*p)),
            pair.map(lambda p: AndNot(*p)),
            pair.map(lambda p: Overlaps(*p)),
            st.tuples(children, children, st.integers(0, 50)).map(lambda t: Near(*t)),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@given(trees(names.map(Term)))
def test_unparse_round_trips(node: Node) -> None:
    assert parse(unparse(node)) == node


# --------------------------------------------------------------------------- operators


def test_term_merges_identical_positions() -> None:
    result = run(
        "A",
        A=[sp(1, 5, 8, {1}, {7}), sp(1, 0, 10, {1}, {7}), sp(1, 0, 10, {2}, {8}), sp(0, 3, 4)],
    )
    assert result == [sp(0, 3, 4), sp(1, 0, 10, {1, 2}, {7, 8}), sp(1, 5, 8, {1}, {7})]


def test_missing_term_has_no_spans() -> None:
    assert run("A OR B", A=[sp(1, 0, 3, {1})]) == [sp(1, 0, 3, {1})]
    assert run("A AND B", A=[sp(1, 0, 3, {1})]) == []


def test_or() -> None:
    result = run(
        "A OR B",
        A=[sp(2, 0, 5, {1}, {9}), sp(1, 10, 20, {1}, {9})],
        B=[sp(1, 10, 20, {2}, {8}), sp(1, 0, 4, {2})],
    )
    assert result == [sp(1, 0, 4, {2}), sp(1, 10, 20, {1, 2}, {8, 9}), sp(2, 0, 5, {1}, {9})]


def test_and_is_the_text_coded_by_both() -> None:
    result = run(
        "A AND B",
        A=[sp(1, 0, 10, {1}, {10}), sp(1, 20, 30, {1}, {10}), sp(2, 0, 50, {1})],
        B=[sp(1, 5, 25, {2}, {11}), sp(3, 0, 50, {2})],
    )
    assert result == [sp(1, 5, 10, {1, 2}, {10, 11}), sp(1, 20, 25, {1, 2}, {10, 11})]


def test_and_gives_maximal_intervals_across_touching_spans() -> None:
    result = run(
        "A AND B",
        A=[sp(1, 0, 10, {1}), sp(1, 10, 20, {3})],
        B=[sp(1, 5, 12, {2}), sp(1, 12, 15, {4})],
    )
    assert result == [sp(1, 5, 15, {1, 2, 3, 4})]


def test_and_labels_each_piece_with_the_spans_overlapping_it() -> None:
    result = run(
        "A AND B",
        A=[sp(1, 0, 100, {1}, {1}), sp(1, 0, 5, {4}), sp(1, 60, 100, {5})],
        B=[sp(1, 10, 20, {2}, {2}), sp(1, 50, 60, {3}, {3})],
    )
    # [0,5) code 4 and [60,100) code 5 touch the pieces but share no character with them.
    assert result == [sp(1, 10, 20, {1, 2}, {1, 2}), sp(1, 50, 60, {1, 3}, {1, 3})]


def test_and_not_subtracts_coverage() -> None:
    result = run(
        "A AND NOT B",
        A=[sp(1, 0, 30, {1}, {5}), sp(1, 40, 50, {1}), sp(2, 0, 10, {1}), sp(1, 6, 9, {7})],
        B=[sp(1, 5, 10, {2}), sp(1, 8, 12, {2}), sp(1, 20, 30, {2}), sp(3, 0, 99)],
    )
    assert result == [
        sp(1, 0, 5, {1}, {5}),
        sp(1, 12, 20, {1}, {5}),
        sp(1, 40, 50, {1}),
        sp(2, 0, 10, {1}),
    ]


def test_and_not_merges_pieces_that_coincide() -> None:
    result = run("A AND NOT B", A=[sp(1, 0, 10, {1}), sp(1, 0, 12, {2})], B=[sp(1, 10, 12)])
    assert result == [sp(1, 0, 10, {1, 2})]


def test_overlaps_needs_a_shared_character() -> None:
    result = run(
        "A OVERLAPS B",
        A=[sp(1, 0, 10, {1}), sp(1, 10, 20, {1}), sp(1, 30, 40, {1}), sp(2, 0, 10, {1})],
        B=[sp(1, 9, 10, {2}), sp(1, 35, 36, {2}), sp(2, 10, 20)],
    )
    assert result == [sp(1, 0, 10, {1}), sp(1, 30, 40, {1})]


def test_near_and_within() -> None:
    a = [sp(1, 0, 10, {1}), sp(1, 20, 30, {1}), sp(1, 100, 110, {1}), sp(2, 0, 10)]
    b = [sp(1, 15, 16, {2}), sp(2, 100, 101)]
    assert run("A NEAR/5 B", A=a, B=b) == [sp(1, 0, 10, {1}), sp(1, 20, 30, {1})]
    assert run("A NEAR/4 B", A=a, B=b) == [sp(1, 20, 30, {1})]
    assert run("A WITHIN 4 B", A=a, B=b) == [sp(1, 20, 30, {1})]
    assert run("A NEAR/3 B", A=a, B=b) == []
    # Touching or overlapping is distance 0.
    assert run("A NEAR/0 B", A=a, B=[sp(1, 10, 12), sp(1, 105, 106)]) == [
        sp(1, 0, 10, {1}),
        sp(1, 100, 110, {1}),
    ]


def test_composition() -> None:
    spans = {
        "Guilt": [sp(1, 0, 50, {1}), sp(1, 200, 260, {1})],
        "Staffing": [sp(1, 40, 120, {2})],
        "Rural": [sp(1, 100, 110, {3})],
    }
    result = evaluate(parse("(Guilt OR Rural) AND NOT Staffing OR Rural AND Staffing"), spans)
    assert result == [sp(1, 0, 40, {1}), sp(1, 100, 110, {2, 3}), sp(1, 200, 260, {1})]


def test_long_and_deep_queries() -> None:
    names = [f"c{i}" for i in range(3000)]
    node = parse(" OR ".join(names))
    assert terms(node) == names
    spans = {name: [sp(1, i, i + 1, {i})] for i, name in enumerate(names)}
    assert len(evaluate(node, spans)) == 3000
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse("(" * 5000 + "A" + ")" * 5000)


def test_large_inputs_are_handled_in_near_linear_time() -> None:
    rng = random.Random(7)
    a, b = [], []
    for i in range(100_000):
        doc, start = i % 50, rng.randrange(0, 500_000)
        a.append(sp(doc, start, start + rng.randrange(1, 400), {i % 30}, {i % 4}))
        start = rng.randrange(0, 500_000)
        b.append(sp(doc, start, start + rng.randrange(1, 400), {100 + i % 30}, {i % 4}))
    spans = {"A": a, "B": b}
    for query in ("A AND B", "A AND NOT B", "A OVERLAPS B", "A NEAR/100 B", "A OR B"):
        result = evaluate(parse(query), spans)
        assert result == sorted(result, key=lambda s: (s.document_id, s.start, s.end))


# --------------------------------------------------------------------------- properties

DOCS = (1, 2)


@st.composite
def span_lists(draw: st.DrawFn) -> list[Span]:
    items = draw(
        st.lists(
            st.tuples(
                st.sampled_from(DOCS),
                st.integers(0, 40),
                st.integers(1, 15),
                st.frozensets(st.integers(1, 4), max_size=2),
                st.frozensets(st.integers(1, 3), max_size=2),
            ),
            max_size=12,
        )
    )
    return [
        Span(doc, start, start + length, codes, coders)
        for doc, start, length, codes, coders in items
    ]


def cover(spans: Iterable[Span]) -> set[tuple[int, int]]:
    return {(s.document_id, p) for s in spans for p in range(s.start, s.end)}


def merged(spans: Iterable[Span]) -> list[Span]:
    """Naive reference for identical-position merging."""
    out: dict[tuple[int, int, int], Span] = {}
    for s in spans:
        key = (s.document_id, s.start, s.end)
        old = out.get(key, Span(*key))
        out[key] = Span(*key, old.codes | s.codes, old.coders | s.coders)
    return [out[k] for k in sorted(out)]


def runs(doc: int, positions: Iterable[int]) -> list[tuple[int, int, int]]:
    """Maximal runs of consecutive positions as (doc, start, end)."""
    out: list[tuple[int, int, int]] = []
    for p in sorted(positions):
        if out and out[-1][2] == p:
            out[-1] = (doc, out[-1][1], p + 1)
        else:
            out.append((doc, p, p + 1))
    return out


def check_well_formed(result: Sequence[Span]) -> None:
    keys = [(s.document_id, s.start, s.end) for s in result]
    assert keys == sorted(set(keys))
    assert all(s.start < s.end for s in result)


def ev(query: str, a: list[Span], b: list[Span]) -> list[Span]:
    result = evaluate(parse(query), {"A": a, "B": b})
    check_well_formed(result)
    return result


@given(span_lists(), span_lists())
def test_or_is_commutative_and_merges(a: list[Span], b: list[Span]) -> None:
    assert ev("A OR B", a, b) == ev("B OR A", a, b) == merged(a + b)


@given(span_lists(), span_lists())
def test_and_is_commutative(a: list[Span], b: list[Span]) -> None:
    assert ev("A AND B", a, b) == ev("B AND A", a, b)


@given(span_lists())
def test_a_and_a_covers_a(a: list[Span]) -> None:
    result = ev("A AND A", a, [])
    assert cover(result) == cover(a)
    assert ev("A AND NOT A", a, []) == []


@given(span_lists(), span_lists())
def test_and_matches_naive_intersection(a: list[Span], b: list[Span]) -> None:
    both = cover(a) & cover(b)
    expected = []
    for doc in DOCS:
        for _, start, end in runs(doc, (p for d, p in both if d == doc)):
            touching = [
                s for s in a + b if s.document_id == doc and s.start < end and start < s.end
            ]
            codes = frozenset().union(*(s.codes for s in touching))
            coders = frozenset().union(*(s.coders for s in touching))
            expected.append(Span(doc, start, end, codes, coders))
    result = ev("A AND B", a, b)
    assert cover(result) == both
    assert result == expected


@given(span_lists(), span_lists())
def test_and_not_matches_naive_difference(a: list[Span], b: list[Span]) -> None:
    holes = cover(b)
    expected = []
    for x in a:
        kept = [p for p in range(x.start, x.end) if (x.document_id, p) not in holes]
        expected += [Span(*r, x.codes, x.coders) for r in runs(x.document_id, kept)]
    result = ev("A AND NOT B", a, b)
    assert cover(result) == cover(a) - holes
    assert result == merged(expected)


@given(span_lists(), span_lists())
def test_overlaps_matches_naive(a: list[Span], b: list[Span]) -> None:
    expected = [
        x
        for x in merged(a)
        if any(y.document_id == x.document_id and cover([x]) & cover([y]) for y in b)
    ]
    assert ev("A OVERLAPS B", a, b) == expected


def gap(x: Span, y: Span) -> int:
    return max(0, y.start - x.end, x.start - y.end)


@given(span_lists(), span_lists(), st.integers(0, 20))
def test_near_matches_naive(a: list[Span], b: list[Span], distance: int) -> None:
    expected = [
        x
        for x in merged(a)
        if any(y.document_id == x.document_id and gap(x, y) <= distance for y in b)
    ]
    assert ev(f"A NEAR/{distance} B", a, b) == expected
    assert ev(f"A WITHIN {distance} B", a, b) == expected


@settings(max_examples=50)
@given(trees(st.sampled_from([Term("A"), Term("B")])), span_lists(), span_lists())
def test_any_query_gives_sorted_distinct_spans(node: Node, a: list[Span], b: list[Span]) -> None:
    check_well_formed(evaluate(node, {"A": a, "B": b}))


def naive_eval(node: Node, spans: Mapping[str, list[Span]]) -> set[tuple[int, int]]:
    """Coverage of the set-like operators, computed with position sets."""
    if isinstance(node, Term):
        return cover(spans.get(node.name, []))
    left, right = naive_eval(node.left, spans), naive_eval(node.right, spans)
    if isinstance(node, Or):
        return left | right
    if isinstance(node, And):
        return left & right
    assert isinstance(node, AndNot)
    return left - right


@given(
    st.recursive(
        st.sampled_from([Term("A"), Term("B")]),
        lambda kids: st.tuples(kids, kids, st.sampled_from([Or, And, AndNot])).map(
            lambda t: t[2](t[0], t[1])
        ),
        max_leaves=6,
    ),
    span_lists(),
    span_lists(),
)
def test_boolean_coverage_matches_set_algebra(node: Node, a: list[Span], b: list[Span]) -> None:
    assert cover(evaluate(node, {"A": a, "B": b})) == naive_eval(node, {"A": a, "B": b})
