"""Short labels for codes in terminal tables: a code's own name, indented by its depth.

Code paths join names with "/", but a name may itself contain "/" ("optimism / positivity"),
so a path cannot be split back into names; the names and depths come from the codebook.
"""

from __future__ import annotations

from typing import Any


class CodeLabels:
    """Path -> (name, depth) for the codes of an open project; unknown paths show whole."""

    def __init__(self, project: Any) -> None:
        self._by_path: dict[str, tuple[str, int]] = {
            row.path: (row.name, row.depth) for row in project.codebook.tree().rows
        }

    def name(self, path: str) -> str:
        """The code's own name (the whole path when it is not in the codebook)."""
        return self._by_path.get(path, (path, 0))[0]

    def indented(self, path: str) -> str:
        """The name indented two spaces per level below the top."""
        name, depth = self._by_path.get(path, (path, 0))
        return "  " * depth + name
