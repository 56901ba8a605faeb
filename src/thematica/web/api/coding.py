"""API: coding one passage at a time (the reading page's calls), inductive codes and their
proposals, and memos. Every route is a thin call into the services, which check roles and
coder layers and write the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from thematica.core.errors import InputError
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["coding"])

Name = Annotated[str, Field(min_length=1, max_length=500)]


class NewCoding(Body):
    document: Name
    code: Annotated[str, Field(min_length=1, max_length=2000)]
    start: int
    end: int
    #: the coder layer (default: the signed-in person's own)
    coder: str | None = Field(default=None, max_length=200)
    memo: str | None = None


class CodingChange(Body):
    start: int | None = None
    end: int | None = None
    code: str | None = Field(default=None, min_length=1, max_length=2000)
    #: "" clears the memo
    memo: str | None = None


class UnitCoding(Body):
    document: Name
    code: Annotated[str, Field(min_length=1, max_length=2000)]
    #: the turn's 0-based position, or "document" for the whole document
    turn: int | Literal["document"] | None = None
    #: true: the whole document (as ``turn: "document"``)
    whole: bool = False
    coder: str | None = Field(default=None, max_length=200)


class NewCodeOnPassage(Body):
    document: Name
    start: int
    end: int
    #: the new code's name; left out (or ``in_vivo``) names it after the passage's words
    name: str | None = Field(default=None, max_length=300)
    parent: str | None = Field(default=None, max_length=2000)
    definition: str = ""
    in_vivo: bool = False


class ProposalAccept(Body):
    name: str | None = Field(default=None, max_length=300)
    parent: str | None = Field(default=None, max_length=2000)


class ProposalDecline(Body):
    note: str = Field(default="", max_length=5000)


class NewMemo(Body):
    target_type: str = Field(min_length=1, max_length=20)
    target: str | None = Field(default=None, max_length=2000)
    text: str = Field(min_length=1)


def _coding(project: Any, coding_id: int) -> dict[str, Any]:
    return asdict(project.coding.get(coding_id))


@router.get("/p/{pid}/codings", summary="Codings of one document, in the layers I may read")
def list_codings(
    project: ProjectDep,
    document: Annotated[str, Query(min_length=1, max_length=500)],
    coder: Annotated[str | None, Query(max_length=2000)] = None,
) -> list[dict[str, Any]]:
    layers = [n.strip() for n in coder.split(",") if n.strip()] if coder else None
    return [asdict(row) for row in project.coding.in_document(document, coder=layers)]


@router.post("/p/{pid}/codings", status_code=201, summary="Code a passage")
def add_coding(body: NewCoding, project: ProjectDep) -> dict[str, Any]:
    coding_id = project.coding.apply(
        body.document,
        body.code,
        body.start,
        body.end,
        coder=body.coder or project.access.name,
        memo=body.memo,
    )
    return _coding(project, coding_id)


@router.get("/p/{pid}/codings/{coding_id}", summary="One coding")
def get_coding(coding_id: int, project: ProjectDep) -> dict[str, Any]:
    return _coding(project, coding_id)


@router.patch("/p/{pid}/codings/{coding_id}", summary="Change a coding's span, code or memo")
def edit_coding(coding_id: int, body: CodingChange, project: ProjectDep) -> dict[str, Any]:
    row = project.coding.edit(
        coding_id, start=body.start, end=body.end, code=body.code, memo=body.memo
    )
    return asdict(row)


@router.delete("/p/{pid}/codings/{coding_id}", summary="Remove a coding (returns what it was)")
def delete_coding(coding_id: int, project: ProjectDep) -> dict[str, Any]:
    return asdict(project.coding.delete(coding_id))


@router.post(
    "/p/{pid}/codings/turn", status_code=201, summary="Code a whole turn or the whole document"
)
def code_unit(body: UnitCoding, project: ProjectDep) -> dict[str, Any]:
    whole = body.whole or body.turn == "document"
    if whole == isinstance(body.turn, int):
        raise InputError('give either a turn (its number) or "whole": true, not both or neither')
    turn = body.turn if isinstance(body.turn, int) else None
    coding_id = project.coding.apply_unit(
        body.document, body.code, coder=body.coder or project.access.name, turn=turn
    )
    return _coding(project, coding_id)


@router.post(
    "/p/{pid}/codings/new-code",
    status_code=201,
    summary="Code a passage with a new code (created, or proposed to the owners)",
)
def new_code(body: NewCodeOnPassage, project: ProjectDep) -> dict[str, Any]:
    name = None if body.in_vivo else body.name
    if name is not None and not name.strip():
        raise InputError("the new code needs a name")
    done = project.proposals.new_code(
        body.document,
        body.start,
        body.end,
        name,
        parent=body.parent,
        definition=body.definition,
    )
    out: dict[str, Any] = asdict(done)
    if done.coding is not None:
        out["code"] = {"id": done.code_id, "path": done.path}
        out["coding_row"] = _coding(project, done.coding)
    if done.proposal is not None:
        found = [p for p in project.proposals.list(None) if p.id == done.proposal]
        out["proposal_row"] = asdict(found[0]) if found else None
    return out


@router.get("/p/{pid}/proposals", summary="Proposed codes (open ones unless status says)")
def list_proposals(
    project: ProjectDep,
    status: Annotated[str | None, Query(max_length=20)] = "open",
) -> list[dict[str, Any]]:
    wanted = None if status in (None, "", "all") else status
    return [asdict(row) for row in project.proposals.list(wanted)]


@router.post(
    "/p/{pid}/proposals/{proposal_id}/accept",
    summary="Accept a proposed code: create it and code its passage in the proposer's layer",
)
def accept_proposal(
    proposal_id: int, project: ProjectDep, body: ProposalAccept | None = None
) -> dict[str, Any]:
    done = project.proposals.accept(
        proposal_id, name=body.name if body else None, parent=body.parent if body else None
    )
    return asdict(done)


@router.post("/p/{pid}/proposals/{proposal_id}/decline", summary="Decline a proposed code")
def decline_proposal(
    proposal_id: int, project: ProjectDep, body: ProposalDecline | None = None
) -> dict[str, Any]:
    project.proposals.decline(proposal_id, body.note if body else "")
    return {"id": proposal_id, "status": "declined"}


def _guard_coding_target(project: Any, target_type: str | None, target: str | None) -> None:
    """Memos on a coding follow its layer: only someone who may read the coding sees or
    writes notes on it."""
    if target_type == "coding" and target:
        try:
            coding_id = int(target)
        except ValueError as exc:
            raise InputError(f"a coding is named by its id (a number), not {target!r}") from exc
        project.coding.get(coding_id)


@router.get("/p/{pid}/memos", summary="Memos (on the project, a document, a code or a coding)")
def list_memos(
    project: ProjectDep,
    target_type: Annotated[str | None, Query(max_length=20)] = None,
    target: Annotated[str | None, Query(max_length=2000)] = None,
) -> list[dict[str, Any]]:
    _guard_coding_target(project, target_type, target)
    return [asdict(row) for row in project.memos.list(target_type or None, target)]


@router.post("/p/{pid}/memos", status_code=201, summary="Write a memo")
def add_memo(body: NewMemo, project: ProjectDep) -> dict[str, Any]:
    _guard_coding_target(project, body.target_type, body.target)
    memo_id = project.memos.add(
        body.target_type, body.target, body.text, author=project.access.name
    )
    found = [m for m in project.memos.list(body.target_type, body.target) if m.id == memo_id]
    return asdict(found[0]) if found else {"id": memo_id}
