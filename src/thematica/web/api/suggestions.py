"""API: AI suggestions as the reading page shows them, and reviewing them.

A suggestion is a coding in an ``ai`` coder layer with a calibrated score; the reader draws
the open ones as dashed outlines the coder accepts (copied into their own layer) or rejects.
``POST /suggestions/run`` starts a suggest run as a background job (``project.jobs``): the
page polls ``/jobs/{id}`` for its progress. Every route is one call into
``project.suggestions``, which checks roles and which layers a person may read (an AI layer is
readable by every member, even while coding is blind, unless it learned from layers they may
not read) and writes the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from thematica.core.errors import ConflictError
from thematica.services.jobs import JobResult
from thematica.services.project import Project
from thematica.services.suggestion_review import ReviewReport, SuggestionRow
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["suggestions"])

#: the most suggestions one JSON answer holds (``offset`` pages on)
PAGE_MAX = 5000
#: the most documents one run from the browser covers (the command line has no limit)
RUN_DOCUMENTS_MAX = 500
Units = Literal["sentence", "turn", "paragraph", "document"]
Statuses = Literal["open", "accepted", "rejected", "all"]
Progress = Callable[[int, int, str], None]


class AcceptBody(Body):
    #: the layer the accepted coding goes into (default: the reviewer's own; owners may name
    #: another)
    into: str | None = Field(default=None, min_length=1, max_length=200)


class RunRequest(Body):
    """A suggest run for some documents: which unit of text gets codes, by which backend."""

    documents: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=RUN_DOCUMENTS_MAX
    )
    unit: Units = "sentence"
    #: an embedding backend by name ("tfidf", "static", "minilm", "mpnet", "server"); left out:
    #: the best one installed
    backend: str | None = Field(default=None, min_length=1, max_length=50)
    #: codes to suggest (paths); left out: the whole codebook
    codes: list[Annotated[str, Field(min_length=1, max_length=2000)]] | None = Field(
        default=None, max_length=2000
    )
    #: the most codes suggested per unit
    top: int = Field(default=3, ge=1, le=20)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    #: shell-style patterns over speaker labels whose turns are read ("Participant*"; "*":
    #: everyone); left out: everyone but the interviewer
    speakers: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, min_length=1, max_length=100
    )


def code_ids(project: Project) -> dict[str, int]:
    """Code path -> id: the reader colours a suggestion by its code's id (``.code-N``)."""
    return {c.path: c.id for c in project.coding.code_choices()}


def suggestion_json(row: SuggestionRow, ids: Mapping[str, int]) -> dict[str, Any]:
    """A suggestion row as the page uses it: the service's fields plus the code's id."""
    out = asdict(row)
    out["code_id"] = ids.get(row.code)
    return out


def reader_suggestions(
    project: Project, document: str, codes: Iterable[Any] | None = None
) -> list[dict[str, Any]]:
    """The open suggestions on ``document`` from the AI layers this person may read, for the
    reading page's data, in text order (``codes``: the page's code choices, if it has them)."""
    ids = {c.path: c.id for c in codes} if codes is not None else code_ids(project)
    rows = project.suggestions.for_document(document, status="open")
    return [suggestion_json(r, ids) for r in rows]


def _review_answer(report: ReviewReport, suggestion_id: int, status: str) -> dict[str, Any]:
    """The service's report; an id it skipped (already reviewed) is a conflict, said so."""
    out = asdict(report)
    if not out.get(status):
        raise ConflictError(
            f"suggestion {suggestion_id} is no longer open (already accepted or rejected)",
            suggestion=suggestion_id,
        )
    out.update({"id": suggestion_id, "status": status})
    return out


@router.get(
    "/p/{pid}/suggestions",
    summary="AI suggestions (open ones unless status says), from the AI layers I may read",
)
def list_suggestions(
    project: ProjectDep,
    document: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
    status: Annotated[Statuses, Query()] = "open",
    layer: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    code: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
    min_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 500,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[dict[str, Any]]:
    ids = code_ids(project)
    if document is not None and layer is None and code is None and min_score is None:
        # one document, as the reader asks: each passage's whole text
        rows = project.suggestions.for_document(document, status=status)
        return [suggestion_json(r, ids) for r in rows[offset : offset + limit]]
    table = project.suggestions.list(
        status=status,
        layer=layer,
        code=code,
        document=document,
        min_score=min_score,
        limit=limit,
        offset=offset,
    )
    return [suggestion_json(r, ids) for r in table]


@router.post(
    "/p/{pid}/suggestions/{suggestion_id}/accept",
    summary="Accept a suggestion: the same passage and code, coded in my own layer",
)
def accept_suggestion(
    suggestion_id: int, project: ProjectDep, body: AcceptBody | None = None
) -> dict[str, Any]:
    into = body.into if body else None
    report = project.suggestions.accept([suggestion_id], into=into)
    return _review_answer(report, suggestion_id, "accepted")


@router.post("/p/{pid}/suggestions/{suggestion_id}/reject", summary="Reject a suggestion")
def reject_suggestion(suggestion_id: int, project: ProjectDep) -> dict[str, Any]:
    report = project.suggestions.reject([suggestion_id])
    return _review_answer(report, suggestion_id, "rejected")


@router.get(
    "/p/{pid}/suggestions/backends",
    summary="The models this server can suggest codes with (installed or not), best first",
)
def list_backends(project: ProjectDep) -> list[dict[str, Any]]:
    """What the "Suggest codes" form offers: each embedding backend with its model, whether
    it is installed (else how to install it), its measured speed and quality, and which one
    "automatic" picks; the team's AI server only where an owner configured one."""
    return [asdict(b) for b in project.suggestions.backends()]


def run_work(project: Project, body: RunRequest) -> Callable[[Progress], JobResult]:
    """The suggest run as a job's work: the service reports its progress as it goes."""

    def work(progress: Progress) -> JobResult:
        progress(0, len(body.documents), "loading the model")

        def step(done: int, total: int, *what: Any) -> None:
            said = str(what[0]) if what else "suggesting codes"
            progress(int(done), int(total), said)

        run = project.suggestions.suggest(
            backend=body.backend,
            unit=body.unit,
            codes=body.codes,
            documents=body.documents,
            top=body.top,
            min_score=body.min_score,
            speakers=body.speakers,
            progress=step,
        )
        stored = run.suggestions
        where = f"{len(body.documents)} document" + ("s" if len(body.documents) != 1 else "")
        said = f"{stored} suggestion{'s' if stored != 1 else ''} on {where}"
        said += f" from {run.model or run.backend} (layer {run.layer})"
        if run.speaker_skipped:
            whose = "the interviewer's" if run.speakers is None else "other speakers'"
            what = "sentence" if run.unit == "document" else run.unit
            said += f"; {run.speaker_skipped} {what}(s) in {whose} turns left out"
        if run.skipped:
            said += f"; {run.skipped} made before were left as they were"
        if not stored:
            said += f"; none scored at least {run.min_score:.2f}"
        progress(1, 1, "done")
        return JobResult(said)

    return work


@router.post(
    "/p/{pid}/suggestions/run",
    status_code=202,
    summary="Start suggesting codes for some documents (a job: poll /jobs/{id})",
)
def run_suggestions(body: RunRequest, project: ProjectDep) -> dict[str, int]:
    """Owners and coders; the documents must exist (checked now, before the job starts)."""
    names = list(dict.fromkeys(body.documents))
    project.suggestions.check(
        backend=body.backend,
        unit=body.unit,
        codes=body.codes,
        documents=names,
        top=body.top,
        min_score=body.min_score,
        speakers=body.speakers,
    )
    body = body.model_copy(update={"documents": names})
    return {"job": project.jobs.start("suggest", run_work(project, body))}


__all__ = ["reader_suggestions", "router"]
