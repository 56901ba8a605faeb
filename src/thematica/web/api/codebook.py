"""API: the codebook — its tree with ids and revisions, one code's entry and history, adding,
editing (with the revision the editor loaded: a stale edit is a 409), moving, merging,
splitting and removing codes, and frozen versions with their comparison.

Codes are named by their numeric id in URLs (paths contain "/"). Every write goes through
``project.codebook``, which checks that the person is an owner and writes the audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from thematica.core.access import Operation, allowed
from thematica.services.project import Project
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["codebook"])

#: how much of a coded passage the split dialog shows
EXCERPT = 240


class CodeFields(Body):
    definition: str | None = None
    inclusion: str | None = None
    exclusion: str | None = None
    example: str | None = None
    memo: str | None = None
    origin: str | None = Field(default=None, max_length=20)
    sem_level: str | None = Field(default=None, max_length=50)
    colour: str | None = Field(default=None, max_length=20)


class NewCode(CodeFields):
    name: str
    #: the parent code's id; none for a top-level code
    parent_id: int | None = None


class CodeChange(CodeFields):
    #: the revision the editor loaded; a code changed since is refused with 409
    revision: int | None = None
    name: str | None = None
    exclusive: bool | None = None


class MoveCode(Body):
    #: the new parent's id; null moves the code to the top level
    parent_id: int | None = None
    revision: int | None = None


class MergeCode(Body):
    #: the code that receives the codings
    into: int
    revision: int | None = None


class SplitCode(Body):
    name: str
    #: ids of the codings (of exactly this code) that move to the new code
    codings: list[int] = Field(max_length=100_000)
    #: make the new code a subcode (else a sibling)
    child: bool = False
    copy_definition: bool = False
    revision: int | None = None


class Exclusive(Body):
    exclusive: bool = True
    revision: int | None = None


class NewVersion(Body):
    name: str = Field(max_length=200)
    note: str = Field(default="", max_length=5000)


def entry(project: Project, code_id: int) -> dict[str, Any]:
    return asdict(project.codebook.get_by_id(code_id))


@router.get("/p/{pid}/codebook", summary="The codebook tree: every code with id and revision")
def codebook_tree(project: ProjectDep) -> dict[str, Any]:
    return {
        "codes": [asdict(e) for e in project.codebook.entries()],
        "sem_levels": project.sem_levels,
        "can_edit": allowed(project.access.role, Operation.CODEBOOK),
    }


@router.get("/p/{pid}/codebook/codes/{code_id}", summary="One code's full entry and revision")
def get_code(code_id: int, project: ProjectDep) -> dict[str, Any]:
    return entry(project, code_id)


@router.post("/p/{pid}/codebook/codes", status_code=201, summary="Add a code (owners)")
def add_code(body: NewCode, project: ProjectDep) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"name", "parent_id"})
    path = project.codebook.add(body.name, body.parent_id, **fields)
    return entry(project, int(project.codebook.get(path)["id"]))


@router.patch(
    "/p/{pid}/codebook/codes/{code_id}",
    summary="Rename or edit a code (owners); send the revision you loaded",
)
def update_code(code_id: int, body: CodeChange, project: ProjectDep) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"revision"})
    project.codebook.update(code_id, revision=body.revision, **fields)
    return entry(project, code_id)


@router.post("/p/{pid}/codebook/codes/{code_id}/move", summary="Move a code under another (owners)")
def move_code(code_id: int, body: MoveCode, project: ProjectDep) -> dict[str, Any]:
    project.codebook.move(code_id, body.parent_id, revision=body.revision)
    return entry(project, code_id)


@router.post(
    "/p/{pid}/codebook/codes/{code_id}/merge",
    summary="Merge a code into another: codings, subcodes and themes move (owners)",
)
def merge_code(code_id: int, body: MergeCode, project: ProjectDep) -> dict[str, Any]:
    report = project.codebook.merge(code_id, body.into, revision=body.revision)
    return {**asdict(report), "target_entry": entry(project, body.into)}


@router.post(
    "/p/{pid}/codebook/codes/{code_id}/split",
    summary="Split chosen codings off into a new code (owners)",
)
def split_code(code_id: int, body: SplitCode, project: ProjectDep) -> dict[str, Any]:
    report = project.codebook.split(
        code_id,
        body.name,
        body.codings,
        child=body.child,
        copy_definition=body.copy_definition,
        revision=body.revision,
    )
    return {**asdict(report), "new_entry": entry(project, report.new_id)}


@router.put(
    "/p/{pid}/codebook/codes/{code_id}/exclusive",
    summary="Mark (or unmark) a code's subcodes mutually exclusive (owners)",
)
def set_exclusive(code_id: int, body: Exclusive, project: ProjectDep) -> dict[str, Any]:
    project.codebook.set_exclusive(code_id, body.exclusive, revision=body.revision)
    return entry(project, code_id)


@router.delete(
    "/p/{pid}/codebook/codes/{code_id}",
    summary="Remove a code and its subcodes; codings only with force=true (owners)",
)
def remove_code(
    code_id: int, project: ProjectDep, revision: int | None = None, force: bool = False
) -> dict[str, Any]:
    removed = project.codebook.remove(code_id, force=force, revision=revision)
    return {"removed": code_id, "codings": removed}


@router.get("/p/{pid}/codebook/codes/{code_id}/history", summary="One code's change history")
def code_history(code_id: int, project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(r) for r in project.codebook.code_history(code_id)]


@router.get(
    "/p/{pid}/codebook/codes/{code_id}/codings",
    summary="The codings of exactly this code, every layer (to choose what to split off)",
)
def code_codings(code_id: int, project: ProjectDep) -> list[dict[str, Any]]:
    path = project.codebook.get_by_id(code_id).path
    out = []
    for r in project.coding.list(coder="all", code=path):
        if r.code != path:
            continue
        text = " ".join(r.text.split())
        out.append(
            {
                "id": r.id,
                "document": r.document,
                "coder": r.coder,
                "start": r.start,
                "end": r.end,
                "text": text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
                "memo": r.memo,
            }
        )
    return out


@router.get("/p/{pid}/codebook/history", summary="The whole codebook's change history")
def history(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(r) for r in project.codebook.history()]


@router.get("/p/{pid}/codebook/versions", summary="Frozen codebook versions")
def versions(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(r) for r in project.codebook.versions()]


@router.post(
    "/p/{pid}/codebook/versions",
    status_code=201,
    summary="Freeze the codebook as it is now under a version name (owners)",
)
def freeze(body: NewVersion, project: ProjectDep) -> dict[str, Any]:
    codes = project.codebook.freeze(body.name, body.note)
    return {"version": body.name.strip(), "codes": codes}


@router.get(
    "/p/{pid}/codebook/compare",
    summary="What changed between two versions ('current' is the codebook now)",
)
def compare(project: ProjectDep, old: str, new: str = "current") -> dict[str, Any]:
    table = project.codebook.compare(old, new)
    return {"old": old, "new": new, "changes": [asdict(c) for c in table]}
