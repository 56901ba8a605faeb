"""API: the audit trail, newest first, filtered by who, what kind of change and since when.

While coding is blind, a person who is not an owner does not get the entries that itemise a
coder layer they may not read (``project.audit_log`` leaves them out).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from thematica.web.deps import ProjectDep
from thematica.web.pages.audit import read_log
from thematica.web.pages.audit_words import describe, label

router = APIRouter(tags=["audit"])

Text = Annotated[
    str,
    Query(max_length=500, description="names or actions: comma lists; an action may end in *"),
]


@router.get("/p/{pid}/audit", summary="Who changed what, when: the audit trail, newest first")
def audit(
    project: ProjectDep,
    actor: Text = "",
    action: Text = "",
    since: Annotated[
        str, Query(max_length=100, description="2h, 3d, 1w, or an ISO date or date-time (UTC)")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    rows, more = read_log(project, actor, action, since, offset, limit)
    return {
        "entries": [
            {**asdict(row), "label": label(row.action), "summary": describe(row)} for row in rows
        ],
        "offset": offset,
        "limit": limit,
        "more": more,
    }


@router.get("/p/{pid}/audit/facets", summary="The kinds of change in the log, and who made them")
def facets(project: ProjectDep) -> dict[str, Any]:
    return asdict(project.progress.audit_facets())
