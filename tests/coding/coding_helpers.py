"""A three-document project with texts whose unit spans are easy to work out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Turns: "Interviewer: How are you?" | "Participant 1: ... I mean it." | "Interviewer: Good."
# Paragraphs (blank line): "Interviewer ... fine." | "I mean it.\nInterviewer: Good."
A = "Interviewer: How are you?\nParticipant 1: Fine. Really fine.\n\nI mean it.\nInterviewer: Good."
# Paragraphs: the two "First" lines | "Second para." ; turns (no labels): the same paragraphs
B = "First para line one.\nFirst para line two.\n\nSecond para about money."
# No blank line: each line is a paragraph
C = "Line one is short.\nLine two talks about money.\nLine three."


def span(text: str, first: str, last: str) -> tuple[int, int]:
    """[start of ``first``, end of ``last``) in ``text``, found by plain string search."""
    start = text.index(first)
    return start, text.index(last, start) + len(last)


def build(project: Any, folder: Path) -> Any:
    for name, text in (("a", A), ("b", B), ("c", C)):
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    project.documents.import_files([folder / "a.txt", folder / "b.txt", folder / "c.txt"])
    project.codebook.add("Wellbeing")
    project.codebook.add("Health")
    project.codebook.add("Mood", "Health")
    project.codebook.add("Money")
    return project


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def spans(project: Any, coder: str) -> set[tuple[str, str, int, int]]:
    return {(r.document, r.code, r.start, r.end) for r in project.coding.list(coder=coder).rows}


def batch_count(project: Any) -> int:
    return len(project.batches.list().rows)
