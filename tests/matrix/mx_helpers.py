"""Helpers for the matrix tests: themes written straight into the store, coding look-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert

from thematica.store import schema as t


def add_theme(project: object, name: str, level: str | None, codes: list[str]) -> int:
    """A theme grouping ``codes`` (paths), written through the schema (as the themes do)."""
    p = project
    now = datetime.now(UTC)
    with p.db.write() as conn:  # type: ignore[attr-defined]
        index = p.codebook.index(conn)  # type: ignore[attr-defined]
        tid = conn.execute(
            insert(t.theme).values(
                project_id=p.id,
                name=name,
                sem_level=level,
                created_at=now,
                updated_at=now,  # type: ignore[attr-defined]
            )
        ).inserted_primary_key[0]
        for code in codes:
            conn.execute(insert(t.theme_code).values(theme_id=tid, code_id=index.resolve(code)))
    return int(tid)


def codings(project: object, coder: str, document: str, code: str) -> list[int]:
    rows = project.coding.list(coder=coder, document=document, code=code).rows  # type: ignore[attr-defined]
    return [r.id for r in rows if r.code == code]


def clear_themes(project: object) -> None:
    p = project
    with p.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute(delete(t.theme).where(t.theme.c.project_id == p.id))  # type: ignore[attr-defined]
