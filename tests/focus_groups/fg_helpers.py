"""A hand-made focus-group study whose counts are worked out by hand.

Two focus groups (documents FG1, FG2, each linked to a group case with a ``site``) with a
Moderator and three participants each, plus one individual interview (P7):

=====  =======  ======  ==================================================
group  speaker  role    codes said (coder ann)
=====  =======  ======  ==================================================
FG1    P1       peer    Staffing; Training (second turn)
FG1    P2       peer    Staffing, Support; Team (runs on into P3's turn)
FG1    P3       manager Budget; Team (the same coding as P2's)
FG2    P4       peer    Training
FG2    P5       manager Staffing
FG2    P6       manager Budget
FG2    Mod.     -       Support (the moderator's question: counts for no one)
P7     P7       peer    Staffing, Training (individual interview)
=====  =======  ======  ==================================================

Participants: P1..P7 = 7 (peers P1, P2, P4, P7; managers P3, P5, P6); groups FG1, FG2, P7 = 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FG1 = (
    "Moderator: Welcome. What helps you at work?\n"
    "P1: Staffing is the problem for me.\n"
    "P2: Staffing, yes, and my supervisor helps. We work as a team\n"
    "P3: and as a manager I see the budget.\n"
    "Moderator: Anything else?\n"
    "P1: Training matters.\n"
)
FG2 = (
    "Focus group 2, held online\n\n"  # a header: a turn without a speaker, nobody's words
    "Moderator: What helps you at work?\n"
    "P4: Training helped me a lot.\n"
    "P5: Staffing is hard to fix from the top.\n"
    "P6: Budget again.\n"
)
P7 = "Interviewer: Tell me about work.\nParticipant 7: Staffing is short and training is rare.\n"

CASES = (
    "case_id,role,site\n"
    "P1,peer,\nP2,peer,\nP3,manager,\nP4,peer,\nP5,manager,\nP6,manager,\nP7,peer,\n"
    "FG1,,south\nFG2,,north\n"
)


def span(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def build_focus_groups(project: Any, folder: Path, *, mapped: bool = True) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.csv").write_text(CASES, "utf-8")
    project.cases.import_table(folder / "cases.csv", id_column="case_id")
    for name, text in (("FG1", FG1), ("FG2", FG2), ("P7-interview", P7)):
        (folder / f"{name}.txt").write_text(text, "utf-8")
    project.documents.import_files([folder / "FG1.txt"], case="FG1")
    project.documents.import_files([folder / "FG2.txt"], case="FG2")
    project.documents.import_files([folder / "P7-interview.txt"], case="P7")
    for code in ("Staffing", "Training", "Budget", "Support", "Team"):
        project.codebook.add(code)
    codings = [
        ("FG1", FG1, "Staffing", "Staffing is the problem", 0),
        ("FG1", FG1, "Staffing", "Staffing, yes", 0),
        ("FG1", FG1, "Support", "my supervisor helps", 0),
        ("FG1", FG1, "Team", "We work as a team\nP3: and as a manager", 0),
        ("FG1", FG1, "Budget", "I see the budget", 0),
        ("FG1", FG1, "Training", "Training matters", 0),
        ("FG2", FG2, "Support", "What helps you at work?", 0),
        ("FG2", FG2, "Training", "Training helped me", 0),
        ("FG2", FG2, "Staffing", "Staffing is hard", 0),
        ("FG2", FG2, "Budget", "Budget again", 0),
        ("P7-interview", P7, "Staffing", "Staffing is short", 0),
        ("P7-interview", P7, "Training", "training is rare", 0),
    ]
    for doc, text, code, phrase, nth in codings:
        start, end = span(text, phrase, nth)
        project.coding.apply(doc, code, start, end, coder="ann")
    if mapped:
        project.speakers.map("FG1", {"Moderator": None, "P1": "P1", "P2": "P2", "P3": "P3"})
        (folder / "speakers.csv").write_text(
            "document,speaker,case\nFG2,Moderator,\nFG2,P4,P4\nFG2,P5,P5\nFG2,P6,P6\n", "utf-8"
        )
        project.speakers.import_table(folder / "speakers.csv")
    return project


def find(table: Any, **want: Any) -> Any:
    rows = [r for r in table.rows if all(getattr(r, k) == v for k, v in want.items())]
    assert len(rows) == 1, (want, rows)
    return rows[0]
