"""What a re-import keeps from the document it replaces: speaker turns and their times, and
its de-identification (for :mod:`thematica.services.document_reimport`).

Turns: a corrected plain or word-processor file has no times, so each new turn takes the times
of the old turn it overlaps most once the old turns are carried through the change. Its labels
are found with the project's speaker pattern and the document's own speaker names ("Maria
Lopez:" came from a voice tag or a diarization map, which the pattern does not know); when they
still give other speakers or another number of turns than the old turns carried through the
change, the labels are not trusted and the old turns are kept, with a warning.

De-identification: a transcript is often corrected from a copy exported before the commit, so
the corrected file may hold the real names again; :func:`undone_redactions` finds edits that
change a committed placeholder or bring back an identifier of the key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, select

from thematica.core.models import ParsedDocument, Turn
from thematica.core.text_edits import TextChange
from thematica.store import schema as t

__all__ = [
    "carried_turns",
    "carry_times",
    "choose_turns",
    "file_turns",
    "label_turns",
    "undone_redactions",
]


def carry_times(
    old_turns: Sequence[Turn], change: TextChange, new_turns: Sequence[Turn]
) -> list[Turn]:
    """``new_turns`` with the times of the old timed turn each overlaps most after the old
    turns are carried through ``change``; a new turn overlapping none keeps no time."""
    mapped = sorted(
        (
            change.position(turn.start, side="start"),
            max(change.position(turn.end, side="end"), change.position(turn.start)),
            turn.time_start,
            turn.time_end,
        )
        for turn in old_turns
        if turn.time_start is not None
    )
    out: list[Turn] = []
    j = 0
    for turn in new_turns:
        while j < len(mapped) and mapped[j][1] <= turn.start:
            j += 1
        best, best_overlap = None, 0
        k = j
        while k < len(mapped) and mapped[k][0] < turn.end:
            overlap = min(turn.end, mapped[k][1]) - max(turn.start, mapped[k][0])
            if overlap > best_overlap:
                best, best_overlap = mapped[k], overlap
            k += 1
        if best is None:
            out.append(Turn(turn.start, turn.end, turn.speaker))
        else:
            out.append(Turn(turn.start, turn.end, turn.speaker, best[2], best[3]))
    return out


def label_turns(text: str, pattern: str | None, names: Sequence[str]) -> list[Turn]:
    """The turns of an untimed text whose labels are the project's ``pattern``'s or one of
    ``names`` followed by a colon (a name wins where both match a line)."""
    from thematica.core.text import detect_turns

    by_pattern = detect_turns(text, pattern)
    names = sorted({n for n in names if n.strip()}, key=lambda n: (-len(n), n))
    if not names:
        return by_pattern
    alternation = "|".join(re.escape(n) for n in names)
    by_name = detect_turns(text, rf"^[ \t]*(?P<speaker>{alternation})[ \t]*:(?=\s|$)")
    starts = {tr.start: tr.speaker for tr in by_pattern if tr.speaker}
    starts.update({tr.start: tr.speaker for tr in by_name if tr.speaker})
    if not starts:
        return by_pattern
    at = sorted(starts)
    turns = []
    head = _trim(text, 0, at[0])
    if head[0] < head[1]:
        turns.append(Turn(*head))
    for i, begin in enumerate(at):
        stop = at[i + 1] if i + 1 < len(at) else len(text)
        turns.append(Turn(*_trim(text, begin, stop), starts[begin]))
    return turns


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def file_turns(pattern: str | None, doc: ParsedDocument, names: Sequence[str]) -> list[Turn]:
    """The corrected file's turns: a caption file's own; for a text whose turns the importer
    detected, detected again knowing the document's speaker ``names``."""
    from thematica.core.text import detect_turns

    if list(doc.turns) != detect_turns(doc.text, pattern):
        return list(doc.turns)  # the format's own turns (captions)
    return label_turns(doc.text, pattern, names)


def carried_turns(old_turns: Sequence[Turn], change: TextChange) -> list[Turn]:
    """The old turns moved through ``change`` (as ``rewrite_document`` moves them)."""
    out = []
    for turn in old_turns:
        start = change.position(turn.start, side="start")
        end = max(change.position(turn.end, side="end"), start)
        out.append(Turn(start, end, turn.speaker, turn.time_start, turn.time_end))
    return out


def choose_turns(
    old_turns: Sequence[Turn], change: TextChange, new_turns: Sequence[Turn], file: str
) -> tuple[list[Turn] | None, int, int, str | None]:
    """The turns to store, how many have times from the file and how many kept old times,
    and a warning: the file's turns (with their own times, or the old turns' carried over),
    or None (keep the old turns, carried through the change) when an untimed file's labels
    disagree with the old turns'."""
    from_file = sum(turn.time_start is not None for turn in new_turns)
    if from_file:
        return list(new_turns), from_file, 0, None
    labelled = any(tr.speaker or tr.time_start is not None for tr in old_turns)
    carried = [tr for tr in carried_turns(old_turns, change) if tr.end > tr.start]
    if labelled and [tr.speaker for tr in carried] != [tr.speaker for tr in new_turns]:
        warning = (
            f"the speaker labels in {file} give {len(new_turns)} turn(s) "
            f"({_speakers(new_turns)}) where the document had {len(carried)} "
            f"({_speakers(carried)}): the old turns and their times were kept; check them"
        )
        kept = sum(turn.time_start is not None for turn in carried)
        return None, 0, kept, warning
    turns = carry_times(old_turns, change, new_turns)
    return turns, 0, sum(turn.time_start is not None for turn in turns), None


def _speakers(turns: Sequence[Turn]) -> str:
    names = list(dict.fromkeys(tr.speaker or "no speaker" for tr in turns))
    return ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")


def undone_redactions(
    conn: Connection, project_id: int, doc_id: int, change: TextChange
) -> tuple[int, str]:
    """How many places ``change`` undoes the document's committed redactions, and how, naming
    placeholders and entity types only (never an identifier): a committed placeholder written
    over, or an identifier of the key in an edit's new words (plain terms only: an encrypted
    key's terms cannot be read without its passphrase). Deleting a placeholder with its
    sentence brings nothing back and is allowed."""
    p = t.deid_proposal.c
    committed = conn.execute(
        select(p.start, p.end, p.placeholder).where(
            p.document_id == doc_id, p.status == "committed"
        )
    ).all()
    if not committed:
        return 0, ""
    over: list[tuple[int, int, str]] = []
    for row in committed:
        mapped = change.span(row.start, row.end)
        placeholder = row.placeholder or "?"
        now_there = change.new_text[mapped.start : mapped.end]
        if mapped.touched and not mapped.lost and placeholder not in now_there:
            over.append((mapped.start, mapped.end, placeholder))
    brought = [
        (start, end, kind)
        for start, end, kind in _identifiers_brought_back(conn, project_id, change)
        if not any(start < o_end and end > o_start for o_start, o_end, _ in over)
    ]
    parts = []
    if over:
        shown = ", ".join(dict.fromkeys(p for _, _, p in over))
        parts.append(f"it writes over {len(over)} redacted placeholder(s) ({shown})")
    if brought:
        kinds = ", ".join(sorted({k for _, _, k in brought}))
        parts.append(f"brings back {len(brought)} identifier(s) of the key ({kinds})")
    return len(over) + len(brought), " and ".join(parts)


def _identifiers_brought_back(
    conn: Connection, project_id: int, change: TextChange
) -> list[tuple[int, int, str]]:
    """Each identifier of the key (case and spacing aside, whole words) that an edit's new
    words make or touch: its span in the new text and its entity type."""
    k = t.deid_term.c
    rows = conn.execute(
        select(k.term, k.entity_type).where(k.project_id == project_id, k.encrypted.is_(False))
    ).all()
    kind = {" ".join(r.term.split()).casefold(): r.entity_type for r in rows if r.term.strip()}
    if not kind:
        return []
    words = sorted({" ".join(r.term.split()) for r in rows if r.term.strip()}, key=len)[::-1]
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in words)
        + r")(?!\w)",
        re.IGNORECASE,
    )
    reach = max(len(w) for w in words)
    new, shift = change.new_text, 0
    found: dict[tuple[int, int], str] = {}
    for edit in change.edits:
        start = edit.start + shift
        end = start + len(edit.new)
        shift += len(edit.new) - (edit.end - edit.start)
        if end == start:
            continue  # a deletion brings nothing back
        for m in pattern.finditer(new, max(0, start - reach), min(len(new), end + reach)):
            if m.start() < end and m.end() > start:
                found[m.span()] = kind.get(" ".join(m.group().split()).casefold(), "identifier")
    return [(s, e, k) for (s, e), k in sorted(found.items())]
