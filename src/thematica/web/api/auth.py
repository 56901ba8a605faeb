"""API: signing in and out, the signed-in person, their tokens, invitations."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

from thematica.core.errors import PermissionDenied
from thematica.services.accounts import csrf_token
from thematica.web.deps import Who, accounts
from thematica.web.schemas import InviteAccept, PasswordChange, SignIn, TokenRequest
from thematica.web.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    same_origin,
    set_session_cookie,
)

router = APIRouter(tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/session", summary="Sign in (sets the session cookie)")
def sign_in(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
    if not same_origin(request):
        raise PermissionDenied("sign-in from another site is refused")
    store = accounts(request)
    user = store.authenticate(body.user, body.password, address=client_address(request))
    secret = store.start_session(user)
    set_session_cookie(request, response, secret)
    return {"user": user, "csrf": csrf_token(secret)}


@router.delete("/session", summary="Sign out")
def sign_out(request: Request, response: Response, who: Who) -> dict[str, Any]:
    if who.session_secret:
        accounts(request).end_session(who.session_secret)
    clear_session_cookie(request, response)
    return {"signed_out": who.user}


@router.get("/me", summary="Who is signed in")
def me(request: Request, who: Who) -> dict[str, Any]:
    row = accounts(request).user(who.user)
    return {
        "user": who.user,
        "display_name": row.display_name,
        "via": who.via,
        "csrf": who.csrf or None,
    }


@router.post("/me/password", summary="Change my password (ends my other sessions)")
def change_password(
    body: PasswordChange, request: Request, response: Response, who: Who
) -> dict[str, Any]:
    store = accounts(request)
    store.set_password(who.user, body.new, current=body.current)
    if who.via == "session":
        secret = store.start_session(who.user)
        set_session_cookie(request, response, secret)
        return {"user": who.user, "csrf": csrf_token(secret)}
    return {"user": who.user}


@router.get("/me/tokens", summary="My API tokens (never the secrets)")
def my_tokens(request: Request, who: Who) -> list[dict[str, Any]]:
    return [asdict(row) for row in accounts(request).tokens(who.user)]


@router.post("/me/tokens", status_code=201, summary="Create an API token (shown once)")
def create_token(body: TokenRequest, request: Request, who: Who) -> dict[str, Any]:
    if who.via != "session":  # a token may not mint tokens that outlive or outnumber it
        raise PermissionDenied("API tokens are created signed in (or with thematica tokens)")
    secret = accounts(request).create_token(who.user, body.label, days=body.days)
    return {"token": secret, "label": body.label}


@router.delete("/me/tokens/{token_id}", summary="Revoke one of my API tokens")
def revoke_token(token_id: int, request: Request, who: Who) -> dict[str, Any]:
    accounts(request).revoke_token(who.user, token_id)
    return {"revoked": token_id}


@router.post("/invitations/accept", summary="Set a password from an invitation and sign in")
def accept_invitation(body: InviteAccept, request: Request, response: Response) -> dict[str, Any]:
    if not same_origin(request):
        raise PermissionDenied("accepting an invitation from another site is refused")
    store = accounts(request)
    user = store.accept_invite(body.token, body.password)
    secret = store.start_session(user)
    set_session_cookie(request, response, secret)
    return {"user": user, "csrf": csrf_token(secret)}


__all__ = ["SESSION_COOKIE", "router"]
