"""Summaries drafted by a language model on the team's server: framework-matrix cells and
themes. A draft is stored beside the analyst's text, never in place of it, with the coding ids
of the excerpts it summarises; the analyst adopts it (copied into an empty summary, or over the
analyst's own only when asked to replace it) or discards it.

Which excerpts are sent: for a matrix cell, the codings the analyst linked to it, or when none
are linked the cell's coded passages (its link candidates); for a theme, the codings of its
codes and its subthemes' codes in the layer read (the consensus layer by default), taken in
turn from each document so one long interview does not fill the prompt. At most
``max_excerpts`` go to the model; the draft records exactly those.

Every LLM call is made before anything is written: a server failure leaves the project as it
was. A run is recorded in ``ai_run`` (kind ``draft``, the server's URL and model), its drafts
in ``ai_draft``. A draft is shown only to members who may read every coder layer its excerpts
come from (blind coding).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.ai.prompts import PromptExcerpt
    from thematica.ai.server import ServerClient
    from thematica.services._progress import Progress
    from thematica.services.matrix import LinkedExcerpt
    from thematica.services.matrix_links import CellCandidate
    from thematica.services.project import Project

__all__ = ["DRAFT_STATUSES", "DRAFT_TARGETS", "DraftRow", "DraftRun", "Drafts"]

DRAFT_TARGETS = ("matrix_cell", "theme")
DRAFT_STATUSES = ("draft", "adopted", "discarded")
#: excerpts sent per summary unless the caller says otherwise
MAX_EXCERPTS = 20
#: the summary a model sends back is cut to this many characters
MAX_DRAFT_CHARS = 4000
#: the longest summary asked for, in tokens (one to three sentences need far fewer)
DRAFT_TOKENS = 400
#: seconds to wait for one answer (a CPU-only server writes a summary in well under this)
SERVER_TIMEOUT_S = 180.0


@dataclass(slots=True)
class DraftRow:
    """One stored draft: what it summarises, its text, and which model on which server wrote
    it. ``excerpts`` are the coding ids sent, in the order the text's [n] cites them."""

    id: int
    target: str
    label: str
    status: str
    text: str
    excerpts: list[int]
    backend: str
    model: str
    server: str | None
    created_by: str | None
    created_at: str
    matrix: str | None = None
    row: str | None = None
    column: str | None = None
    theme: str | None = None
    decided_by: str | None = None


@dataclass(slots=True)
class DraftRun:
    """What one drafting call stored."""

    run_id: int
    backend: str
    model: str
    server: str
    drafts: Table[DraftRow]
    #: per draft: how many excerpts were available and how many were sent
    sent: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Job:
    target: str
    key: dict[str, Any]
    messages: list[dict[str, str]]
    excerpts: list[int]
    available: int
    text: str = ""


def _selection(given: str | Sequence[str] | None) -> list[str] | None:
    if given is None:
        return None
    items = [given] if isinstance(given, str) else list(given)
    return [s.strip() for s in items if s and s.strip()] or None


def _label(target: str, key: dict[str, Any]) -> str:
    if target == "matrix_cell":
        return f"{key.get('matrix')}: {key.get('row')} × {key.get('column')}"
    return f"theme {key.get('theme')}"


def _prompt_excerpt(ex: LinkedExcerpt | CellCandidate) -> PromptExcerpt:
    from thematica.ai.prompts import PromptExcerpt

    where = ", ".join(x for x in (ex.document, ex.speaker) if x)
    return PromptExcerpt(ex.text, where)


class Drafts:
    """``project.drafts``: LLM-drafted summaries kept apart from the analyst's text."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- drafting ------------------------------------------------------------------------------
    def _client(self) -> ServerClient:
        from thematica.ai.server import client_from_settings

        client = client_from_settings(self.project.settings, timeout=SERVER_TIMEOUT_S)
        if client is None:
            raise InputError(
                "no AI server is configured: drafts need a chat model on the team's server "
                "(settings ai_url and ai_model); nothing was sent",
                hint="ai_server",
            )
        return client

    @requires(Operation.ANALYSE)
    def draft_matrix(
        self,
        matrix: str,
        *,
        rows: str | Sequence[str] | None = None,
        columns: str | Sequence[str] | None = None,
        max_excerpts: int = MAX_EXCERPTS,
        progress: Progress | None = None,
    ) -> DraftRun:
        """Draft a summary for every cell of ``matrix`` (or the ``rows`` × ``columns`` given)
        that has coded excerpts; the analyst's summaries are not touched."""
        from thematica.ai.prompts import cell_messages

        if max_excerpts < 1:
            raise InputError(f"max_excerpts must be at least 1, not {max_excerpts}")
        client = self._client()
        view = self.project.matrices.get(matrix)
        want_rows, want_cols = _selection(rows), _selection(columns)
        col_keys = [c.key for c in view.columns]
        for wanted, known, what in ((want_rows, view.rows, "row"), (want_cols, col_keys, "column")):
            unknown = [w for w in wanted or [] if w not in known]
            if unknown:
                raise NotFoundError(
                    f"matrix {matrix!r} has no {what} {', '.join(map(repr, unknown))}"
                )
        rows_are = "case" if view.rows_spec == "cases" else view.rows_spec.split(":", 1)[-1]
        jobs: list[_Job] = []
        for row in want_rows or view.rows:
            for column in want_cols or col_keys:
                cell = view.cell(row, column)
                excerpts: list[LinkedExcerpt | CellCandidate] = list(cell.excerpts)
                available = len(excerpts)
                if not excerpts and cell.coded:
                    found = self.project.matrix_links.candidates(
                        matrix, row, column, limit=max_excerpts
                    )
                    excerpts = list(found.rows)
                    available = found.total or len(excerpts)
                if not excerpts:
                    continue
                sent = excerpts[:max_excerpts]
                jobs.append(
                    _Job(
                        "matrix_cell",
                        {"matrix": view.name, "row": row, "column": column},
                        cell_messages(
                            row, column, [_prompt_excerpt(e) for e in sent], rows_are=rows_are
                        ),
                        [e.coding_id for e in sent],
                        available,
                    )
                )
        if not jobs:
            raise InputError(
                f"no cell of matrix {matrix!r} in the selection has coded excerpts to "
                "summarise; nothing was sent"
            )
        with self.project.db.read() as conn:
            layers = sorted(set(self.project.coding.coder_ids(conn, view.coder).values()))
        parameters = {
            "target": "matrix_cell",
            "matrix": view.name,
            "rows": want_rows,
            "columns": want_cols,
            "max_excerpts": max_excerpts,
            "layers": layers,
        }
        return self._run(client, jobs, parameters, layers, progress)

    @requires(Operation.ANALYSE)
    def draft_theme(
        self,
        theme: str,
        *,
        coder: str | None = None,
        max_excerpts: int = MAX_EXCERPTS,
        progress: Progress | None = None,
    ) -> DraftRun:
        """Draft a summary of ``theme`` from excerpts coded with its (and its subthemes')
        codes in the layer ``coder`` (default: the only coder, else the consensus layer)."""
        from thematica.ai.prompts import spread_over_documents, theme_messages
        from thematica.services.speakers import load_attributor

        if max_excerpts < 1:
            raise InputError(f"max_excerpts must be at least 1, not {max_excerpts}")
        client = self._client()
        with self.project.db.read() as conn:
            themes = self.project.themes.index(conn)
            tid = themes.resolve(theme)
            info = themes.themes[tid]
            code_ids = sorted({c for th in themes.subtree(tid) for c in themes.themes[th].code_ids})
            if not code_ids:
                raise InputError(f"theme {info.name!r} groups no codes: nothing to summarise")
            layer = self.project.coding.coder_ids(conn, coder)  # checks it may be read
            k = t.coding.c
            found = conn.execute(
                select(k.id, k.document_id)
                .where(
                    k.project_id == self.project.id,
                    k.coder_id.in_(list(layer)),
                    k.code_id.in_(code_ids),
                )
                .order_by(k.document_id, k.start, k.end, k.id)
            ).all()
            chosen = spread_over_documents(
                [(int(r.document_id), int(r.id)) for r in found], max_excerpts
            )
            excerpts = self.project.matrices._excerpts(
                conn, chosen, load_attributor(self.project, conn)
            )
            paths = self.project.codebook.index(conn).paths
        if not chosen:
            raise InputError(
                f"no excerpts are coded with the codes of theme {info.name!r} in "
                f"{', '.join(sorted(layer.values()))}; nothing was sent"
            )
        sent = [excerpts[i] for i in chosen if i in excerpts]
        layers = sorted(set(layer.values()))
        job = _Job(
            "theme",
            {"theme": info.name, "theme_id": tid},
            theme_messages(
                info.name,
                info.description,
                [paths.get(c, "?") for c in code_ids],
                [_prompt_excerpt(e) for e in sent],
            ),
            [e.coding_id for e in sent],
            len(found),
        )
        parameters = {
            "target": "theme",
            "theme": info.name,
            "coder": coder,
            "max_excerpts": max_excerpts,
            "layers": layers,
        }
        return self._run(client, [job], parameters, layers, progress)

    def _run(
        self,
        client: ServerClient,
        jobs: builtins.list[_Job],
        parameters: dict[str, Any],
        layers: builtins.list[str],
        progress: Progress | None,
    ) -> DraftRun:
        """Ask the model for every job, then store the run and its drafts in one transaction."""
        from thematica.ai.prompts import clean_summary
        from thematica.ai.server import BackendError
        from thematica.services.project import now

        started = now()
        with client:
            for done, job in enumerate(jobs, 1):
                job.text = clean_summary(client.chat_text(job.messages, max_tokens=DRAFT_TOKENS))
                job.text = job.text[:MAX_DRAFT_CHARS]
                if not job.text:
                    raise BackendError(
                        f"AI server {client.url} (model {client.model}) returned an empty "
                        f"summary for {_label(job.target, job.key)}; nothing was stored"
                    )
                if progress is not None:
                    progress(done, len(jobs), _label(job.target, job.key))
        actor, ids = self.project.access.name, []
        with self.project.db.write() as conn:
            run_id = _insert(
                conn,
                t.ai_run,
                project_id=self.project.id,
                kind="draft",
                backend="server",
                model=client.model,
                parameters={**parameters, "url": client.url},
                actor=actor,
                status="done",
                done=len(jobs),
                total=len(jobs),
                started_at=started,
                finished_at=now(),
            )
            for job in jobs:
                ids.append(
                    _insert(
                        conn,
                        t.ai_draft,
                        project_id=self.project.id,
                        run_id=run_id,
                        target=job.target,
                        target_key=job.key,
                        text=job.text,
                        excerpts=job.excerpts,
                        backend="server",
                        model=client.model,
                        created_by=actor,
                        created_at=now(),
                        status="draft",
                    )
                )
            self.project.audit(
                conn,
                "draft.create",
                run=run_id,
                target=parameters["target"],
                **{k: parameters[k] for k in ("matrix", "theme") if k in parameters},
                drafts=ids,
                model=client.model,
                server=client.url,
                layer=_layer_detail(layers),
            )
        table = self.list(status=None, ids=ids)
        sent = {i: (job.available, len(job.excerpts)) for i, job in zip(ids, jobs, strict=True)}
        return DraftRun(run_id, "server", client.model, client.url, table, sent)

    # -- reading -------------------------------------------------------------------------------
    @requires(Operation.READ)
    def list(
        self,
        target: str | None = None,
        status: str | None = "draft",
        *,
        ids: Sequence[int] | None = None,
    ) -> Table[DraftRow]:
        """The drafts (``status`` None: all) the acting person may read, newest first."""
        if target == "matrix":
            target = "matrix_cell"
        if target is not None and target not in DRAFT_TARGETS:
            raise InputError(f"target must be 'matrix_cell' or 'theme', not {target!r}")
        if status in ("all", ""):
            status = None
        if status is not None and status not in DRAFT_STATUSES:
            raise InputError(
                f"status must be one of {', '.join(DRAFT_STATUSES)} or 'all', not {status!r}"
            )
        d = t.ai_draft.c
        stmt = select(t.ai_draft, t.ai_run.c.parameters).outerjoin(
            t.ai_run, t.ai_run.c.id == d.run_id
        )
        stmt = stmt.where(d.project_id == self.project.id)
        if target is not None:
            stmt = stmt.where(d.target == target)
        if status is not None:
            stmt = stmt.where(d.status == status)
        if ids is not None:
            stmt = stmt.where(d.id.in_(list(ids)))
        with self.project.db.read() as conn:
            found = conn.execute(stmt.order_by(d.id.desc())).all()
            readable = self._readable(conn, found)
        rows = [_row(r) for r in found if readable(r)]
        return Table.of(DraftRow, rows, title="AI drafts")

    def _readable(self, conn: Connection, found: Sequence[Any]) -> Callable[[Any], bool]:
        """Whether a draft's layers (its run's, and its excerpts' coders) may all be read."""
        access = self.project.access
        kinds = dict(
            conn.execute(
                select(t.coder.c.name, t.coder.c.kind).where(
                    t.coder.c.project_id == self.project.id
                )
            ).all()
        )
        coding_ids = sorted({int(i) for r in found for i in r.excerpts or []})
        layer_of: dict[int, str] = {}
        for at in range(0, len(coding_ids), 500):
            layer_of.update(
                conn.execute(
                    select(t.coding.c.id, t.coder.c.name)
                    .join(t.coder, t.coder.c.id == t.coding.c.coder_id)
                    .where(t.coding.c.id.in_(coding_ids[at : at + 500]))
                ).all()
            )

        def readable(r: Any) -> bool:
            names = set((r.parameters or {}).get("layers") or [])
            names |= {layer_of[int(i)] for i in r.excerpts or [] if int(i) in layer_of}
            return all(access.may_read_layer(n, kinds.get(n, "human")) for n in names)

        return readable

    @requires(Operation.READ)
    def get(self, draft: int) -> DraftRow:
        """One draft the acting person may read (NotFoundError otherwise)."""
        rows = self.list(status=None, ids=[int(draft)]).rows
        if not rows:
            raise NotFoundError(f"no draft with id {draft}", draft=draft)
        return rows[0]

    # -- deciding ------------------------------------------------------------------------------
    @requires(Operation.ANALYSE)
    def adopt(self, draft: int, *, replace: bool = False) -> DraftRow:
        """Copy the draft's text into the analyst's summary (a matrix cell's summary, a theme's
        description) when that is empty; ConflictError when it is not, unless ``replace``.
        A cell with no links gets the draft's excerpts linked, so its [n] cite them."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            rec = self._open_draft(conn, draft, "adopt")
            key = dict(rec.target_key)
            if rec.target == "matrix_cell":
                detail = self._adopt_cell(conn, rec, key, replace)
            else:
                detail = self._adopt_theme(conn, rec, key, replace)
            conn.execute(
                update(t.ai_draft)
                .where(t.ai_draft.c.id == rec.id)
                .values(status="adopted", decided_by=self.project.access.name, decided_at=now())
            )
            self.project.audit(
                conn,
                "draft.adopt",
                draft=rec.id,
                target=rec.target,
                model=rec.model,
                replaced=bool(detail.get("old")),
                **key,
                layer=detail.get("layer"),
            )
        return self.get(rec.id)

    def _open_draft(self, conn: Connection, draft: int, verb: str) -> Any:
        rec = conn.execute(
            select(t.ai_draft, t.ai_run.c.parameters)
            .outerjoin(t.ai_run, t.ai_run.c.id == t.ai_draft.c.run_id)
            .where(t.ai_draft.c.project_id == self.project.id, t.ai_draft.c.id == int(draft))
        ).first()
        # a draft built from layers this person may not read is not theirs to adopt or discard
        if rec is None or not self._readable(conn, [rec])(rec):
            raise NotFoundError(f"no draft with id {draft}", draft=draft)
        if rec.status != "draft":
            raise ConflictError(
                f"draft {draft} was already {rec.status}; only an open draft can be {verb}ed",
                draft=draft,
                status=rec.status,
            )
        return rec

    def _adopt_cell(
        self, conn: Connection, rec: Any, key: dict[str, Any], replace: bool
    ) -> dict[str, Any]:
        from thematica.services.project import now

        matrices = self.project.matrices
        mid, definition = matrices._find(conn, str(key.get("matrix")))
        layout = matrices._layout(conn, definition)
        row, column = str(key.get("row")), str(key.get("column"))
        col = next((c for c in layout.columns if c.key == column), None)
        if row not in layout.rows or col is None:
            raise NotFoundError(
                f"matrix {key.get('matrix')!r} no longer has the cell {row} × {column}"
            )
        mc = t.matrix_cell.c
        cell = conn.execute(
            select(mc.id, mc.summary, mc.links).where(
                mc.matrix_id == mid, mc.row_key == row, mc.column_key == column
            )
        ).first()
        old = (cell.summary or "") if cell is not None else ""
        if old.strip() and not replace:
            raise ConflictError(
                f"the cell {row} × {column} of matrix {key.get('matrix')!r} already has the "
                "analyst's summary; adopt with replace to overwrite it",
                draft=rec.id,
                hint="replace",
            )
        links = [int(i) for i in (cell.links if cell is not None else []) or []]
        linked: list[int] = []
        if not links:  # link the excerpts the draft cites, those still valid for the cell
            for i in rec.excerpts or []:
                try:
                    matrices._check_links(conn, [int(i)], layout, row, col)
                except (InputError, NotFoundError):
                    continue
                linked.append(int(i))
        values = {
            "summary": rec.text,
            "author": self.project.access.name,
            "updated_at": now(),
            "links": links or linked,
        }
        if cell is None:
            conn.execute(
                insert(t.matrix_cell).values(
                    matrix_id=mid, row_key=row, column_key=column, **values
                )
            )
        else:
            conn.execute(update(t.matrix_cell).where(mc.id == cell.id).values(**values))
        layer = _layer_detail(sorted(set(layout.layer.values())))
        self.project.audit(
            conn,
            "matrix.set",
            matrix=key.get("matrix"),
            layer=layer,
            row=row,
            column=column,
            summary=True,
            link=linked,
            unlink=[],
            author=self.project.access.name,
            old=old,
            new=rec.text,
            draft=rec.id,
        )
        return {"old": old, "layer": layer}

    def _adopt_theme(
        self, conn: Connection, rec: Any, key: dict[str, Any], replace: bool
    ) -> dict[str, Any]:
        from thematica.services.project import now

        themes = self.project.themes.index(conn)
        tid = key.get("theme_id")
        if tid not in themes.themes:
            tid = themes.resolve(str(key.get("theme")))
        info = themes.themes[int(tid)]
        old = info.description or ""
        if old.strip() and not replace:
            raise ConflictError(
                f"theme {info.name!r} already has the analyst's description; adopt with "
                "replace to overwrite it",
                draft=rec.id,
                hint="replace",
            )
        conn.execute(
            update(t.theme)
            .where(t.theme.c.id == info.id)
            .values(description=rec.text, updated_at=now())
        )
        self.project.audit(
            conn,
            "theme_update",
            theme=info.name,
            changes={"description": [old, rec.text]},
            draft=rec.id,
        )
        return {"old": old, "layer": _layer_detail(_run_layers(conn, rec.run_id))}

    @requires(Operation.ANALYSE)
    def discard(self, draft: int) -> DraftRow:
        """Mark a draft discarded (kept, for the record; the analyst's text is untouched)."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            rec = self._open_draft(conn, draft, "discard")
            conn.execute(
                update(t.ai_draft)
                .where(t.ai_draft.c.id == rec.id)
                .values(status="discarded", decided_by=self.project.access.name, decided_at=now())
            )
            self.project.audit(
                conn,
                "draft.discard",
                draft=rec.id,
                target=rec.target,
                model=rec.model,
                **dict(rec.target_key),
                layer=_layer_detail(_run_layers(conn, rec.run_id)),
            )
        return self.get(rec.id)


def _insert(conn: Connection, table: Any, **values: Any) -> int:
    return int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def _run_layers(conn: Connection, run_id: int | None) -> builtins.list[str]:
    """The coder layers a drafting run read (its parameters), for the audit entry."""
    run = conn.scalar(select(t.ai_run.c.parameters).where(t.ai_run.c.id == run_id))
    return [str(n) for n in (run or {}).get("layers") or []]


def _layer_detail(layers: Sequence[str]) -> str | builtins.list[str] | None:
    """An audit entry's ``layer``: one name, several, or None (hides it with those layers)."""
    return layers[0] if len(layers) == 1 else (list(layers) or None)


def _row(r: Any) -> DraftRow:
    key = dict(r.target_key or {})
    created = r.created_at
    return DraftRow(
        id=int(r.id),
        target=r.target,
        label=_label(r.target, key),
        status=r.status,
        text=r.text,
        excerpts=[int(i) for i in r.excerpts or []],
        backend=r.backend,
        model=r.model,
        server=(r.parameters or {}).get("url"),
        created_by=r.created_by,
        created_at=created.isoformat(timespec="seconds") if created is not None else "",
        matrix=key.get("matrix"),
        row=key.get("row"),
        column=key.get("column"),
        theme=key.get("theme"),
        decided_by=r.decided_by,
    )
