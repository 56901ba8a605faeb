"""API: the projects a person belongs to, creating one, its settings and its members."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from thematica.web.deps import ProjectDep, Who, accounts
from thematica.web.schemas import NewMember, NewProject, RoleChange, SettingsChange

router = APIRouter(tags=["projects"])


def project_summary(project: Any) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "role": project.access.role.value if project.access.role else None,
        "user": project.access.name,
        "blind": project.access.blind,
        "coders_add_codes": bool(project.settings.get("coders_add_codes", True)),
    }


@router.get("/projects", summary="The projects I am a member of")
def list_projects(request: Request, who: Who) -> list[dict[str, Any]]:
    return [asdict(entry) for entry in accounts(request).projects_of(who.user)]


@router.post("/projects", status_code=201, summary="Create a project (I become its owner)")
def create_project(body: NewProject, request: Request, who: Who) -> dict[str, Any]:
    project = accounts(request).create_project(body.name, who.user)
    return project_summary(project)


@router.get("/p/{pid}", summary="A project, with my role in it")
def get_project(project: ProjectDep) -> dict[str, Any]:
    return project_summary(project)


@router.patch("/p/{pid}/settings", summary="Open or close comparison; let coders add codes")
def change_settings(body: SettingsChange, project: ProjectDep) -> dict[str, Any]:
    project.configure(blind=body.blind, coders_add_codes=body.coders_add_codes)
    return project_summary(project)


@router.get("/p/{pid}/members", summary="Members and their roles")
def list_members(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(row) for row in project.members.list()]


@router.post(
    "/p/{pid}/members",
    status_code=201,
    summary="Add a member; a new person gets a one-use invitation link",
)
def add_member(body: NewMember, request: Request, project: ProjectDep) -> dict[str, Any]:
    project.members.add(body.user, body.role, display_name=body.display_name)
    state = project.members.account_state(body.user)
    secret = project.members.invite(body.user)
    link = str(request.url_for("invitation_page", token=secret)) if secret else None
    return {
        "user": body.user.strip(),
        "role": body.role.strip().lower(),
        "invitation": link,
        # new: the link sets their password; has_password: they sign in as they are;
        # elsewhere: in another project without a password, set by whoever runs the server
        "account": state,
    }


@router.post(
    "/p/{pid}/members/{user}/invitation",
    status_code=201,
    summary="A new invitation link for a member who has not set a password",
)
def reinvite(user: str, request: Request, project: ProjectDep) -> dict[str, Any]:
    secret = project.members.invite(user, required=True)
    return {"user": user, "invitation": str(request.url_for("invitation_page", token=secret))}


@router.patch("/p/{pid}/members/{user}", summary="Change a member's role")
def set_role(user: str, body: RoleChange, project: ProjectDep) -> dict[str, Any]:
    project.members.set_role(user, body.role)
    return {"user": user, "role": body.role.strip().lower()}


@router.delete("/p/{pid}/members/{user}", summary="Remove a member")
def remove_member(user: str, project: ProjectDep) -> dict[str, Any]:
    project.members.remove(user)
    return {"removed": user}
