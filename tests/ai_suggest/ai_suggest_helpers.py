"""A small study where the right code for each sentence is plain from shared words, so the
TF-IDF backend (deterministic, no model) must find it; expectations are worked out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from thematica.store import schema as t

#: code path -> definition (every distinctive word of a sentence below is in exactly one)
CODES = {
    "Staffing": "nurses and staff shortages on the ward",
    "Food": "hospital food, meals and drinks",
    "Parking": "car parking charges",
    "Care": "the care patients received",
    "Care/Pain": "pain relief and pain medication",
    "Care/Dignity": "dignity, privacy and respect",
}

DOCS = {
    "d1": "The nurses on the ward were overworked and staff shortages were obvious. "
    "The meals were cold and the food was bland.",
    "d2": "Parking charges at the car park were far too high. "
    "I asked for pain medication and pain relief came quickly.",
    "d3": "Nobody respected my privacy or dignity. The drinks trolley never came with food.",
}

#: (document, sentence text, code) by hand: the code whose definition shares the sentence's
#: distinctive words (a subcode, not its parent, when the words are the subcode's)
EXPECTED = [
    ("d1", "The nurses on the ward were overworked and staff shortages were obvious.", "Staffing"),
    ("d1", "The meals were cold and the food was bland.", "Food"),
    ("d2", "Parking charges at the car park were far too high.", "Parking"),
    ("d2", "I asked for pain medication and pain relief came quickly.", "Care/Pain"),
    ("d3", "Nobody respected my privacy or dignity.", "Care/Dignity"),
    ("d3", "The drinks trolley never came with food.", "Food"),
]


def span(doc: str, sentence: str) -> tuple[int, int]:
    start = DOCS[doc].index(sentence)
    return start, start + len(sentence)


def expected_rows(docs: tuple[str, ...] = ("d1", "d2", "d3")) -> set[tuple[str, int, int, str]]:
    return {(d, *span(d, s), code) for d, s, code in EXPECTED if d in docs}


def build(p: Any, folder: Path, *, definitions: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in DOCS.items():
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    p.documents.import_files(paths)
    for path, definition in CODES.items():
        parent, _, name = path.rpartition("/")
        p.codebook.add(name, parent=parent or None, definition=definition if definitions else "")


def footprint(p: Any) -> dict[str, int]:
    """Rows a suggestion run may write, counted for this project."""
    tables = {
        "coder": t.coder,
        "coding": t.coding,
        "ai_run": t.ai_run,
        "suggestion": t.suggestion,
        "audit_log": t.audit_log,
        "coding_batch": t.coding_batch,
    }
    with p.db.read() as conn:
        return {
            name: int(
                conn.scalar(
                    select(func.count()).select_from(table).where(table.c.project_id == p.id)
                )
                or 0
            )
            for name, table in tables.items()
        }


def layer_codings(p: Any, layer: str) -> set[tuple[str, int, int, str]]:
    """(document, start, end, code path) of every coding in a layer, read from the tables."""
    c, k, d = t.coding.c, t.coder.c, t.document.c
    paths = p.codebook.index().paths
    with p.db.read() as conn:
        rows = conn.execute(
            select(d.name, c.start, c.end, c.code_id)
            .join(t.coder, k.id == c.coder_id)
            .join(t.document, d.id == c.document_id)
            .where(k.project_id == p.id, k.name == layer)
        ).all()
    return {(r[0], int(r[1]), int(r[2]), paths[r[3]]) for r in rows}
