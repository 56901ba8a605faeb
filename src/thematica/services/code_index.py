"""All codes of a project in memory: paths, children, and lookup by path or name.

Kept apart from the codebook service because every analysis reads it; it is re-exported from
``thematica.services.codebook`` where it always lived.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from thematica.core.codebook import FIELDS, CodeSpec, join_path, split_path
from thematica.core.errors import InputError, NotFoundError

__all__ = ["CodeIndex"]


class CodeIndex:
    """All codes of a project in memory: paths, children and lookup by path or name."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = {r.id: r for r in rows}
        self.children: dict[int | None, list[int]] = {}
        for row in sorted(self.rows.values(), key=lambda r: (r.position, r.id)):
            self.children.setdefault(row.parent_id, []).append(row.id)
        self.paths: dict[int, str] = {}
        self.depths: dict[int, int] = {}
        for cid in self.depth_first():
            row = self.rows[cid]
            parent = self.paths.get(row.parent_id) if row.parent_id else None
            self.paths[cid] = join_path([parent, row.name] if parent else [row.name])
            self.depths[cid] = self.depths[row.parent_id] + 1 if row.parent_id else 0
        #: exact path (case-folded) -> code; names may contain "/", so two codes can share a
        #: path string (A > "B/C" and "A/B" > C): those are kept in ``clashes``
        self.by_path: dict[str, int] = {}
        self.clashes: dict[str, list[int]] = {}
        #: path with spaces around every "/" removed -> codes ("Org / Pay" finds "Org/Pay")
        self.by_loose: dict[str, list[int]] = {}
        for cid, path in self.paths.items():
            self.add_path(cid, path)
        self.by_name: dict[str, list[int]] = {}
        for cid, row in self.rows.items():
            self.by_name.setdefault(row.name.casefold(), []).append(cid)

    def add_path(self, cid: int, path: str) -> None:
        key = path.casefold()
        if key in self.by_path and self.by_path[key] != cid:
            self.clashes.setdefault(key, [self.by_path[key]]).append(cid)
        self.by_path[key] = cid
        self.by_loose.setdefault(join_path(split_path(path)).casefold(), []).append(cid)

    def depth_first(self, root: int | None = None) -> list[int]:
        out: list[int] = []
        stack = list(reversed(self.children.get(root, [])))
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(reversed(self.children.get(cid, [])))
        return out

    def depth(self, cid: int) -> int:
        if cid not in self.depths:  # created in this transaction
            parent = self.rows[cid].parent_id
            self.depths[cid] = self.depth(parent) + 1 if parent else 0
        return self.depths[cid]

    def chain(self, cid: int) -> list[str]:
        """The names from the root down to the code (a name may itself contain '/')."""
        names: list[str] = []
        current: int | None = cid
        while current is not None:
            names.append(self.rows[current].name)
            current = self.rows[current].parent_id
        return names[::-1]

    def _ambiguous(self, term: str, ids: Iterable[int]) -> InputError:
        # levels shown with " > " because the codes' own names contain "/"
        shown = sorted({" > ".join(self.chain(i)) for i in ids})
        return InputError(f"code {term!r} is ambiguous; it could be: {'; '.join(shown)}")

    def find(self, term: str) -> int | None:
        """A code by exact path, then unique name, then path with loose spacing round '/'."""
        key = " ".join(term.split()).casefold()
        if key in self.clashes:
            raise self._ambiguous(term, self.clashes[key])
        exact = self.by_path.get(key)
        named = self.by_name.get(key, [])
        if exact is not None:
            return exact
        if len(named) > 1:
            paths = sorted(self.paths[i] for i in named)
            raise InputError(f"code name {term!r} is ambiguous; use a path: {'; '.join(paths)}")
        if named:
            return named[0]
        loose = self.by_loose.get(join_path(split_path(term)).casefold(), [])
        if len(loose) > 1:
            raise self._ambiguous(term, loose)
        return loose[0] if loose else None

    def resolve(self, term: str) -> int:
        cid = self.find(term)
        if cid is None:
            raise NotFoundError(f"no code {term!r} in the codebook")
        return cid

    def subtree(self, cid: int) -> list[int]:
        return [cid, *self.depth_first(cid)]

    def snapshot(self) -> list[dict[str, Any]]:
        """Flat rows (id, path, parent path, fields) for versions and comparisons."""
        out = []
        for cid in self.depth_first():
            row = self.rows[cid]
            out.append(
                {
                    "id": cid,
                    "path": self.paths[cid],
                    "name": row.name,
                    "parent": self.paths.get(row.parent_id) if row.parent_id else None,
                    **{f: getattr(row, f) for f in FIELDS},
                }
            )
        return out

    def specs(self, root: int | None = None) -> list[CodeSpec]:
        out = []
        for cid in self.children.get(root, []):
            row = self.rows[cid]
            spec = CodeSpec(name=row.name, **{f: getattr(row, f) for f in FIELDS})
            spec.children = self.specs(cid)
            out.append(spec)
        return out
