"""Committing accepted de-identification proposals to one document, for
:mod:`thematica.services.deid`.

One document per transaction: its accepted proposals get their placeholders from the key
(:class:`thematica.services.deid_key.Resolver`), the text changes through
:func:`thematica.services.text_rewrite.rewrite_document` (codings, turns, decisions and open
proposals move with it), and every other copy of a committed identifier that the machine made
— consensus decisions, the transcription run's segments, the audit log, AI drafts and
evidence, framework-matrix summaries — is replaced by its placeholder, so the key is the only
place left that holds it. Memos are the researchers' own words: they are counted, not edited.

No permission checks here: the calling service checks and audits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from thematica.core.errors import InputError
from thematica.core.text_edits import Edit, TextChange, apply_edits
from thematica.services.deid_key import Resolver
from thematica.services.text_rewrite import RewriteReport, rewrite_document, scrub_json
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.deid import CommitReport
    from thematica.services.project import Project


@dataclass(slots=True)
class DocumentCommit:
    """What committing one document did (identifiers stay in memory only, for the scrub and
    the memo count of the whole commit)."""

    replaced: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    placeholders: Counter[str] = field(default_factory=Counter)
    rewrite: RewriteReport = field(default_factory=RewriteReport)
    identifiers: dict[str, str] = field(default_factory=dict)


class Scrubber:
    """Replaces whole-word, exact-case occurrences of identifiers by their placeholders (the
    copies machines made quote the text exactly; matching case keeps ``may`` in a sentence
    apart from ``May`` the date)."""

    def __init__(self, identifiers: Mapping[str, str]) -> None:
        self.map = {k: v for k, v in identifiers.items() if k.strip()}
        words = sorted(self.map, key=lambda w: (-len(w), w))
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
            if words
            else None
        )

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.map[m.group(0)], text)

    def found_in(self, text: str | None) -> bool:
        return bool(self.pattern is not None and text and self.pattern.search(text))


def commit_document(
    project: Project,
    conn: Connection,
    doc_id: int,
    resolver: Resolver,
) -> DocumentCommit:
    """Apply one document's accepted proposals (the caller holds the write transaction and
    the ``deid`` serialisation lock)."""
    from thematica.services.project import now

    out = DocumentCommit()
    d, p = t.document.c, t.deid_proposal.c
    text = conn.scalar(select(d.text).where(d.id == doc_id))
    if text is None:
        return out
    rows = conn.execute(
        select(p.id, p.start, p.end, p.entity_type, p.placeholder)
        .where(p.document_id == doc_id, p.status == "accepted")
        .order_by(p.start, p.end, p.id)
    ).all()
    edits: list[Edit] = []
    written: list[tuple[int, Edit]] = []
    previous: Any = None
    for row in rows:
        found = text[row.start : row.end]
        if not found.strip():
            continue
        if previous is not None and row.start < previous.end:
            raise InputError(
                f"accepted proposals {previous.id} ({previous.start}-{previous.end}) and "
                f"{row.id} ({row.start}-{row.end}) overlap: reject one or edit its span"
            )
        previous = row
        placeholder, _term = resolver.resolve(row.entity_type, found, row.placeholder)
        edit = Edit(int(row.start), int(row.end), placeholder)
        edits.append(edit)
        written.append((int(row.id), edit))
        out.by_type[row.entity_type] += 1
        out.placeholders[placeholder] += 1
        out.identifiers.setdefault(found.strip(), placeholder)
        out.identifiers.setdefault(found, placeholder)
    if not edits:
        return out
    change = apply_edits(text, edits)
    scrub = Scrubber(out.identifiers)
    out.rewrite = rewrite_document(conn, doc_id, change, scrub=scrub)
    out.replaced = len(edits)
    at = now()
    for pid, edit in written:
        start = _new_start(change, edit)
        conn.execute(
            update(t.deid_proposal)
            .where(p.id == pid)
            .values(
                status="committed",
                text="",
                placeholder=edit.new,
                start=start,
                end=start + len(edit.new),
                decided_at=at,
            )
        )
    _move_settled(conn, doc_id, change, {pid for pid, _ in written})
    _scrub_copies(project, conn, doc_id, scrub)
    return out


def _new_start(change: TextChange, edit: Edit) -> int:
    """Where ``edit``'s replacement starts in the new text (summed from the edits before it;
    an edit's own start is a boundary, where mapping a position is ambiguous)."""
    shift = 0
    for e in change.edits:
        if e.start >= edit.start:
            break
        shift += len(e.new) - (e.end - e.start)
    return edit.start + shift


def _move_settled(conn: Connection, doc_id: int, change: TextChange, done: set[int]) -> None:
    """Rejected proposals and earlier commits' placeholders point into the text too
    (``rewrite_document`` moves only open ones): carry them, so a later detection knows what
    was already decided."""
    p = t.deid_proposal.c
    for row in conn.execute(
        select(p.id, p.start, p.end).where(
            p.document_id == doc_id, p.status.in_(("rejected", "committed"))
        )
    ).all():
        if row.id in done:
            continue
        mapped = change.span(row.start, row.end)
        if (mapped.start, mapped.end) != (row.start, row.end):
            conn.execute(
                update(t.deid_proposal)
                .where(p.id == row.id)
                .values(start=mapped.start, end=mapped.end)
            )


def _scrub_rows(
    conn: Connection,
    table: Any,
    columns: Iterable[str],
    where: Any,
    scrub: Scrubber,
    *,
    json_columns: Iterable[str] = (),
) -> int:
    """Replace identifiers in text and JSON columns of the rows ``where`` selects."""
    import json

    text_cols, json_cols = list(columns), list(json_columns)
    changed = 0
    rows = conn.execute(
        select(table.c.id, *(table.c[n] for n in text_cols + json_cols)).where(where)
    ).all()
    for row in rows:
        values: dict[str, Any] = {}
        for name in text_cols:
            old = getattr(row, name)
            if isinstance(old, str) and scrub.found_in(old):
                values[name] = scrub(old)
        for name in json_cols:
            old = getattr(row, name)
            if old is not None and scrub.found_in(json.dumps(old, ensure_ascii=False)):
                values[name] = scrub_json(old, scrub)
        if values:
            conn.execute(update(table).where(table.c.id == row.id).values(**values))
            changed += 1
    return changed


def _scrub_copies(project: Project, conn: Connection, doc_id: int, scrub: Scrubber) -> None:
    pid = project.id
    _scrub_rows(
        conn,
        t.transcript_run,
        (),
        t.transcript_run.c.document_id == doc_id,
        scrub,
        json_columns=("segments",),
    )
    _scrub_rows(
        conn, t.audit_log, (), t.audit_log.c.project_id == pid, scrub, json_columns=("detail",)
    )
    _scrub_rows(
        conn,
        t.ai_draft,
        ("text",),
        t.ai_draft.c.project_id == pid,
        scrub,
        json_columns=("excerpts", "target_key"),
    )
    _scrub_rows(
        conn,
        t.suggestion,
        (),
        t.suggestion.c.project_id == pid,
        scrub,
        json_columns=("evidence",),
    )
    matrices = select(t.matrix.c.id).where(t.matrix.c.project_id == pid).scalar_subquery()
    _scrub_rows(conn, t.matrix_cell, ("summary",), t.matrix_cell.c.matrix_id.in_(matrices), scrub)


def memos_mentioning(conn: Connection, project_id: int, scrub: Scrubber) -> int:
    """How many memos (and coding memos) still name a committed identifier."""
    count = 0
    for text in conn.scalars(select(t.memo.c.text).where(t.memo.c.project_id == project_id)):
        count += scrub.found_in(text)
    for text in conn.scalars(
        select(t.coding.c.memo).where(
            t.coding.c.project_id == project_id, t.coding.c.memo.is_not(None)
        )
    ):
        count += scrub.found_in(text)
    return count


def names_mentioning(names: Iterable[str], scrub: Scrubber) -> int:
    return sum(1 for name in names if scrub.found_in(name))


def commit_warnings(
    conn: Connection, project_id: int, identifiers: Mapping[str, str], report: CommitReport
) -> list[str]:
    """What a commit should tell: codings removed, memos and document names that still name
    a committed identifier (memos are the researchers' own words: never edited here)."""
    out = []
    if report.codings_lost:
        out.append(
            f"{report.codings_lost} coding(s) covered only redacted words or now duplicate "
            "another and were removed"
        )
    if not identifiers:
        return out
    scrub = Scrubber(identifiers)
    memos = memos_mentioning(conn, project_id, scrub)
    names = names_mentioning(
        conn.scalars(select(t.document.c.name).where(t.document.c.project_id == project_id)),
        scrub,
    )
    if memos:
        out.append(
            f"{memos} memo(s) mention a committed identifier; memos are the researchers' "
            "own words and were left unchanged: edit them by hand"
        )
    if names:
        out.append(f"{names} document name(s) contain a committed identifier: rename them")
    return out
