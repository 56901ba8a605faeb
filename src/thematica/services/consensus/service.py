"""The consensus workflow of one project (``project.consensus``): its public API.

Every write is one transaction that changes the layer's codings and appends to the decision
log together; the two coders' own codings are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.consensus.deciding import (
    Context,
    Plan,
    plan_request,
    write_added,
    write_plans,
)
from thematica.services.consensus.decision_log import (
    UNDO,
    decision_rows,
    log_state,
    logged_rows,
)
from thematica.services.consensus.layers import check_pair, ensure_layer, find_layer, layer_names
from thematica.services.consensus.pairing import compare, results_of
from thematica.services.consensus.rows import (
    AGREED_REASON,
    DECISION_COLUMNS,
    DEFAULT_LAYER,
    DISAGREEMENT_COLUMNS,
    FILE_COLUMNS,
    KINDS,
    DecisionRow,
    Disagreement,
    FinalSummary,
    Request,
    StartSummary,
    StatusRow,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.consensus.view import DocumentComparison
    from thematica.services.project import Project


class Consensus:
    """The consensus workflow of one project: ``project.consensus``."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- layers -----------------------------------------------------------------------------
    @requires(Operation.READ)
    def layers(self) -> list[str]:
        """Names of the project's consensus layers."""
        with self.project.db.read() as conn:
            return list(layer_names(self.project, conn))

    @requires(Operation.CONSENSUS)
    def start(
        self,
        coders: Sequence[str] | str = ("alex", "sam"),
        name: str = DEFAULT_LAYER,
        min_overlap: float = 0.0,
        decided_by: str | None = None,
    ) -> StartSummary:
        """Create (or bring up to date) a consensus layer comparing two coders.

        Identical spans go into the layer, each logged as an ``agreed`` decision; running it
        again adds only what is new. Returns how many were added, agreed, decided and open.
        """
        from thematica.services.coding import check_coder_name

        name = check_coder_name(name)
        pair = check_pair(coders, name, min_overlap)
        with self.project.db.write() as conn:
            layer = ensure_layer(self.project, conn, pair, name, min_overlap, decided_by)
            index = self.project.codebook.index(conn)
            items = compare(self.project, conn, layer, index)
            state = log_state(logged_rows(self.project, conn, layer))
            who = decided_by or "+".join(pair)
            plans = [
                Plan(item, "agreed", AGREED_REASON, who, results_of(item, "keep_a"), None)
                for item in items
                if item.kind == "agreed" and state.settled_by(item) is None
            ]
            write_plans(self.project, conn, layer, plans, state.active)
            agreed = sum(1 for x in state.active.values() if x.action == "agreed")
            decided = len(state.active) - agreed
            open_ = sum(1 for i in items if state.is_open(i))
        return StartSummary(name, pair, len(plans), agreed, decided, open_)

    # -- reading ----------------------------------------------------------------------------
    @requires(Operation.READ)
    def disagreements(
        self,
        *,
        name: str | None = None,
        document: str | None = None,
        code: str | None = None,
        kind: str | None = None,
    ) -> Table[Disagreement]:
        """The open disagreements (not yet decided), in document order."""
        if kind is not None and kind not in KINDS:
            raise InputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        with self.project.db.read() as conn:
            layer = find_layer(self.project, conn, name)
            index = self.project.codebook.index(conn)
            state = log_state(logged_rows(self.project, conn, layer))
            items = [i for i in compare(self.project, conn, layer, index) if state.is_open(i)]
            if document is not None:
                doc_id = self.project.documents.id_of(conn, document)
                items = [i for i in items if i.document_id == doc_id]
            if code is not None:
                wanted = set(index.subtree(index.resolve(code)))
                items = [i for i in items if any(s.code_id in wanted for s in i.sides)]
        if kind is not None:
            items = [i for i in items if i.kind == kind]
        return Table(
            items, columns=DISAGREEMENT_COLUMNS, title=f"Open disagreements ({layer.name})"
        )

    @requires(Operation.READ)
    def comparison(
        self,
        document: str,
        coders: Sequence[str] | str | None = None,
        *,
        name: str | None = None,
    ) -> DocumentComparison:
        """One document side by side: both coders' codings, every pairing with its state
        (open, agreed, decided and how), the consensus codings and every document's counts.

        The layer is ``name``, else the one comparing ``coders``; before any is started the
        pairings are shown all open (identical ones agreed). See :mod:`.view`.
        """
        from thematica.services.consensus.view import document_comparison

        return document_comparison(self.project, document, coders, name)

    @requires(Operation.READ)
    def log(
        self,
        *,
        name: str | None = None,
        document: str | None = None,
        include_agreed: bool = True,
    ) -> Table[DecisionRow]:
        """Every decision, oldest first: who, when, what, why, the codings it was about and
        the consensus codings it wrote; superseded decisions stay, marked ``superseded_by``."""
        with self.project.db.read() as conn:
            layer = find_layer(self.project, conn, name)
            rows = logged_rows(self.project, conn, layer)
            if document is not None:
                doc_id = self.project.documents.id_of(conn, document)
                rows = [r for r in rows if r.document_id == doc_id]
        out = decision_rows(rows)
        if not include_agreed:
            out = [r for r in out if r.action != "agreed"]
        return Table(out, columns=DECISION_COLUMNS, title=f"Consensus decisions ({layer.name})")

    @requires(Operation.READ)
    def status(self, *, name: str | None = None) -> Table[StatusRow]:
        """Counts: pairings compared, agreed, decided (by action, the team's additions and
        overturned agreements apart), open, consensus codings."""
        with self.project.db.read() as conn:
            layer = find_layer(self.project, conn, name)
            index = self.project.codebook.index(conn)
            items = compare(self.project, conn, layer, index)
            state = log_state(logged_rows(self.project, conn, layer))
            n_codings = int(
                conn.scalar(
                    select(func.count()).where(
                        t.coding.c.project_id == self.project.id,
                        t.coding.c.coder_id == layer.coder_id,
                    )
                )
                or 0
            )
        actions = [x.action for x in state.active.values()]
        row = StatusRow(
            layer=layer.name,
            coders=list(layer.coders),
            min_overlap=layer.min_overlap,
            compared=len(items),
            agreed=actions.count("agreed"),
            decided=len(actions) - actions.count("agreed"),
            open=sum(1 for i in items if state.is_open(i)),
            keep_a=actions.count("keep_a"),
            keep_b=actions.count("keep_b"),
            keep_both=actions.count("keep_both"),
            merge=actions.count("merge"),
            edit=actions.count("edit"),
            drop=actions.count("drop"),
            added=actions.count("add"),
            overturned=actions.count("overturn"),
            revised=sum(1 for r in state.rows if r.action != UNDO) - len(state.active),
            consensus_codings=n_codings,
        )
        return Table([row], title=f"Consensus ({layer.name})")

    # -- deciding ----------------------------------------------------------------------------
    @requires(Operation.CONSENSUS)
    def decide(
        self,
        disagreement_id: str,
        action: str,
        reason: str = "",
        decided_by: str | None = None,
        start: int | None = None,
        end: int | None = None,
        code: str | None = None,
        *,
        revise: bool = False,
        name: str | None = None,
    ) -> DecisionRow:
        """Decide one disagreement: write its consensus codings and one decision-log row.

        ``action`` is keep_a | keep_b | keep_both | merge | edit | drop | overturn. ``edit``
        needs ``start`` and ``end`` (and ``code`` when the coders used different codes);
        ``merge`` takes ``code`` when they did. A decided disagreement is refused unless
        ``revise`` is true: then a new decision supersedes the old one (which stays in the log).
        """
        request = Request(
            str(disagreement_id).strip(), action, reason, decided_by, start, end, code, revise
        )
        ids = self._decide_many([request], name=name, source=None)
        return self._log_rows(ids, name)[0]

    @requires(Operation.CONSENSUS)
    def overturn(
        self,
        disagreement_id: str,
        reason: str,
        decided_by: str | None = None,
        *,
        name: str | None = None,
    ) -> DecisionRow:
        """Overturn a coding both coders made (an ``agreed`` one, or a ``boundary``): the team
        judges the code does not apply there. It leaves the layer; a reason is required."""
        request = Request(str(disagreement_id).strip(), "overturn", reason, decided_by)
        ids = self._decide_many([request], name=name, source=None)
        return self._log_rows(ids, name)[0]

    @requires(Operation.CONSENSUS)
    def add(
        self,
        document: str,
        code: str,
        start: int | None = None,
        end: int | None = None,
        *,
        quote: str | None = None,
        occurrence: int | None = None,
        reason: str,
        decided_by: str | None = None,
        name: str | None = None,
    ) -> DecisionRow:
        """Add a coding neither coder made (by span, or by a ``quote`` found in the text).

        Logged as an ``add`` decision with id ``add-<decision>``; a reason is required. It can
        be revised later like any decision (``drop`` or ``edit`` with ``revise``).
        """
        from thematica.services.coding import locate

        reason = " ".join((reason or "").split())
        if not reason:
            raise InputError("adding a coding to the consensus needs a reason")
        if quote is not None and (start is not None or end is not None):
            raise InputError("give a span or a quote, not both")
        with self.project.db.write() as conn:
            layer = find_layer(self.project, conn, name)
            index = self.project.codebook.index(conn)
            code_id = index.resolve(code)
            doc_id = self.project.documents.id_of(conn, document)
            d = t.document.c
            text = str(conn.scalar(select(d.text).where(d.id == doc_id)) or "")
            if quote is not None:
                start, end = locate(text, quote, occurrence)
            if start is None or end is None:
                raise InputError("adding a coding needs a start and an end, or a quote")
            if not 0 <= start < end <= len(text):
                raise InputError(
                    f"span [{start}, {end}) is outside {document} (0 to {len(text)}) or empty"
                )
            who = (decided_by or "").strip() or "+".join(layer.coders)
            decision = write_added(
                self.project, conn, layer, doc_id, document, (code_id, start, end), reason, who
            )
        return self._log_rows([decision], name)[0]

    @requires(Operation.CONSENSUS)
    def apply_file(self, path: str | Path, *, name: str | None = None) -> int:
        """Apply decisions from a CSV/XLSX file, all or nothing; returns how many.

        Columns: ``id`` (or ``disagreement``), ``action``, and optionally ``reason``, ``start``,
        ``end``, ``code``, ``decided_by``, ``revise`` (yes/no).
        """
        from thematica.services.tabular import read_table

        path = Path(path)
        header, rows = read_table(path)
        cols: dict[str, int] = {}
        for i, h in enumerate(header):
            key = h.strip().lower().replace(" ", "_")
            key = {"disagreement": "id", "disagreement_id": "id", "by": "decided_by"}.get(key, key)
            if key not in FILE_COLUMNS:
                raise InputError(
                    f"{path.name}: unknown column {h!r}; columns: {', '.join(FILE_COLUMNS)}"
                )
            cols[key] = i
        for need in ("id", "action"):
            if need not in cols:
                raise InputError(f"{path.name}: needs an {need!r} column")
        requests: list[Request] = []
        for n, row in enumerate(rows, 2):

            def cell(key: str, row: Sequence[str] = row) -> str:
                i = cols.get(key)
                return row[i].strip() if i is not None and i < len(row) else ""

            if not any(x.strip() for x in row):
                continue
            where = f"{path.name}: row {n}"
            if not cell("id") or not cell("action"):
                raise InputError(f"{where}: id and action must not be empty")
            try:
                start = int(cell("start")) if cell("start") else None
                end = int(cell("end")) if cell("end") else None
            except ValueError as exc:
                raise InputError(f"{where}: start and end must be whole numbers") from exc
            revise = cell("revise").lower()
            if revise not in ("", "yes", "no", "true", "false", "1", "0", "y", "n"):
                raise InputError(f"{where}: revise must be yes or no")
            requests.append(
                Request(
                    cell("id"),
                    cell("action"),
                    cell("reason"),
                    cell("decided_by") or None,
                    start,
                    end,
                    cell("code") or None,
                    revise in ("yes", "true", "1", "y"),
                    row=n,
                )
            )
        if not requests:
            raise InputError(f"{path.name}: no decisions in the file")
        return len(self._decide_many(requests, name=name, source=path.name))

    @requires(Operation.CONSENSUS)
    def apply_final(
        self,
        source: str | Path,
        unit: str,
        *,
        coders: Sequence[str] | str | None = None,
        name: str | None = None,
        decided_by: str | None = None,
    ) -> FinalSummary:
        """Make the layer exactly a final (reconciled) wide coding table, recording for every
        unit and code whether it was agreed, kept from A or B, added, overturned or dropped.

        ``unit`` is document | turn | paragraph (the table format of ``code --from-table``).
        With ``coders`` the layer is started if it does not exist yet. One transaction and one
        coding batch; a bad table raises a one-line error and changes nothing.
        See :mod:`thematica.services.consensus.final_table` for the rule.
        """
        from thematica.services.consensus.final_table import apply_final

        return apply_final(
            self.project, source, unit, coders=coders, name=name, decided_by=decided_by
        )

    def undo_batch(self, conn: Connection, batch_id: int) -> None:
        """Put a layer back as it was before a consensus batch (called by
        :meth:`thematica.services.batches.Batches.undo` inside its transaction, after it removed
        the codings the batch inserted)."""
        from thematica.services.consensus.batch_undo import undo_batch

        undo_batch(self.project, conn, batch_id)

    # -- internals -------------------------------------------------------------------------
    def _decide_many(
        self, requests: Sequence[Request], *, name: str | None, source: str | None
    ) -> list[int]:
        """Check every request, then write them all in one transaction."""
        with self.project.db.write() as conn:
            layer = find_layer(self.project, conn, name)
            index = self.project.codebook.index(conn)
            rows = logged_rows(self.project, conn, layer)
            state = log_state(rows)
            ctx = Context(
                layer,
                index,
                {i.id: i for i in compare(self.project, conn, layer, index)},
                state,
                {str(r.disagreement["id"]): r for r in rows},
                {},
                set(),
            )
            plans: list[Plan] = []
            for n, req in enumerate(requests, 1):
                if source:
                    where = f"{source}: row {req.row or n + 1}: "
                else:
                    where = f"decision {n}: " if len(requests) > 1 else ""
                try:
                    plans.append(plan_request(conn, ctx, req))
                except (InputError, NotFoundError, ConflictError) as exc:
                    raise type(exc)(f"{where}{exc}") from exc
            return write_plans(self.project, conn, layer, plans, state.active)

    def _log_rows(self, ids: Sequence[int], name: str | None) -> list[DecisionRow]:
        wanted = set(ids)
        with self.project.db.read() as conn:
            layer = find_layer(self.project, conn, name)
            rows = logged_rows(self.project, conn, layer)
        return [r for r in decision_rows(rows) if r.decision in wanted]
