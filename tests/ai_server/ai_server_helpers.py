"""Helpers for the team-server tests."""

from __future__ import annotations

from typing import Any


def configure_ai(project: Any, url: str, *, model: str = "fake-chat") -> None:
    """Point ``project`` at the AI server ``url`` (chat ``model``, embeddings fake-embed)."""
    project.configure(ai_url=url, ai_model=model, ai_embedding_model="fake-embed")


def footprint(project: Any) -> tuple[int, ...]:
    """Rows in every table and the newest audit entry's id: unchanged means nothing written."""
    from sqlalchemy import func, select

    from thematica.store import schema as t

    tables = sorted(t.metadata.tables.values(), key=lambda tb: tb.name)
    columns = [select(func.count()).select_from(tb).scalar_subquery() for tb in tables]
    columns.append(select(func.max(t.audit_log.c.id)).scalar_subquery())
    with project.db.read() as conn:
        row = conn.execute(select(*columns)).one()
    return tuple(-1 if v is None else int(v) for v in row)


def alex_codings(project: Any, document: str, code: str) -> list[dict[str, Any]]:
    """alex's codings with exactly ``code`` in ``document``, in document order."""
    rows = project.coding.list(coder="alex", document=document, code=code).records()
    return sorted((r for r in rows if r["code"] == code), key=lambda r: (r["start"], r["id"]))


def fake_summary(texts: list[str]) -> str:
    """What the fake server's summary becomes once cleaned, worked out from its rule:
    "The N excerpts mention <first word of excerpt 1> [1]" (+ " and [N]." when N > 1)."""
    import re

    n = len(texts)
    first = re.findall(r"[a-z0-9]+", texts[0].lower())[0]
    return f"The {n} excerpts mention {first} [1]" + (f" and [{n}]." if n > 1 else ".")
