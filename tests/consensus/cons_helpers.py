"""Helpers for the consensus tests: the stored rows a decision may and may not change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from thematica.store import schema as t


def human_codings(project: Any) -> set[tuple[int, str, int, int, int, int, str | None]]:
    """Every coding of alex and sam as stored: id, coder, document, code, start, end, memo."""
    c, k = t.coding.c, t.coder.c
    with project.db.read() as conn:
        return {
            (r.id, r.name, r.document_id, r.code_id, r.start, r.end, r.memo)
            for r in conn.execute(
                select(c.id, k.name, c.document_id, c.code_id, c.start, c.end, c.memo)
                .join(t.coder, t.coder.c.id == c.coder_id)
                .where(c.project_id == project.id, k.kind == "human")
            )
        }


def layer_codings(project: Any, layer: str = "consensus") -> set[tuple[str, str, int, int]]:
    """The consensus layer as (document, code path, start, end)."""
    return {(r.document, r.code, r.start, r.end) for r in project.coding.list(coder=layer)}


def decision_count(project: Any) -> int:
    with project.db.read() as conn:
        return int(
            conn.scalar(select(func.count()).where(t.consensus_decision.c.project_id == project.id))
            or 0
        )


def state(project: Any) -> tuple[int, set[tuple[str, str, int, int]], int]:
    """What a refused request must leave unchanged."""
    return decision_count(project), layer_codings(project), len(human_codings(project))
