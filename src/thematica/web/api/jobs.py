"""API: long jobs (imports, reports, exports): how far they are, and their file when done."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import Response

from thematica.web.deps import ProjectDep

router = APIRouter(tags=["jobs"])


@router.get("/p/{pid}/jobs", summary="My recent jobs (owners: everyone's)")
def list_jobs(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(row) for row in project.jobs.list()]


@router.get("/p/{pid}/jobs/{job_id}", summary="A job's status and progress")
def get_job(job_id: int, project: ProjectDep) -> dict[str, Any]:
    return asdict(project.jobs.get(job_id))


@router.get(
    "/p/{pid}/jobs/{job_id}/download",
    summary="The finished job's file",
    responses={200: {"content": {"application/octet-stream": {}, "*/*": {}}}},
)
def download(job_id: int, project: ProjectDep) -> Response:
    name, data = project.jobs.result(job_id)
    return Response(
        data,
        media_type=media_type(name),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def media_type(name: str) -> str:
    """The content type of a download, by its extension (unknown: a plain byte stream)."""
    types = {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".csv": "text/csv; charset=utf-8",
        ".md": "text/markdown; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".json": "application/json",
        ".yaml": "application/yaml",
        ".png": "image/png",
        ".svg": "image/svg+xml",
        ".pdf": "application/pdf",
        ".qdpx": "application/zip",
        ".qdc": "application/xml",
        ".zip": "application/zip",
    }
    dot = name.rfind(".")
    return (
        types.get(name[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )
