"""Test data for the web's AI suggestions: an ``ai`` coder layer with a finished suggest run,
its codings and their open suggestions, written straight into the database (as the suggest
service stores them, store/schema.py) so the web tests do not depend on a model's output.

Passages are found by their words in the demo's text, so every expected offset below is worked
out from the text, not from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from thematica.store import schema as t

LAYER = "ai:test-model"
MODEL = "test-model"


@dataclass(frozen=True)
class Seeded:
    id: int  # the suggestion's id
    coding_id: int  # its coding in the AI layer
    document: str
    code: str  # the code's path
    start: int
    end: int
    score: float
    rank: int


def span_of(project: Any, document: str, words: str) -> tuple[int, int]:
    text = project.documents.get(document).text
    start = text.index(words)
    return start, start + len(words)


def seed_suggestions(
    project: Any,
    document: str,
    wanted: list[tuple[str, str, float, int]],
    *,
    layer: str = LAYER,
    learned_from: list[dict[str, str]] | None = None,
    evidence: Any = None,
) -> list[Seeded]:
    """Store open suggestions on ``document``: each ``(passage words, code name or path,
    score, rank)``. The AI layer and its run are made on first use."""
    now = datetime.now(UTC)
    codes = {c.name: c for c in project.coding.code_choices()}
    paths = {c.path: c for c in project.coding.code_choices()}
    out: list[Seeded] = []
    with project.db.write() as conn:
        pid = project.id
        doc_id = conn.scalar(
            select(t.document.c.id).where(
                t.document.c.project_id == pid, t.document.c.name == document
            )
        )
        assert doc_id is not None, document
        coder_id = conn.scalar(
            select(t.coder.c.id).where(t.coder.c.project_id == pid, t.coder.c.name == layer)
        )
        if coder_id is None:
            meta = {
                "backend": "test",
                "model": layer.removeprefix("ai:"),
                "version": "0",
                "parameters": {"unit": "sentence", "top": 3},
                "learned_from": learned_from or [],
                "provenance": "written by the web tests",
                "sha256": "0" * 64,
            }
            coder_id = conn.execute(
                insert(t.coder).values(
                    project_id=pid, name=layer, kind="ai", created_at=now, meta=meta
                )
            ).inserted_primary_key[0]
        run_id = conn.scalar(select(t.ai_run.c.id).where(t.ai_run.c.coder_id == coder_id))
        if run_id is None:
            run_id = conn.execute(
                insert(t.ai_run).values(
                    project_id=pid,
                    kind="suggest",
                    coder_id=coder_id,
                    backend="test",
                    model=layer.removeprefix("ai:"),
                    parameters={"unit": "sentence", "top": 3},
                    actor="olivia",
                    status="done",
                    done=1,
                    total=1,
                    started_at=now,
                    finished_at=now,
                )
            ).inserted_primary_key[0]
        for words, code, score, rank in wanted:
            found = paths.get(code) or codes[code]
            text = project.documents.get(document).text
            start = text.index(words)
            end = start + len(words)
            coding_id = conn.execute(
                insert(t.coding).values(
                    project_id=pid,
                    document_id=doc_id,
                    code_id=found.id,
                    coder_id=coder_id,
                    start=start,
                    end=end,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            sid = conn.execute(
                insert(t.suggestion).values(
                    project_id=pid,
                    run_id=run_id,
                    coding_id=coding_id,
                    score=score,
                    rank=rank,
                    evidence=evidence,
                    status="open",
                )
            ).inserted_primary_key[0]
            out.append(
                Seeded(int(sid), int(coding_id), document, found.path, start, end, score, rank)
            )
    project.access.forget_layers()
    return out


def suggestion_state(project: Any, suggestion_id: int) -> tuple[str, str | None, int | None]:
    """(status, reviewed_by, accepted_coding_id) as stored."""
    s = t.suggestion.c
    with project.db.read() as conn:
        row = conn.execute(
            select(s.status, s.reviewed_by, s.accepted_coding_id).where(s.id == suggestion_id)
        ).one()
    return str(row.status), row.reviewed_by, row.accepted_coding_id
