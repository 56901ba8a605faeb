"""Headers, cookies and CSRF: what every response and every state-changing request gets.

* Content-Security-Policy allows scripts, styles and images from this server only: no inline
  script or style anywhere (code colours come from a per-project stylesheet), so text a user
  typed can never run as script even if it escaped the templates' escaping.
* The session cookie is HttpOnly and SameSite=Lax, and Secure behind TLS (the request came in
  over https, or ``secure_cookies`` is set for a proxy that terminates TLS).
* A request that changes something with the session cookie must carry the session's CSRF
  token (header ``X-CSRF-Token`` or form field ``csrf``) and, when the browser sends one, an
  Origin of this server. Bearer-token requests carry no cookie and need neither.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "thematica_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def is_secure(request: Request) -> bool:
    forced = getattr(request.app.state, "secure_cookies", None)
    if forced is not None:
        return bool(forced)
    return request.url.scheme == "https"


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` costs about a millisecond a request, a sixth of applying a coding)."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool | None = None) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api")
        secure = (
            self.secure_cookies
            if self.secure_cookies is not None
            else scope.get("scheme") == "https"
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for name, value in _HEADERS:
                    h.setdefault(name, value)
                if api or "text/html" in h.get("content-type", ""):
                    h.setdefault("Cache-Control", "no-store")
                if secure:
                    h.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    from thematica.services.accounts import SESSION_DAYS

    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(request)
    )


def same_origin(request: Request) -> bool:
    """False only when the browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    seen = origin.split("://", 1)[-1].rstrip("/")
    hosts = {request.headers.get("host", "")}
    if getattr(request.app.state, "secure_cookies", None):
        # behind the team's https proxy, which may rewrite Host and says the original
        hosts.add(request.headers.get("x-forwarded-host", ""))
    return seen in hosts - {""}


def csrf_ok(request: Request, expected: str, submitted: str | None) -> bool:
    return (
        bool(submitted) and hmac.compare_digest(expected, submitted or "") and same_origin(request)
    )
