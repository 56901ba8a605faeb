"""A small study with a gold layer and an AI layer, stored exactly as the suggest service
stores one: coder ``ai:test-model`` (kind ``ai``, with meta), an ``ai_run`` of kind
``suggest``, the layer's codings and one ``suggestion`` row per coding.

Documents, codes, members and human codings go through the services; only the AI rows are
inserted directly (the suggest service is written separately). Every offset below is found
with ``span`` from the words it means, so a wrong literal cannot slip in.

The two documents, cut into sentences (``core.units.split_sentences``), numbered s0..s6::

    A: s0 "Pay is low."  s1 "Staff leave often."  s2 "Managers listen."  s3 "We feel safe."
    B: s4 "Nobody helps."  s5 "Pay rose last year."  s6 "The team is small."

alex (gold): Pay s0 (only the word "Pay"), s5; Staffing s1, s6; Support s2, s3; Workload s6.
AI (score): Pay s0 .9, s5 .8, s1 .3; Staffing s1 .7, s4 .4; Support s2 .6 (the words
"Managers listen"); Morale s4 .2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from thematica.store import schema as t

DOC_A = "Pay is low. Staff leave often. Managers listen. We feel safe."
DOC_B = "Nobody helps. Pay rose last year. The team is small."
MODEL = "test-model"
LAYER = f"ai:{MODEL}"
CODES = ("Pay", "Staffing", "Support", "Morale", "Workload")


def span(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


def _doc(name: str) -> str:
    return DOC_A if name == "A" else DOC_B


#: (document, code, passage) of alex's codings
GOLD = [
    ("A", "Pay", "Pay"),
    ("B", "Pay", "Pay rose last year."),
    ("A", "Staffing", "Staff leave often."),
    ("B", "Staffing", "The team is small."),
    ("A", "Support", "Managers listen."),
    ("A", "Support", "We feel safe."),
    ("B", "Workload", "The team is small."),
]

#: (document, code, passage, score, rank) of the AI layer's suggestions
AI = [
    ("A", "Pay", "Pay is low.", 0.9, 1),
    ("B", "Pay", "Pay rose last year.", 0.8, 1),
    ("A", "Pay", "Staff leave often.", 0.3, 2),
    ("A", "Staffing", "Staff leave often.", 0.7, 1),
    ("B", "Staffing", "Nobody helps.", 0.4, 1),
    ("A", "Support", "Managers listen", 0.6, 1),
    ("B", "Morale", "Nobody helps.", 0.2, 2),
]


def build_study(project: Any, folder: Path, *, gold: bool = True) -> None:
    """Documents A and B, the codes, members alex and sam (coders) and kim (viewer), and
    alex's codings (with ``gold``). The project is opened by its owner."""
    from thematica import CodingInput

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "A.txt").write_text(DOC_A, "utf-8")
    (folder / "B.txt").write_text(DOC_B, "utf-8")
    project.documents.import_files([folder / "A.txt", folder / "B.txt"])
    assert project.documents.get("A").text == DOC_A
    assert project.documents.get("B").text == DOC_B
    for code in CODES:
        project.codebook.add(code)
    project.members.add("alex", "coder")
    project.members.add("sam", "coder")
    project.members.add("kim", "viewer")
    if gold:
        project.coding.apply_many(
            [CodingInput(d, c, *span(_doc(d), piece)) for d, c, piece in GOLD], coder="alex"
        )


def add_ai_layer(
    project: Any,
    rows: list[tuple[str, str, str, float, int]] | None = None,
    *,
    model: str = MODEL,
    learned_from: list[dict[str, str]] | None = None,
) -> list[int]:
    """The AI layer ``ai:<model>`` with ``rows`` (default :data:`AI`) as open suggestions;
    returns the suggestion ids in the order of ``rows``."""
    from thematica.services.project import now

    rows = AI if rows is None else rows
    stamp = now()
    pid = project.id
    ids: list[int] = []
    with project.db.write() as conn:
        docs = dict(
            conn.execute(
                select(t.document.c.name, t.document.c.id).where(t.document.c.project_id == pid)
            ).all()
        )
        index = project.codebook.index(conn)
        coder_id = conn.execute(
            insert(t.coder).values(
                project_id=pid,
                name=f"ai:{model}",
                kind="ai",
                created_at=stamp,
                meta={
                    "backend": "test",
                    "model": model,
                    "version": "0",
                    "parameters": {"unit": "sentence", "top": 3},
                    "learned_from": learned_from or [],
                    "provenance": "hand-written test rows",
                    "sha256": "0" * 64,
                },
            )
        ).inserted_primary_key[0]
        run_id = conn.execute(
            insert(t.ai_run).values(
                project_id=pid,
                kind="suggest",
                coder_id=coder_id,
                backend="test",
                model=model,
                parameters={"unit": "sentence", "top": 3},
                actor="pi",
                status="done",
                done=2,
                total=2,
                started_at=stamp,
                finished_at=stamp,
            )
        ).inserted_primary_key[0]
        for doc, code, piece, score, rank in rows:
            start, end = span(_doc(doc), piece)
            coding_id = conn.execute(
                insert(t.coding).values(
                    project_id=pid,
                    document_id=docs[doc],
                    code_id=index.resolve(code),
                    coder_id=coder_id,
                    start=start,
                    end=end,
                    starred=False,
                    created_at=stamp,
                )
            ).inserted_primary_key[0]
            ids.append(
                int(
                    conn.execute(
                        insert(t.suggestion).values(
                            project_id=pid,
                            run_id=run_id,
                            coding_id=coding_id,
                            score=score,
                            rank=rank,
                            evidence={"label": code},
                            status="open",
                        )
                    ).inserted_primary_key[0]
                )
            )
    project.access.forget_layers()
    return ids


def layer_codings(project: Any, layer: str) -> list[tuple[str, str, int, int]]:
    """(document, code path, start, end) of every coding in ``layer``, sorted."""
    with project.db.read() as conn:
        index = project.codebook.index(conn)
        c, d, k = t.coding.c, t.document.c, t.coder.c
        rows = conn.execute(
            select(d.name, c.code_id, c.start, c.end)
            .join(t.document, d.id == c.document_id)
            .join(t.coder, k.id == c.coder_id)
            .where(c.project_id == project.id, k.name == layer)
        ).all()
    return sorted((n, index.paths[cid], s, e) for n, cid, s, e in rows)


def suggestion_state(project: Any) -> dict[int, tuple[str, str | None, int | None]]:
    """suggestion id -> (stored status, reviewed_by, accepted_coding_id)."""
    s = t.suggestion.c
    with project.db.read() as conn:
        return {
            int(r.id): (r.status, r.reviewed_by, r.accepted_coding_id)
            for r in conn.execute(select(s.id, s.status, s.reviewed_by, s.accepted_coding_id))
        }
