"""Helpers the REFI-QDA import, export and codebook modules share.

Names are made unique the way the store needs them (case-insensitively, within a limit), and
stored objects get the GUID a file gave them (``external_id``) or one derived from the project
name, so exporting the same project twice writes the same GUIDs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from thematica.interop import guids
from thematica.interop.refi_model import RefiCode
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


def unique_name(name: str, taken: set[str], limit: int) -> str:
    """``name`` cut to ``limit``, or ``name (2)``, ``(3)`` … if ``taken`` has it in any case."""
    base = name[:limit] or "unnamed"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        candidate = f"{base[: limit - 6]} ({n})"
        n += 1
    taken.add(candidate.casefold())
    return candidate


def code_name(raw: str) -> str:
    """A file's code name as a stored one: "/" separates levels in code paths, so it becomes
    "\u2215", and runs of white space become one space."""
    name = " ".join(raw.replace("/", "\u2215").split())
    return name[:300] or "unnamed code"


def guid_map(conn: Connection, project: Project) -> dict[tuple[str, int], str]:
    """The GUIDs kept from imported files, by (entity type, id)."""
    x = t.external_id.c
    return {
        (r.entity_type, r.entity_id): r.guid
        for r in conn.execute(
            select(x.entity_type, x.entity_id, x.guid).where(x.project_id == project.id)
        )
    }


def guid_of(project: Project, known: dict[tuple[str, int], str], kind: str, entity_id: int) -> str:
    """The kept GUID of a stored object, or the stable one derived for it."""
    return known.get((kind, entity_id)) or guids.derive(project.name, kind, entity_id)


def code_tree(
    conn: Connection,
    project: Project,
    known: dict[tuple[str, int], str],
    memo_notes: dict[int, list[str]] | None = None,
) -> list[RefiCode]:
    """The project's codes as a REFI tree in codebook order; ``memo_notes`` are their NoteRefs."""
    rows = list(
        conn.execute(
            select(t.code)
            .where(t.code.c.project_id == project.id)
            .order_by(t.code.c.position, t.code.c.id)
        )
    )
    nodes: dict[int, RefiCode] = {}
    for r in rows:
        extra = {
            k: getattr(r, k)
            for k in ("inclusion", "exclusion", "example", "origin", "sem_level")
            if getattr(r, k)
        }
        nodes[r.id] = RefiCode(
            guid_of(project, known, "code", r.id),
            r.name,
            True,
            r.colour,
            r.definition or "",
            extra,
            list((memo_notes or {}).get(r.id, [])),
        )
    roots: list[RefiCode] = []
    for r in rows:
        (nodes[r.parent_id].children if r.parent_id in nodes else roots).append(nodes[r.id])
    return roots
