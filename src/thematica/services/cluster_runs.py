"""Stored clusters runs: reading a run's groups and members, and accepting a group into the
codebook (the reading and deciding half of ``project.clusters``; proposing is in
``services/clusters.py``).

A run is readable only by someone who may read every layer it counted as coding: its passages
show what those layers leave uncoded. Accepting makes a code (origin ``inductive``) and, if
asked, codes the group's passages in the acting person's layer as one undoable batch; the
group is marked accepted in the run so it is not offered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from thematica.core.access import Operation, Role
from thematica.core.errors import ConflictError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["AcceptedCluster", "ClusterMember", "ClusterRow", "ClusterRunRow", "ClusterRuns"]

_EXAMPLE_WIDTH = 120


@dataclass(slots=True)
class ClusterRow:
    """One proposed group: its number in the run, label (the model's name, else the top
    keywords), size, keywords, its most central passage, and the code it became if accepted."""

    number: int
    label: str
    size: int
    #: how much more alike its passages are to each other than to the others (0 to 1)
    cohesion: float
    keywords: str
    example: str
    accepted: str | None = None


@dataclass(slots=True)
class ClusterMember:
    """A member passage of a group, most central first (``centrality``: cosine similarity to
    the group's centroid)."""

    rank: int
    document: str
    start: int
    end: int
    centrality: float
    text: str


@dataclass(slots=True)
class ClusterRunRow:
    id: int
    started: str
    actor: str | None
    backend: str
    model: str
    unit: str
    passages: int
    clusters: int
    accepted: int


@dataclass(slots=True)
class AcceptedCluster:
    """What accepting a group did: the code made, and the codings added (``layer``, ``batch_id``:
    None when the members were not coded)."""

    run_id: int
    number: int
    code: str
    definition: str
    layer: str | None
    codings: int
    batch_id: int | None


def excerpt(text: str, width: int = _EXAMPLE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _iso(value: Any) -> str:
    return str(value.isoformat(timespec="seconds")) if value is not None else ""


class ClusterRuns:
    """Reading and accepting stored runs (a mixin of ``project.clusters``)."""

    project: Project

    def _run(self, conn: Connection, run_id: int | None) -> Any:
        """A clusters run the actor may read (None: the latest such run)."""
        r = t.ai_run.c
        stmt = select(t.ai_run).where(r.project_id == self.project.id, r.kind == "clusters")
        if run_id is not None:
            row = conn.execute(stmt.where(r.id == run_id)).first()
            if row is None:
                raise NotFoundError(f"no clusters run {run_id}", run=run_id)
            for layer in (row.parameters or {}).get("layers") or []:
                self.project.access.check_read_layer(str(layer["layer"]), str(layer["kind"]))
            return row
        for row in conn.execute(stmt.order_by(r.id.desc())):
            if self._may_read(row):
                return row
        raise NotFoundError("no groups of uncoded passages have been proposed yet")

    def _may_read(self, row: Any) -> bool:
        return all(
            self.project.access.may_read_layer(str(x["layer"]), str(x["kind"]))
            for x in (row.parameters or {}).get("layers") or []
        )

    def _names(self, conn: Connection) -> dict[int, str]:
        d = t.document.c
        stmt = select(d.id, d.name).where(d.project_id == self.project.id)
        return {int(i): str(n) for i, n in conn.execute(stmt)}

    @staticmethod
    def _group(row: Any, number: int) -> dict[str, Any]:
        for group in (row.result or {}).get("clusters") or []:
            if int(group["number"]) == number:
                return dict(group)
        count = len((row.result or {}).get("clusters") or [])
        raise NotFoundError(
            f"run {row.id} has no group {number} (it has {count})", run=row.id, number=number
        )

    @staticmethod
    def _row(group: dict[str, Any], example: str) -> ClusterRow:
        accepted = group.get("accepted") or {}
        return ClusterRow(
            number=int(group["number"]),
            label=str(group.get("model_label") or group["label"]),
            size=int(group["size"]),
            cohesion=float(group.get("cohesion") or 0.0),
            keywords=", ".join(group["keywords"]),
            example=excerpt(example),
            accepted=accepted.get("code"),
        )

    @requires(Operation.READ)
    def runs(self) -> Table[ClusterRunRow]:
        """The clusters runs the acting person may read, newest first."""
        r = t.ai_run.c
        out = []
        with self.project.db.read() as conn:
            for row in conn.execute(
                select(t.ai_run)
                .where(r.project_id == self.project.id, r.kind == "clusters")
                .order_by(r.id.desc())
            ):
                if not self._may_read(row):
                    continue
                groups = (row.result or {}).get("clusters") or []
                out.append(
                    ClusterRunRow(
                        id=int(row.id),
                        started=_iso(row.started_at),
                        actor=row.actor,
                        backend=row.backend,
                        model=row.model,
                        unit=str((row.result or {}).get("unit") or ""),
                        passages=int((row.result or {}).get("passages") or 0),
                        clusters=len(groups),
                        accepted=sum(1 for g in groups if g.get("accepted")),
                    )
                )
        return Table.of(ClusterRunRow, out, title="Clusters runs")

    @requires(Operation.READ)
    def list(self, run_id: int | None = None) -> Table[ClusterRow]:
        """The groups of a run (default: the latest the acting person may read)."""
        with self.project.db.read() as conn:
            row = self._run(conn, run_id)
            names = self._names(conn)
            groups = (row.result or {}).get("clusters") or []
            firsts = {int(m[0]) for g in groups for m in g["members"][:3]} & set(names)
            d = t.document.c
            texts = {
                int(i): str(body)
                for i, body in conn.execute(select(d.id, d.text).where(d.id.in_(sorted(firsts))))
            }
        rows = []
        for g in groups:
            first = next((m for m in g["members"] if int(m[0]) in texts), None)
            example = texts[int(first[0])][first[1] : first[2]] if first else ""
            rows.append(self._row(g, example))
        title = f"Clusters of run {row.id} ({row.backend}: {row.model})"
        return Table.of(ClusterRow, rows, title=title)

    @requires(Operation.READ)
    def members(self, run_id: int | None, number: int) -> Table[ClusterMember]:
        """A group's passages, most central first, with their document, offsets and text
        (passages of documents removed since the run are left out)."""
        with self.project.db.read() as conn:
            row = self._run(conn, run_id)
            group = self._group(row, number)
            names = self._names(conn)
            ids = sorted({int(m[0]) for m in group["members"]} & set(names))
            d = t.document.c
            texts = {
                int(i): str(body)
                for i, body in conn.execute(select(d.id, d.text).where(d.id.in_(ids)))
            }
        out = [
            ClusterMember(
                rank, names[int(doc_id)], int(s), int(e), float(c), texts[int(doc_id)][s:e]
            )
            for rank, (doc_id, s, e, c) in enumerate(group["members"], 1)
            if int(doc_id) in texts
        ]
        label = group.get("model_label") or group["label"]
        return Table.of(ClusterMember, out, title=f"Run {row.id}, group {number}: {label}")

    # -- accepting ---------------------------------------------------------------------------
    @requires(Operation.CODE)
    def accept(
        self,
        run_id: int | None,
        number: int,
        *,
        name: str | None = None,
        parent: str | None = None,
        definition: str | None = None,
        code_members: bool = False,
    ) -> AcceptedCluster:
        """Make group ``number`` of a run (None: the latest) a code in the codebook (origin
        ``inductive``), named ``name`` (default: the model's name, else the top keywords),
        under ``parent``, with ``definition`` (default: "Passages about: <keywords>
        (proposed by clustering, run N)"). ``code_members`` also codes its passages in the
        acting person's layer, as one batch ``thematica batches undo`` can take back.

        Changing the codebook is an owner's, or a coder's where the project lets coders add
        codes (``coders_add_codes``, as when naming a code while coding). A group already
        accepted, or a name a sibling code has, is refused and nothing changes.
        """
        from thematica.core.codebook import check_fields, check_name

        access = self.project.access
        if access.role is not Role.OWNER and not self.project.proposals.coders_may_add:
            raise access.refuse("change the codebook", operation="codebook", method="accept")
        layer = access.name if code_members else None
        if layer is not None:
            access.check_write_layer(layer)
        with self.project.db.write() as conn:
            self.project.db.serialize(conn, "codebook", self.project.id)  # names, acceptance
            row = self._run(conn, run_id)
            group = self._group(row, number)
            if group.get("accepted"):
                raise ConflictError(
                    f"group {number} of run {row.id} was already accepted as code "
                    f"{group['accepted']['code']!r}",
                    run=row.id,
                    number=number,
                )
            final = check_name(name or group.get("model_label") or group["label"])
            text = self._definition(row.id, group) if definition is None else definition.strip()
            values = check_fields(
                {"origin": "inductive", "definition": text}, self.project.sem_levels
            )
            index = self.project.codebook.index(conn)
            parent_id = index.resolve(parent) if parent else None
            code_id = self.project.codebook._create(conn, index, final, parent_id, values, None)
            path = index.paths[code_id]
            self.project.audit(
                conn, "add_code", path=path, origin="inductive", run=row.id, cluster=number
            )
            codings, batch_id = 0, None
            if layer is not None:
                codings, batch_id = self._code(conn, layer, code_id, path, row.id, group)
            groups = [dict(g) for g in (row.result or {}).get("clusters") or []]
            for g in groups:
                if int(g["number"]) == number:
                    g["accepted"] = {
                        "code": path,
                        "code_id": code_id,
                        "by": access.name,
                        "layer": layer,
                        "codings": codings,
                        "batch": batch_id,
                    }
            conn.execute(
                update(t.ai_run)
                .where(t.ai_run.c.id == row.id)
                .values(result={**(row.result or {}), "clusters": groups})
            )
            self.project.audit(
                conn,
                "accept_cluster",
                run=row.id,
                cluster=number,
                code=path,
                codings=codings,
                batch=batch_id,
                **({"coder": layer} if layer else {}),
            )
        return AcceptedCluster(row.id, number, path, text, layer, codings, batch_id)

    @staticmethod
    def _definition(run_id: int, group: dict[str, Any]) -> str:
        keywords = ", ".join(group["keywords"]) or str(group["label"])
        if group.get("model_definition"):
            return (
                f"{group['model_definition']} (proposed by clustering, run {run_id}; "
                f"keywords: {keywords})"
            )
        return f"Passages about: {keywords} (proposed by clustering, run {run_id})"

    def _code(
        self,
        conn: Connection,
        layer: str,
        code_id: int,
        path: str,
        run_id: int,
        group: dict[str, Any],
    ) -> tuple[int, int]:
        """Code the group's passages with the new code in ``layer``: one batch."""
        from thematica.services.project import now

        d = t.document.c
        ids = sorted({int(m[0]) for m in group["members"]})
        lengths = {
            int(i): int(n)
            for i, n in conn.execute(
                select(d.id, d.length).where(d.project_id == self.project.id, d.id.in_(ids))
            )
        }
        coder_id = self.project.coding.ensure_coder(conn, layer)
        batch_id = self.project.batches.open(
            conn, "clusters", layer, {"code": path, "run": run_id, "cluster": group["number"]}
        )
        stamp = now()
        rows = [
            {
                "project_id": self.project.id,
                "document_id": int(doc_id),
                "code_id": code_id,
                "coder_id": coder_id,
                "start": int(s),
                "end": int(e),
                "memo": None,
                "starred": False,
                "created_at": stamp,
                "batch_id": batch_id,
            }
            for doc_id, s, e, *_c in sorted(group["members"], key=lambda m: (m[0], m[1]))
            if int(doc_id) in lengths and 0 <= int(s) < int(e) <= lengths[int(doc_id)]
        ]
        if rows:
            conn.execute(insert(t.coding), rows)  # a new code: nothing to duplicate
        self.project.batches.finish(conn, batch_id, len(rows))
        self.project.audit(
            conn, "code", coder=layer, applied=len(rows), duplicates=0, batch=batch_id, code=path
        )
        return len(rows), batch_id
