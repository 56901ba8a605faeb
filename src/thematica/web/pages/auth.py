"""Pages: sign in, sign out, accept an invitation, my account (password and API tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from thematica.core.errors import AuthenticationFailed, InputError, Throttled
from thematica.web.api.auth import client_address
from thematica.web.deps import Who, accounts
from thematica.web.render import page
from thematica.web.security import clear_session_cookie, same_origin, set_session_cookie

router = APIRouter()


def _next(target: str | None) -> str:
    """Only a path on this server (never //host or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    user: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not same_origin(request):
        return page(
            request,
            "login.html",
            status=403,
            next="/",
            error="sign-in from another site is refused",
        )
    store = accounts(request)
    try:
        name = store.authenticate(user, password, address=client_address(request))
    except (AuthenticationFailed, Throttled) as exc:
        status = 429 if isinstance(exc, Throttled) else 401
        return page(
            request, "login.html", status=status, next=_next(next), error=str(exc), user_name=user
        )
    response = RedirectResponse(_next(next), status_code=303)
    set_session_cookie(request, response, store.start_session(name))
    return response


@router.post("/logout")
def logout(request: Request, who: Who) -> Response:
    if who.session_secret:
        accounts(request).end_session(who.session_secret)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/invite/{token}", name="invitation_page")
def invitation_page(token: str, request: Request) -> Response:
    user = accounts(request).invited_user(token)
    if user is None:
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            message="This invitation is not valid or has expired; ask the project "
            "owner for a new one.",
        )
    return page(request, "invite.html", token=token, invited=user, error=None)


@router.post("/invite/{token}")
def accept_invitation(
    token: str,
    request: Request,
    password: Annotated[str, Form(max_length=1000)],
    again: Annotated[str, Form(max_length=1000)],
) -> Response:
    store = accounts(request)
    user = store.invited_user(token)
    if user is None or not same_origin(request):
        return page(
            request,
            "error.html",
            status=404,
            status_code=404,
            message="This invitation is not valid or has expired.",
        )
    error = None
    if password != again:
        error = "the two passwords differ"
    else:
        try:
            store.accept_invite(token, password)
        except (InputError, AuthenticationFailed) as exc:
            error = str(exc)
    if error:
        return page(request, "invite.html", status=400, token=token, invited=user, error=error)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, store.start_session(user))
    return response


@router.get("/account")
def account_page(request: Request, who: Who) -> Response:
    store = accounts(request)
    return page(
        request,
        "account.html",
        account=store.user(who.user),
        tokens=store.tokens(who.user),
        new_token=None,
    )


@router.post("/account/tokens")
def account_new_token(
    request: Request, who: Who, label: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    store = accounts(request)
    secret = store.create_token(who.user, label)
    return page(
        request,
        "account.html",
        account=store.user(who.user),
        tokens=store.tokens(who.user),
        new_token=secret,
    )


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(token_id: int, request: Request, who: Who) -> Response:
    accounts(request).revoke_token(who.user, token_id)
    return RedirectResponse("/account", status_code=303)
