"""Retrieval: coded excerpts by code query and attribute filter, and full-text search (KWIC).

Excerpts and hits are attributed by :mod:`thematica.services.speakers`: in a focus group with a
speaker map, an excerpt's case is the case of its speaker (several cases, joined by ``"; "``,
when it runs across speakers) and ``group`` is the focus group (the document's own case). A
``where`` filter on case attributes then keeps the excerpts of speakers whose case matches: the
moderator's words, which belong to no case, match no filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.filters import matches, parse_filter
from thematica.core.models import Span, Turn
from thematica.core.query import evaluate, parse, terms
from thematica.core.tables import Table
from thematica.core.text import normalise, speaker_at
from thematica.services.access import requires
from thematica.services.speakers import Attributor, attributor_for
from thematica.store import schema as t
from thematica.store.fulltext import candidate_documents

if TYPE_CHECKING:
    from thematica.services.project import Project

R = TypeVar("R")
_CHUNK = 2000


@dataclass(slots=True)
class Excerpt:
    document: str
    case: str | None
    speaker: str | None
    start: int
    end: int
    text: str
    codes: list[str]
    coders: list[str]
    attribution: str
    group: str | None = None  # the focus group (document's case) of a speaker-mapped document


@dataclass(slots=True)
class Hit:
    document: str
    case: str | None
    speaker: str | None
    start: int
    end: int
    left: str
    match: str
    right: str
    group: str | None = None  # the focus group (document's case) of a speaker-mapped document


@dataclass(slots=True)
class _Doc:
    id: int
    name: str
    case: str | None


@dataclass(slots=True)
class _Scope:
    """The documents a request may look at, who said what in them, and the cases a filter
    keeps (None: no filter)."""

    docs: dict[int, _Doc]
    attributor: Attributor
    keep: set[str] | None

    def allows(self, doc_id: int, start: int, end: int) -> bool:
        if self.keep is None:
            return True
        owners = self.attributor.owners(doc_id, start, end)
        return any(o.case in self.keep for o in owners)


class Retrieval:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- shared -------------------------------------------------------------------------
    def _documents(
        self, conn: Connection, where: Sequence[str], documents: Sequence[str] | None
    ) -> _Scope:
        """The documents a request may look at, after attribute filters and a document list."""
        d = t.document.c
        case_of = self.project.documents.case_names(conn)
        docs = {
            doc_id: _Doc(doc_id, name, case_of.get(doc_id))
            for doc_id, name in conn.execute(
                select(d.id, d.name).where(d.project_id == self.project.id)
            )
        }
        if documents:
            names = {doc.name: doc for doc in docs.values()}
            missing = [n for n in documents if n not in names]
            if missing:
                raise NotFoundError(f"no document named {', '.join(map(repr, missing))}")
            docs = {names[n].id: names[n] for n in documents}
        attributor = attributor_for(
            self.project, conn, {i: (doc.name, doc.case) for i, doc in docs.items()}
        )
        keep: set[str] | None = None
        if where:
            conditions = [parse_filter(w) for w in where]
            infos = {a.name: a for a in self.project.cases.attribute_info(conn)}
            for cond in conditions:
                if cond.attribute not in infos:
                    known = ", ".join(infos) or "none yet"
                    raise NotFoundError(
                        f"no attribute named {cond.attribute!r} (attributes: {known})"
                    )
            values = self.project.cases.values(conn)
            keep = {
                case
                for case, attrs in values.items()
                if all(
                    matches(cond, infos[cond.attribute], attrs.get(cond.attribute))
                    for cond in conditions
                )
            }
            docs = {
                i: doc
                for i, doc in docs.items()
                if (
                    any(c in keep for c in attributor.docs[i].speakers.values())
                    if attributor.mapped(i)
                    else doc.case in keep
                )
            }
        return _Scope(docs, attributor, keep)

    # -- coded excerpts -----------------------------------------------------------------
    @requires(Operation.READ)
    def query(
        self,
        expression: str,
        *,
        coder: str | Sequence[str] | None = None,
        where: Sequence[str] = (),
        documents: Sequence[str] | None = None,
        include_subcodes: bool = True,
        limit: int | None = None,
        offset: int = 0,
        speakers: Sequence[str] | None = None,
    ) -> Table[Excerpt]:
        """Coded excerpts matching a code expression such as ``"Staffing OR Compensation"``.

        Codes include their subcodes unless ``include_subcodes`` is false. ``where`` filters
        by case attributes (``"lived_experience = yes"``); all conditions must hold.
        ``speakers`` keeps the excerpts that begin in a turn of one of these speaker labels
        (``["Participant 1"]``; case is ignored) — what the participants said, say, without
        the interviewer's questions.
        ``limit``/``offset`` return one page (in document and position order); the table's
        ``total`` is the number of excerpts in the whole result.
        """
        _check_page(limit, offset)
        node = parse(expression)
        with self.project.db.read() as conn:
            coders = self.project.coding.coder_ids(conn, coder)
            index = self.project.codebook.index(conn)
            term_codes = {
                term: (
                    index.subtree(index.resolve(term))
                    if include_subcodes
                    else [index.resolve(term)]
                )
                for term in terms(node)
            }
            scope = self._documents(conn, where, documents)
            docs = scope.docs
            all_codes = sorted({cid for ids in term_codes.values() for cid in ids})
            c = t.coding.c
            stmt = select(c.document_id, c.code_id, c.coder_id, c.start, c.end).where(
                c.project_id == self.project.id,
                c.code_id.in_(all_codes),
                c.coder_id.in_(list(coders)),
            )
            if documents or where:
                if not docs:
                    empty = self._excerpts(conn, [], scope, index.paths, coders)
                    empty.total = 0
                    return empty
                if len(docs) < 5000:
                    stmt = stmt.where(c.document_id.in_(list(docs)))
            code_to_terms: dict[int, list[str]] = {}
            for term, ids in term_codes.items():
                for cid in ids:
                    code_to_terms.setdefault(cid, []).append(term)
            spans: dict[str, list[Span]] = {term: [] for term in term_codes}
            # One shared frozenset per code and per coder rather than two new ones per row:
            # fewer objects for the garbage collector to promote and scan.
            code_set = {cid: frozenset((cid,)) for cid in all_codes}
            coder_set = {cid: frozenset((cid,)) for cid in coders}
            for doc_id, code_id, coder_id, start, end in conn.execute(stmt):
                if doc_id not in docs:
                    continue
                span = Span(doc_id, start, end, code_set[code_id], coder_set[coder_id])
                for term in code_to_terms[code_id]:
                    spans[term].append(span)
            result = evaluate(node, spans)
            if scope.keep is not None and scope.attributor.has_maps:
                result = [s for s in result if scope.allows(s.document_id, s.start, s.end)]
            wanted = _speaker_set(speakers)
            if wanted is not None:
                turns = {d: self._turns(conn, d) for d in {s.document_id for s in result}}
                result = [
                    s
                    for s in result
                    if (speaker_at(turns[s.document_id], s.start) or "").casefold() in wanted
                ]
            total = len(result)
            result = result[offset : None if limit is None else offset + limit]
            page = self._excerpts(conn, result, scope, index.paths, coders)
            page.total = total
            return page

    def _excerpts(
        self,
        conn: Connection,
        spans: list[Span],
        scope: _Scope,
        paths: dict[int, str],
        coders: dict[int, str],
    ) -> Table[Excerpt]:
        docs, attr = scope.docs, scope.attributor
        rows: list[Excerpt] = []
        for chunk_start in range(0, len(spans), _CHUNK):
            chunk = spans[chunk_start : chunk_start + _CHUNK]
            texts = self._span_texts(conn, chunk)
            for n, span in enumerate(chunk):
                doc = docs[span.document_id]
                excerpt_text, speaker = texts[n]
                where = (span.document_id, span.start, span.end)
                rows.append(
                    Excerpt(
                        document=doc.name,
                        case=attr.case_of(*where),
                        speaker=speaker,
                        start=span.start,
                        end=span.end,
                        text=excerpt_text,
                        codes=sorted(paths[c] for c in span.codes),
                        coders=sorted(coders[c] for c in span.coders),
                        attribution=attr.attribution(*where),
                        group=attr.group_of(span.document_id),
                    )
                )
        return _table(Excerpt, rows, "Excerpts", attr.has_maps)

    def _span_texts(self, conn: Connection, spans: list[Span]) -> list[tuple[str, str | None]]:
        """Text and speaker of many spans: one query for the speakers, one read per document."""
        if not spans:
            return []
        # Speakers: a CTE of literal rows works the same on SQLite and PostgreSQL, and the turn
        # lookup uses the (document_id, start) index. Positional driver parameters, because a
        # text() with thousands of named binds costs more to build than the query to run.
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        rows = ", ".join([f"({mark}, {mark}, {mark})"] * len(spans))
        params: list[int] = []
        for i, span in enumerate(spans):
            params += (i, span.document_id, span.start)
        out: list[tuple[str, str | None]] = [("", None)] * len(spans)
        speakers = conn.exec_driver_sql(
            f"WITH wanted(n, doc, s) AS (VALUES {rows}) "
            "SELECT wanted.n, (SELECT turn.speaker FROM turn WHERE turn.document_id = wanted.doc "
            "AND turn.start <= wanted.s ORDER BY turn.start DESC LIMIT 1) FROM wanted",
            tuple(params),
        )
        for n, who in speakers:
            out[n] = ("", who)
        # Texts: each document's text is read once and sliced here (Python str indices are the
        # code-point offsets spans use), not once per span by SQL substr.
        by_doc: dict[int, list[int]] = {}
        for i, span in enumerate(spans):
            by_doc.setdefault(span.document_id, []).append(i)
        for doc_ids in _chunks(sorted(by_doc), 100):
            texts = conn.execute(
                select(t.document.c.id, t.document.c.text).where(t.document.c.id.in_(doc_ids))
            )
            for doc_id, body in texts:
                for i in by_doc[doc_id]:
                    out[i] = (body[spans[i].start : spans[i].end], out[i][1])
        return out

    # -- full-text search ---------------------------------------------------------------
    @requires(Operation.READ)
    def search(
        self,
        query: str,
        *,
        where: Sequence[str] = (),
        documents: Sequence[str] | None = None,
        limit: int = 100,
        width: int = 40,
        offset: int | None = None,
        speakers: Sequence[str] | None = None,
    ) -> Table[Hit]:
        """Keyword in context: every occurrence of the query's words in matching documents.

        Words must all occur in a document (AND); ``"quoted words"`` match as a phrase and a
        trailing ``*`` matches a prefix (``stigma*``). Case is ignored. The first ``limit``
        hits are returned, and the search stops there; with ``offset`` (0 for the first page)
        it returns hits ``offset`` to ``offset + limit`` and counts every hit in ``total``.
        ``speakers`` keeps hits in turns of these speaker labels (case ignored).
        """
        parsed = parse_search(query)
        wanted = _speaker_set(speakers)
        if limit < 1:
            raise InputError("the limit must be at least 1", hint="limit")
        _check_page(limit, offset or 0)
        paged = offset is not None
        skip = offset or 0
        seen = 0
        with self.project.db.read() as conn:
            scope = self._documents(conn, where, documents)
            docs, attr = scope.docs, scope.attributor
            candidates = [i for i in self._fulltext(conn, parsed) if i in docs]
            patterns = [term.regex() for term in parsed]
            exact = self.project.db.dialect == "sqlite"  # PostgreSQL gives a superset
            hits: list[Hit] = []
            for doc_ids in _chunks(sorted(candidates, key=lambda i: docs[i].name), 50):
                rows = conn.execute(
                    select(t.document.c.id, t.document.c.text).where(t.document.c.id.in_(doc_ids))
                ).all()
                texts = dict(rows)
                for doc_id in doc_ids:
                    body = texts[doc_id]
                    if not exact and not all(pattern.search(body) for pattern in patterns):
                        continue
                    found = sorted(
                        {m.span() for pattern in patterns for m in pattern.finditer(body)}
                    )
                    if not found:
                        continue
                    turns: list[Turn] | None = None
                    for start, end in found:
                        if attr.mapped(doc_id) and not scope.allows(doc_id, start, end):
                            continue
                        if wanted is not None:
                            if turns is None:
                                turns = self._turns(conn, doc_id)
                            if (speaker_at(turns, start) or "").casefold() not in wanted:
                                continue
                        seen += 1
                        if seen <= skip or len(hits) >= limit:
                            continue  # before the page, or after it (only counted)
                        if turns is None:
                            turns = self._turns(conn, doc_id)
                        hits.append(
                            Hit(
                                document=docs[doc_id].name,
                                case=attr.case_of(doc_id, start, end),
                                speaker=speaker_at(turns, start),
                                start=start,
                                end=end,
                                left=_flat(body[max(0, start - width) : start]),
                                match=body[start:end],
                                right=_flat(body[end : end + width]),
                                group=attr.group_of(doc_id),
                            )
                        )
                        if len(hits) >= limit and not paged:
                            return _table(Hit, hits, f"Search: {query}", attr.has_maps)
        table = _table(Hit, hits, f"Search: {query}", attr.has_maps)
        if paged:
            table.total = seen
        return table

    def _turns(self, conn: Connection, doc_id: int) -> list[Turn]:
        return [
            Turn(r.start, r.end, r.speaker)
            for r in conn.execute(
                select(t.turn.c.start, t.turn.c.end, t.turn.c.speaker)
                .where(t.turn.c.document_id == doc_id)
                .order_by(t.turn.c.start)
            )
        ]

    def _fulltext(self, conn: Connection, parsed: list[SearchTerm]) -> list[int]:
        """Documents the full-text index offers (see :mod:`thematica.store.fulltext`)."""
        terms = [(term.tokens, term.prefix) for term in parsed]
        return candidate_documents(conn, self.project.db.dialect, self.project.id, terms)


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """A word, phrase or prefix; ``tokens`` are lower-case runs of letters and digits."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def regex(self) -> re.Pattern[str]:
        body = r"\W+".join(re.escape(tok) for tok in self.tokens)
        tail = r"\w*" if self.prefix else ""
        return re.compile(rf"(?<!\w){body}{tail}(?!\w)", re.IGNORECASE)


_SEARCH_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def parse_search(query: str) -> list[SearchTerm]:
    """Split a search box string into terms; raises InputError when nothing searchable is left."""
    query = normalise(query)  # the stored text is NFC; a decomposed "café" must match it
    if query.count('"') % 2:
        raise InputError("unbalanced quotation mark in the search")
    out: list[SearchTerm] = []
    for match in _SEARCH_TOKEN.finditer(query):
        raw = match.group(1) if match.group(1) is not None else match.group(2)
        prefix = raw.endswith("*")
        tokens = tuple(tok.lower() for tok in re.findall(r"\w+", raw))
        if tokens:
            out.append(SearchTerm(tokens, prefix))
    if not out:
        raise InputError(f"nothing to search for in {query!r}: give at least one word")
    return out


def _check_page(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0:
        raise InputError(f"limit must be 0 or more, not {limit}", limit=limit)
    if offset < 0:
        raise InputError(f"offset must be 0 or more, not {offset}", offset=offset)


def _flat(s: str) -> str:
    # one space per white-space run, keeping the space that separates context from the match
    return re.sub(r"\s+", " ", s) if "\n" in s else s


def _table(row_type: type[R], rows: list[R], title: str, groups: bool) -> Table[R]:
    """Rows with a ``group`` column only where documents have speaker maps (focus groups), so
    other projects' tables keep the columns they always had."""
    table = Table.of(row_type, rows, title=title)
    if not groups:
        table.columns = tuple(c for c in table.columns if c != "group")
    return table


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _speaker_set(speakers: Sequence[str] | None) -> set[str] | None:
    """The speaker labels asked for, compared without case; None: every speaker."""
    if speakers is None:
        return None
    wanted = {" ".join(name.split()).casefold() for name in speakers if name.strip()}
    if not wanted:
        raise InputError("name at least one speaker label (e.g. 'Participant 1')")
    return wanted
