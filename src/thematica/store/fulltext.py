"""Full-text search SQL for each backend, in one place: what is indexed and how it is queried.

SQLite keeps an FTS5 table (``document_fts``, created by migration 0001, kept in step by
triggers); PostgreSQL a GIN index (``ix_document_fts``, migration 0002) on
:data:`PG_TSVECTOR`. A query must repeat the indexed expression exactly or PostgreSQL cannot
use the index; migrations are frozen history, so 0002 keeps its own literal and
``tests/hygiene`` checks on a migrated database that it is the index this expression uses.

A search term here is ``(tokens, prefix)``: lower-case runs of letters and digits, and
whether the last one is a prefix. Parsing what a user typed into terms is the retrieval
service's job; deciding which documents are worth a closer look is this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

__all__ = [
    "FTS5_TABLE",
    "PG_INDEX",
    "PG_TSVECTOR",
    "candidate_documents",
    "fts5_match",
    "pg_words_query",
]

#: SQLite: the FTS5 table holding every document's text (rowid = document id).
FTS5_TABLE = "document_fts"
#: PostgreSQL: the GIN index on :data:`PG_TSVECTOR`.
PG_INDEX = "ix_document_fts"
#: PostgreSQL: the indexed expression: words split at punctuation, as FTS5 splits them.
PG_TSVECTOR = "to_tsvector('simple', regexp_replace(text, '[[:punct:]]+', ' ', 'g'))"

Term = tuple[Sequence[str], bool]


def fts5_match(terms: Iterable[Term]) -> str:
    """An FTS5 MATCH string: each term a quoted phrase (``"a b" *`` for a prefix); all must
    occur. Tokens hold only letters and digits, so nothing needs escaping."""
    parts = []
    for tokens, prefix in terms:
        phrase = '"' + " ".join(tokens) + '"'
        parts.append(phrase + " *" if prefix else phrase)
    return " ".join(parts)


def pg_words_query(terms: Iterable[Term]) -> str:
    """A ``to_tsquery('simple', ...)`` string: every word of every term (phrases unchained,
    see :func:`candidate_documents`), the last word of a prefix term as a prefix."""
    words = []
    for tokens, prefix in terms:
        for n, tok in enumerate(tokens):
            words.append(f"'{tok}'" + (":*" if prefix and n == len(tokens) - 1 else ""))
    return " & ".join(words)


def candidate_documents(
    conn: Connection, dialect: str, project_id: int, terms: Sequence[Term]
) -> list[int]:
    """Ids of the project's documents that may hold every term, from the full-text index.

    SQLite's FTS5 phrases are exact. On PostgreSQL the result is candidates only: every word
    of every term, which the GIN index answers without recomputing ``to_tsvector``. A phrase
    (``<->``) makes PostgreSQL recheck each candidate by re-parsing its whole text, and the
    planner, costing ``to_tsvector`` as cheap, picks a sequential scan that does the same for
    every document (seconds per search); the caller keeps only documents where each term's
    pattern matches. Sequential scans are off for this transaction and ``project_id + 0``
    keeps the planner off the project index, so the GIN index is the only way in.
    """
    if dialect == "sqlite":
        return list(
            conn.scalars(
                # IN (subquery) runs the MATCH once; as a join, SQLite's planner walks the
                # project's documents and runs the full-text query once per document.
                text(
                    "SELECT d.id FROM document d WHERE d.project_id = :p AND d.id IN "
                    f"(SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH :q)"
                ),
                {"q": fts5_match(terms), "p": project_id},
            )
        )
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return list(
        conn.scalars(
            text(
                "SELECT id FROM document WHERE project_id + 0 = :p "
                f"AND {PG_TSVECTOR} @@ to_tsquery('simple', :q)"
            ),
            {"q": pg_words_query(terms), "p": project_id},
        )
    )
