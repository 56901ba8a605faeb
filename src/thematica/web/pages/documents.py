"""Pages: the documents of a project — its landing page — with each document's case and
attributes, its size, and how far each coder is with it; owners import files from here."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from starlette.responses import Response

from thematica.importers import SUPPORTED_SUFFIXES
from thematica.web.deps import ProjectDep
from thematica.web.render import page

router = APIRouter()


@router.get("/p/{pid}/documents")
def documents_page(request: Request, project: ProjectDep) -> Response:
    overview = project.progress.overview()
    limit = int(request.app.state.max_upload_bytes)
    return page(
        request,
        "documents.html",
        project=project,
        nav="documents",
        overview=asdict(overview),
        documents=overview.documents,
        suffixes=sorted(SUPPORTED_SUFFIXES),
        max_upload=limit,
        max_upload_mb=f"{limit / 2**20:,.0f}",
    )
