"""Pages: my projects (and a new one), a project's members and settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from thematica.core.access import Role
from thematica.services.project import Project
from thematica.web.deps import ProjectDep, Who, accounts
from thematica.web.render import page

router = APIRouter()


@router.get("/")
def home(request: Request, who: Who) -> Response:
    return page(request, "projects.html", projects=accounts(request).projects_of(who.user))


@router.post("/projects")
def new_project(request: Request, who: Who, name: Annotated[str, Form(max_length=200)]) -> Response:
    project = accounts(request).create_project(name, who.user)
    return RedirectResponse(f"/p/{project.id}/documents", status_code=303)


@router.get("/p/{pid}")
def project_home(pid: int, project: ProjectDep) -> Response:
    return RedirectResponse(f"/p/{project.id}/documents", status_code=303)


def members_context(project: Project) -> dict[str, Any]:
    """The members, and (for owners, before they open comparison) how far each coder is: the
    documents each has marked done, from the progress service."""
    done: list[tuple[str, int]] = []
    documents = 0
    if project.access.role is Role.OWNER:
        overview = project.progress.overview()
        documents = len(overview.documents)
        done = [(c.name, c.documents_done) for c in overview.coders if c.kind == "human"]
    return {"members": project.members.list(), "done": done, "documents": documents}


@router.get("/p/{pid}/members")
def members_page(request: Request, project: ProjectDep) -> Response:
    return page(
        request,
        "members.html",
        project=project,
        nav="members",
        invitation=None,
        **members_context(project),
    )


@router.post("/p/{pid}/members")
def add_member(
    request: Request,
    project: ProjectDep,
    user: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    project.members.add(user, role)
    state = project.members.account_state(user)
    secret = project.members.invite(user)
    link = str(request.url_for("invitation_page", token=secret)) if secret else None
    return page(
        request,
        "members.html",
        project=project,
        nav="members",
        invitation=(user.strip(), link, state),
        **members_context(project),
    )


@router.post("/p/{pid}/members/{user}/role")
def member_role(
    user: str, project: ProjectDep, role: Annotated[str, Form(max_length=20)]
) -> Response:
    project.members.set_role(user, role)
    return RedirectResponse(f"/p/{project.id}/members", status_code=303)


@router.post("/p/{pid}/members/{user}/remove")
def member_remove(user: str, project: ProjectDep) -> Response:
    project.members.remove(user)
    return RedirectResponse(f"/p/{project.id}/members", status_code=303)


@router.post("/p/{pid}/settings")
def settings(
    project: ProjectDep,
    blind: Annotated[str | None, Form(max_length=10)] = None,
    coders_add_codes: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    project.configure(
        blind=None if blind is None else blind == "1",
        coders_add_codes=None if coders_add_codes is None else coders_add_codes == "1",
    )
    return RedirectResponse(f"/p/{project.id}/members", status_code=303)
