"""Page: two coders' layers side by side, their disagreements, the consensus decisions and
agreement. The page carries the first comparison as JSON; its script (static/js/compare.js)
records decisions and reloads the comparison and the statistics through the JSON API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from thematica.core.errors import InputError, PermissionDenied
from thematica.web.deps import ProjectDep
from thematica.web.render import page

router = APIRouter()

Param = Annotated[str | None, Query(max_length=500)]


def _default_pair(coders: list[str]) -> tuple[str | None, str | None]:
    if "alex" in coders and "sam" in coders:
        return "alex", "sam"
    first: list[str | None] = [*coders[:2], None, None]
    return first[0], first[1]


@router.get("/p/{pid}/compare")
def compare_page(
    request: Request,
    project: ProjectDep,
    a: Param = None,
    b: Param = None,
    document: Param = None,
    layer: Param = None,
) -> Response:
    coders = [r.name for r in project.coding.coder_rows().rows if r.kind != "consensus"]
    documents = [d.name for d in project.documents.list().rows]
    default_a, default_b = _default_pair(coders)
    a, b = (a or default_a), (b or default_b)
    document = document or (documents[0] if documents else None)
    context: dict[str, Any] = {
        "coders": coders,
        "documents": documents,
        "a": a,
        "b": b,
        "document": document,
        "layer": layer,
        "comparison": None,
        "refused": None,
        "problem": None,
    }
    status = 200
    if len(coders) < 2:
        context["problem"] = "Comparing needs two coder layers; this project has " + (
            f"one ({coders[0]})." if coders else "none yet."
        )
    elif not documents or document is None:
        context["problem"] = "This project has no documents yet."
    elif a == b:
        context["problem"] = "Choose two different coders to compare."
    else:
        try:
            try:
                view = project.consensus.comparison(document, [a or "", b or ""], name=layer)
            except InputError as exc:
                if layer is None or exc.detail.get("hint") != "coders":
                    raise
                # other coders chosen with the layer of the last pair: their own layer, if any
                view = project.consensus.comparison(document, [a or "", b or ""])
        except PermissionDenied:
            context["refused"] = True
            status = 403
        else:
            context["comparison"] = asdict(view)
            context["a"], context["b"] = view.coders
    return page(request, "compare.html", project=project, nav="compare", status=status, **context)
