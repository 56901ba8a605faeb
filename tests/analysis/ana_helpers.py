"""A small hand-built project whose prevalence and co-occurrence are worked out by hand.

Units: cases C1 (two documents), C2, C3 and the unlinked document X (its own unit): 4 in all.
Codes: Alpha (individual) with subcode Gamma, Beta (community). Coder ann (the only layer).
C3 holds two speaker turns: turn 1 [0, 23), turn 2 [24, 59).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

C3_TEXT = "Interviewer: aaaa bbbb.\nParticipant 3: cccc dddd eeee ffff.\n"
SHORT = "Participant 1: hello world.\n"


def build_small(project: Any, folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.csv").write_text("case_id,lived\nC1,yes\nC2,no\nC3,yes\n", "utf-8")
    project.cases.import_table(folder / "cases.csv", id_column="case_id")
    for name in ("C1-a", "C1-b", "C2"):
        (folder / f"{name}.txt").write_text(SHORT + name + "\n", "utf-8")
    (folder / "C3.txt").write_text(C3_TEXT, "utf-8")
    (folder / "X.txt").write_text(SHORT, "utf-8")
    project.documents.import_files(
        [folder / f"{n}.txt" for n in ("C1-a", "C1-b", "C2", "C3")], case_pattern=r"(C\d)"
    )
    project.documents.import_files([folder / "X.txt"])
    project.codebook.add("Alpha", sem_level="individual")
    project.codebook.add("Gamma", parent="Alpha")
    project.codebook.add("Beta", sem_level="community")
    for doc, code, start, end in [
        ("C1-a", "Alpha", 0, 5),
        ("C1-b", "Alpha", 0, 5),
        ("C2", "Beta", 0, 5),
        ("X", "Gamma", 0, 5),
        ("C3", "Alpha", 0, 10),
        ("C3", "Beta", 0, 10),
        ("C3", "Gamma", 30, 40),
        ("C3", "Beta", 35, 45),
        ("C3", "Alpha", 46, 50),
    ]:
        project.coding.apply(doc, code, start, end, coder="ann")
    return project


def find(table: Any, **want: Any) -> Any:
    rows = [r for r in table.rows if all(getattr(r, k) == v for k, v in want.items())]
    assert len(rows) == 1, (want, rows)
    return rows[0]
