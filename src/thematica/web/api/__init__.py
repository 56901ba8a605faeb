"""The JSON API, under ``/api``: one router per area, each a thin call into the services."""

from fastapi import APIRouter

from thematica.web.api import (
    analysis,
    audit,
    auth,
    codebook,
    coding,
    consensus,
    documents,
    jobs,
    projects,
)

router = APIRouter(prefix="/api")
for module in (auth, projects, documents, coding, codebook, consensus, analysis, audit, jobs):
    router.include_router(module.router)

__all__ = ["router"]
