"""The JSON API, under ``/api``: one router per area, each a thin call into the services."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from thematica.web.api import (
    analysis,
    audit,
    auth,
    codebook,
    coding,
    consensus,
    deid,
    documents,
    jobs,
    projects,
    suggestions,
)


class ErrorBody(BaseModel):
    """Every refused request: one sentence, the kind of error, and its facts as data."""

    error: str
    kind: str
    detail: dict[str, Any]


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": what}
    for code, what in {
        400: "Bad input (the message says what)",
        401: "Not signed in, or a bad token",
        403: "Your role does not allow this, or the CSRF token is missing",
        404: "No such thing here (or a project you are not a member of)",
        409: "Conflicts with what is stored (e.g. changed by someone else meanwhile)",
        413: "Upload too large",
        422: "The request does not match the API's schema",
        429: "Too many attempts; retry later",
    }.items()
}

router = APIRouter(prefix="/api", responses=_ERRORS)
for module in (auth, projects, documents, coding, codebook, consensus, analysis, audit, jobs):
    router.include_router(module.router)
router.include_router(suggestions.router)  # issue 11: AI suggestions
router.include_router(deid.router)  # issue 12: de-identification review

__all__ = ["router"]
