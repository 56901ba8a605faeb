"""The HTML pages: server-rendered with Jinja2; the reading and comparing pages add a small
script that talks to the JSON API."""

from fastapi import APIRouter

from thematica.web.pages import (
    analysis,
    audit,
    auth,
    codebook,
    compare,
    deid,
    documents,
    projects,
    read,
)

router = APIRouter(include_in_schema=False)
for module in (auth, projects, documents, read, compare, codebook, analysis, audit, deid):
    router.include_router(module.router)

__all__ = ["router"]
