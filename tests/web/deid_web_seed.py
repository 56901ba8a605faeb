"""Test data for the web's de-identification review: a fictional transcript full of
identifiers, imported into the demo, and proposals on it written straight into the database
(as a detection run stores them, store/schema.py) so the web tests do not depend on what a
recogniser finds.

Every span is found by its words in the stored text, so each expected offset is worked out from
the text, not from the code under test. An emoji (one code point, two UTF-16 units in a browser)
comes before every proposal, so a page that counted UTF-16 units would send and draw offsets
one off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from thematica.store import schema as t

DOC = "P09-interview"
TEXT = (
    "Interviewer: Who do you work with most? \U0001f642\n"  # one code point, two UTF-16 units
    "Participant 9: Mostly Maria Lopez. She runs Harbor House in Millbrook, "
    "and I ring her on 555-0134 before every shift.\n"
    "Interviewer: And your supervisor?\n"
    "Participant 9: Dr. Okafor. Maria says he is fair, <b>mostly</b>.\n"
)
#: (words, entity type, score): what a detection run might have proposed, in text order
FOUND = [
    ("Maria Lopez", "PERSON", 0.85),
    ("Harbor House", "ORGANIZATION", 0.7),
    ("Millbrook", "LOCATION", 0.8),
    ("555-0134", "PHONE_NUMBER", 0.75),
    ("Okafor", "PERSON", 0.6),
]


@dataclass(frozen=True)
class Seeded:
    id: int
    start: int
    end: int
    text: str
    entity_type: str


def import_document(project: Any, folder: Path, name: str = DOC, text: str = TEXT) -> str:
    """Import the transcript as the owner does; returns its stored text."""
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    project.documents.import_files([path])
    stored: str = project.documents.get(name).text
    return stored


def seed_proposals(
    project: Any,
    document: str = DOC,
    found: list[tuple[str, str, float]] | None = None,
    *,
    status: str = "proposed",
) -> list[Seeded]:
    """Store proposals on ``document``, one per ``(words, type, score)`` at the words' first
    occurrence after the previous one's."""
    now = datetime.now(UTC)
    out: list[Seeded] = []
    with project.db.write() as conn:
        doc_id, text = conn.execute(
            select(t.document.c.id, t.document.c.text).where(
                t.document.c.project_id == project.id, t.document.c.name == document
            )
        ).one()
        at = 0
        for words, kind, score in FOUND if found is None else found:
            start = text.index(words, at)
            end = start + len(words)
            at = end
            new_id = conn.execute(
                insert(t.deid_proposal)
                .values(
                    project_id=project.id,
                    document_id=doc_id,
                    start=start,
                    end=end,
                    text=words,
                    entity_type=kind,
                    placeholder=None,
                    score=score,
                    recogniser="test-recogniser",
                    status=status,
                    created_by=None,
                    created_at=now,
                )
                .returning(t.deid_proposal.c.id)
            ).scalar_one()
            out.append(Seeded(int(new_id), start, end, words, kind))
    return out


def proposal_state(project: Any, proposal_id: int) -> tuple[Any, ...]:
    """(status, decided_by, start, end, text, entity_type, placeholder) as stored."""
    p = t.deid_proposal.c
    with project.db.read() as conn:
        row = conn.execute(
            select(
                p.status, p.decided_by, p.start, p.end, p.text, p.entity_type, p.placeholder
            ).where(p.id == proposal_id)
        ).one()
    return tuple(row)
