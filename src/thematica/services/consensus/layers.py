"""Consensus layers: which exist, which two coders each compares, and creating one.

A layer is a coder of kind ``consensus``; the coders it compares (and its ``min_overlap``) are
recorded by the ``consensus_start`` entry of the append-only audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    coder_id: int
    coders: tuple[str, str]
    coder_ids: tuple[int, int]
    min_overlap: float


def layer_names(project: Project, conn: Connection) -> dict[str, int]:
    """Consensus layer name -> coder id, oldest first."""
    c = t.coder.c
    return {
        r.name: int(r.id)
        for r in conn.execute(
            select(c.id, c.name)
            .where(c.project_id == project.id, c.kind == "consensus")
            .order_by(c.id)
        )
    }


def starts(project: Project, conn: Connection) -> dict[str, dict[str, Any]]:
    """The latest ``consensus_start`` record per layer name."""
    a = t.audit_log.c
    out: dict[str, dict[str, Any]] = {}
    for detail in conn.scalars(
        select(a.detail)
        .where(a.project_id == project.id, a.action == "consensus_start")
        .order_by(a.id)
    ):
        if isinstance(detail, dict) and detail.get("layer"):
            out[str(detail["layer"])] = detail
    return out


def human_coder_ids(project: Project, conn: Connection, coders: Sequence[str]) -> tuple[int, int]:
    c = t.coder.c
    rows = {
        r.name: (int(r.id), r.kind)
        for r in conn.execute(select(c.id, c.name, c.kind).where(c.project_id == project.id))
    }
    for name in coders:
        if name not in rows:
            known = ", ".join(n for n, v in rows.items() if v[1] != "consensus")
            raise NotFoundError(f"no coder named {name!r}; coders: {known or 'none yet'}")
        if rows[name][1] == "consensus":
            raise InputError(f"{name!r} is a consensus layer, not a coder to compare")
        # disagreements and the decision log show both coders' text: blind coding applies
        project.access.check_read_layer(name, rows[name][1])
    return rows[coders[0]][0], rows[coders[1]][0]


def find_layer(project: Project, conn: Connection, name: str | None) -> Layer:
    names = layer_names(project, conn)
    if name is None:
        if not names:
            raise NotFoundError(
                "no consensus layer yet: start one for two coders", hint="consensus_start"
            )
        if len(names) > 1:
            raise InputError(
                f"this project has {len(names)} consensus layers ({', '.join(names)}); "
                "choose one by name",
                choices=sorted(names),
                hint="name",
            )
        name = next(iter(names))
    if name not in names:
        raise NotFoundError(
            f"no consensus layer named {name!r}"
            + (f"; layers: {', '.join(names)}" if names else "")
        )
    record = starts(project, conn).get(name)
    if record is None:
        raise NotFoundError(
            f"consensus layer {name!r} has no recorded coders; start it again with its two coders",
            layer=name,
            hint="consensus_start",
        )
    coders = (str(record["coders"][0]), str(record["coders"][1]))
    ids = human_coder_ids(project, conn, coders)
    return Layer(name, names[name], coders, ids, float(record.get("min_overlap") or 0.0))


def check_pair(coders: Sequence[str] | str, name: str, min_overlap: float) -> list[str]:
    """The two coder names, checked (before any database work)."""
    from thematica.services.coding import check_coder_name

    if isinstance(coders, str):
        coders = [x.strip() for x in coders.split(",") if x.strip()]
    pair = [check_coder_name(x) for x in coders]
    if len(pair) != 2 or pair[0] == pair[1]:
        raise InputError("consensus compares exactly two different coders", hint="coders")
    if name in pair:
        raise InputError(f"the consensus layer cannot be named after a coder ({name!r})")
    if not 0.0 <= min_overlap <= 1.0:
        raise InputError("min_overlap must be between 0 and 1")
    return pair


def ensure_layer(
    project: Project,
    conn: Connection,
    pair: Sequence[str],
    name: str,
    min_overlap: float,
    actor: str | None,
) -> Layer:
    """The layer ``name`` comparing ``pair``, created (and its start recorded) if need be;
    refused when a layer of that name compares other coders or another ``min_overlap``."""
    from thematica.services.project import now

    ids = human_coder_ids(project, conn, pair)
    c = t.coder.c
    existing = conn.execute(
        select(c.id, c.kind).where(c.project_id == project.id, c.name == name)
    ).first()
    record = starts(project, conn).get(name)
    if existing is not None and existing.kind != "consensus":
        raise ConflictError(
            f"{name!r} is a coder of this project; name the consensus layer otherwise"
        )
    if existing is not None and record is not None:
        if list(record["coders"]) != list(pair):
            raise ConflictError(
                f"consensus layer {name!r} compares {', '.join(record['coders'])}; "
                "start another one under a new name",
                layer=name,
                hint="name",
            )
        if float(record.get("min_overlap") or 0.0) != float(min_overlap):
            raise ConflictError(
                f"consensus layer {name!r} was started with min_overlap "
                f"{record.get('min_overlap')}; start another one under a new name",
                layer=name,
                hint="name",
            )
    if existing is None:
        layer_id = int(
            conn.execute(
                insert(t.coder).values(
                    project_id=project.id, name=name, kind="consensus", created_at=now()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
    else:
        layer_id = int(existing.id)
    if record is None or existing is None:
        project.audit(
            conn,
            "consensus_start",
            decided_by=actor,  # the team deciding (data), not who ran it (the entry's actor)
            layer=name,
            coders=list(pair),
            min_overlap=float(min_overlap),
        )
    return Layer(name, layer_id, (pair[0], pair[1]), ids, float(min_overlap))
