"""Re-importing a transcript after it was corrected in an editor, keeping its codings.

Researchers export or receive a transcript, fix misheard words in Word or a caption editor, and
want the corrected text back without losing a month of coding. The corrected file is parsed by
the same importers as ``import``, compared word by word with the stored text
(:func:`thematica.core.text_edits.diff_change`) and stored through
:func:`thematica.services.text_rewrite.rewrite_document`: a coding that touches no edited word
keeps exactly its words; one that does is stretched or shrunk over what replaced them and
reported as *touched*; one whose every word was deleted is removed and reported with its old
text, so nothing disappears unsaid.

Turn times: a caption file brings its own; a plain or word-processor file has none, so its
turns take the old turns' times (a corrected transcript keeps its timestamps), and an edit that
would undo committed de-identification is refused unless asked for
(:mod:`thematica.services.document_reimport_keep`). ``dry_run`` computes the whole report in a
transaction that is then rolled back.

A file that keeps fewer than half of the old words is refused as probably the wrong file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Connection, delete, select, update

from thematica.core.errors import ConflictError, InputError
from thematica.core.models import ParsedDocument, Turn
from thematica.core.text_edits import Edit, TextChange, diff_change
from thematica.services.document_reimport_keep import (
    carry_times,
    choose_turns,
    file_turns,
    undone_redactions,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = [
    "MIN_WORDS_KEPT",
    "ReimportReport",
    "RemovedCoding",
    "TouchedCoding",
    "anchored_diff",
    "carry_times",
    "reimport_document",
    "tidy_change",
    "words_kept",
]

#: Below this share of the old words kept, the file is taken for a different document.
MIN_WORDS_KEPT = 0.5
#: Below this share of old words in runs of three found again, refused before aligning.
QUICK_MIN_WORDS_KEPT = 0.25

_WORD = re.compile(r"\w+")


class TouchedCoding(NamedTuple):
    """A coding that overlapped an edited word: its text before and after."""

    coder: str
    code: str
    old_text: str
    new_text: str


class RemovedCoding(NamedTuple):
    """A coding whose every word was deleted by the correction (it is removed)."""

    coder: str
    code: str
    old_text: str


@dataclass(slots=True)
class ReimportReport:
    """What a re-import did. ``codings_kept``: codings whose text is exactly what it was;
    ``codings_moved``: codings whose offsets changed (kept or touched); ``codings_merged``:
    codings of one layer and code that came to cover the same words (the older one kept)."""

    document: str
    file: str
    edits: int = 0
    words_kept: float = 1.0
    codings_kept: int = 0
    codings_moved: int = 0
    codings_touched: list[TouchedCoding] = field(default_factory=list)
    codings_removed: list[RemovedCoding] = field(default_factory=list)
    codings_merged: int = 0
    turns: int = 0
    #: turns whose times came from the old turns (a file without timestamps)
    times_kept: int = 0
    #: turns whose times came from the file itself (vtt/srt)
    times_from_file: int = 0
    #: a dry run: computed, nothing stored
    dry_run: bool = False
    #: edits over committed placeholders or bringing back key identifiers, stored only
    #: because the caller asked to keep identifiers
    identifiers_kept: int = 0
    #: what the user should check (one line each): turns carried, identifiers kept
    warnings: list[str] = field(default_factory=list)


def words_kept(change: TextChange) -> float:
    """The share of the old text's words that no edit touches (1.0 for a text with none)."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(change.old_text)]
    if not words:
        return 1.0
    edits = [(e.start, e.end) for e in change.edits if e.end > e.start]
    kept, j = 0, 0
    for start, end in words:
        while j < len(edits) and edits[j][1] <= start:
            j += 1
        if j == len(edits) or edits[j][0] >= end:
            kept += 1
    return kept / len(words)


def _shared_sequences(old: str, new: str) -> float:
    """A quick estimate of :func:`words_kept` without aligning: the share of old words that
    sit in a run of three words found in the new text too. A correction keeps most runs; a
    different interview shares words ("the", "staff") but hardly any runs, and is refused
    before a costly alignment."""
    old_words = _WORD.findall(old)
    if len(old_words) < 3:
        return 1.0
    new_words = _WORD.findall(new)
    runs = {tuple(new_words[i : i + 3]) for i in range(len(new_words) - 2)}
    covered = [False] * len(old_words)
    for i in range(len(old_words) - 2):
        if tuple(old_words[i : i + 3]) in runs:
            covered[i] = covered[i + 1] = covered[i + 2] = True
    return sum(covered) / len(old_words)


def anchored_diff(old: str, new: str) -> TextChange:
    """:func:`~thematica.core.text_edits.diff_change`, run only between anchors: words that
    occur once in each text, in the same order (the longest such chain, as in patience diff).
    Aligning a whole hour-long transcript token by token takes minutes (every space matches
    every space); between anchors the pieces are a few words long."""
    old_at = _unique_words(old)
    new_at = _unique_words(new)
    pairs = [
        (o, new_at[w]) for w, o in sorted(old_at.items(), key=lambda kv: kv[1][0]) if w in new_at
    ]
    edits: list[Edit] = []
    at_old, at_new = 0, 0
    for (o_start, o_end), (n_start, n_end) in _longest_chain(pairs):
        edits += _gap_edits(old, new, at_old, o_start, at_new, n_start)
        at_old, at_new = o_end, n_end
    edits += _gap_edits(old, new, at_old, len(old), at_new, len(new))
    change = TextChange(old, edits)
    if change.new_text != new:  # the anchors and gaps must cover both texts
        raise AssertionError("anchored_diff: the edits do not give the new text")
    return change


def _unique_words(text: str) -> dict[str, tuple[int, int]]:
    seen: dict[str, tuple[int, int] | None] = {}
    for m in _WORD.finditer(text):
        seen[m.group()] = None if m.group() in seen else (m.start(), m.end())
    return {w: span for w, span in seen.items() if span is not None}


def _longest_chain(
    pairs: list[tuple[tuple[int, int], tuple[int, int]]],
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The longest run of ``pairs`` (sorted by old position) increasing in new position."""
    tails: list[int] = []  # tails[k]: index into pairs of the smallest end of a chain of k+1
    back: list[int] = [-1] * len(pairs)
    for i, (_old, (n_start, _e)) in enumerate(pairs):
        k = _place(pairs, tails, n_start)
        if k > 0:
            back[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    chain: list[int] = []
    i = tails[-1] if tails else -1
    while i >= 0:
        chain.append(i)
        i = back[i]
    return [pairs[i] for i in reversed(chain)]


def _place(pairs: list[tuple[tuple[int, int], tuple[int, int]]], tails: list[int], key: int) -> int:
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if pairs[tails[mid]][1][0] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _gap_edits(old: str, new: str, o1: int, o2: int, n1: int, n2: int) -> list[Edit]:
    if old[o1:o2] == new[n1:n2]:
        return []
    return [
        Edit(e.start + o1, e.end + o1, e.new) for e in diff_change(old[o1:o2], new[n1:n2]).edits
    ]


def _gap_score(piece: str) -> int:
    """How well a deleted or inserted piece sits between words: `` words.`` (its own leading
    space, ends on a word or full stop) is best, ``words. `` next, ``. words`` worst."""
    if not piece:
        return 0
    if piece[0].isspace() and not piece[-1].isspace():
        return 2
    return 1 if piece[-1].isspace() and _WORD.match(piece) else 0


def tidy_change(change: TextChange) -> TextChange:
    """``change`` with each pure deletion or insertion slid, where the text around it allows,
    to sit between words: the word diff may delete ``. My supervisor … in`` (taking the full
    stop of the sentence before) where the researcher deleted `` My supervisor … in.``; both
    give the same text, but only the second leaves the coding on the sentence before whole."""
    old = change.old_text
    edits = list(change.edits)
    for i, edit in enumerate(edits):
        if edit.start != edit.end and edit.new:
            continue
        low = edits[i - 1].end + 1 if i else 0
        high = edits[i + 1].start - 1 if i + 1 < len(edits) else len(old)
        best, best_key = edit, (_gap_score(edit.new or old[edit.start : edit.end]), 0)
        for step in (-1, 1):
            cur, moved = edit, 0
            while True:
                nxt = _slide(old, cur, step)
                if nxt is None or nxt.start < low or nxt.end > high:
                    break
                cur, moved = nxt, moved + 1
                key = (_gap_score(cur.new or old[cur.start : cur.end]), -moved)
                if key > best_key:
                    best, best_key = cur, key
        edits[i] = best
    return TextChange(old, edits)


def _slide(old: str, edit: Edit, step: int) -> Edit | None:
    """The same edit one character to the left (-1) or right (+1), if the text allows."""
    s, e, new = edit.start, edit.end, edit.new
    if s == e:  # insertion of ``new`` at s
        if step > 0 and s < len(old) and new[0] == old[s]:
            return Edit(s + 1, s + 1, new[1:] + old[s])
        if step < 0 and s > 0 and new[-1] == old[s - 1]:
            return Edit(s - 1, s - 1, old[s - 1] + new[:-1])
        return None
    if step > 0 and e < len(old) and old[s] == old[e]:  # deletion of old[s:e]
        return Edit(s + 1, e + 1, "")
    if step < 0 and s > 0 and old[s - 1] == old[e - 1]:
        return Edit(s - 1, e - 1, "")
    return None


def _parse(project: Project, path: Path, encoding: str | None) -> ParsedDocument:
    from thematica.importers import ImportOptions, parse_file

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    options = ImportOptions(
        speaker_pattern=project.settings.get("speaker_pattern"), encoding=encoding
    )
    docs = parse_file(path, options)
    if len(docs) != 1:
        raise InputError(
            f"{path.name} holds {len(docs)} documents; re-import takes one corrected transcript"
        )
    doc = docs[0]
    long_label = next((tr.speaker for tr in doc.turns if len(tr.speaker or "") > 200), None)
    if long_label is not None:
        raise InputError(
            f"{path.name}: speaker label {long_label[:40]!r}… is over 200 characters; "
            "the speaker pattern probably matches too much"
        )
    return doc


def _refuse_unrelated(name: str, path: Path, share: float, least: float = MIN_WORDS_KEPT) -> None:
    if share < least:
        about = "about " if least != MIN_WORDS_KEPT else ""
        raise InputError(
            f"{path.name} keeps only {about}{share:.0%} of the words of {name!r}; it looks like a "
            "different text, not a correction: import it as a new document instead"
        )


class _DryRun(Exception):
    """Raised inside the write transaction of a dry run, so nothing it did is kept."""


def reimport_document(
    project: Project,
    name: str,
    path: str | Path,
    *,
    encoding: str | None = None,
    keep_identifiers: bool = False,
    dry_run: bool = False,
) -> ReimportReport:
    """Replace document ``name``'s text by the corrected file at ``path`` (see the module
    docstring); one transaction, audited as ``document_reimport``. ``keep_identifiers``:
    store edits that undo committed redactions; ``dry_run``: compute the report (the same
    refusals included) and change nothing. The caller checks access."""
    path = Path(path)
    doc = _parse(project, path, encoding)
    file_digest = hashlib.sha256(path.read_bytes()).hexdigest()
    report = ReimportReport(name, path.name, dry_run=dry_run)
    d = t.document.c
    # the diff runs outside the write transaction (it can take a while on a long transcript)
    with project.db.read() as conn:
        doc_id = project.documents.id_of(conn, name)
        old_text, old_digest = conn.execute(select(d.text, d.sha256).where(d.id == doc_id)).one()
        names = conn.scalars(
            select(t.turn.c.speaker)
            .where(t.turn.c.document_id == doc_id, t.turn.c.speaker.is_not(None))
            .distinct()
        ).all()
    pattern = project.settings.get("speaker_pattern")
    new_turns = file_turns(pattern, doc, [n for n in names if n])
    _refuse_unrelated(name, path, _shared_sequences(old_text, doc.text), QUICK_MIN_WORDS_KEPT)
    change = tidy_change(anchored_diff(old_text, doc.text))
    report.words_kept = words_kept(change)
    _refuse_unrelated(name, path, report.words_kept)
    report.edits = len(change.edits)
    try:
        with project.db.write() as conn:
            _store(project, conn, doc_id, old_digest, change, new_turns, report, keep_identifiers)
            if dry_run:
                raise _DryRun
            _record(project, conn, doc_id, path, file_digest, doc, report)
    except _DryRun:
        pass
    return report


def _store(
    project: Project,
    conn: Connection,
    doc_id: int,
    old_digest: str,
    change: TextChange,
    new_turns: list[Turn],
    report: ReimportReport,
    keep_identifiers: bool,
) -> None:
    """Store the change and fill ``report`` (inside the caller's write transaction)."""
    from thematica.services.text_rewrite import rewrite_document

    name, file = report.document, report.file
    stored = conn.scalar(select(t.document.c.sha256).where(t.document.c.id == doc_id))
    if stored is None or stored != old_digest:
        raise ConflictError(f"{name!r} changed while {file} was compared; try again")
    count, problems = undone_redactions(conn, project.id, doc_id, change)
    if count and not keep_identifiers:
        raise InputError(
            f"{file} would undo the de-identification of {name!r}: {problems}; correct the "
            "file from the de-identified text, or keep the identifiers on purpose",
            hint="keep_identifiers",
        )
    if count:
        report.identifiers_kept = count
        report.warnings.append(f"kept on request although it undoes de-identification: {problems}")
    old_turns = [
        Turn(r.start, r.end, r.speaker, r.time_start, r.time_end)
        for r in conn.execute(
            select(t.turn).where(t.turn.c.document_id == doc_id).order_by(t.turn.c.position)
        )
    ]
    turns, report.times_from_file, report.times_kept, warning = choose_turns(
        old_turns, change, new_turns, file
    )
    if warning:
        report.warnings.append(warning)
    before = _codings(conn, project, doc_id)
    rewritten = rewrite_document(conn, doc_id, change, turns=turns)
    report.codings_removed = [
        RemovedCoding(before[lost.id][0], before[lost.id][1], lost.text)
        for lost in rewritten.codings_lost
    ]
    _describe(conn, doc_id, change, before, rewritten.codings_touched, report)
    report.codings_merged = rewritten.codings_merged
    report.turns = rewritten.turns


def _record(
    project: Project,
    conn: Connection,
    doc_id: int,
    path: Path,
    file_digest: str,
    doc: ParsedDocument,
    report: ReimportReport,
) -> None:
    """The document row's source and re-import history, and the audit entry."""
    from thematica.services.project import now

    meta = dict(conn.scalar(select(t.document.c.meta).where(t.document.c.id == doc_id)) or {})
    meta.update(doc.metadata)
    history = list(meta.get("reimports") or [])
    history.append(
        {"path": str(path), "sha256": file_digest, "at": now().isoformat(timespec="seconds")}
    )
    meta["reimports"] = history
    conn.execute(
        update(t.document)
        .where(t.document.c.id == doc_id)
        .values(
            source_path=str(path),
            source_format=doc.source_format,
            encoding=doc.encoding,
            meta=meta,
        )
    )
    project.audit(
        conn,
        "document_reimport",
        document=report.document,
        file=path.name,
        format=doc.source_format,
        edits=report.edits,
        words_kept=round(report.words_kept, 4),
        codings_kept=report.codings_kept,
        codings_moved=report.codings_moved,
        codings_touched=len(report.codings_touched),
        codings_removed=len(report.codings_removed),
        codings_merged=report.codings_merged,
        turns=report.turns,
        times_kept=report.times_kept,
        times_from_file=report.times_from_file,
        turns_carried=any("old turns" in w for w in report.warnings),
        identifiers_kept=report.identifiers_kept,
    )


def _codings(
    conn: Connection, project: Project, doc_id: int
) -> dict[int, tuple[str, str, int, int]]:
    """coding id -> (coder, code path, start, end) before the change."""
    paths = project.codebook.index(conn).paths
    c = t.coding.c
    rows = conn.execute(
        select(c.id, c.code_id, c.start, c.end, t.coder.c.name)
        .join(t.coder, t.coder.c.id == c.coder_id)
        .where(c.document_id == doc_id)
    )
    return {r.id: (r.name, paths.get(r.code_id, str(r.code_id)), r.start, r.end) for r in rows}


def _describe(
    conn: Connection,
    doc_id: int,
    change: TextChange,
    before: dict[int, tuple[str, str, int, int]],
    touched_ids: Sequence[int],
    report: ReimportReport,
) -> None:
    """Sort the codings as stored now into kept, touched and moved. A touched coding left with
    no word of its own (the sentence was deleted but its full stop matched another one) is
    removed too: it no longer marks any passage."""
    c = t.coding.c
    now = {
        r.id: (r.start, r.end)
        for r in conn.execute(select(c.id, c.start, c.end).where(c.document_id == doc_id))
    }
    touched = set(touched_ids)
    for cid, (coder, code, start, end) in sorted(before.items(), key=lambda kv: kv[1][2:]):
        if cid not in now:
            continue  # lost or merged: reported by rewrite_document
        new_start, new_end = now[cid]
        old_text = change.old_text[start:end]
        new_text = change.new_text[new_start:new_end]
        if cid in touched and _WORD.search(old_text) and not _WORD.search(new_text):
            conn.execute(delete(t.coding).where(c.id == cid))
            report.codings_removed.append(RemovedCoding(coder, code, old_text))
            continue
        if (new_start, new_end) != (start, end):
            report.codings_moved += 1
        if cid in touched:
            report.codings_touched.append(TouchedCoding(coder, code, old_text, new_text))
        else:
            report.codings_kept += 1
