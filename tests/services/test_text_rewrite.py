"""rewrite_document on the demo project, both backends: every coding keeps its words through a
text change, codings wholly removed are reported with their text, collisions merge, turns and
the full-text index follow."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from thematica.core.text_edits import Edit, TextChange, apply_edits
from thematica.services.text_rewrite import rewrite_document
from thematica.store import schema as t


def _doc(project: object, name: str) -> tuple[int, str]:
    with project.db.read() as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            select(t.document.c.id, t.document.c.text).where(t.document.c.name == name)
        ).one()
    return int(row.id), str(row.text)


def _codings(project: object, doc_id: int) -> dict[int, tuple[int, int, int, int]]:
    c = t.coding.c
    with project.db.read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(c.id, c.code_id, c.coder_id, c.start, c.end).where(c.document_id == doc_id)
        ).all()
    return {int(r.id): (r.code_id, r.coder_id, r.start, r.end) for r in rows}


def test_every_coding_keeps_its_words_when_words_are_replaced(demo: object) -> None:
    doc_id, text = _doc(demo, "P01-interview")
    before = _codings(demo, doc_id)
    assert len(before) > 10
    # replace every "the" by "THE ONE" (a longer word: everything after shifts)
    edits = [Edit(m.start(), m.end(), "THE ONE") for m in re.finditer(r"\bthe\b", text)]
    assert len(edits) > 20
    change = apply_edits(text, edits)
    with demo.db.write() as conn:  # type: ignore[attr-defined]
        report = rewrite_document(conn, doc_id, change)
    _new_id, new_text = _doc(demo, "P01-interview")
    assert new_text == re.sub(r"\bthe\b", "THE ONE", text)
    after = _codings(demo, doc_id)
    assert set(after) == set(before) and not report.codings_lost
    for cid, (_, _, start, end) in before.items():
        expected = re.sub(r"\bthe\b", "THE ONE", text[start:end])
        _, _, ns, ne = after[cid]
        # a coding starting or ending inside a "the" would stretch; demo codings are whole words
        assert new_text[ns:ne] == expected, (cid, text[start:end])
    # turns still start at their speaker labels
    with demo.db.read() as conn:  # type: ignore[attr-defined]
        turns = conn.execute(
            select(t.turn.c.start, t.turn.c.end, t.turn.c.speaker).where(
                t.turn.c.document_id == doc_id
            )
        ).all()
    labelled = [tr for tr in turns if tr.speaker]
    assert labelled and all(new_text[tr.start :].startswith(tr.speaker) for tr in labelled)


def test_removed_passages_are_reported_and_collisions_merge(demo: object) -> None:
    doc_id, text = _doc(demo, "P02-interview")
    before = _codings(demo, doc_id)
    victim_id, (code_id, coder_id, vs, ve) = sorted(before.items(), key=lambda kv: kv[1][2])[0]
    # delete exactly the first coding's passage
    change = apply_edits(text, [Edit(vs, ve, "")])
    with demo.db.write() as conn:  # type: ignore[attr-defined]
        report = rewrite_document(conn, doc_id, change)
    lost_ids = {lc.id for lc in report.codings_lost}
    assert victim_id in lost_ids
    assert [lc.text for lc in report.codings_lost if lc.id == victim_id] == [text[vs:ve]]
    after = _codings(demo, doc_id)
    # every lost coding covered only deleted characters; every kept one is elsewhere
    for cid in lost_ids:
        _, _, s, e = before[cid]
        assert vs <= s and e <= ve
    assert set(after) == set(before) - lost_ids - set(), "nothing else removed"

    # two codings of one layer and code that end up on one span are merged into one
    doc3, text3 = _doc(demo, "P03-interview")
    with demo.db.write() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import insert

        from thematica.services.project import now

        conn.execute(
            insert(t.coding),
            [
                dict(
                    project_id=demo.id,  # type: ignore[attr-defined]
                    document_id=doc3,
                    code_id=code_id,
                    coder_id=coder_id,
                    start=s,
                    end=e,
                    created_at=now(),
                )
                for s, e in ((100, 110), (100, 112))
            ],
        )
        # replacing 105..112 makes both end where the replacement ends
        merged = rewrite_document(conn, doc3, TextChange(text3, [Edit(105, 112, "[x]")]))
    assert merged.codings_merged == 1


def test_full_text_search_follows_the_new_text(demo: object) -> None:
    doc_id, text = _doc(demo, "P04-interview")
    word = "Zyxwvut"
    change = apply_edits(text, [Edit(0, 0, word + " ")])
    with demo.db.write() as conn:  # type: ignore[attr-defined]
        rewrite_document(conn, doc_id, change)
    hits = demo.retrieval.search(word)  # type: ignore[attr-defined]
    assert {h.document for h in hits.rows} == {"P04-interview"}
    with demo.db.read() as conn:  # type: ignore[attr-defined]
        length = conn.execute(
            select(func.length(t.document.c.text)).where(t.document.c.id == doc_id)
        ).scalar()
    assert length == len(text) + len(word) + 1
