"""The boolean code-query language behind ``thematica query``.

A query combines code names with operators; :func:`parse` turns it into a tree of
:data:`Node` objects, :func:`terms` lists the code names the caller must look up, and
:func:`evaluate` computes the matching text from the spans coded with each term.

Grammar (keywords case-insensitive; precedence from loosest to tightest)::

    query   := or
    or      := and ("OR" and)*
    and     := prox ("AND" ("NOT" primary | prox))*
    prox    := primary (("OVERLAPS" | "NEAR/N" | "WITHIN" N) primary)*
    primary := "(" or ")" | term
    term    := quoted string ("..." or '...', backslash escapes the quote; trimmed)
             | one or more bare words that are not keywords, joined by single spaces

``NOT`` is only meaningful as "this text but not that", so it is only accepted right after
``AND``, and it applies to one term or a parenthesised group: write ``A AND NOT (B OVERLAPS C)``.
Error messages give 1-based character positions, as an editor's column counter does.

Semantics, always per document (a span never interacts with spans of another document).
"Coverage" is the set of characters covered by a list of spans.

* ``term``: the term's spans, with spans at the same ``(document_id, start, end)`` merged into
  one whose ``codes`` and ``coders`` are the unions. A term missing from ``spans`` has none.
* ``X OR Y``: all spans of X and of Y, identical positions merged as above.
* ``X AND Y``: the text coded by both: the maximal intervals of the intersection of X's and
  Y's coverage; each carries the codes/coders of every X and Y span sharing a character with it.
* ``X AND NOT Y``: every X span minus Y's coverage (possibly split in pieces; empty pieces
  dropped), keeping that X span's codes/coders.
* ``X OVERLAPS Y``: the whole X spans that share at least one character with some Y span.
* ``X NEAR/N Y`` (same as ``X WITHIN N Y``): the whole X spans within N characters of some Y
  span, the gap being ``max(0, y.start - x.end, x.start - y.end)`` (0 when they touch or
  overlap).

Every result is sorted by ``(document_id, start, end)`` and holds one span per position, so
results compose; each operator costs a sort plus a sweep or binary searches (O(n log n)).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from thematica.core.errors import QuerySyntaxError
from thematica.core.models import Span

__all__ = [
    "And",
    "AndNot",
    "Near",
    "Node",
    "Or",
    "Overlaps",
    "Term",
    "evaluate",
    "parse",
    "terms",
    "unparse",
]


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Term:
    """A code name (or code path) exactly as written, quotes removed."""

    name: str


@dataclass(frozen=True, slots=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class AndNot:
    """``left AND NOT right``: NOT has no meaning on its own, so it only exists paired."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Overlaps:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Near:
    """``left NEAR/distance right``; ``WITHIN distance`` parses to the same node."""

    left: Node
    right: Node
    distance: int


Node: TypeAlias = Term | Or | And | AndNot | Overlaps | Near


def terms(node: Node) -> list[str]:
    """The distinct term names of a query, in order of appearance (the caller's look-up list)."""
    seen: dict[str, None] = {}
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Term):
            seen.setdefault(current.name)
        else:
            stack.append(current.right)
            stack.append(current.left)
    return list(seen)


def unparse(node: Node) -> str:
    """A canonical query string for ``node`` (fully parenthesised), which parses back to it."""
    if isinstance(node, Term):
        return '"' + node.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(node, Or):
        op = "OR"
    elif isinstance(node, And):
        op = "AND"
    elif isinstance(node, AndNot):
        op = "AND NOT"
    elif isinstance(node, Overlaps):
        op = "OVERLAPS"
    else:
        op = f"NEAR/{node.distance}"
    return f"({unparse(node.left)} {op} {unparse(node.right)})"


# --------------------------------------------------------------------------- tokenizer

_WORD, _QUOTED, _LPAREN, _RPAREN, _END = "word", "quoted", "(", ")", "end"
_KEYWORDS = frozenset({"and", "or", "not", "overlaps", "within", "near"})
_NEAR_RE = re.compile(r"near(?:/(\d*))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    pos: int  # 0-based offset into the query

    @property
    def keyword(self) -> str | None:
        """The lower-cased keyword ("near" for any NEAR/N form), or None for a code word."""
        if self.kind != _WORD:
            return None
        low = self.text.lower()
        if low in _KEYWORDS:
            return low
        return "near" if _NEAR_RE.fullmatch(self.text) else None


def _error(message: str, pos: int, detail: str = "") -> QuerySyntaxError:
    """One-line error naming what is wrong and the 1-based position where it is."""
    return QuerySyntaxError(f"{message} at position {pos + 1}{detail}")


def _not_error(pos: int) -> QuerySyntaxError:
    return QuerySyntaxError(f'NOT must follow AND, as in "A AND NOT B" (position {pos + 1})')


def _unbalanced_close(pos: int) -> QuerySyntaxError:
    return QuerySyntaxError(
        f"unbalanced parenthesis: ')' at position {pos + 1} has no matching '('"
    )


def _tokenize(expr: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(expr)
    while i < n:
        ch = expr[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch in "\"'":
            start, i = i, i + 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise _error(f"unterminated quote {ch} starting", start)
                c = expr[i]
                if c == "\\" and i + 1 < n and expr[i + 1] in (ch, "\\"):
                    chars.append(expr[i + 1])
                    i += 2
                elif c == ch:
                    i += 1
                    break
                else:
                    chars.append(c)
                    i += 1
            if i < n and not (expr[i].isspace() or expr[i] in "()"):
                raise _error("expected a space after the closing quote", i)
            text = "".join(chars).strip()  # stray spaces inside quotes are never meant
            if not text:
                raise _error("empty code name in quotes", start)
            tokens.append(_Token(_QUOTED, text, start))
        else:
            start = i
            while i < n and not (expr[i].isspace() or expr[i] in "()"):
                i += 1
            tokens.append(_Token(_WORD, expr[start:i], start))
    tokens.append(_Token(_END, "", n))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the token list; one method per precedence level."""

    def __init__(self, expr: str) -> None:
        self.tokens = _tokenize(expr)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.peek().keyword == "or":
            op = self.take()
            node = Or(node, self.parse_and(after=op))
        return node

    def parse_and(self, after: _Token | None = None) -> Node:
        node = self.parse_prox(after)
        while self.peek().keyword == "and":
            op = self.take()
            if self.peek().keyword == "not":
                not_token = self.take()
                right = self.parse_primary(after=not_token)
                nxt = self.peek()
                if nxt.keyword in ("overlaps", "near", "within"):
                    raise QuerySyntaxError(
                        "NOT applies to one code or a parenthesised group; write "
                        f"A AND NOT (B {nxt.text.upper()} C) (position {nxt.pos + 1})"
                    )
                node = AndNot(node, right)
            else:
                node = And(node, self.parse_prox(after=op))
        return node

    def parse_prox(self, after: _Token | None = None) -> Node:
        node = self.parse_primary(after)
        while self.peek().keyword in ("overlaps", "near", "within"):
            op = self.take()
            keyword = op.keyword
            if keyword == "overlaps":
                node = Overlaps(node, self.parse_primary(after=op))
                continue
            if keyword == "near":
                match = _NEAR_RE.fullmatch(op.text)
                digits = match.group(1) if match else None
                if not digits:
                    raise QuerySyntaxError(
                        f"NEAR needs a distance, as in NEAR/200 (position {op.pos + 1})"
                    )
            else:
                number = self.peek()
                if number.kind != _WORD or not number.text.isdecimal():
                    raise QuerySyntaxError(
                        f"WITHIN needs a distance, as in WITHIN 200 (position {op.pos + 1})"
                    )
                digits = self.take().text
            node = Near(node, self.parse_primary(after=op), int(digits))
        return node

    def parse_primary(self, after: _Token | None = None) -> Node:
        token = self.peek()
        where = f" after {after.text.upper()!r}" if after is not None else ""
        if token.kind == _LPAREN:
            self.take()
            if self.peek().kind == _RPAREN:
                raise _error("expected a code name inside '()'", self.peek().pos)
            node = self.parse_or()
            close = self.peek()
            if close.kind != _RPAREN:
                if close.kind == _END:
                    raise QuerySyntaxError(
                        f"unbalanced parenthesis: '(' at position {token.pos + 1} is never closed"
                    )
                raise self.unexpected(close)
            self.take()
            return node
        if token.kind == _QUOTED:
            self.take()
            return Term(token.text)
        if token.kind == _WORD and token.keyword is None:
            words: list[str] = []
            while self.peek().kind == _WORD and self.peek().keyword is None:
                words.append(self.take().text)
            return Term(" ".join(words))
        if token.keyword == "not":
            raise _not_error(token.pos)
        if token.kind == _RPAREN and after is None:
            raise _unbalanced_close(token.pos)
        found = "the end of the query" if token.kind == _END else repr(token.text)
        raise _error(f"expected a code name{where}", token.pos, f", found {found}")

    def unexpected(self, token: _Token) -> QuerySyntaxError:
        """A token where an operator or ')' should be (e.g. a quoted name after a term)."""
        if token.keyword == "not":
            return _not_error(token.pos)
        return _error(
            f"expected AND, OR, OVERLAPS, NEAR/N, WITHIN N or ')' before {token.text!r}",
            token.pos,
        )


def parse(expr: str) -> Node:
    """Parse a code query; raises :class:`QuerySyntaxError` saying what is wrong and where."""
    parser = _Parser(expr)
    if parser.peek().kind == _END:
        raise QuerySyntaxError("empty query: give at least one code name")
    try:
        node = parser.parse_or()
    except RecursionError:
        raise QuerySyntaxError("query nested too deeply: use fewer parentheses") from None
    token = parser.peek()
    if token.kind == _RPAREN:
        raise _unbalanced_close(token.pos)
    if token.kind != _END:
        raise parser.unexpected(token)
    return node


# --------------------------------------------------------------------------- evaluation

_Interval = tuple[int, int]


def _sort_key(span: Span) -> tuple[int, int, int]:
    return (span.document_id, span.start, span.end)


def _normalise(spans: Iterable[Span]) -> list[Span]:
    """Sort by position and merge spans at identical positions (union of codes and coders)."""
    merged: dict[tuple[int, int, int], Span] = {}
    for span in spans:
        key = _sort_key(span)
        prior = merged.get(key)
        if prior is None:
            merged[key] = span
        elif not (span.codes <= prior.codes and span.coders <= prior.coders):
            merged[key] = Span(*key, prior.codes | span.codes, prior.coders | span.coders)
    return [merged[key] for key in sorted(merged)]


def _by_document(spans: Sequence[Span]) -> dict[int, list[Span]]:
    """Group an already sorted list per document, keeping the order."""
    groups: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        groups[span.document_id].append(span)
    return groups


def _coverage(spans: Sequence[Span], *, closed: bool = False) -> list[_Interval]:
    """Disjoint sorted intervals covering the spans (one document, sorted by start).

    Touching intervals are joined. With ``closed`` empty spans count too (as points), which
    is what distance questions need; otherwise they cover nothing and are skipped.
    """
    out: list[_Interval] = []
    for span in spans:
        if span.end <= span.start and not closed:
            continue
        if out and span.start <= out[-1][1]:
            if span.end > out[-1][1]:
                out[-1] = (out[-1][0], span.end)
        else:
            out.append((span.start, span.end))
    return out


def _intersect(a: Sequence[_Interval], b: Sequence[_Interval]) -> list[_Interval]:
    """Intersection of two disjoint sorted interval lists (classic two-pointer merge)."""
    out: list[_Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _label(intervals: Sequence[_Interval], spans: Sequence[Span], doc: int) -> list[Span]:
    """Spans for disjoint sorted ``intervals``, each labelled with the codes and coders of
    every span sharing a character with it.

    A span overlaps interval ``[s, e)`` iff it is active at ``s`` or starts inside ``(s, e)``.
    A sweep keeps counts of the codes/coders active at the sweep point, so each interval
    costs O(log n + distinct ids) instead of a scan of all spans covering it.
    """
    live = [s for s in spans if s.start < s.end]
    by_start = sorted(live, key=lambda s: s.start)
    by_end = sorted(live, key=lambda s: s.end)
    codes: dict[int, int] = defaultdict(int)
    coders: dict[int, int] = defaultdict(int)

    def add(span: Span, step: int) -> None:
        for counter, ids in ((codes, span.codes), (coders, span.coders)):
            for key in ids:
                counter[key] += step
                if counter[key] == 0:
                    del counter[key]

    out: list[Span] = []
    si = ei = 0
    for start, end in intervals:
        while si < len(by_start) and by_start[si].start <= start:
            add(by_start[si], 1)
            si += 1
        while ei < len(by_end) and by_end[ei].end <= start:
            add(by_end[ei], -1)
            ei += 1
        span_codes, span_coders = set(codes), set(coders)
        k = si
        while k < len(by_start) and by_start[k].start < end:
            span_codes |= by_start[k].codes
            span_coders |= by_start[k].coders
            k += 1
        out.append(Span(doc, start, end, frozenset(span_codes), frozenset(span_coders)))
    return out


def _and(xs: list[Span], ys: list[Span]) -> list[Span]:
    out: list[Span] = []
    ydocs = _by_document(ys)
    for doc, xdoc in _by_document(xs).items():
        ydoc = ydocs.get(doc)
        if not ydoc:
            continue
        both = _intersect(_coverage(xdoc), _coverage(ydoc))
        if both:
            out.extend(_label(both, xdoc + ydoc, doc))
    return out


def _and_not(xs: list[Span], ys: list[Span]) -> list[Span]:
    out: list[Span] = []
    ydocs = _by_document(ys)
    for doc, xdoc in _by_document(xs).items():
        holes = _coverage(ydocs.get(doc, []))
        ends = [end for _, end in holes]
        for x in xdoc:
            cursor = x.start
            k = bisect_right(ends, x.start)  # first hole ending after x.start
            while k < len(holes) and holes[k][0] < x.end:
                if holes[k][0] > cursor:
                    out.append(Span(doc, cursor, holes[k][0], x.codes, x.coders))
                cursor = max(cursor, holes[k][1])
                k += 1
            if cursor < x.end:
                out.append(Span(doc, cursor, x.end, x.codes, x.coders))
    return _normalise(out)


def _overlaps(xs: list[Span], ys: list[Span]) -> list[Span]:
    out: list[Span] = []
    ydocs = _by_document(ys)
    for doc, xdoc in _by_document(xs).items():
        cover = _coverage(ydocs.get(doc, []))
        starts = [start for start, _ in cover]
        for x in xdoc:
            k = bisect_left(starts, x.end) - 1  # last interval starting before x.end
            if x.start < x.end and k >= 0 and cover[k][1] > x.start:
                out.append(x)
    return out


def _near(xs: list[Span], ys: list[Span], distance: int) -> list[Span]:
    out: list[Span] = []
    ydocs = _by_document(ys)
    for doc, xdoc in _by_document(xs).items():
        cover = _coverage(ydocs.get(doc, []), closed=True)
        starts = [start for start, _ in cover]
        for x in xdoc:
            k = bisect_right(starts, x.end)  # cover[k] is the first starting after x.end
            gap_left = max(0, x.start - cover[k - 1][1]) if k > 0 else None
            gap_right = cover[k][0] - x.end if k < len(cover) else None
            if (gap_left is not None and gap_left <= distance) or (
                gap_right is not None and gap_right <= distance
            ):
                out.append(x)
    return out


def _apply(node: Node, left: list[Span], right: list[Span]) -> list[Span]:
    if isinstance(node, Or):
        return _normalise(left + right)
    if isinstance(node, And):
        return _and(left, right)
    if isinstance(node, AndNot):
        return _and_not(left, right)
    if isinstance(node, Overlaps):
        return _overlaps(left, right)
    assert isinstance(node, Near)
    return _near(left, right, node.distance)


def evaluate(node: Node, spans: Mapping[str, Sequence[Span]]) -> list[Span]:
    """The spans matching ``node``, given each term's coded spans (see the module docstring).

    ``spans`` maps every name returned by :func:`terms` to its spans, already expanded to the
    code's subtree by the caller. The result is sorted by ``(document_id, start, end)``.
    """
    # Post-order with an explicit stack: a generated "A OR B OR ..." of a thousand codes is a
    # tree a thousand deep, beyond Python's recursion limit.
    results: list[list[Span]] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        if isinstance(current, Term):
            results.append(_normalise(spans.get(current.name, ())))
        elif children_done:
            right = results.pop()
            left = results.pop()
            results.append(_apply(current, left, right))
        else:
            stack += [(current, True), (current.right, False), (current.left, False)]
    return results[0]
