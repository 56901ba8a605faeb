"""Committing accepted de-identification proposals, for :mod:`thematica.services.deid`.

One document per transaction (:func:`commit_documents`): the key's lock is taken inside it,
after the ``deid`` serialisation, so a key encrypted between two documents is used encrypted;
the document's accepted proposals get their placeholders from the key
(:class:`thematica.services.deid_key.Resolver`), the text changes through
:func:`thematica.services.text_rewrite.rewrite_document` (codings, turns, decisions and
untouched open proposals move with it; open proposals that overlapped a redaction are
dropped), and every other copy of a committed identifier that the machine made is replaced by
its placeholder (:mod:`thematica.services.deid_scrub`), so the key is the only place left that
holds it. Memos and other text the researchers wrote are counted, not edited.

No permission checks here: the calling service checks and audits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from thematica.core.errors import InputError
from thematica.core.text_edits import Edit, apply_edits
from thematica.services.deid_key import Resolver, key_lock, load_terms, stored_settings, templates
from thematica.services.deid_review import placeholder_pattern
from thematica.services.deid_scrub import (
    Found,
    Scrubber,
    commit_warnings,
    document_scrub,
    project_scrub,
    purge_old_text,
    scrub_project,
    scrub_rows,
)
from thematica.services.text_rewrite import RewriteReport, rewrite_document
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.deid import CommitReport
    from thematica.services.project import Project

Write = Callable[[], AbstractContextManager[Connection]]


@dataclass(slots=True)
class DocumentCommit:
    """What committing one document did (identifiers stay in memory only, for the scrub and
    the counts of the whole commit)."""

    replaced: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    placeholders: Counter[str] = field(default_factory=Counter)
    rewrite: RewriteReport = field(default_factory=RewriteReport)
    found: list[Found] = field(default_factory=list)
    #: PERSON terms given their own number because a word of theirs names several people
    ambiguous: int = 0
    #: finished downloads (reports, exports) made before the commit, dropped
    jobs_dropped: int = 0


def commit_documents(
    project: Project,
    write: Write,
    docs: Sequence[tuple[int, str]],
    passphrase: str | None,
    since: datetime,
) -> CommitReport:
    """Commit each document in its own transaction; then purge the old text from storage and
    gather the warnings."""
    from thematica.services.deid import CommitReport

    pid = project.id
    report = CommitReport(documents=0, replaced=0)
    found: list[Found] = []
    ambiguous = dropped = 0
    for doc_id, name in docs:
        with write() as conn:
            project.db.serialize(conn, "deid", pid)
            resolver = Resolver(
                key_lock(conn, pid, passphrase, required=True),
                load_terms(conn, pid),
                templates(stored_settings(conn, pid)),
                conn=conn,
                project_id=pid,
                actor=project.access.name,
            )
            done = commit_document(project, conn, doc_id, resolver, since=since)
            if not done.replaced:
                continue
            rr = done.rewrite
            project.audit(
                conn,
                "deid_commit",
                document=document_scrub(done.found).loosened()(name),
                replaced=done.replaced,
                by_type=dict(sorted(done.by_type.items())),
                codings_moved=rr.codings_moved,
                codings_touched=len(rr.codings_touched),
                codings_lost=len(rr.codings_lost),
                codings_merged=rr.codings_merged,
            )
        report.documents += 1
        report.replaced += done.replaced
        report.codings_moved += rr.codings_moved
        report.codings_touched += len(rr.codings_touched)
        report.codings_lost += len(rr.codings_lost) + rr.codings_merged
        for ph, n in done.placeholders.items():
            report.placeholders[ph] = report.placeholders.get(ph, 0) + n
        found += done.found
        ambiguous += done.ambiguous
        dropped += done.jobs_dropped
    warnings = report.warnings
    if report.codings_lost:
        warnings.append(
            f"{report.codings_lost} coding(s) covered only redacted words or now duplicate "
            "another and were removed"
        )
    if ambiguous:
        warnings.append(
            f"{ambiguous} name(s) share a word with more than one person in the key and got "
            "a placeholder of their own: check the key"
        )
    if dropped:
        warnings.append(
            f"{dropped} finished download(s) (reports, exports) made before the commit may "
            "hold identifiers and were discarded: render them again"
        )
    if not report.documents:
        return report
    with project.db.read() as conn:
        labels = unredacted_labels(conn, [d for d, _ in docs])
        warnings += commit_warnings(conn, pid, project_scrub(found))
    if labels:
        warnings.append(
            f"{labels} speaker label(s) of the committed documents look like names and were "
            "not redacted: mark them for redaction and commit again"
        )
    warnings += purge_old_text(project.db, write)
    return report


def commit_document(
    project: Project,
    conn: Connection,
    doc_id: int,
    resolver: Resolver,
    *,
    since: datetime,
) -> DocumentCommit:
    """Apply one document's accepted proposals (the caller holds the write transaction and
    the ``deid`` serialisation lock). An accepted proposal whose words already are a
    placeholder is dropped, not redacted again."""
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
    shapes = placeholder_pattern(
        resolver.templates, [x.placeholder for x in resolver.terms.values()]
    )
    edits: list[Edit] = []
    written: list[tuple[int, Edit]] = []
    stale: list[int] = []
    previous: Any = None
    for row in rows:
        found = text[row.start : row.end]
        if not found.strip():
            continue
        if shapes is not None and shapes.fullmatch(found.strip()):
            stale.append(int(row.id))
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
        out.found.append((found.strip(), row.entity_type, placeholder))
    if stale:
        conn.execute(delete(t.deid_proposal).where(p.id.in_(stale)))
    out.ambiguous = resolver.ambiguous
    if not edits:
        return out
    change = apply_edits(text, edits)
    # the written proposals become committed first, so the rewrite (which drops the open
    # proposals the change touched) carries them onto their placeholders instead: an edit's
    # old span maps exactly onto its replacement
    at = now()
    for pid, edit in written:
        conn.execute(
            update(t.deid_proposal)
            .where(p.id == pid)
            .values(status="committed", text="", placeholder=edit.new, decided_at=at)
        )
    scrub = document_scrub(out.found)
    out.rewrite = rewrite_document(conn, doc_id, change, scrub=scrub)
    out.replaced = len(edits)
    _scrub_speakers(conn, doc_id, scrub)
    _scrub_transcripts(conn, project.id, doc_id, scrub)
    out.jobs_dropped = scrub_project(conn, project.id, project_scrub(out.found), since)
    return out


def _scrub_speakers(conn: Connection, doc_id: int, scrub: Scrubber) -> None:
    """Speaker labels are stored apart from the text (turns, the speaker-to-case map) and
    exported: "Maria Lopez" becomes "[person 1]" there too."""
    c = t.turn.c
    scrub_rows(conn, t.turn, ["speaker"], (c.document_id == doc_id) & c.speaker.is_not(None), scrub)
    sc = t.speaker_case.c
    rows = conn.execute(select(sc.speaker).where(sc.document_id == doc_id)).all()
    have = {r.speaker for r in rows}
    for r in rows:
        new = scrub(r.speaker)
        if new == r.speaker:
            continue
        where = (sc.document_id == doc_id) & (sc.speaker == r.speaker)
        if new in have:  # two labels of one person: the first mapping stays
            conn.execute(delete(t.speaker_case).where(where))
        else:
            conn.execute(update(t.speaker_case).where(where).values(speaker=new))
            have.add(new)
        have.discard(r.speaker)


def _scrub_transcripts(conn: Connection, project_id: int, doc_id: int, scrub: Scrubber) -> None:
    """The transcription runs of the document's audio (a failed or earlier run of the same
    file too): their segments, and the file and document names they recorded."""
    r = t.transcript_run.c
    audio = select(r.source_sha256).where(r.document_id == doc_id).scalar_subquery()
    where = (r.project_id == project_id) & ((r.document_id == doc_id) | r.source_sha256.in_(audio))
    scrub_rows(conn, t.transcript_run, (), where, scrub, json_columns=["segments", "result"])
    scrub_rows(
        conn,
        t.transcript_run,
        ["source_name", "source_path", "document_name"],
        where,
        scrub.loosened(),
    )


def unredacted_labels(conn: Connection, doc_ids: Sequence[int]) -> int:
    """Distinct speaker labels of these documents that look like names and hold no
    placeholder (generic ones, "Interviewer", "P03", are fine)."""
    from thematica.intake.deid.recognisers import label_is_name

    c = t.turn.c
    labels = set(
        conn.scalars(
            select(c.speaker).where(c.document_id.in_(list(doc_ids)), c.speaker.is_not(None))
        )
    )
    return sum(1 for label in labels if "[" not in label and label_is_name(label))
