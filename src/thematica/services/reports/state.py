"""The report's state: everything it is made from, as canonical JSON, and its SHA-256.

The state holds the documents (name, SHA-256 of the text, case), the cases and their attribute
values (with the attributes' types and orders), the codebook snapshot, the themes (name,
parent, level, description, position, codes), the codings of the layer read and, when agreement
is computed rather than read from a saved run, of the coders compared (document, code path,
span, coder, starred), the consensus status, the agreement figures, the project's SEM levels
and quantifier scale, and the resolved settings. The output format is not part of it, so the
Markdown, HTML and Word drafts of one state share a hash. Nothing depends on the clock: the
time stamp a DOCX carries is the newest time stamp in that state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.project import Project
    from thematica.services.themes import ThemeIndex

REPORT_VERSION = 2


def canonical_hash(state: Any) -> str:
    blob = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.replace(microsecond=0)


def theme_state(themes: ThemeIndex, index: CodeIndex) -> list[dict[str, Any]]:
    return [
        {
            "number": th.number,
            "name": th.name,
            "parent": themes.themes[th.parent_id].name if th.parent_id else None,
            "level": th.level,
            "description": th.description,
            "position": th.position,
            "codes": sorted(index.paths[c] for c in th.code_ids),
        }
        for th in themes.ordered()
    ]


def project_state(
    conn: Connection,
    project: Project,
    *,
    layer: dict[int, str],
    compared: Sequence[str],
    index: CodeIndex,
    themes: ThemeIndex,
) -> tuple[dict[str, Any], datetime]:
    """The state (without settings, consensus and agreement, which the caller adds) and the
    newest time stamp in it."""
    pid = project.id
    d, cs, k, c = t.document.c, t.case.c, t.coding.c, t.coder.c
    docs = conn.execute(
        select(d.id, d.name, d.sha256, d.imported_at).where(d.project_id == pid)
    ).all()
    case_of = project.documents.case_names(conn)
    coder_id = {
        str(r.name): r.id for r in conn.execute(select(c.id, c.name).where(c.project_id == pid))
    }
    wanted = sorted(set(layer) | {coder_id[n] for n in compared if n in coder_id})
    names = {r.id: r.name for r in docs}
    coder_name = {v: n for n, v in coder_id.items()}
    codings = []
    newest = None
    for r in conn.execute(
        select(k.document_id, k.code_id, k.coder_id, k.start, k.end, k.starred, k.created_at).where(
            k.project_id == pid, k.coder_id.in_(wanted)
        )
    ):
        codings.append(
            (
                coder_name[r.coder_id],
                names[r.document_id],
                index.paths[r.code_id],
                r.start,
                r.end,
                bool(r.starred),
            )
        )
        if r.created_at is not None and (newest is None or r.created_at > newest):
            newest = r.created_at
    codings.sort()
    stamps: list[datetime | None] = [r.imported_at for r in docs]
    stamps.append(newest)
    stamps += list(conn.scalars(select(t.code.c.updated_at).where(t.code.c.project_id == pid)))
    stamps += list(conn.scalars(select(t.theme.c.updated_at).where(t.theme.c.project_id == pid)))
    stamps += list(conn.scalars(select(cs.created_at).where(cs.project_id == pid)))
    state = {
        "report_version": REPORT_VERSION,
        "project": project.name,
        "sem_levels": project.sem_levels,
        "quantifiers": project.prevalence.scale().to_spec(),
        "documents": sorted(
            ([r.name, r.sha256, case_of.get(r.id)] for r in docs), key=lambda x: str(x[0])
        ),
        "attributes": [
            [a.name, str(a.type.value), list(a.order or ())]
            for a in project.cases.attribute_info(conn)
        ],
        "cases": project.cases.values(conn),
        "codebook": index.snapshot(),
        "themes": theme_state(themes, index),
        "layer": sorted(layer.values()),
        "coders": sorted(compared),
        "codings": codings,
        # who speaks for which case in a focus group decides quotes and prevalence
        "speakers": sorted(
            [names[r.document_id], r.speaker, r.case]
            for r in conn.execute(
                select(
                    t.speaker_case.c.document_id, t.speaker_case.c.speaker, cs.name.label("case")
                )
                .join(t.document, d.id == t.speaker_case.c.document_id)
                .outerjoin(t.case, cs.id == t.speaker_case.c.case_id)
                .where(d.project_id == pid)
            )
        ),
    }
    as_of = max((s for s in map(_utc, stamps) if s is not None), default=None)
    return state, as_of or datetime(2000, 1, 1, tzinfo=UTC)
