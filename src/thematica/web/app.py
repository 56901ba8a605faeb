"""Building the web application: one FastAPI app over one open database.

The app holds no logic of its own: routers in ``api/`` (JSON, described at ``/openapi.json``)
and ``pages/`` (HTML) call the service layer, which checks permissions and writes the audit
log. Every asset is served from the package (``static/``); nothing is fetched at run time.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from thematica import __version__
from thematica.core.errors import ThematicaError
from thematica.web import errors
from thematica.web.limits import RequestLimits
from thematica.web.security import SecurityHeaders

if TYPE_CHECKING:
    from thematica.store import Database

#: the largest upload accepted (an interview transcript is well under a megabyte; a large
#: REFI-QDA project with no media is a few)
DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024


def create_app(
    db: str | os.PathLike[str] | Database | None = None,
    *,
    secure_cookies: bool | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
    request_threads: int = 8,
) -> FastAPI:
    """The web application over database ``db`` (a path, URL or open
    :class:`~thematica.store.Database`; default ``$THEMATICA_DB`` or ``thematica.db``).

    ``secure_cookies`` None marks cookies Secure when the request came over https; True for
    a proxy that terminates TLS and forwards plain http.
    """
    from thematica.store import Database, open_database

    database = db if isinstance(db, Database) else open_database(db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # requests run in a thread pool; with 40 threads (the default) under load they mostly
        # wait on the interpreter lock and the database's write lock, and the waits are
        # unfair (p99 over a second). A few threads keep every core busy and the queue in order.
        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads
        yield
        if not isinstance(db, Database):
            database.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Thematica",
        version=__version__,
        description="Team-based qualitative analysis: the JSON API the web pages use. "
        "Scripts sign in with `Authorization: Bearer TOKEN` (`thematica tokens create`).",
        # the interactive docs page loads its script from a CDN, which the CSP (and "nothing
        # fetched at run time") rules out; /openapi.json describes the API
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.db = database
    app.state.secure_cookies = secure_cookies
    app.state.max_upload_bytes = max_upload_bytes
    app.add_middleware(RequestLimits, upload_limit=max_upload_bytes)
    # added last: wraps every response, refusals too
    app.add_middleware(SecurityHeaders, secure_cookies=secure_cookies)
    app.add_exception_handler(ThematicaError, errors.on_thematica_error)
    app.add_exception_handler(RequestValidationError, errors.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.on_http_error)
    app.add_exception_handler(OverflowError, errors.on_out_of_range)
    app.add_exception_handler(DataError, errors.on_out_of_range)
    app.add_exception_handler(Exception, errors.on_internal_error)

    from thematica.web.api import router as api_router
    from thematica.web.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(pages_router)
    static = resources.files("thematica.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    return app


def app_from_environment() -> FastAPI:
    """The factory ``thematica serve --workers N`` gives each worker process."""
    secure = os.environ.get("THEMATICA_SECURE_COOKIES")
    return create_app(
        os.environ.get("THEMATICA_DB") or None,
        secure_cookies=None if secure is None else secure == "1",
        max_upload_bytes=int(os.environ.get("THEMATICA_MAX_UPLOAD") or DEFAULT_MAX_UPLOAD),
    )
