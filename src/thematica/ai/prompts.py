"""The prompts that ask a chat model for a draft summary of numbered excerpts (a framework
matrix cell, a theme), and the cleaning of its answer. Pure text: no I/O, no database.

Excerpts are numbered [1], [2], ... in the order given; the model is asked to cite them by
number, so a reader can check each claim against the passages the draft links to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_EXCERPT_CHARS",
    "PromptExcerpt",
    "cell_messages",
    "clean_summary",
    "spread_over_documents",
    "theme_messages",
]

#: an excerpt longer than this is cut (characters) before it is sent
MAX_EXCERPT_CHARS = 700

SYSTEM = (
    "You help a qualitative researcher write summaries of interview excerpts. Write plain "
    "prose in one to three sentences, use only what the excerpts say, and cite the excerpts "
    "you draw on by their numbers in square brackets, like [2]. Do not add a title or a list."
)

_PREFIX = re.compile(r"^\s*(?:\*\*)?(?:draft\s+)?summary(?:\*\*)?\s*:\s*", re.I)


@dataclass(frozen=True, slots=True)
class PromptExcerpt:
    """One excerpt as sent: its text and where it is from ("P01-interview, Participant 1")."""

    text: str
    source: str = ""


def _excerpts(excerpts: Sequence[PromptExcerpt]) -> str:
    lines = []
    for i, ex in enumerate(excerpts, 1):
        text = " ".join(ex.text.split())
        if len(text) > MAX_EXCERPT_CHARS:
            text = text[: MAX_EXCERPT_CHARS - 1] + "…"
        lines.append(f"[{i}] ({ex.source}) {text}" if ex.source else f"[{i}] {text}")
    return "\n".join(lines)


def cell_messages(
    row: str, column: str, excerpts: Sequence[PromptExcerpt], *, rows_are: str = "case"
) -> list[dict[str, str]]:
    """Ask for the summary of one framework-matrix cell: what ``row`` says about ``column``."""
    prompt = (
        f"Framework matrix cell. {rows_are.capitalize()}: {row}. Theme or code: {column}.\n\n"
        f"Excerpts:\n{_excerpts(excerpts)}\n\n"
        f"Summarise in one to three sentences what these excerpts show about {column} for "
        f"{rows_are} {row}, citing excerpt numbers like [1]."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]


def theme_messages(
    theme: str, description: str, codes: Sequence[str], excerpts: Sequence[PromptExcerpt]
) -> list[dict[str, str]]:
    """Ask for the summary of a theme from excerpts coded with its codes."""
    about = f"Current description: {' '.join(description.split())}\n" if description else ""
    prompt = (
        f"Theme: {theme}\n{about}Codes grouped under it: {'; '.join(codes) or 'none'}\n\n"
        f"Excerpts coded with these codes:\n{_excerpts(excerpts)}\n\n"
        f"Summarise in one to three sentences what the theme {theme!r} captures across these "
        "excerpts, citing excerpt numbers like [1]."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]


def clean_summary(text: str) -> str:
    """The model's answer as a summary: a leading "Summary:" and surrounding quotes dropped,
    whitespace collapsed."""
    out = _PREFIX.sub("", " ".join(text.split())).strip()
    if len(out) >= 2 and out[0] == out[-1] and out[0] in "\"'":
        out = out[1:-1].strip()
    return out


def spread_over_documents(items: Sequence[tuple[int, int]], most: int) -> list[int]:
    """Up to ``most`` ids from (group, id) pairs, one group at a time in turn, then restored
    to their original order (documents in order, passages in order)."""
    groups: dict[int, list[int]] = {}
    for group, item in items:
        groups.setdefault(group, []).append(item)
    picked: set[int] = set()
    depth = 0
    while len(picked) < min(most, len(items)):
        for members in groups.values():
            if depth < len(members) and len(picked) < most:
                picked.add(members[depth])
        depth += 1
    return [item for _, item in items if item in picked]
