"""The full-text SQL lives in store/fulltext.py, and on PostgreSQL its expression is the one the
migrated database's index was built on (migrations keep their own frozen literal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from thematica.store import fulltext


def test_fts5_match_and_pg_words_by_hand() -> None:
    terms = [(("harm", "reduction"), False), (("nalox",), True)]
    assert fulltext.fts5_match(terms) == '"harm reduction" "nalox" *'
    assert fulltext.pg_words_query(terms) == "'harm' & 'reduction' & 'nalox':*"
    assert fulltext.pg_words_query([(("a", "bc"), True)]) == "'a' & 'bc':*"


def test_candidate_documents_on_both_backends(project: Any, tmp_path: Path) -> None:
    texts = {
        "A": "We visited the clinic.Then harm reduction started.",
        "B": "Reduction of harm is not the phrase.",
        "C": "Nothing to see here.",
    }
    for name, body in texts.items():
        (tmp_path / f"{name}.txt").write_text(body, encoding="utf-8")
    project.documents.import_files(sorted(tmp_path.glob("*.txt")))
    db = project.db
    with db.read() as conn:
        ids = dict(conn.execute(text("SELECT name, id FROM document")).all())

        def found(*terms: tuple[tuple[str, ...], bool]) -> set[str]:
            got = fulltext.candidate_documents(conn, db.dialect, project.id, list(terms))
            return {name for name, i in ids.items() if i in got}

        # "clinic.Then": both backends split at punctuation
        assert found((("then",), False)) == {"A"}
        assert found((("clin",), True)) == {"A"}
        words = found((("harm", "reduction"), False))
        # FTS5 phrases are exact; PostgreSQL returns candidates with every word
        assert words == ({"A"} if db.dialect == "sqlite" else {"A", "B"})
        assert found((("nothing",), False), (("here",), False)) == {"C"}
        assert found((("absent",), False)) == set()
    assert [h.document for h in project.search('"harm reduction"').rows] == ["A"]


def test_pg_expression_is_the_migrated_index(pg_url: str) -> None:
    """Deparse the store's expression with PostgreSQL itself (a scratch index, rolled back)
    and compare it with the index migration 0002 created; then check the search query uses
    that index."""
    import thematica

    thematica.init_project(pg_url, "study").close()
    from sqlalchemy import create_engine

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            migrated = conn.scalar(
                text(
                    "SELECT pg_get_indexdef(c.oid) FROM pg_class c "
                    "WHERE c.relname = :name AND c.relkind = 'i'"
                ),
                {"name": fulltext.PG_INDEX},
            )
            assert migrated is not None, "migration 0002 created no full-text index"
            conn.execute(
                text(f"CREATE INDEX scratch_fts ON document USING gin ({fulltext.PG_TSVECTOR})")
            )
            ours = conn.scalar(text("SELECT pg_get_indexdef('scratch_fts'::regclass)"))
            conn.rollback()  # the scratch index never existed
            assert ours.replace("scratch_fts", fulltext.PG_INDEX) == migrated
            assert "regexp_replace" in migrated  # the 0002 index, not the 0001 one
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(
                conn.scalars(
                    text(
                        "EXPLAIN SELECT id FROM document WHERE project_id + 0 = 1 "
                        f"AND {fulltext.PG_TSVECTOR} @@ to_tsquery('simple', 'harm')"
                    )
                )
            )
            assert fulltext.PG_INDEX in plan
            left = conn.scalar(text("SELECT count(*) FROM pg_class WHERE relname = 'scratch_fts'"))
            assert left == 0
    finally:
        engine.dispose()
