"""Request bodies the server accepts: a size limit before anything is read, and no NUL
character anywhere in a request (no text a person types contains one, and a database would
refuse it only after the request got far).

An ASGI middleware, so it applies to every route, signed in or not: without it a client could
make the server read an 80 MB body only to answer 401 or 422. Uploads (``POST
/api/p/{pid}/documents``) get the upload limit and are checked for size only (files are
binary); every other body is at most :data:`BODY_LIMIT` and is read here, checked, and handed
on unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the largest body of an ordinary request (a long memo or codebook entry is a few kilobytes)
BODY_LIMIT = 2 * 1024 * 1024
UPLOAD_PATH = re.compile(r"^/api/p/[^/]+/documents/?$")
_NUL = (b"\x00", b"%00")


class RequestLimits:
    def __init__(self, app: ASGIApp, *, upload_limit: int, body_limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        query = bytes(scope.get("query_string", b""))
        if "\x00" in path or any(n in query for n in _NUL):
            await _refuse(send, 400, "the request contains a NUL character", "InputError")
            return
        upload = scope.get("method") == "POST" and bool(UPLOAD_PATH.match(path))
        limit = self.upload_limit if upload else self.body_limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1").strip()
        if length.isdigit() and int(length) > limit:
            await _refuse(
                send,
                413,
                f"the request is {int(length):,} bytes; the limit is {limit:,}",
                "PayloadTooLarge",
                limit=limit,
            )
            return
        if upload or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _refuse(
                    send,
                    413,
                    f"the request is over the limit of {limit:,} bytes",
                    "PayloadTooLarge",
                    limit=limit,
                )
                return
            if not message.get("more_body", False):
                break
        if _has_nul(bytes(body), headers.get(b"content-type", b"")):
            await _refuse(send, 400, "the request contains a NUL character", "InputError")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _has_nul(body: bytes, content_type: bytes) -> bool:
    if b"\x00" in body:
        return True
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return b"%00" in body
    if content_type.startswith(b"application/json") and b"\\u0000" in body:
        try:
            return _nul_in(json.loads(body))
        except ValueError:
            return False  # not JSON: the route answers 422
    return False


def _nul_in(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul_in(k) or _nul_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul_in(v) for v in value)
    return False


async def _refuse(send: Send, status: int, message: str, kind: str, **detail: Any) -> None:
    payload = json.dumps({"error": message, "kind": kind, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
