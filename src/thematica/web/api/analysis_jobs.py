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
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from thematica.core.errors import InputError, NotFoundError, PermissionDenied
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
        done = (
            f"Report ready. Its state hash ({rendered.state_hash[:12]}…) is printed in the "
            "report: another report with the same state hash was written from the same data "
            "and settings."
        )
        if rendered.files:  # Markdown links its figures as files beside it: one zip
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"{stem}.md", rendered.content)
                for name, blob in rendered.files.items():
                    zf.writestr(name, blob)
            progress(2, 2, "done")
            return JobResult(done, f"{stem}-md.zip", buffer.getvalue())
        progress(2, 2, "done")
        return JobResult(done, f"{stem}.{rendered.format}", rendered.content)

    return work


def report_readiness(project: Project, coder: str | None) -> dict[str, Any]:
    """Whether the report can be written now, from the services' own answers: the layer its
    findings come from (``coder``, or the form's default), that layer's open consensus
    disagreements, and, while coding is blind, the first layer the report must read that this
    person may not (``refused``: the service's sentence)."""
    from thematica.services.reports.agreement_figures import default_coders
    from thematica.web.api.analysis import default_layer, layer_choices

    layers = layer_choices(project)
    kinds = {str(x["name"]): str(x["kind"]) for x in layers}
    layer = (coder or "").strip() or default_layer(project, layers)
    out: dict[str, Any] = {
        "layer": layer,
        "kind": kinds.get(layer or ""),
        "compares": [],
        "consensus": None,
        "refused": None,
    }
    if layer is None:
        return out
    if layer not in kinds:
        raise NotFoundError(
            f"no coder layer named {layer!r} (layers: {', '.join(kinds) or 'none yet'})"
        )
    reconciled: list[str] | None = None
    try:
        if kinds[layer] == "consensus":
            status = project.consensus.status(name=layer).rows[0]
            reconciled = list(status.coders)
            out["consensus"] = {
                "open": status.open,
                "compared": status.compared,
                "decided": status.decided,
                "coders": reconciled,
            }
        out["compares"] = default_coders(kinds, reconciled)
        for name in [layer, *out["compares"]]:
            project.access.check_read_layer(name, kinds[name])
    except PermissionDenied as exc:
        out["compares"] = out["compares"] or default_coders(kinds, None)
        out["refused"] = str(exc)
        out["refused_layer"] = exc.detail.get("layer")
    return out


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


@router.get(
    "/p/{pid}/analysis/report/check",
    summary="Whether the results report can be written now: open consensus disagreements, "
    "and the coder layers it must read that you may not while coding is blind",
)
def check_report(
    project: ProjectDep, coder: Annotated[str | None, Query(max_length=200)] = None
) -> dict[str, Any]:
    return report_readiness(project, coder)


@router.post(
    "/p/{pid}/analysis/export",
    status_code=202,
    summary="Start an export: codings, cases, codebook, themes or the REFI-QDA project",
)
def start_export(body: ExportRequest, project: ProjectDep) -> dict[str, int]:
    return {"job": project.jobs.start(f"export {body.what}", export_work(project, body))}
