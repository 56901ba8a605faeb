"""Who is asking, and the project they ask about: the dependencies every route uses.

A request is signed in by the session cookie (browsers) or by ``Authorization: Bearer``
(scripts). The project comes from the URL's project id and is opened for that person through
the service layer, which makes every permission check and writes the audit log; a person who
is not a member gets 404 for a project that exists exactly as for one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from thematica.core.errors import (
    AuthenticationFailed,
    InputError,
    PayloadTooLarge,
)
from thematica.services.accounts import Accounts, csrf_token, open_project_for
from thematica.services.project import Project
from thematica.web.security import SAFE_METHODS, SESSION_COOKIE, csrf_ok

if TYPE_CHECKING:
    from thematica.store import Database


@dataclass(frozen=True, slots=True)
class Identity:
    user: str
    #: "session" (browser cookie) or "token" (bearer)
    via: str
    session_secret: str | None = None

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_secret) if self.session_secret else ""


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def accounts(request: Request) -> Accounts:
    return Accounts(database(request))


def identify(request: Request) -> Identity | None:
    """The signed-in person, or None; cached on the request."""
    if hasattr(request.state, "identity"):
        found: Identity | None = request.state.identity
        return found
    found = None
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, secret = auth.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationFailed("the Authorization header must be 'Bearer TOKEN'")
        user = accounts(request).token_user(secret.strip())
        if user is None:
            raise AuthenticationFailed("this token is not valid (revoked or expired?)")
        found = Identity(user, "token")
    else:
        secret = request.cookies.get(SESSION_COOKIE, "")
        if secret:
            user = accounts(request).session_user(secret)
            if user is not None:
                found = Identity(user, "session", secret)
    request.state.identity = found
    return found


async def _csrf_field(request: Request) -> str | None:
    submitted = request.headers.get("x-csrf-token")
    if submitted:
        return submitted
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded") or kind.startswith(
        "multipart/form-data"
    ):
        # the token is in the body: refuse an oversized one before reading it
        limit = int(getattr(request.app.state, "max_upload_bytes", 0) or 0)
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            raise InputError("a form must say its length (Content-Length)")
        if limit and int(length) > limit:
            raise PayloadTooLarge(
                f"the request is {int(length):,} bytes; the limit is {limit:,}", limit=limit
            )
        form = await request.form()
        value = form.get("csrf")
        return value if isinstance(value, str) else None
    return None


async def signed_in(request: Request) -> Identity:
    """The signed-in person; 401 (API) or a redirect to the sign-in page (pages) otherwise.
    A state-changing request made with the session cookie must pass the CSRF check."""
    who = identify(request)
    if who is None:
        if request.url.path.startswith("/api"):
            raise AuthenticationFailed("sign in first (session cookie or bearer token)")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        raise HTTPException(303, headers={"Location": f"/login?next={quote(target)}"})
    if who.via == "session" and request.method not in SAFE_METHODS:
        submitted = await _csrf_field(request)
        if not csrf_ok(request, who.csrf, submitted):
            from thematica.core.errors import PermissionDenied

            raise PermissionDenied("this request lacks a valid CSRF token; reload the page")
    return who


Who = Annotated[Identity, Depends(signed_in)]


def project_for(request: Request, pid: int, who: Identity) -> Project:
    """Project ``pid`` opened for ``who`` (404 when it does not exist or they are not a
    member)."""
    return open_project_for(database(request), pid, who.user)


def project_dep(request: Request, pid: int, who: Who) -> Project:
    return project_for(request, pid, who)


ProjectDep = Annotated[Project, Depends(project_dep)]
