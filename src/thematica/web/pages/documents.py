"""Pages: the documents of a project — its landing page — with each document's case and
attributes, its size, and how far each coder is with it; owners import transcripts and
transcribe recordings from here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from thematica.importers import SUPPORTED_SUFFIXES
from thematica.intake.audio import AUDIO_SUFFIXES
from thematica.intake.speech_models import MODELS as SPEECH_MODELS
from thematica.web.api.documents import overview_data
from thematica.web.deps import ProjectDep
from thematica.web.render import page

router = APIRouter()


@router.get("/p/{pid}/documents")
def documents_page(request: Request, project: ProjectDep) -> Response:
    overview = overview_data(project)
    limit = int(request.app.state.max_upload_bytes)
    return page(
        request,
        "documents.html",
        project=project,
        nav="documents",
        overview=overview,
        documents=overview["documents"],
        suffixes=sorted(SUPPORTED_SUFFIXES),
        audio_suffixes=list(AUDIO_SUFFIXES),
        speech_models=SPEECH_MODELS,
        max_upload=limit,
        max_upload_mb=f"{limit / 2**20:,.0f}",
    )
