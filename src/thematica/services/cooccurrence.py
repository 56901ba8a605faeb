"""Code co-occurrence, and the same aggregated to SEM level × SEM level.

Every mode cuts the coded text into **units**, each carrying the set of codes applied in it;
two codes co-occur in a unit that carries both:

* ``segment`` — a unit is one exact span ``[start, end)`` of one document: codes co-occur when
  they were applied to the identical span.
* ``overlap`` — a unit is a run of codings that overlap (share at least one character),
  joined transitively within a document: A over 0–10 and B over 5–15 form one unit, and a C over
  12–20 joins it too. Codings that touch (end == start) do not overlap.
* ``turn`` — a unit is one speaker turn; a coding belongs to every turn it shares a character
  with. A document without speaker turns is one unit.

``count`` is the number of units carrying both codes; ``jaccard`` is
``count / (units carrying A or B)`` — 1.0 when the codes always come together, 0.0 when never.
``units_a`` / ``units_b`` are the units carrying each code. Codes are counted as applied (a
parent code does not include its subcodes here, or parent and child would always co-occur).

The level table does the same with each unit's SEM levels (a code's level, or its nearest
ancestor's; codes without one are left out). On its diagonal (A = B) ``count`` is the number of
units carrying two or more different codes of that level and ``jaccard`` is that count over
the units carrying the level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from thematica.core.access import Operation
from thematica.core.errors import InputError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.prevalence import Coded, _code_level, load_coded
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

MODES = ("segment", "overlap", "turn")


@dataclass(slots=True)
class CooccurrenceRow:
    code_a: str
    code_b: str
    count: int
    jaccard: float
    units_a: int
    units_b: int


@dataclass(slots=True)
class Matrix:
    """A square matrix of counts and Jaccard values, for the heat map."""

    labels: list[str]
    counts: list[list[int]]
    jaccard: list[list[float]]
    units: list[int]  # units carrying each label
    mode: str
    levels: bool
    #: each label as a figure shows it: a code's own name (which may contain "/"), a level
    short: list[str] = field(default_factory=list)


def units_of(
    codings: Iterable[tuple[int, int, int, int, int]],
    mode: str,
    turns: dict[int, list[tuple[int, int]]] | None = None,
) -> list[set[int]]:
    """The code sets of the units (see the module docstring); ``codings`` are
    (id, document, code, start, end) and ``turns`` maps a document to its turn spans."""
    if mode not in MODES:
        raise InputError(f"co-occurrence mode must be segment, overlap or turn, not {mode!r}")
    by_doc: dict[int, list[tuple[int, int, int]]] = {}
    for _id, doc, code, start, end in codings:
        by_doc.setdefault(doc, []).append((start, end, code))
    units: list[set[int]] = []
    for doc, items in by_doc.items():
        items.sort()
        if mode == "segment":
            spans: dict[tuple[int, int], set[int]] = {}
            for start, end, code in items:
                spans.setdefault((start, end), set()).add(code)
            units.extend(spans.values())
        elif mode == "overlap":
            current: set[int] = set()
            reach = -1
            for start, end, code in items:
                if current and start >= reach:
                    units.append(current)
                    current, reach = set(), -1
                current.add(code)
                reach = max(reach, end)
            if current:
                units.append(current)
        else:
            spans_t = (turns or {}).get(doc) or []
            if not spans_t:
                units.append({code for _s, _e, code in items})
                continue
            for t_start, t_end in spans_t:
                inside = {code for start, end, code in items if start < t_end and end > t_start}
                if inside:
                    units.append(inside)
    return units


def pair_counts(units: Sequence[set[str]]) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """(units per label, units per unordered pair of labels)."""
    single: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for unit in units:
        for a in unit:
            single[a] = single.get(a, 0) + 1
        for a, b in combinations(sorted(unit), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    return single, pairs


class Cooccurrence:
    def __init__(self, project: Project) -> None:
        self.project = project

    def _load(
        self, conn: Connection, coder: str | Sequence[str] | None, mode: str
    ) -> tuple[Coded, list[set[int]]]:
        if mode not in MODES:
            raise InputError(f"co-occurrence mode must be segment, overlap or turn, not {mode!r}")
        coded = load_coded(self.project, conn, coder)
        turns: dict[int, list[tuple[int, int]]] = {}
        if mode == "turn":
            docs = list(coded.unit_of)
            for doc_id, start, end in conn.execute(
                select(t.turn.c.document_id, t.turn.c.start, t.turn.c.end)
                .where(t.turn.c.document_id.in_(docs))
                .order_by(t.turn.c.document_id, t.turn.c.start)
            ):
                turns.setdefault(doc_id, []).append((start, end))
        return coded, units_of(coded.codings, mode, turns)

    @requires(Operation.READ)
    def table(
        self,
        mode: str = "overlap",
        *,
        coder: str | Sequence[str] | None = None,
        levels: bool = False,
    ) -> Table[CooccurrenceRow]:
        """Long-format co-occurrence: one row per pair that co-occurs at least once."""
        matrix = self.matrix(mode, coder=coder, levels=levels)
        rows = []
        n = len(matrix.labels)
        for i in range(n):
            for j in range(i if levels else i + 1, n):
                count = matrix.counts[i][j]
                if count:
                    rows.append(
                        CooccurrenceRow(
                            matrix.labels[i],
                            matrix.labels[j],
                            count,
                            matrix.jaccard[i][j],
                            matrix.units[i],
                            matrix.units[j],
                        )
                    )
        what = "SEM levels" if levels else "codes"
        return Table(rows, title=f"Co-occurrence of {what} ({mode})")

    @requires(Operation.READ)
    def matrix(
        self,
        mode: str = "overlap",
        *,
        coder: str | Sequence[str] | None = None,
        levels: bool = False,
    ) -> Matrix:
        """The square matrix; for codes the diagonal holds the units carrying each code."""
        with self.project.db.read() as conn:
            _coded, units = self._load(conn, coder, mode)
            codes = self.project.codebook.index(conn)
        if levels:
            level_of = {cid: _code_level(codes, cid) for cid in codes.rows}
            used = list(self.project.sem_levels)
            labelled = [{lvl for c in u if (lvl := level_of.get(c))} for u in units]
            single, pairs = pair_counts(labelled)
            labels = [lvl for lvl in used if lvl in single] or used
            within: dict[str, int] = {}
            for unit in units:
                seen: dict[str, int] = {}
                for c in unit:
                    lvl = level_of.get(c)
                    if lvl:
                        seen[lvl] = seen.get(lvl, 0) + 1
                for lvl, k in seen.items():
                    if k >= 2:
                        within[lvl] = within.get(lvl, 0) + 1
            counts, jac = _square(labels, single, pairs)
            for i, lvl in enumerate(labels):
                counts[i][i] = within.get(lvl, 0)
                jac[i][i] = round(within.get(lvl, 0) / single[lvl], 4) if single.get(lvl) else 0.0
            units_n = [single.get(lvl, 0) for lvl in labels]
            return Matrix(labels, counts, jac, units_n, mode, True, list(labels))
        used_ids = {c for u in units for c in u}
        order = [cid for cid in codes.depth_first() if cid in used_ids]
        names = {cid: codes.paths[cid] for cid in order}
        single, pairs = pair_counts([{names[c] for c in u} for u in units])
        labels = [names[c] for c in order]
        counts, jac = _square(labels, single, pairs)
        for i, label in enumerate(labels):
            counts[i][i] = single.get(label, 0)
            jac[i][i] = 1.0
        units_n = [single.get(x, 0) for x in labels]
        short = [codes.rows[c].name for c in order]
        return Matrix(labels, counts, jac, units_n, mode, False, short)

    @requires(Operation.READ)
    def heatmap(
        self,
        mode: str = "overlap",
        *,
        fmt: str = "png",
        coder: str | Sequence[str] | None = None,
        levels: bool = False,
    ) -> bytes:
        """A heat map as PNG or SVG bytes: colour = Jaccard, number = count; codes are labelled
        by their own names (``exporters.project_files.write_heatmap`` writes a file)."""
        from thematica.exporters.figures import heatmap

        matrix = self.matrix(mode, coder=coder, levels=levels)
        if not matrix.labels:
            raise InputError("nothing to draw: no codings in the selected layer")
        what = "SEM levels" if levels else "codes"
        return heatmap(
            matrix.short,
            matrix.counts,
            matrix.jaccard,
            fmt,
            title=f"Co-occurrence of {what} ({mode}; colour: Jaccard, number: count)",
        )


def _square(
    labels: list[str], single: dict[str, int], pairs: dict[tuple[str, str], int]
) -> tuple[list[list[int]], list[list[float]]]:
    n = len(labels)
    counts = [[0] * n for _ in range(n)]
    jac = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = sorted((labels[i], labels[j]))
            both = pairs.get((a, b), 0)
            either = single.get(a, 0) + single.get(b, 0) - both
            value = round(both / either, 4) if either else 0.0
            counts[i][j] = counts[j][i] = both
            jac[i][j] = jac[j][i] = value
    return counts, jac
