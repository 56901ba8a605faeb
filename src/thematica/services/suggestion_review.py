"""Reviewing AI suggestions: listing them, accepting them into a person's layer, rejecting
them, and measuring an AI layer against a human or consensus layer.

A suggestion is a coding in an ``ai`` layer plus a ``suggestion`` row (score, rank, review
state). Accepting copies the coding into the reviewer's own layer as an ordinary coding (one
undoable batch per call) and records who accepted it; nothing in a person's layer ever comes
from a model without that step.

A suggestion counts as accepted while the coding its acceptance made still exists: undoing the
acceptance batch (``thematica batches undo``) or removing that coding makes it open again, so
it can be reviewed anew. Accepting a rejected suggestion by its id is allowed (a reviewer
changes their mind); rejecting an accepted one is not (remove the coding instead), and neither
repeat (accepting an accepted one, rejecting a rejected one) changes anything: such ids are
reported as skipped. Filters only ever select open suggestions.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, and_, bindparam, case, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.coders import check_coder_name
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project
    from thematica.services.suggestion_evaluation import Evaluation

__all__ = ["STATUSES", "ReviewReport", "SuggestionReview", "SuggestionRow"]

#: what ``list(status=…)`` accepts
STATUSES = ("open", "accepted", "rejected", "all")
#: characters of passage text a listing row shows (the offsets always give the whole span)
TEXT_WIDTH = 160
_CHUNK = 500


@dataclass(slots=True)
class SuggestionRow:
    id: int
    document: str
    start: int
    end: int
    code: str
    score: float
    rank: int
    status: str
    layer: str
    model: str
    text: str
    #: why the model proposed it (the nearest code label or team examples), as stored
    evidence: dict[str, Any] | None = None


@dataclass(slots=True)
class ReviewReport:
    """What one accept or reject call did. ``ids``: the suggestions it changed; ``skipped``:
    ids asked for that were already in the asked-for state (or accepted, for a reject)."""

    accepted: int = 0
    rejected: int = 0
    skipped: int = 0
    #: the layer accepted codings went into (None for a reject)
    into: str | None = None
    ids: list[int] = field(default_factory=list)
    skipped_ids: list[int] = field(default_factory=list)
    #: codings added to ``into``; accepted suggestions whose coding was already there are
    #: ``already_coded``
    added: int = 0
    already_coded: int = 0
    #: the undoable coding batch of the added codings (None when none was added)
    batch_id: int | None = None


@dataclass(slots=True)
class _Found:
    id: int
    document_id: int
    document: str
    code_id: int
    code: str
    start: int
    end: int
    score: float
    rank: int
    status: str  # effective: an accepted one whose coding is gone is open again
    layer: str
    model: str
    text: str
    evidence: dict[str, Any] | None = None


class SuggestionReview:
    """The review half of ``project.suggestions`` (a mixin of
    :class:`thematica.services.suggestions.Suggestions`)."""

    project: Project

    # -- reading -------------------------------------------------------------------------------
    @requires(Operation.READ)
    def list(
        self,
        *,
        status: str = "open",
        layer: str | None = None,
        code: str | None = None,
        document: str | None = None,
        min_score: float | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Table[SuggestionRow]:
        """Suggestions of the AI layers this person may read, by document then position.

        ``status``: open (default), accepted, rejected or all. ``code`` selects the code and
        its subcodes. ``limit``/``offset`` give one page; ``total`` counts the whole result.
        Passage text is shortened to :data:`TEXT_WIDTH` characters (``start``/``end`` span it).
        """
        if limit is not None and limit < 0:
            raise InputError(f"limit must be 0 or more, not {limit}", limit=limit)
        if offset < 0:
            raise InputError(f"offset must be 0 or more, not {offset}", offset=offset)
        _check_status(status)
        with self.project.db.read() as conn:
            layers = self._ai_layers(conn, layer)
            stmt = self._selection(
                conn,
                layers,
                status=status,
                code=code,
                document=document,
                min_score=min_score,
                width=TEXT_WIDTH,
            )
            total = int(conn.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
            page = stmt.offset(offset)
            if limit is not None:
                page = page.limit(limit)
            found = self._found(conn, page, TEXT_WIDTH)
        table = Table.of(SuggestionRow, [_row(f) for f in found], title="Suggestions")
        # the evidence stays on each row (the web reader's card shows it), not in the columns
        table.columns = tuple(col for col in table.columns if col != "evidence")
        table.total = total
        return table

    @requires(Operation.READ)
    def for_document(
        self, document: str | int, *, status: str = "open"
    ) -> builtins.list[SuggestionRow]:
        """Every suggestion in one document (by name or id) that this person may read, with the
        whole passage text, in text order: what a reader shows as dashed highlights."""
        _check_status(status)
        with self.project.db.read() as conn:
            layers = self._ai_layers(conn, None)
            stmt = self._selection(conn, layers, status=status, document=document, width=None)
            return [_row(f) for f in self._found(conn, stmt, None)]

    # -- reviewing -----------------------------------------------------------------------------
    @requires(Operation.CODE)
    def accept(
        self,
        ids: Sequence[int] | None = None,
        *,
        layer: str | None = None,
        code: str | None = None,
        document: str | None = None,
        min_score: float | None = None,
        into: str | None = None,
    ) -> ReviewReport:
        """Copy suggestions into a person's layer as ordinary codings, all in one transaction.

        Which: ``ids``, or the open suggestions a filter selects (``layer``, ``code``,
        ``document``, ``min_score``), or both (ids that match the filter); nothing selected is
        refused. ``into``: the layer to code in, by default the acting person's own (another
        layer only where the person may write it). A coding already there is not added twice;
        the suggestion counts as accepted all the same. The added codings are one coding
        batch (operation ``suggestions_accept``) that ``thematica batches undo`` takes back.
        """
        from thematica.services.project import now

        _check_selection(ids, layer, code, document, min_score, None)
        target = check_coder_name(into if into is not None else self.project.access.name)
        self.project.access.check_write_layer(target)
        report = ReviewReport(into=target)
        with self.project.db.write() as conn:
            chosen, left_out = self._chosen(conn, ids, layer, code, document, min_score, None)
            todo = [f for f in chosen if f.status != "accepted"]
            report.skipped_ids = sorted(left_out + [f.id for f in chosen if f.status == "accepted"])
            report.skipped = len(report.skipped_ids)
            if not todo:
                return report
            kind = conn.scalar(
                select(t.coder.c.kind).where(
                    t.coder.c.project_id == self.project.id, t.coder.c.name == target
                )
            )
            if kind == "ai":
                raise InputError(f"{target!r} is an AI layer; accept into a person's layer")
            coder_id = self.project.coding.ensure_coder(conn, target)
            keys = {_key(f) for f in todo}
            codings = self._codings(conn, coder_id, keys)
            new = sorted(keys - set(codings))
            stamp = now()
            ours: set[tuple[int, int, int, int]] = set()
            if new:
                batch = self.project.batches.open(
                    conn,
                    "suggestions_accept",
                    target,
                    {
                        "layer": sorted({f.layer for f in todo}),
                        "suggestions": len(todo),
                        **_filter_words(layer, code, document, min_score, None),
                    },
                )
                conn.execute(
                    insert_ignoring_duplicates(conn, t.coding),
                    [
                        {
                            "project_id": self.project.id,
                            "document_id": doc_id,
                            "code_id": code_id,
                            "coder_id": coder_id,
                            "start": start,
                            "end": end,
                            "memo": None,
                            "starred": False,
                            "created_at": stamp,
                            "batch_id": batch,
                        }
                        for doc_id, code_id, start, end in new
                    ],
                )
                made = self._codings(conn, coder_id, set(new))
                # on PostgreSQL another session may have stored one of them a moment before
                ours = {key for key, (_id, b) in made.items() if b == batch}
                codings.update(made)
                self.project.batches.finish(conn, batch, len(ours))
                report.batch_id = batch
            report.added = len(ours)
            report.already_coded = sum(1 for f in todo if _key(f) not in ours)
            conn.execute(
                update(t.suggestion)
                .where(t.suggestion.c.id == bindparam("sid"))
                .values(
                    status="accepted",
                    reviewed_by=self.project.access.name,
                    reviewed_at=stamp,
                    accepted_coding_id=bindparam("cid"),
                ),
                [{"sid": f.id, "cid": codings[_key(f)][0]} for f in todo],
            )
            report.ids = [f.id for f in todo]
            report.accepted = len(todo)
            self.project.audit(
                conn,
                "suggestions_accept",
                layer=sorted({f.layer for f in todo}),
                into=target,
                coder=target,
                count=report.accepted,
                added=report.added,
                ids=report.ids,
                skipped=report.skipped_ids,
                batch=report.batch_id,
                **_filter_words(None, code, document, min_score, None),
            )
        return report

    @requires(Operation.CODE)
    def reject(
        self,
        ids: Sequence[int] | None = None,
        *,
        layer: str | None = None,
        code: str | None = None,
        document: str | None = None,
        max_score: float | None = None,
        min_score: float | None = None,
    ) -> ReviewReport:
        """Mark suggestions rejected: by ``ids``, or the open ones a filter selects (``max_score``
        rejects everything scored at or below it). Accepted ones are skipped: their coding is
        in someone's layer, and is removed there (``uncode``, ``batches undo``) if unwanted."""
        from thematica.services.project import now

        _check_selection(ids, layer, code, document, min_score, max_score)
        report = ReviewReport()
        with self.project.db.write() as conn:
            chosen, left_out = self._chosen(conn, ids, layer, code, document, min_score, max_score)
            todo = [f for f in chosen if f.status == "open"]
            report.skipped_ids = sorted(left_out + [f.id for f in chosen if f.status != "open"])
            report.skipped = len(report.skipped_ids)
            if not todo:
                return report
            s = t.suggestion.c
            stamp = now()
            report.ids = [f.id for f in todo]
            for i in range(0, len(report.ids), _CHUNK):
                conn.execute(
                    update(t.suggestion)
                    .where(s.id.in_(report.ids[i : i + _CHUNK]))
                    .values(
                        status="rejected",
                        reviewed_by=self.project.access.name,
                        reviewed_at=stamp,
                        accepted_coding_id=None,
                    )
                )
            report.rejected = len(todo)
            self.project.audit(
                conn,
                "suggestions_reject",
                layer=sorted({f.layer for f in todo}),
                count=report.rejected,
                ids=report.ids,
                skipped=report.skipped_ids,
                **_filter_words(None, code, document, min_score, max_score),
            )
        return report

    # -- measuring -----------------------------------------------------------------------------
    @requires(Operation.READ)
    def evaluate(
        self,
        gold: str,
        *,
        layer: str | None = None,
        unit: str = "sentence",
        min_score: float | None = None,
        documents: Sequence[str] | None = None,
    ) -> Evaluation:
        """An AI layer against a ``gold`` layer (a person's or consensus): per code precision,
        recall, F1 and Cohen's kappa over units, and micro/macro F1 (see
        :mod:`thematica.services.suggestion_evaluation`). ``layer``: the AI layer, by default
        the only one there is; ``min_score`` counts only suggestions scored at least that."""
        from thematica.services.suggestion_evaluation import evaluate

        with self.project.db.read() as conn:
            if layer is None:
                readable = self._ai_layers(conn, None)
                if not readable:
                    raise NotFoundError("no AI layer to evaluate yet (none this person may read)")
                if len(readable) > 1:
                    raise InputError(
                        "several AI layers; choose one: " + ", ".join(sorted(readable.values())),
                        choices=sorted(readable.values()),
                    )
                layer = next(iter(readable.values()))
            return evaluate(
                self.project,
                conn,
                gold,
                layer,
                unit=unit,
                min_score=min_score,
                documents=documents,
            )

    # -- shared --------------------------------------------------------------------------------
    def _ai_layers(self, conn: Connection, layer: str | None) -> dict[int, str]:
        """The AI layers (id -> name) this person may read; with ``layer``, just that one
        (refused when it is not an AI layer or may not be read)."""
        access = self.project.access
        k = t.coder.c
        rows = conn.execute(
            select(k.id, k.name, k.kind).where(k.project_id == self.project.id).order_by(k.id)
        ).all()
        ai = {int(r.id): str(r.name) for r in rows if r.kind == "ai"}
        if layer is None:
            return {i: n for i, n in ai.items() if access.may_read_layer(n, "ai")}
        wanted = [i for i, n in ai.items() if n == layer]
        if not wanted:
            known = ", ".join(ai.values()) or "none yet"
            raise NotFoundError(f"no AI layer named {layer!r}; AI layers: {known}", layer=layer)
        access.check_read_layer(layer, "ai")
        return {wanted[0]: layer}

    def _selection(
        self,
        conn: Connection,
        layers: dict[int, str],
        *,
        status: str = "all",
        ids: Sequence[int] | None = None,
        code: str | None = None,
        document: str | int | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        width: int | None,
    ) -> Select[Any]:
        """The statement for the selected suggestions of ``layers``, in text order."""
        s, c, d, r = t.suggestion.c, t.coding.c, t.document.c, t.ai_run.c
        acc = t.coding.alias("accepted")
        live: ColumnElement[Any] = case(
            (and_(s.status == "accepted", acc.c.id.is_(None)), "open"), else_=s.status
        )
        length = c.end - c.start if width is None else width
        stmt = (
            select(
                s.id,
                s.coding_id,
                s.score,
                s.rank,
                s.evidence,
                live.label("live"),
                c.document_id,
                c.code_id,
                c.start,
                c.end,
                c.coder_id,
                d.name.label("document"),
                r.model,
                func.substr(d.text, c.start + 1, length).label("text"),
            )
            .join(t.coding, c.id == s.coding_id)
            .join(t.document, d.id == c.document_id)
            .join(t.ai_run, r.id == s.run_id)
            .outerjoin(
                acc,
                and_(
                    acc.c.id == s.accepted_coding_id,
                    acc.c.document_id == c.document_id,
                    acc.c.code_id == c.code_id,
                    acc.c.start == c.start,
                    acc.c.end == c.end,
                ),
            )
            .where(s.project_id == self.project.id, c.coder_id.in_(list(layers)))
            .order_by(d.name, c.start, c.end, s.rank, s.id)
        )
        if status != "all":
            stmt = stmt.where(live == status)
        if ids is not None:
            stmt = stmt.where(s.id.in_(list(ids)))
        if code is not None:
            index = self.project.codebook.index(conn)
            stmt = stmt.where(c.code_id.in_(index.subtree(index.resolve(code))))
        if document is not None:
            if isinstance(document, int):
                found = conn.scalar(
                    select(d.id).where(d.project_id == self.project.id, d.id == document)
                )
                if found is None:
                    raise NotFoundError(f"no document with id {document}")
                stmt = stmt.where(c.document_id == document)
            else:
                stmt = stmt.where(c.document_id == self.project.documents.id_of(conn, document))
        if min_score is not None:
            stmt = stmt.where(s.score >= min_score)
        if max_score is not None:
            stmt = stmt.where(s.score <= max_score)
        return stmt

    def _found(
        self, conn: Connection, stmt: Select[Any], width: int | None
    ) -> builtins.list[_Found]:
        """Rows of a :meth:`_selection` statement; ``width`` 0 leaves the text out."""
        k = t.coder.c
        names = dict(
            conn.execute(select(k.id, k.name).where(k.project_id == self.project.id)).all()
        )
        paths = self.project.codebook.index(conn).paths
        out: builtins.list[_Found] = []
        for r in conn.execute(stmt):
            size = int(r.end) - int(r.start)
            text = "" if width == 0 else str(r.text or "")[:size]
            if width:
                flat = " ".join(text.split())
                if size > width or len(flat) > width:
                    flat = flat[: width - 1].rstrip() + "…"
                text = flat
            out.append(
                _Found(
                    int(r.id),
                    int(r.document_id),
                    str(r.document),
                    int(r.code_id),
                    paths[int(r.code_id)],
                    int(r.start),
                    int(r.end),
                    float(r.score),
                    int(r.rank),
                    str(r.live),
                    str(names[r.coder_id]),
                    str(r.model),
                    text,
                    r.evidence if isinstance(r.evidence, dict) else None,
                )
            )
        return out

    def _chosen(
        self,
        conn: Connection,
        ids: Sequence[int] | None,
        layer: str | None,
        code: str | None,
        document: str | None,
        min_score: float | None,
        max_score: float | None,
    ) -> tuple[builtins.list[_Found], builtins.list[int]]:
        """The suggestions an accept or reject selected, and the ids asked for that the filter
        left out. A filter alone selects open suggestions only; every id asked for must be a
        suggestion this person may read."""
        layers = self._ai_layers(conn, layer)
        criteria: dict[str, Any] = {
            "code": code,
            "document": document,
            "min_score": min_score,
            "max_score": max_score,
            "width": 0,
        }
        if not ids:
            stmt = self._selection(conn, layers, status="open", **criteria)
            return self._found(conn, stmt, 0), []
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: builtins.list[_Found] = []
        for i in range(0, len(wanted), _CHUNK):
            stmt = self._selection(conn, layers, ids=wanted[i : i + _CHUNK], **criteria)
            found += self._found(conn, stmt, 0)
        left_out = sorted(set(wanted) - {f.id for f in found})
        if left_out:
            self._known(conn, left_out)
        return found, left_out

    def _known(self, conn: Connection, missing: builtins.list[int]) -> None:
        """Ids a filter left out must still be suggestions this person may read."""
        s, c = t.suggestion.c, t.coding.c
        there: set[int] = set()
        for i in range(0, len(missing), _CHUNK):
            there.update(
                int(x)
                for x in conn.scalars(
                    select(s.id)
                    .join(t.coding, c.id == s.coding_id)
                    .where(
                        s.project_id == self.project.id,
                        s.id.in_(missing[i : i + _CHUNK]),
                        c.coder_id.in_(list(self._ai_layers(conn, None))),
                    )
                )
            )
        unknown = sorted(set(missing) - there)
        if unknown:
            shown = ", ".join(map(str, unknown[:10])) + (" …" if len(unknown) > 10 else "")
            raise NotFoundError(f"no suggestion with id {shown}", ids=unknown)

    def _codings(
        self, conn: Connection, coder_id: int, keys: set[tuple[int, int, int, int]]
    ) -> dict[tuple[int, int, int, int], tuple[int, int | None]]:
        """(coding id, batch id) of the codings of ``coder_id`` with these (document, code,
        start, end)."""
        c = t.coding.c
        docs = sorted({k[0] for k in keys})
        out: dict[tuple[int, int, int, int], tuple[int, int | None]] = {}
        for i in range(0, len(docs), _CHUNK):
            for r in conn.execute(
                select(c.id, c.document_id, c.code_id, c.start, c.end, c.batch_id).where(
                    c.coder_id == coder_id, c.document_id.in_(docs[i : i + _CHUNK])
                )
            ):
                key = (int(r.document_id), int(r.code_id), int(r.start), int(r.end))
                if key in keys:
                    out[key] = (int(r.id), None if r.batch_id is None else int(r.batch_id))
        return out


def _key(f: _Found) -> tuple[int, int, int, int]:
    return (f.document_id, f.code_id, f.start, f.end)


def _row(f: _Found) -> SuggestionRow:
    return SuggestionRow(
        f.id,
        f.document,
        f.start,
        f.end,
        f.code,
        f.score,
        f.rank,
        f.status,
        f.layer,
        f.model,
        f.text,
        f.evidence,
    )


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")


def _check_selection(
    ids: Sequence[int] | None,
    layer: str | None,
    code: str | None,
    document: str | None,
    min_score: float | None,
    max_score: float | None,
) -> None:
    """Nothing selected would mean everything: refused, so a bare call cannot review all."""
    filters = (layer, code, document, min_score, max_score)
    if not ids and all(f is None for f in filters):
        raise InputError(
            "say which suggestions: their ids, or a filter (layer, code, document, score)"
        )
    for name, value in (("min_score", min_score), ("max_score", max_score)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise InputError(f"{name} must be between 0 and 1, not {value}")


def _filter_words(
    layer: str | None,
    code: str | None,
    document: str | None,
    min_score: float | None,
    max_score: float | None,
) -> dict[str, Any]:
    given = {
        "layer": layer,
        "code": code,
        "document": document,
        "min_score": min_score,
        "max_score": max_score,
    }
    return {k: v for k, v in given.items() if v is not None}
