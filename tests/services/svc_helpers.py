"""Helpers shared by the service tests: the hand-built session text and row counting.

The session document has offsets worked out by hand; the tests quote them as literals and check
``P03_TEXT[start:end]`` against the words they mean, so a wrong literal fails loudly.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

P03_TEXT = (
    "Interviewer: Tell me about staffing.\n"  # 0..36, newline at 36
    "Participant 3: We lost two peers this year. The pay is too low to keep anyone.\n"  # 37..
    "Interviewer: And supervision?\n"  # 115..
    "Participant 3: My supervisor checks in every week, which helps.\n"  # 145..
)
P04_TEXT = "Participant 4: Staffing is fine here. Nobody has left.\n"

#: (code path, start, end) coded by alex in P03-session.
ALEX_P03 = [
    ("Org/Staffing", 52, 79),  # "We lost two peers this year"
    ("Org/Pay", 75, 114),  # "year. The pay is too low to keep anyone"
    ("Org", 60, 99),  # "two peers this year. The pay is too low"
    ("Support", 161, 208),  # "My supervisor checks in every week, which helps"
    ("Question", 129, 145),  # "And supervision?" (the interviewer speaks)
]


def count_rows(project: object, table: object) -> int:
    """Rows of a store table that belong to ``project`` (or all rows when it has no project)."""
    p = project
    with p.db.read() as conn:  # type: ignore[attr-defined]
        stmt = select(func.count()).select_from(table)  # type: ignore[arg-type]
        if "project_id" in table.c:  # type: ignore[attr-defined]
            stmt = stmt.where(table.c.project_id == p.id)  # type: ignore[attr-defined]
        return int(conn.scalar(stmt) or 0)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
