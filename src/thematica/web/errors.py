"""Errors as a web face words them: a ThematicaError becomes a 4xx with a JSON body
(``{"error": sentence, "kind": ..., "detail": {...}}``) for the API, or an error page."""

from __future__ import annotations

import logging
import shlex
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from thematica.core import errors as e

STATUS: list[tuple[type[e.ThematicaError], int]] = [
    (e.AuthenticationFailed, 401),
    (e.PermissionDenied, 403),
    (e.NotFoundError, 404),
    (e.ConflictError, 409),  # StaleEdit is a ConflictError
    (e.Throttled, 429),
    (e.PayloadTooLarge, 413),
    (e.QuerySyntaxError, 400),
    (e.InputError, 400),
]


def status_of(exc: e.ThematicaError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


_PLAIN = (str, int, float, bool, type(None))


def _safe(detail: dict[str, Any]) -> dict[str, Any]:
    """Only plain values go back to the client: scalars, lists of scalars and one level of
    dict of those (a conflict's ``current`` state) — never a server path or an object."""
    out: dict[str, Any] = {}
    for key, value in detail.items():
        if key in {"path", "file", "folder", "database"}:
            continue
        if isinstance(value, _PLAIN):
            out[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, _PLAIN) for v in value):
            out[key] = list(value)
        elif isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, _PLAIN) for k, v in value.items()
        ):
            out[key] = dict(value)
    return out


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", ""
    )


def error_response(
    request: Request, status: int, message: str, kind: str, detail: dict[str, Any] | None = None
) -> Response:
    headers = {}
    if status == 429 and detail and detail.get("retry_after"):
        headers["Retry-After"] = str(detail["retry_after"])
    if wants_html(request):
        from thematica.web.render import render_error

        return render_error(request, status, message, headers=headers)
    body = {"error": message, "kind": kind, "detail": _safe(detail or {})}
    return JSONResponse(body, status_code=status, headers=headers)


#: hint -> what the web adds to a service's message (the CLI has its own, cli/hints.py)
WEB_HINTS = {
    "users_password": " on the server: thematica users password NAME --password-stdin",
}


async def on_thematica_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.ThematicaError)
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = exc.detail.get("hint")
    if isinstance(hint, str) and hint in WEB_HINTS:
        message += WEB_HINTS[hint].replace("NAME", shlex.quote(str(exc.detail.get("user", "NAME"))))
    return error_response(request, status_of(exc), message, type(exc).__name__, exc.detail)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", ""))
    message = "bad request: " + "; ".join(parts) if parts else "bad request"
    return error_response(request, 422, message, "ValidationError")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (301, 302, 303, 307) and exc.headers:
        return Response(status_code=exc.status_code, headers=exc.headers)
    message = str(exc.detail) if exc.detail else "error"
    return error_response(request, exc.status_code, message, "HTTPError")


async def on_out_of_range(request: Request, exc: Exception) -> Response:
    """A number too large for the database (an id of 2**70, say): bad input, not a crash."""
    return error_response(request, 400, "a number in the request is out of range", "InputError")


log = logging.getLogger("thematica.web")


async def on_internal_error(request: Request, exc: Exception) -> Response:
    """A bug: logged in full for whoever runs the server; one line, as JSON, for the client."""
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, 500, "internal error (the server's log has the details)", "InternalError"
    )
