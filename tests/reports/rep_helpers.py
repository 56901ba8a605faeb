"""Helpers for the report tests: the demo with its consensus layer, reading reports back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DASH = "\u2013"


def with_consensus(project: Any, *, close: bool = False) -> Any:
    """The demo with its consensus layer; ``close`` decides every open disagreement (keep
    both), so that a report may be written without allowing open disagreements."""
    project.consensus.start(coders=("alex", "sam"))
    if close:
        for item in project.consensus.disagreements().rows:
            project.consensus.decide(item.id, "keep_both", "kept both in the test meeting")
    return project


def squash(text: str) -> str:
    return " ".join(text.split())


def docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    doc = Document(str(path))
    return [
        [[c.text.replace("\u200b", "") for c in row.cells] for row in table.rows]
        for table in doc.tables
    ]


def docx_quotes(path: Path) -> dict[str, list[tuple[str, str]]]:
    """heading text -> [(quote, attribution)] under that heading, in order."""
    from docx import Document

    doc = Document(str(path))
    out: dict[str, list[tuple[str, str]]] = {}
    heading = ""
    previous = None
    for para in doc.paragraphs:
        if para.style is not None and para.style.name.startswith("Heading"):
            heading = para.text
            previous = None
            continue
        if para.text.startswith(f"{DASH} ") and previous is not None:
            assert previous.paragraph_format.left_indent is not None, "quote is not indented"
            out.setdefault(heading, []).append((previous.text, para.text))
        previous = para
    return out


def participant_texts(project: Any) -> dict[str, list[str]]:
    """attribution line -> the (whitespace-squashed) texts of that participant's documents."""
    from thematica.services.attribution import attribution

    out: dict[str, list[str]] = {}
    for doc in project.documents.list():
        text = project.documents.get(doc.name).text
        out.setdefault(attribution(doc.case, doc.name), []).append(squash(text))
    return out


def assert_real_quote(texts: dict[str, list[str]], quote: str, who: str) -> None:
    assert re.fullmatch(rf"{DASH} Participant \d+", who), who
    assert any(squash(quote) in body for body in texts[who]), (quote[:60], who)
