"""API: comparing two coders, the consensus workflow (start, decide, add, overturn, status,
log) and inter-coder agreement. Each route is one call into ``project.consensus`` or
``project.agreement``; the services check who may do it (decisions are owners'). A decision
records who made it: ``decided_by`` as given ("alex+sam" for a team meeting), else the person
signed in."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from thematica.services.project import Project
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["consensus"])

Name = Annotated[
    str | None, Query(max_length=200, description="Consensus layer (default: the only one)")
]


class StartBody(Body):
    coders: list[str] = Field(min_length=2, max_length=2)
    name: str = Field(default="consensus", min_length=1, max_length=200)
    min_overlap: float = Field(default=0.0, ge=0.0, le=1.0)
    decided_by: str | None = Field(default=None, max_length=200)


class DecideBody(Body):
    disagreement: str = Field(min_length=1, max_length=200)
    action: str = Field(min_length=1, max_length=20)
    reason: str = Field(default="", max_length=10_000)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    code: str | None = Field(default=None, max_length=2000)
    revise: bool = False
    decided_by: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class OverturnBody(Body):
    disagreement: str = Field(min_length=1, max_length=200)
    reason: str = Field(default="", max_length=10_000)
    #: overturn a pairing already decided otherwise (that decision stays in the log)
    revise: bool = False
    decided_by: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class AddBody(Body):
    document: str = Field(min_length=1, max_length=500)
    code: str = Field(min_length=1, max_length=2000)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    quote: str | None = Field(default=None, max_length=10_000)
    occurrence: int | None = Field(default=None, ge=1)
    reason: str = Field(default="", max_length=10_000)
    decided_by: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)


def _by(project: Project, given: str | None) -> str:
    """Who decided: as given ("alex+sam" for a team meeting), else the signed-in person."""
    return (given or "").strip() or project.access.name


def _coders(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [x.strip() for x in value.split(",") if x.strip()]


@router.get("/p/{pid}/consensus/layers", summary="The project's consensus layers")
def layers(project: ProjectDep) -> list[str]:
    return project.consensus.layers()


@router.post(
    "/p/{pid}/consensus/start",
    summary="Start (or bring up to date) a consensus layer for two coders (owners)",
)
def start(body: StartBody, project: ProjectDep) -> dict[str, Any]:
    summary = project.consensus.start(
        body.coders, body.name, body.min_overlap, decided_by=body.decided_by
    )
    return asdict(summary)


@router.get(
    "/p/{pid}/consensus/comparison",
    summary="One document side by side: both coders' codings, every pairing and its state, "
    "the consensus codings, and every document's counts",
)
def comparison(
    project: ProjectDep,
    document: Annotated[str, Query(min_length=1, max_length=500)],
    coders: Annotated[str | None, Query(max_length=500, description="A,B")] = None,
    name: Name = None,
) -> dict[str, Any]:
    return asdict(project.consensus.comparison(document, _coders(coders), name=name))


@router.get(
    "/p/{pid}/consensus/disagreements",
    summary="Open disagreements, in document order (filter by document, code, kind)",
)
def disagreements(
    project: ProjectDep,
    name: Name = None,
    document: Annotated[str | None, Query(max_length=500)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    kind: Annotated[
        str | None, Query(max_length=20, description="boundary, only_a, only_b, different_code")
    ] = None,
) -> list[dict[str, Any]]:
    table = project.consensus.disagreements(name=name, document=document, code=code, kind=kind)
    return [{key: getattr(row, key) for key in table.columns} for row in table.rows]


@router.post(
    "/p/{pid}/consensus/decisions",
    status_code=201,
    summary="Decide a disagreement: keep_a, keep_b, keep_both, merge, edit, drop or overturn "
    "(owners); revise replaces an earlier decision",
)
def decide(body: DecideBody, project: ProjectDep) -> dict[str, Any]:
    row = project.consensus.decide(
        body.disagreement,
        body.action,
        body.reason,
        _by(project, body.decided_by),
        body.start,
        body.end,
        body.code,
        revise=body.revise,
        name=body.name,
    )
    return asdict(row)


@router.post(
    "/p/{pid}/consensus/overturn",
    status_code=201,
    summary="Overturn a coding both coders made: it leaves the consensus (owners; a reason "
    "is required)",
)
def overturn(body: OverturnBody, project: ProjectDep) -> dict[str, Any]:
    if body.revise:
        row = project.consensus.decide(
            body.disagreement,
            "overturn",
            body.reason,
            _by(project, body.decided_by),
            revise=True,
            name=body.name,
        )
    else:
        row = project.consensus.overturn(
            body.disagreement, body.reason, _by(project, body.decided_by), name=body.name
        )
    return asdict(row)


@router.post(
    "/p/{pid}/consensus/additions",
    status_code=201,
    summary="Add a coding neither coder made, by span or by quote (owners; a reason is required)",
)
def add(body: AddBody, project: ProjectDep) -> dict[str, Any]:
    row = project.consensus.add(
        body.document,
        body.code,
        body.start,
        body.end,
        quote=body.quote,
        occurrence=body.occurrence,
        reason=body.reason,
        decided_by=_by(project, body.decided_by),
        name=body.name,
    )
    return asdict(row)


@router.get(
    "/p/{pid}/consensus/status",
    summary="How far reconciliation has come: compared, agreed, decided (by action), open",
)
def status(project: ProjectDep, name: Name = None) -> dict[str, Any]:
    return asdict(project.consensus.status(name=name).rows[0])


@router.get(
    "/p/{pid}/consensus/log",
    summary="Every decision, oldest first (superseded ones marked superseded_by)",
)
def log(
    project: ProjectDep,
    name: Name = None,
    document: Annotated[str | None, Query(max_length=500)] = None,
    include_agreed: bool = True,
) -> list[dict[str, Any]]:
    table = project.consensus.log(name=name, document=document, include_agreed=include_agreed)
    return [asdict(row) for row in table.rows]


@router.get(
    "/p/{pid}/agreement",
    summary="Inter-coder agreement between two or more coder layers (a consensus layer "
    "included): overall, per code, per document, per pair",
)
def agreement(
    project: ProjectDep,
    coders: Annotated[str, Query(min_length=1, max_length=500, description="A,B[,C…]")],
    unit: Annotated[str, Query(max_length=20)] = "character",
    documents: Annotated[list[str] | None, Query(description="repeat for several")] = None,
    codes: Annotated[list[str] | None, Query(description="repeat for several")] = None,
    min_overlap: Annotated[float, Query(gt=0.0, le=1.0)] = 0.9,
    bootstrap: Annotated[int, Query(ge=0, le=10_000)] = 1000,
    seed: int = 1,
    disagreements: bool = False,
) -> dict[str, Any]:
    report = project.agreement.compute(
        coders,
        unit,
        documents=documents or None,
        codes=codes or None,
        min_overlap=min_overlap,
        bootstrap=bootstrap,
        seed=seed,
    )
    return report.to_dict(disagreements=disagreements)
