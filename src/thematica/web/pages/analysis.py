"""Pages: analysis. Code queries and keyword-in-context search (a script runs them through the
API), the participant table, themes, prevalence, co-occurrence and saturation (rendered here from
the services, figures served by the API), framework matrices, and the report and exports.

A service's refusal or one-line error is shown on the page in place of its result, with the
form still there to choose differently (another coder layer, say).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from thematica.core.access import Operation, Role, allowed
from thematica.core.errors import ThematicaError
from thematica.services.project import Project
from thematica.services.reports.settings import default_label
from thematica.web.api.analysis import (
    attribute_choices,
    coder_of,
    default_layer,
    layer_choices,
)
from thematica.web.api.analysis_jobs import report_readiness
from thematica.web.deps import ProjectDep
from thematica.web.errors import status_of
from thematica.web.render import page

router = APIRouter()
T = TypeVar("T")

#: the analysis views, in the order of the sub-navigation: (path, label)
VIEWS = [
    ("query", "Code query"),
    ("search", "Text search"),
    ("participants", "Participants"),
    ("themes", "Themes"),
    ("prevalence", "Prevalence"),
    ("cooccurrence", "Co-occurrence"),
    ("saturation", "Saturation"),
    ("matrices", "Matrices"),
    ("downloads", "Report & exports"),
]
Opt = Annotated[str | None, Query(max_length=500)]


class Outcome:
    """What a service call gave, or the one line it refused with (and the status to send)."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.status = 200

    def run(self, call: Callable[[], T]) -> T | None:
        if self.error is not None:
            return None
        try:
            return call()
        except ThematicaError as exc:
            self.error = (str(exc).splitlines() or [type(exc).__name__])[0]
            self.status = status_of(exc)
            return None


def speaker_labels(project: Project) -> list[str]:
    """Every speaker label in the project, most turns first (for the speaker filter)."""
    return [label for label, _turns in project.speakers.labels()]


def view(
    request: Request,
    project: Project,
    which: str,
    outcome: Outcome | None = None,
    **context: Any,
) -> Response:
    return page(
        request,
        f"analysis_{which}.html",
        project=project,
        nav="analysis",
        views=VIEWS,
        current=which,
        error=outcome.error if outcome else None,
        status=outcome.status if outcome else 200,
        may_analyse=allowed(project.access.role, Operation.ANALYSE),
        is_owner=project.access.role is Role.OWNER,
        **context,
    )


def layers_context(project: Project, chosen: str | None) -> dict[str, Any]:
    """The coder layers a form offers, and the one selected (``chosen`` or the default)."""
    layers = layer_choices(project)
    return {"layers": layers, "layer": coder_of(chosen) or default_layer(project, layers)}


def code_names(project: Project) -> dict[str, tuple[str, int]]:
    """Code path -> the code's own name (a name may itself contain "/") and its depth."""
    return {c.path: (c.name, c.depth) for c in project.codebook.tree()}


@router.get("/p/{pid}/analysis")
def analysis_home(project: ProjectDep) -> Response:
    return RedirectResponse(f"/p/{project.id}/analysis/query", status_code=303)


@router.get("/p/{pid}/analysis/query")
def query_page(request: Request, project: ProjectDep) -> Response:
    tree = project.codebook.tree()
    counts: dict[str, int] = {}
    for c in tree:
        counts[c.name.casefold()] = counts.get(c.name.casefold(), 0) + 1
    codes = [  # the picker inserts the bare name when it is unique, else the path
        {
            "term": c.name if counts[c.name.casefold()] == 1 else c.path,
            "name": c.name,
            "depth": c.depth,
            "codings": c.codings,
        }
        for c in tree
    ]
    return view(
        request,
        project,
        "query",
        codes=codes,
        attributes=attribute_choices(project),
        documents=[d.name for d in project.documents.list()],
        speakers=speaker_labels(project),
        names={path: label for path, (label, _depth) in code_names(project).items()},
        **layers_context(project, None),
    )


@router.get("/p/{pid}/analysis/search")
def search_page(request: Request, project: ProjectDep) -> Response:
    return view(
        request,
        project,
        "search",
        attributes=attribute_choices(project),
        documents=[d.name for d in project.documents.list()],
        speakers=speaker_labels(project),
    )


@router.get("/p/{pid}/analysis/participants")
def participants_page(request: Request, project: ProjectDep, unit: Opt = None) -> Response:
    outcome = Outcome()
    chosen = "groups" if unit == "groups" else "participants"
    table = outcome.run(lambda: project.cases.describe(unit=chosen))
    groups: list[dict[str, Any]] = []
    for row in table.rows if table else []:
        if not groups or groups[-1]["attribute"] != row.attribute:
            label = default_label(row.attribute)  # time_in_role -> "Time in role"
            groups.append({"attribute": row.attribute, "label": label, "rows": []})
        groups[-1]["rows"].append(row)
    return view(request, project, "participants", outcome, table=table, groups=groups, unit=chosen)


@router.get("/p/{pid}/analysis/themes")
def themes_page(request: Request, project: ProjectDep) -> Response:
    outcome = Outcome()
    table = outcome.run(project.themes.table)
    return view(request, project, "themes", outcome, table=table)


@router.get("/p/{pid}/analysis/prevalence")
def prevalence_page(
    request: Request,
    project: ProjectDep,
    of: Opt = None,
    by: Opt = None,
    coder: Opt = None,
    unit: Opt = None,
) -> Response:
    outcome = Outcome()
    layers = layers_context(project, coder)
    kind = "codes" if of == "codes" else "themes"
    counted = "groups" if unit == "groups" else "participants"
    table = outcome.run(
        lambda: project.prevalence.table(kind, coder=layers["layer"], by=coder_of(by), unit=counted)
    )
    query = urlencode(
        {"of": kind, "by": coder_of(by) or "", "coder": layers["layer"] or "", "unit": counted}
    )
    # one line per theme or code, one column per group (the value of the "by" attribute)
    groups: list[str | None] = []
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in table.rows if table else []:
        if row.group not in groups:
            groups.append(row.group)
        item = items.setdefault((row.kind, row.number), {"row": row, "cells": {}})
        item["cells"][row.group] = row
    return view(
        request,
        project,
        "prevalence",
        outcome,
        table=table,
        items=list(items.values()),
        groups=groups,
        of=kind,
        by=coder_of(by),
        unit=counted,
        names=code_names(project),
        attributes=attribute_choices(project),
        csv_url=f"/api/p/{project.id}/analysis/prevalence?{query}&format=csv",
        **layers,
    )


@router.get("/p/{pid}/analysis/cooccurrence")
def cooccurrence_page(
    request: Request,
    project: ProjectDep,
    mode: Opt = None,
    coder: Opt = None,
    levels: Opt = None,
) -> Response:
    outcome = Outcome()
    layers = layers_context(project, coder)
    chosen = mode if mode in ("segment", "overlap", "turn") else "overlap"
    by_level = levels == "1"
    matrix = outcome.run(
        lambda: project.cooccurrence.matrix(chosen, coder=layers["layer"], levels=by_level)
    )
    table = outcome.run(
        lambda: project.cooccurrence.table(chosen, coder=layers["layer"], levels=by_level)
    )
    pairs = sorted(table.rows, key=lambda r: (-r.count, -r.jaccard)) if table else []
    query = urlencode(
        {"mode": chosen, "coder": layers["layer"] or "", "levels": "true" if by_level else "false"}
    )
    short = dict(zip(matrix.labels, matrix.short, strict=False)) if matrix else {}
    return view(
        request,
        project,
        "cooccurrence",
        outcome,
        pairs=pairs,
        matrix=matrix,
        short=short,
        mode=chosen,
        levels=by_level,
        figure=f"/api/p/{project.id}/analysis/cooccurrence/heatmap?{query}"
        if matrix and matrix.labels
        else None,
        **layers,
    )


@router.get("/p/{pid}/analysis/saturation")
def saturation_page(
    request: Request,
    project: ProjectDep,
    order_by: Opt = None,
    base: Annotated[int, Query(ge=1, le=1000)] = 4,
    run: Annotated[int, Query(ge=1, le=1000)] = 2,
    threshold: Annotated[float, Query(gt=0, lt=100)] = 5,
    unit: Opt = None,
    coder: Opt = None,
) -> Response:
    """``threshold`` in percent here (the form's words); the service takes a share."""
    outcome = Outcome()
    layers = layers_context(project, coder)
    chosen = unit if unit in ("document", "case", "group") else "document"
    order = coder_of(order_by)
    result = outcome.run(
        lambda: project.saturation.assess(
            order,
            base=base,
            run=run,
            threshold=threshold / 100,
            coder=layers["layer"],
            unit=chosen,
        )
    )
    table = project.saturation.table(result) if result else None
    query = urlencode(
        {
            "order_by": order or "",
            "base": base,
            "run": run,
            "threshold": threshold / 100,
            "unit": chosen,
            "coder": layers["layer"] or "",
        }
    )
    return view(
        request,
        project,
        "saturation",
        outcome,
        result=result,
        table=table,
        order_by=order,
        base=base,
        run=run,
        threshold=threshold,
        unit=chosen,
        names=code_names(project),
        attributes=attribute_choices(project),
        figure=f"/api/p/{project.id}/analysis/saturation/plot?{query}" if result else None,
        **layers,
    )


@router.get("/p/{pid}/analysis/matrices")
def matrices_page(request: Request, project: ProjectDep) -> Response:
    outcome = Outcome()
    matrices = outcome.run(project.matrices.list)
    return view(
        request,
        project,
        "matrices",
        outcome,
        matrices=matrices,
        attributes=attribute_choices(project),
        **layers_context(project, None),
    )


@router.get("/p/{pid}/analysis/matrix")
def matrix_page(
    request: Request, project: ProjectDep, name: Annotated[str, Query(max_length=200)]
) -> Response:
    outcome = Outcome()
    found = outcome.run(lambda: project.matrices.get(name))
    return view(
        request,
        project,
        "matrix",
        outcome,
        name=name,
        found=found is not None,
        names={path: label for path, (label, _depth) in code_names(project).items()},
    )


@router.get("/p/{pid}/analysis/downloads")
def downloads_page(request: Request, project: ProjectDep) -> Response:
    layers = layers_context(project, None)
    readiness = report_readiness(project, layers["layer"])
    return view(request, project, "downloads", readiness=readiness, **layers)
