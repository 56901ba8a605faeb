"""Changing a stored document's text and carrying everything that points into it along.

Three features change text that may already be coded: committing de-identification
(identifiers become placeholders), re-importing a corrected transcript, and renaming a
transcript's speaker labels. All go through :func:`rewrite_document`, inside the caller's
transaction, so the rules are one: codings, turns, consensus decisions, code proposals and open
de-identification proposals move with the text (:mod:`thematica.core.text_edits`); a coding
whose every character was removed is deleted and returned with its old text so the caller can
report it (nothing disappears unsaid), and an open de-identification proposal whose words the
change touched is deleted (detection finds what is left again); two codings of one layer and
code that land on the same span are merged into one. The full-text index follows the
``document`` row (triggers on SQLite, an expression index on PostgreSQL).

No permission check here: the calling service checks and audits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select, update

from thematica.core.models import Turn
from thematica.core.text_edits import TextChange
from thematica.store import schema as t

__all__ = ["LostCoding", "RewriteReport", "rewrite_document", "scrub_json"]


@dataclass(slots=True)
class LostCoding:
    """A coding whose whole passage was removed by the change (deleted; reported)."""

    id: int
    code_id: int
    coder_id: int
    start: int
    end: int
    text: str


@dataclass(slots=True)
class RewriteReport:
    """What the change did to what pointed into the text."""

    codings_moved: int = 0
    codings_touched: list[int] = field(default_factory=list)
    codings_lost: list[LostCoding] = field(default_factory=list)
    codings_merged: int = 0
    turns: int = 0


def rewrite_document(
    conn: Connection,
    doc_id: int,
    change: TextChange,
    *,
    turns: Sequence[Turn] | None = None,
    scrub: Callable[[str], str] | None = None,
) -> RewriteReport:
    """Store ``change.new_text`` as document ``doc_id``'s text and move every offset with it.

    ``turns``: the new text's turns when the caller parsed them again (a re-import); None keeps
    the old turns, carried through the change. ``scrub``: applied to every string in the JSON
    that quotes the old text (consensus decisions), so a redaction leaves no copy behind.
    """
    report = RewriteReport()
    new_text = change.new_text
    conn.execute(
        update(t.document)
        .where(t.document.c.id == doc_id)
        .values(
            text=new_text,
            length=len(new_text),
            sha256=hashlib.sha256(new_text.encode("utf-8")).hexdigest(),
        )
    )
    if not change and turns is None:
        return report
    _move_codings(conn, doc_id, change, report)
    _move_turns(conn, doc_id, change, turns, report)
    _move_decisions(conn, doc_id, change, scrub)
    _move_proposals(conn, doc_id, change)
    return report


def _move_codings(conn: Connection, doc_id: int, change: TextChange, report: RewriteReport) -> None:
    c = t.coding.c
    rows = conn.execute(
        select(c.id, c.code_id, c.coder_id, c.start, c.end)
        .where(c.document_id == doc_id)
        .order_by(c.id)
    ).all()
    seen: dict[tuple[int, int, int, int], int] = {}
    updates: list[tuple[int, int, int]] = []
    for row in rows:
        mapped = change.span(row.start, row.end)
        if mapped.lost:
            report.codings_lost.append(
                LostCoding(
                    row.id,
                    row.code_id,
                    row.coder_id,
                    row.start,
                    row.end,
                    change.old_text[row.start : row.end],
                )
            )
            conn.execute(delete(t.coding).where(c.id == row.id))
            continue
        key = (row.code_id, row.coder_id, mapped.start, mapped.end)
        if key in seen:  # two codings now cover the same words: keep the older one
            conn.execute(delete(t.coding).where(c.id == row.id))
            report.codings_merged += 1
            continue
        seen[key] = row.id
        if mapped.touched:
            report.codings_touched.append(row.id)
        if (mapped.start, mapped.end) != (row.start, row.end):
            updates.append((row.id, mapped.start, mapped.end))
    # move in two steps (to negative offsets first) so no intermediate state collides with
    # the unique span constraint while codings slide past each other
    for cid, start, end in updates:
        conn.execute(update(t.coding).where(c.id == cid).values(start=-start - 1, end=-end - 1))
    for cid, start, end in updates:
        conn.execute(update(t.coding).where(c.id == cid).values(start=start, end=end))
    report.codings_moved = len(updates)


def _move_turns(
    conn: Connection,
    doc_id: int,
    change: TextChange,
    turns: Sequence[Turn] | None,
    report: RewriteReport,
) -> None:
    if turns is not None:
        from thematica.services.documents import _insert_turns

        conn.execute(delete(t.turn).where(t.turn.c.document_id == doc_id))
        _insert_turns(conn, doc_id, turns)
        report.turns = len(turns)
        return
    c = t.turn.c
    rows = conn.execute(select(c.id, c.start, c.end).where(c.document_id == doc_id)).all()
    for row in rows:
        start = change.position(row.start, side="start")
        end = max(change.position(row.end, side="end"), start)
        if (start, end) != (row.start, row.end):
            conn.execute(update(t.turn).where(c.id == row.id).values(start=start, end=end))
    report.turns = len(rows)


def _move_json_span(item: Any, change: TextChange) -> Any:
    if (
        isinstance(item, dict)
        and isinstance(item.get("start"), int)
        and isinstance(item.get("end"), int)
    ):
        mapped = change.span(item["start"], item["end"])
        item = {**item, "start": mapped.start, "end": mapped.end}
    return item


def scrub_json(value: Any, scrub: Callable[[str], str]) -> Any:
    """``value`` with ``scrub`` applied to every string in it."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_json(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: scrub_json(v, scrub) for k, v in value.items()}
    return value


def _move_decisions(
    conn: Connection, doc_id: int, change: TextChange, scrub: Callable[[str], str] | None
) -> None:
    c = t.consensus_decision.c
    rows = conn.execute(
        select(c.id, c.disagreement, c.source_codings, c.result_codings).where(
            c.document_id == doc_id
        )
    ).all()
    for row in rows:
        source = [_move_json_span(x, change) for x in (row.source_codings or [])]
        result = [_move_json_span(x, change) for x in (row.result_codings or [])]
        disagreement = row.disagreement
        if scrub is not None:
            disagreement = scrub_json(disagreement, scrub)
            source = scrub_json(source, scrub)
            result = scrub_json(result, scrub)
        conn.execute(
            update(t.consensus_decision)
            .where(c.id == row.id)
            .values(disagreement=disagreement, source_codings=source, result_codings=result)
        )


def _move_proposals(conn: Connection, doc_id: int, change: TextChange) -> None:
    # code proposals name their document; only open ones still point at a passage to apply
    doc = conn.execute(
        select(t.document.c.name, t.document.c.project_id).where(t.document.c.id == doc_id)
    ).one()
    pc = t.code_proposal.c
    for row in conn.execute(
        select(pc.id, pc.start, pc.end).where(
            pc.project_id == doc.project_id,
            pc.document == doc.name,
            pc.start.is_not(None),
            pc.end.is_not(None),
        )
    ).all():
        mapped = change.span(row.start, row.end)
        conn.execute(
            update(t.code_proposal)
            .where(pc.id == row.id)
            .values(start=mapped.start, end=mapped.end)
        )
    # de-identification proposals not yet committed follow the text too; one whose words
    # the change touched no longer stands for what was found (it overlapped a redaction just
    # written, or a re-import changed its words): it is dropped, and detection runs again.
    # Settled ones (rejected, committed placeholders) are carried so that a later detection
    # or re-import still knows what was decided where.
    dc = t.deid_proposal.c
    for proposal in conn.execute(
        select(dc.id, dc.start, dc.end, dc.status).where(dc.document_id == doc_id)
    ).all():
        mapped = change.span(proposal.start, proposal.end)
        if proposal.status in ("rejected", "committed"):
            if (mapped.start, mapped.end) != (proposal.start, proposal.end):
                conn.execute(
                    update(t.deid_proposal)
                    .where(dc.id == proposal.id)
                    .values(start=mapped.start, end=mapped.end)
                )
            continue
        if mapped.lost or mapped.touched:
            conn.execute(delete(t.deid_proposal).where(dc.id == proposal.id))
            continue
        conn.execute(
            update(t.deid_proposal)
            .where(dc.id == proposal.id)
            .values(
                start=mapped.start,
                end=mapped.end,
                text=change.new_text[mapped.start : mapped.end],
            )
        )
