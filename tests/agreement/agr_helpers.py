"""Helpers for the agreement tests: a small hand-built project with known offsets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DOC1 = "Alpha one. Beta two. Gamma three. Delta four."
DOC2 = "Epsilon five. Zeta six."


def span(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


def build_small(project: Any, folder: Path) -> Any:
    """doc1, doc2; codes X, Y; coders a and b (see the module docstring of the tests)."""
    from thematica import CodingInput

    folder.mkdir(exist_ok=True)
    (folder / "doc1.txt").write_text(DOC1, "utf-8")
    (folder / "doc2.txt").write_text(DOC2, "utf-8")
    project.documents.import_files([folder / "doc1.txt", folder / "doc2.txt"])
    project.codebook.add("X")
    project.codebook.add("Y")
    a1 = span(DOC1, "Alpha one.")
    a3 = span(DOC1, "Gamma three.")
    b2 = span(DOC1, "Beta two.")
    d4 = span(DOC1, "Delta four.")
    e5 = span(DOC2, "Epsilon five.")
    project.coding.apply_many(
        [
            CodingInput("doc1", "X", *a1),
            CodingInput("doc1", "X", *a3),
            CodingInput("doc1", "Y", *b2),
            CodingInput("doc2", "X", *e5),
        ],
        coder="a",
    )
    project.coding.apply_many(
        [
            CodingInput("doc1", "X", a1[0], a1[0] + 8),  # "Alpha on": IoU 0.8 with a's
            CodingInput("doc1", "Y", *b2),
            CodingInput("doc1", "Y", *d4),
        ],
        coder="b",
    )
    return project
