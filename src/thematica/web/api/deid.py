"""API: reviewing de-identification before the text changes (``project.deid``).

Finding identifiers proposes redactions; an owner accepts, rejects or edits each one, adds
their own by selecting text, and only then commits, which rewrites the text for everyone
(codings and turns move with it). Every route is one call into ``project.deid``, which
allows owners only (``PermissionDenied``: 403) and writes the audit log. Finding identifiers
loads a language model and reads every document asked for, so ``POST /deid/detect`` runs it
as a background job (``project.jobs``) whose progress ``/jobs/{id}`` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, model_validator

from thematica.core.errors import ConflictError
from thematica.services.deid import DetectReport
from thematica.services.jobs import JobResult
from thematica.services.project import Project
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["de-identification"])

#: the most documents one request names (the command line has no limit)
DOCUMENTS_MAX = 500
#: ids past PostgreSQL's INTEGER are bad input, not a database error
ID_MAX = 2**31 - 1
OFFSET_MAX = 2**31 - 1
DETECT_JOB = "deid-detect"
STALE_AFTER = timedelta(minutes=30)
Progress = Callable[[int, int, str], None]
DocName = Annotated[str, Field(min_length=1, max_length=500)]
ProposalId = Annotated[int, Path(ge=1, le=ID_MAX)]
StatusName = Literal["proposed", "accepted", "rejected", "committed"]


class ProposalOut(BaseModel):
    """One proposed redaction (``services.deid.ProposalRow``)."""

    id: int
    document: str
    start: int
    end: int
    #: the identifier as found ("" once committed)
    text: str
    entity_type: str
    #: what the passage will read after commit
    placeholder: str
    score: float
    recogniser: str
    #: proposed | accepted | rejected | committed
    status: str
    before: str = ""
    after: str = ""


class ReviewOut(BaseModel):
    id: int
    #: the proposal's status now
    status: str
    #: proposals this request changed (0: it already had that status)
    changed: int


class AcceptAllOut(BaseModel):
    accepted: int


class JobOut(BaseModel):
    job: int


class CommitOut(BaseModel):
    """What a commit did (``services.deid.CommitReport``)."""

    documents: int
    replaced: int
    codings_moved: int = 0
    codings_touched: int = 0
    codings_lost: int = 0
    placeholders: dict[str, int] = {}
    warnings: list[str] = []


class PlaceholderOut(BaseModel):
    entity_type: str
    template: str
    default: bool


class DetectRequest(Body):
    """Which documents to search (left out or null: every document)."""

    documents: list[DocName] | None = Field(default=None, min_length=1, max_length=DOCUMENTS_MAX)
    #: the key's passphrase, where an owner encrypted a key holding known names
    passphrase: str | None = Field(default=None, min_length=1, max_length=1000)


class AddRequest(Body):
    """A reviewer's own redaction: a span [start, end), or every occurrence of ``text``."""

    document: DocName
    start: int | None = Field(default=None, ge=0, le=OFFSET_MAX)
    end: int | None = Field(default=None, ge=0, le=OFFSET_MAX)
    text: str | None = Field(default=None, min_length=1, max_length=1000)
    entity_type: str = Field(default="PERSON", min_length=1, max_length=40)
    #: the reviewer's own placeholder; left out: the type's numbered one from the key
    placeholder: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _span_or_text(self) -> AddRequest:
        span = self.start is not None or self.end is not None
        if span == (self.text is not None) or (span and (self.start is None or self.end is None)):
            raise ValueError("give start and end, or text (every occurrence), not both")
        return self


class EditRequest(Body):
    """What changes (at least one); the proposal becomes accepted."""

    start: int | None = Field(default=None, ge=0, le=OFFSET_MAX)
    end: int | None = Field(default=None, ge=0, le=OFFSET_MAX)
    entity_type: str | None = Field(default=None, min_length=1, max_length=40)
    placeholder: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _something(self) -> EditRequest:
        if all(v is None for v in (self.start, self.end, self.entity_type, self.placeholder)):
            raise ValueError("say what changes: start, end, entity_type or placeholder")
        return self


class CommitRequest(Body):
    """Which documents to rewrite (left out or null: every one with accepted proposals)."""

    documents: list[DocName] | None = Field(default=None, min_length=1, max_length=DOCUMENTS_MAX)
    #: the key's passphrase, where an owner encrypted the key
    passphrase: str | None = Field(default=None, min_length=1, max_length=1000)


@router.get(
    "/p/{pid}/deid/proposals",
    response_model=list[ProposalOut],
    summary="Proposed redactions (of one document, of some statuses); owners only",
)
def list_proposals(
    project: ProjectDep,
    document: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    status: Annotated[list[StatusName] | None, Query(description="repeatable")] = None,
    entity_type: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
) -> list[dict[str, Any]]:
    rows = project.deid.list(document=document, status=status or None, entity_type=entity_type)
    return [asdict(r) for r in rows]


@router.get(
    "/p/{pid}/deid/placeholders",
    response_model=list[PlaceholderOut],
    summary="The entity types a redaction may have, with each one's placeholder template",
)
def list_placeholders(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(p) for p in project.deid.placeholders()]


def detect_work(
    project: Project, documents: Sequence[str] | None, passphrase: str | None = None
) -> Callable[[Progress], JobResult]:
    """Finding identifiers as a job's work, reporting its progress document by document."""

    def work(progress: Progress) -> JobResult:
        progress(0, len(documents) if documents else 1, "loading the recognisers")
        report = project.deid.detect(documents, progress=progress, passphrase=passphrase)
        progress(1, 1, "done")
        return JobResult(detect_message(report))

    return work


def detect_message(report: DetectReport) -> str:
    """One sentence on what a detection run stored."""
    n, d = report.proposed, report.documents
    said = f"{n} identifier{'s' if n != 1 else ''} proposed in {d} document{'s' if d != 1 else ''}"
    if report.by_type:
        kinds = sorted(report.by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        said += " (" + ", ".join(f"{k.replace('_', ' ').lower()} {v}" for k, v in kinds) + ")"
    if report.already:
        said += f"; {report.already} found again where a proposal already was"
    return said


def running_detection(project: Project) -> int | None:
    """The detection job running in this project, if any (one started over half an hour ago
    is taken for a server that stopped mid-run, not a run to wait for)."""
    now = datetime.now(UTC)
    for job in project.jobs.list():
        if job.kind != DETECT_JOB or job.finished:
            continue
        if now - datetime.fromisoformat(job.created_at) < STALE_AFTER:
            return job.id
    return None


@router.post(
    "/p/{pid}/deid/detect",
    status_code=202,
    response_model=JobOut,
    summary="Find identifiers in some documents (a job: poll /jobs/{id}); owners only",
)
def detect(project: ProjectDep, body: DetectRequest | None = None) -> dict[str, int]:
    """The documents must exist, and the role allow it: both checked now, before the job.
    One detection runs at a time in a project: a second would read the same documents again
    (and load its own model) only to find the same identifiers."""
    names = list(dict.fromkeys(body.documents)) if body and body.documents else None
    passphrase = body.passphrase if body else None
    project.deid.check(names, passphrase=passphrase)
    running = running_detection(project)
    if running is not None:
        raise ConflictError(
            f"finding identifiers is already running (job {running}); wait for it to finish",
            job=running,
        )
    work = detect_work(project, names, passphrase)
    return {"job": project.jobs.start(DETECT_JOB, work)}


@router.post(
    "/p/{pid}/deid/proposals",
    status_code=201,
    response_model=list[ProposalOut],
    summary="Redact a passage (or every occurrence of a text) myself: accepted at once",
)
def add_proposal(body: AddRequest, project: ProjectDep) -> list[dict[str, Any]]:
    rows = project.deid.add(
        body.document,
        start=body.start,
        end=body.end,
        text=body.text,
        entity_type=body.entity_type,
        placeholder=body.placeholder,
    )
    return [asdict(r) for r in rows]


@router.post(
    "/p/{pid}/deid/proposals/{proposal_id}/accept",
    response_model=ReviewOut,
    summary="Accept a proposed redaction (it is applied at commit)",
)
def accept_proposal(proposal_id: ProposalId, project: ProjectDep) -> dict[str, Any]:
    """A committed one is past reviewing (409); one overlapping another accepted one is
    refused (the service says which)."""
    changed = project.deid.accept([proposal_id])
    return {"id": proposal_id, "status": "accepted", "changed": changed}


@router.post(
    "/p/{pid}/deid/proposals/{proposal_id}/reject",
    response_model=ReviewOut,
    summary="Reject a proposed redaction: the passage stays as it is",
)
def reject_proposal(proposal_id: ProposalId, project: ProjectDep) -> dict[str, Any]:
    changed = project.deid.reject([proposal_id])
    return {"id": proposal_id, "status": "rejected", "changed": changed}


@router.patch(
    "/p/{pid}/deid/proposals/{proposal_id}",
    response_model=ProposalOut,
    summary="Change a redaction's span, type or placeholder (it becomes accepted)",
)
def edit_proposal(
    proposal_id: ProposalId, body: EditRequest, project: ProjectDep
) -> dict[str, Any]:
    row = project.deid.edit(
        proposal_id,
        start=body.start,
        end=body.end,
        entity_type=body.entity_type,
        placeholder=body.placeholder,
    )
    return asdict(row)


@router.post(
    "/p/{pid}/deid/accept-all",
    response_model=AcceptAllOut,
    summary="Accept every open proposal (of one document)",
)
def accept_all(
    project: ProjectDep,
    document: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> dict[str, int]:
    return {"accepted": project.deid.accept(document=document, all_open=True)}


@router.post(
    "/p/{pid}/deid/commit",
    response_model=CommitOut,
    summary="Rewrite the text: accepted redactions become their placeholders, for everyone",
)
def commit(project: ProjectDep, body: CommitRequest | None = None) -> dict[str, Any]:
    documents = list(dict.fromkeys(body.documents)) if body and body.documents else None
    report = project.deid.commit(documents, passphrase=body.passphrase if body else None)
    return asdict(report)


__all__ = ["router"]
