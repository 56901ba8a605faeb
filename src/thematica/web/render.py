"""Server-rendered pages: one Jinja2 environment with autoescaping on, and the context every
page gets (who is signed in, their CSRF token, the project and their role in it)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from thematica.services.project import Project


@lru_cache(maxsize=1)
def environment() -> Environment:
    folder = resources.files("thematica.web") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.0f}%"
    env.filters["num"] = _num
    # one URL path segment: unlike |urlencode, "/" is encoded too
    env.filters["segment"] = lambda v: quote(str(v), safe="")
    return env


def _num(value: Any, places: int = 2) -> str:
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:.{places}f}"
    return "0." + "0" * places if text.startswith("-") and float(text) == 0 else text


def page(
    request: Request,
    template: str,
    *,
    project: Project | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    from thematica.web.deps import identify

    try:
        who = identify(request)
    except Exception:  # a bad bearer header on a page: render as signed out
        who = None
    context.update(
        request=request,
        user=who.user if who else None,
        csrf=who.csrf if who else "",
        project=project,
        role=project.access.role.value if project and project.access.role else None,
        blind=project.access.blind if project else None,
        nav=context.get("nav", ""),
    )
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=headers)


def render_error(
    request: Request, status: int, message: str, *, headers: dict[str, str] | None = None
) -> HTMLResponse:
    return page(
        request, "error.html", status=status, headers=headers, status_code=status, message=message
    )
