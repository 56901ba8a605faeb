"""API: the results report and exports, each started as a background job.

``POST`` answers at once with the job's id; the page polls ``GET /api/p/{pid}/jobs/{id}`` for
its progress and fetches ``/api/p/{pid}/jobs/{id}/download`` when it is done. The work runs as
the person who started it: every service call inside it makes its own permission check (a
coder while coding is blind exports only what they may read), and a refusal or any other user
error ends the job as failed with the service's one-line message.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from pydantic import Field

from thematica.core.errors import InputError
from thematica.services.jobs import JobResult
from thematica.services.project import Project
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter()

Progress = Callable[[int, int, str], None]


def stem_of(project: Project) -> str:
    """A file-name stem from the project's name (letters, digits, dashes)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", project.name).strip("-").lower()
    return stem[:60] or "project"


class ReportRequest(Body):
    fmt: Literal["docx", "html", "md"] = "docx"
    coder: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=300)
    allow_open: bool = False


class ExportRequest(Body):
    what: Literal["codings", "cases", "codebook", "themes", "project"]
    fmt: Literal["csv", "xlsx", "docx", "qdpx"] = "csv"
    coder: str | None = Field(default=None, max_length=200)


def report_work(project: Project, body: ReportRequest) -> Callable[[Progress], JobResult]:
    stem = f"{stem_of(project)}-results"

    def work(progress: Progress) -> JobResult:
        progress(0, 2, "computing the results (agreement, prevalence, saturation, quotes)")
        rendered = project.reports.render(
            body.fmt,
            stem=stem,
            coder=(body.coder or "").strip() or None,
            title=(body.title or "").strip() or None,
            allow_open=True if body.allow_open else None,
        )
        progress(1, 2, f"writing the {body.fmt} file")
        hash_note = f"content hash {rendered.state_hash[:12]}"
        if rendered.files:  # Markdown links its figures as files beside it: one zip
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{stem}.md", rendered.content)
                for name, blob in rendered.files.items():
                    zf.writestr(name, blob)
            progress(2, 2, "done")
            return JobResult(f"report ready ({hash_note})", f"{stem}-md.zip", buffer.getvalue())
        progress(2, 2, "done")
        return JobResult(
            f"report ready ({hash_note})", f"{stem}.{rendered.format}", rendered.content
        )

    return work


#: what each export may be written as
EXPORT_FORMATS = {
    "codings": ("csv", "xlsx"),
    "cases": ("csv", "xlsx"),
    "codebook": ("csv", "xlsx", "docx"),
    "themes": ("docx",),
    "project": ("qdpx",),
}


def export_work(project: Project, body: ExportRequest) -> Callable[[Progress], JobResult]:
    allowed = EXPORT_FORMATS[body.what]
    if body.fmt not in allowed:
        raise InputError(
            f"{body.what} can be exported as {' or '.join(allowed)}, not {body.fmt}",
            choices=list(allowed),
        )
    stem = stem_of(project)
    coder = (body.coder or "").strip() or None

    def work(progress: Progress) -> JobResult:
        progress(0, 1, f"exporting {body.what}")
        name = f"{stem}-{body.what}.{body.fmt}"
        if body.what == "project":
            from thematica.exporters.project_files import write_qdpx

            with tempfile.TemporaryDirectory(prefix="thematica-qdpx-") as folder:
                target = Path(folder) / f"{stem}.qdpx"
                report = write_qdpx(project, target)
                data = target.read_bytes()
            counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
            lost = f"; not carried: {'; '.join(report.not_exported)}" if report.not_exported else ""
            progress(1, 1, "done")
            return JobResult(f"REFI-QDA project: {counts}{lost}", f"{stem}.qdpx", data)
        if body.what == "themes":
            data = project.themes.docx()
        elif body.what == "codebook" and body.fmt == "docx":
            data = project.codebook.render("docx")
        else:
            data = project.exports.render(body.what, body.fmt, coder=coder)
        progress(1, 1, "done")
        return JobResult(f"{body.what} exported", name, data)

    return work


@router.post(
    "/p/{pid}/analysis/report",
    status_code=202,
    summary="Start writing the results report (a job: poll it, then download)",
)
def start_report(body: ReportRequest, project: ProjectDep) -> dict[str, int]:
    """The report refuses while the consensus layer it reads has open disagreements, unless
    ``allow_open``: then its findings open with a notice that the coding is provisional."""
    return {"job": project.jobs.start("report", report_work(project, body))}


@router.post(
    "/p/{pid}/analysis/export",
    status_code=202,
    summary="Start an export: codings, cases, codebook, themes or the REFI-QDA project",
)
def start_export(body: ExportRequest, project: ProjectDep) -> dict[str, int]:
    return {"job": project.jobs.start(f"export {body.what}", export_work(project, body))}
