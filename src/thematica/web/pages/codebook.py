"""Page: the codebook — the code tree beside the selected code's full entry and its history;
owners edit, add, move, merge, split and remove codes, freeze and compare versions, and
decide coders' proposals. The page carries the tree as JSON; its script (static/js/codebook.js)
does every change through the JSON API (web/api/codebook.py) and redraws."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from thematica.core.access import Operation, allowed
from thematica.web.deps import ProjectDep
from thematica.web.render import page

router = APIRouter()


@router.get("/p/{pid}/codebook")
def codebook_page(
    request: Request,
    project: ProjectDep,
    code: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    entries = [asdict(e) for e in project.codebook.entries()]
    can_edit = allowed(project.access.role, Operation.CODEBOOK)
    data = {
        "codes": entries,
        "sem_levels": project.sem_levels,
        "can_edit": can_edit,
        "selected": code if any(e["id"] == code for e in entries) else None,
    }
    return page(
        request,
        "codebook.html",
        project=project,
        nav="codebook",
        data=data,
        can_edit=can_edit,
        total_codes=len(entries),
        total_codings=sum(e["codings"] for e in entries),
        versions=list(project.codebook.versions()),
    )
