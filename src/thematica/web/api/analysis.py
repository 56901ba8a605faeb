"""API: analysis. Code queries and full-text search (keyword in context), the participant
table, themes, prevalence, co-occurrence, saturation (tables and figures), framework matrices,
and the results report and exports as background jobs.

Every route is one call into the services, which check the person's role and, while coding is
blind, which coder layers they may read; a refusal is a 403 with the service's sentence.
Figures are PNG or SVG bytes from the services (``/api`` responses are never cached).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.responses import Response

from thematica.core.errors import InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.project import Project
from thematica.web.api.analysis_jobs import router as jobs_router
from thematica.web.deps import ProjectDep
from thematica.web.schemas import Body

router = APIRouter(tags=["analysis"])


def _files(*types: str) -> dict[int | str, dict[str, Any]]:
    """What a route that can send a file says in /openapi.json (besides its JSON)."""
    return {200: {"content": {"application/json": {}, **{t: {} for t in types}}}}


CSV = _files("text/csv")
DOCX = _files("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
CSV_DOCX = _files(
    "text/csv", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
IMAGE = _files("image/png", "image/svg+xml")
TABLE_FILES = _files(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
    "text/markdown",
)
router.include_router(jobs_router)

#: the most excerpts or hits one JSON page returns (CSV downloads return every one)
PAGE_MAX = 1000
Many = Annotated[list[str] | None, Query(max_length=500)]
Text = Annotated[str | None, Query(max_length=2000)]
Fig = Annotated[Literal["png", "svg"], Query()]
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def coder_of(value: str | None) -> str | None:
    """A coder selection from a form: blank means "the default layer"."""
    return value.strip() if value and value.strip() else None


def clean(values: list[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v and v.strip()]


def table_json(table: Table[Any]) -> dict[str, Any]:
    """A service table as JSON: title, columns, rows (restricted to the columns) and total."""
    return {
        "title": table.title,
        "columns": list(table.columns),
        "rows": table.records(),
        "total": table.total if table.total is not None else len(table),
    }


def download(data: bytes, name: str) -> Response:
    """A file to save (its type by the name's extension)."""
    from thematica.web.api.jobs import media_type

    return Response(
        data,
        media_type=media_type(name),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def csv_download(table: Table[Any], name: str) -> Response:
    from thematica.exporters.tabular import to_csv

    return download(to_csv(table).encode("utf-8"), name)


def image(data: bytes, fmt: str) -> Response:
    return Response(data, media_type=IMAGE_TYPES[fmt])


# -- what the forms offer ----------------------------------------------------------------------
def layer_choices(project: Project) -> list[dict[str, Any]]:
    """Every coder layer with its kind, size and whether this person may read it now."""
    return [
        {**asdict(row), "readable": project.access.may_read_layer(row.name, row.kind)}
        for row in project.coding.coder_rows()
    ]


def default_layer(project: Project, layers: list[dict[str, Any]]) -> str | None:
    """The layer a form starts on: the person's own; else a consensus layer that has codings
    (an empty one, just started, would show nothing); else the first human coder layer they
    may read, else the first they may read; when they may read none, the first (so the service
    says why not). None: nobody has coded yet."""
    readable = [layer for layer in layers if layer["readable"]]
    for layer in readable:
        if layer["name"].casefold() == project.access.name.casefold():
            return str(layer["name"])
    for layer in readable:
        if layer["kind"] == "consensus" and layer["codings"]:
            return str(layer["name"])
    for layer in readable:
        if layer["kind"] == "human":
            return str(layer["name"])
    chosen = readable or layers
    return str(chosen[0]["name"]) if chosen else None


def attribute_choices(project: Project) -> list[dict[str, Any]]:
    """Case attributes with their type and the values cases have (for filter help)."""
    values: dict[str, list[str]] = {}
    try:
        for row in project.cases.describe():
            if row.value is not None and row.n:
                values.setdefault(row.attribute, []).append(row.value)
    except InputError:  # no cases yet
        pass
    return [
        {"name": a.name, "type": a.type.value, "values": values.get(a.name, [])}
        for a in project.cases.attribute_info()
    ]


@router.get("/p/{pid}/analysis/options", summary="What the analysis forms offer")
def options(project: ProjectDep) -> dict[str, Any]:
    """Coder layers (and which this person may read), case attributes with their values,
    documents, codes and matrices."""
    layers = layer_choices(project)
    return {
        "layers": layers,
        "default_layer": default_layer(project, layers),
        "attributes": attribute_choices(project),
        "documents": [d.name for d in project.documents.list()],
        "codes": [
            {"path": c.path, "name": c.name, "depth": c.depth} for c in project.codebook.tree()
        ],
        "blind": project.access.blind,
        "role": project.access.role.value if project.access.role else None,
    }


# -- code queries and full-text search ---------------------------------------------------------
@router.get(
    "/p/{pid}/analysis/query", responses=CSV, summary="Coded excerpts by code query (JSON or CSV)"
)
def query(
    project: ProjectDep,
    expression: Annotated[str, Query(min_length=1, max_length=2000)],
    coder: Text = None,
    where: Many = None,
    document: Many = None,
    subcodes: bool = True,
    speaker: Many = None,
    limit: Annotated[int, Query(ge=0, le=PAGE_MAX)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """``expression``: codes joined by AND, OR, AND NOT, OVERLAPS, NEAR/N (parentheses
    group); ``where``: case-attribute filters, all must hold (``role = peer``); ``speaker``:
    only what these speakers said. A code,
    document or attribute the query names that does not exist is bad input (400)."""
    csv = format == "csv"
    try:
        table = project.retrieval.query(
            expression,
            coder=coder_of(coder),
            where=clean(where),
            documents=clean(document) or None,
            include_subcodes=subcodes,
            limit=None if csv else limit,
            offset=0 if csv else offset,
            speakers=clean(speaker) or None,
        )
    except NotFoundError as exc:  # a query naming an unknown code (or document): bad input
        raise InputError(str(exc), **exc.detail) from None
    if csv:
        return csv_download(table, "query-results.csv")
    return {
        **table_json(table),
        "offset": offset,
        "expression": expression,
        "coder": coder_of(coder),
    }


@router.get(
    "/p/{pid}/analysis/search", responses=CSV, summary="Full-text search, keyword in context"
)
def search(
    project: ProjectDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    where: Many = None,
    document: Many = None,
    speaker: Many = None,
    width: Annotated[int, Query(ge=5, le=300)] = 60,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Words (all must occur in a document), ``"a phrase"`` or ``prefix*``; every hit with
    ``left`` context, the ``match`` and ``right`` context."""
    csv = format == "csv"
    table = project.retrieval.search(
        q,
        where=clean(where),
        documents=clean(document) or None,
        width=width,
        limit=100_000 if csv else limit,
        offset=0 if csv else offset,
        speakers=clean(speaker) or None,
    )
    if csv:
        return csv_download(table, "search-results.csv")
    return {**table_json(table), "offset": offset, "query": q}


# -- tables and figures ------------------------------------------------------------------------
@router.get(
    "/p/{pid}/analysis/table1", responses=CSV_DOCX, summary="The participant table (Table 1)"
)
def table1(
    project: ProjectDep,
    attribute: Many = None,
    unit: Literal["participants", "groups"] = "participants",
    format: Literal["json", "csv", "docx"] = "json",
) -> Any:
    """Each attribute's values with n and percent of all cases (``value`` null: missing)."""
    table = project.cases.describe(clean(attribute) or None, unit=unit)
    if format == "csv":
        return csv_download(table, "table1.csv")
    if format == "docx":
        from thematica.exporters.docx_table import table_docx_bytes

        note = "Percentages are of all cases; missing answers are listed as Missing."
        return download(table_docx_bytes(table, note=note), "table1.docx")
    return table_json(table)


@router.get("/p/{pid}/analysis/themes", responses=DOCX, summary="The theme table by SEM level")
def themes(project: ProjectDep, format: Literal["json", "docx"] = "json") -> Any:
    if format == "docx":
        return download(project.themes.docx(), "themes.docx")
    return table_json(project.themes.table())


@router.get(
    "/p/{pid}/analysis/themes/figure", responses=IMAGE, summary="The SEM figure (PNG or SVG)"
)
def themes_figure(project: ProjectDep, fmt: Fig = "png") -> Response:
    return image(project.themes.figure(fmt), fmt)


@router.get("/p/{pid}/analysis/prevalence", responses=CSV, summary="Prevalence of themes or codes")
def prevalence(
    project: ProjectDep,
    of: Literal["themes", "codes"] = "themes",
    coder: Text = None,
    by: Text = None,
    unit: Literal["participants", "groups"] = "participants",
    format: Literal["json", "csv"] = "json",
) -> Any:
    table = project.prevalence.table(of, coder=coder_of(coder), by=coder_of(by), unit=unit)
    if format == "csv":
        return csv_download(table, f"prevalence-{of}.csv")
    return table_json(table)


Mode = Literal["segment", "overlap", "turn"]


@router.get("/p/{pid}/analysis/cooccurrence", summary="Code co-occurrence: pairs and matrix")
def cooccurrence(
    project: ProjectDep, mode: Mode = "overlap", coder: Text = None, levels: bool = False
) -> dict[str, Any]:
    matrix = project.cooccurrence.matrix(mode, coder=coder_of(coder), levels=levels)
    table = project.cooccurrence.table(mode, coder=coder_of(coder), levels=levels)
    return {**table_json(table), "matrix": asdict(matrix)}


@router.get(
    "/p/{pid}/analysis/cooccurrence/heatmap", responses=IMAGE, summary="The co-occurrence heat map"
)
def cooccurrence_heatmap(
    project: ProjectDep,
    mode: Mode = "overlap",
    coder: Text = None,
    levels: bool = False,
    fmt: Fig = "png",
) -> Response:
    data = project.cooccurrence.heatmap(mode, fmt=fmt, coder=coder_of(coder), levels=levels)
    return image(data, fmt)


Unit = Literal["document", "case", "group"]


def saturation_result(
    project: Project,
    order_by: str | None,
    base: int,
    run: int,
    threshold: float,
    unit: str,
    coder: str | None,
) -> Any:
    return project.saturation.assess(
        coder_of(order_by),
        base=base,
        run=run,
        threshold=threshold,
        coder=coder_of(coder),
        unit=unit,
    )


Base = Annotated[int, Query(ge=1, le=1000)]
Run = Annotated[int, Query(ge=1, le=1000)]
Threshold = Annotated[float, Query(gt=0, lt=1)]


@router.get("/p/{pid}/analysis/saturation", summary="Saturation: new codes per interview")
def saturation(
    project: ProjectDep,
    order_by: Text = None,
    base: Base = 4,
    run: Run = 2,
    threshold: Threshold = 0.05,
    unit: Unit = "document",
    coder: Text = None,
) -> dict[str, Any]:
    result = saturation_result(project, order_by, base, run, threshold, unit, coder)
    return {**table_json(project.saturation.table(result)), "result": result.to_dict()}


@router.get(
    "/p/{pid}/analysis/saturation/plot", responses=IMAGE, summary="The saturation plot (PNG or SVG)"
)
def saturation_plot(
    project: ProjectDep,
    order_by: Text = None,
    base: Base = 4,
    run: Run = 2,
    threshold: Threshold = 0.05,
    unit: Unit = "document",
    coder: Text = None,
    fmt: Fig = "png",
) -> Response:
    from thematica.exporters.plots import saturation_figure

    result = saturation_result(project, order_by, base, run, threshold, unit, coder)
    return image(saturation_figure(result, fmt), fmt)


# -- framework matrices ------------------------------------------------------------------------
class NewMatrix(Body):
    name: str = Field(min_length=1, max_length=200)
    rows: str = Field(default="cases", min_length=1, max_length=200)
    columns: Literal["themes", "codes"] = "themes"
    coder: str | None = Field(default=None, max_length=200)


class CellChange(Body):
    matrix: str = Field(min_length=1, max_length=200)
    row: str = Field(min_length=1, max_length=500)
    column: str = Field(min_length=1, max_length=2000)
    summary: str | None = Field(default=None, max_length=20_000)
    link: list[int] = Field(default_factory=list, max_length=1000)
    unlink: list[int] = Field(default_factory=list, max_length=1000)


def column_labels(project: Project, view: Any) -> dict[str, str]:
    """Each column's heading: a code's own name, or the theme's own name (a subtheme's key is
    its parent's path and its name; names may contain "/", so they are matched whole)."""
    if view.columns_spec == "codes":
        names = {c.path: c.name for c in project.codebook.tree()}
        return {c.key: names.get(c.key, c.key) for c in view.columns}
    themes = [row.name for row in project.themes.list()]
    return {
        c.key: max(
            (n for n in themes if c.key == n or c.key.endswith("/" + n)), key=len, default=c.key
        )
        for c in view.columns
    }


def matrix_json(project: Project, view: Any) -> dict[str, Any]:
    """A matrix view as JSON: rows, columns (with their group and heading), and every cell."""
    labels = column_labels(project, view)
    return {
        "name": view.name,
        "rows_spec": view.rows_spec,
        "columns_spec": view.columns_spec,
        "coder": view.coder,
        "rows": view.rows,
        "columns": [
            {"key": c.key, "group": c.group, "label": labels[c.key], "sub": labels[c.key] != c.key}
            for c in view.columns
        ],
        "groups": view.groups,
        "notes": view.notes,
        "cells": [
            {
                "row": cell.row,
                "column": cell.column,
                "summary": cell.summary,
                "author": cell.author,
                "updated_at": cell.updated_at,
                "coded": cell.coded,
                "links": cell.links,
                "excerpts": [asdict(e) for e in cell.excerpts],
            }
            for cell in view.cells.values()
        ],
    }


MatrixName = Annotated[str, Query(min_length=1, max_length=200)]


@router.get("/p/{pid}/analysis/matrices", summary="The framework matrices")
def matrices(project: ProjectDep) -> list[dict[str, Any]]:
    return [asdict(row) for row in project.matrices.list()]


@router.post("/p/{pid}/analysis/matrices", status_code=201, summary="Create a framework matrix")
def create_matrix(body: NewMatrix, project: ProjectDep) -> dict[str, Any]:
    view = project.matrices.create(
        body.name, rows=body.rows, columns=body.columns, coder=coder_of(body.coder)
    )
    return matrix_json(project, view)


@router.get("/p/{pid}/analysis/matrix", summary="A framework matrix with every cell")
def get_matrix(project: ProjectDep, name: MatrixName) -> dict[str, Any]:
    return matrix_json(project, project.matrices.get(name))


@router.delete("/p/{pid}/analysis/matrix", summary="Delete a framework matrix")
def delete_matrix(project: ProjectDep, name: MatrixName) -> dict[str, Any]:
    project.matrices.remove(name)
    return {"removed": name}


@router.put(
    "/p/{pid}/analysis/matrix/cell",
    summary="Write a cell's summary and/or link or unlink codings (last write wins)",
)
def set_cell(body: CellChange, project: ProjectDep) -> dict[str, Any]:
    cell = project.matrices.set_cell(
        body.matrix,
        body.row,
        body.column,
        summary=body.summary,
        link=body.link,
        unlink=body.unlink,
        author=project.access.name if body.summary is not None else None,
    )
    data = asdict(cell)
    data["excerpts"] = [asdict(e) for e in cell.excerpts]
    return data


@router.get("/p/{pid}/analysis/matrix/candidates", summary="Codings a matrix cell may link to")
def cell_candidates(
    project: ProjectDep,
    name: MatrixName,
    row: Annotated[str, Query(min_length=1, max_length=500)],
    column: Annotated[str, Query(min_length=1, max_length=2000)],
) -> dict[str, Any]:
    return table_json(project.matrix_links.candidates(name, row, column))


@router.get(
    "/p/{pid}/analysis/matrix/export",
    responses=TABLE_FILES,
    summary="A matrix as XLSX, CSV or Markdown",
)
def export_matrix(
    project: ProjectDep, name: MatrixName, fmt: Literal["xlsx", "csv", "md"] = "xlsx"
) -> Response:
    return download(project.matrices.render(name, fmt), f"{name}.{fmt}")
