"""Helpers for the consensus tests: the stored rows a decision may and may not change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from thematica.store import schema as t


def human_codings(project: Any) -> set[tuple[int, str, int, int, int, int, str | None]]:
    """Every coding of alex and sam as stored: id, coder, document, code, start, end, memo."""
    c, k = t.coding.c, t.coder.c
    with project.db.read() as conn:
        return {
            (r.id, r.name, r.document_id, r.code_id, r.start, r.end, r.memo)
            for r in conn.execute(
                select(c.id, k.name, c.document_id, c.code_id, c.start, c.end, c.memo)
                .join(t.coder, t.coder.c.id == c.coder_id)
                .where(c.project_id == project.id, k.kind == "human")
            )
        }


def layer_codings(project: Any, layer: str = "consensus") -> set[tuple[str, str, int, int]]:
    """The consensus layer as (document, code path, start, end); empty before it exists."""
    if layer not in project.coding.coders():
        return set()
    return {(r.document, r.code, r.start, r.end) for r in project.coding.list(coder=layer)}


def decision_count(project: Any) -> int:
    with project.db.read() as conn:
        return int(
            conn.scalar(select(func.count()).where(t.consensus_decision.c.project_id == project.id))
            or 0
        )


def state(project: Any) -> tuple[int, set[tuple[str, str, int, int]], int]:
    """What a refused request must leave unchanged."""
    return decision_count(project), layer_codings(project), len(human_codings(project))


#: Demo codes whose subcodes the tests declare mutually exclusive: under each, alex and sam
#: coded one passage with two different subcodes (a23-b139 Training vs Staffing, a47-b161
#: Navigating bureaucracy vs Perceived helplessness), which then stays one different_code.
ALTERNATIVES = (
    "Organizational/Receiving resources and benefits from the organization",
    "Community/Working within complex and inefficient systems",
)


def declare_alternatives(project: Any) -> None:
    for path in ALTERNATIVES:
        project.codebook.set_exclusive(path, True)


S1 = (
    "Interviewer: How was the winter?\n\n"
    "Participant: Cold, and we were short of staff every week.\n\n"
    "Interviewer: Who helped?\n\n"
    "Participant: My supervisor covered shifts and checked in on me.\n"
)
S2 = (
    "Interviewer: What keeps you going?\n\n"
    "Participant: Running in the morning, and the team.\n\n"
    "Interviewer: Anything else?\n\n"
    "Participant: Nothing much, the pay is bad.\n"
)
#: The turns of S1 and S2 as [start, end) (counted by hand: "Interviewer: How was the
#: winter?" is 32 characters, then a blank line of 2, and so on).
TURNS = {
    "s1": [(0, 32), (34, 91), (93, 117), (119, 182)],
    "s2": [(0, 34), (36, 86), (88, 115), (117, 159)],
}


def small_study(project: Any, folder: Any) -> dict[str, int]:
    """Two short interviews, codes Staffing, Support, Coping, Pay and an exclusive group Tone
    (Tone/Positive, Tone/Negative), coded by alex and sam. Returns the coding ids by label.

    Per turn (s1 turn 2 is TURNS["s1"][1], ...), what each coder coded:

    ======  =========================  ================================
    turn    alex                       sam
    ======  =========================  ================================
    s1 t2   Staffing (whole), Coping   Staffing (whole)
            (part: 40-50)
    s1 t4   Support (whole)            Coping (whole)
    s2 t2   Coping (whole)             Coping (part: 50-60), Support
                                       (whole)
    s2 t3+4 Staffing [100, 130)        Staffing [100, 130)
    ======  =========================  ================================
    """
    (folder / "s1.txt").write_text(S1, "utf-8")
    (folder / "s2.txt").write_text(S2, "utf-8")
    project.documents.import_files([folder / "s1.txt", folder / "s2.txt"])
    for code in ("Staffing", "Support", "Coping", "Pay", "Tone"):
        project.codebook.add(code)
    project.codebook.add("Positive", "Tone")
    project.codebook.add("Negative", "Tone")
    project.codebook.set_exclusive("Tone", True)
    plan = [
        ("a_staff_s1", "s1", "Staffing", 34, 91, "alex"),
        ("b_staff_s1", "s1", "Staffing", 34, 91, "sam"),
        ("a_coping_s1", "s1", "Coping", 40, 50, "alex"),
        ("a_support_s1", "s1", "Support", 119, 182, "alex"),
        ("b_coping_s1", "s1", "Coping", 119, 182, "sam"),
        ("a_coping_s2", "s2", "Coping", 36, 86, "alex"),
        ("b_coping_s2", "s2", "Coping", 50, 60, "sam"),
        ("b_support_s2", "s2", "Support", 36, 86, "sam"),
        ("a_staff_s2", "s2", "Staffing", 100, 130, "alex"),
        ("b_staff_s2", "s2", "Staffing", 100, 130, "sam"),
    ]
    return {
        label: project.coding.apply(doc, code, s, e, coder=coder)
        for label, doc, code, s, e, coder in plan
    }


def batch_count(project: Any) -> int:
    with project.db.read() as conn:
        return int(
            conn.scalar(select(func.count()).where(t.coding_batch.c.project_id == project.id)) or 0
        )
