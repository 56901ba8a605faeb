"""Thematic saturation on plain data: new codes per interview and the Guest, Namey & Chen ratio.

Guest, G., Namey, E. & Chen, M. (2020) "A simple method to assess and report thematic
saturation in qualitative research", PLoS ONE 15(5): e0232076.

The definition used here (the variant is fixed, not configurable):

* Interviews are taken in their collection order, positions 1..n.
* A code is **new** at the first interview in which it is applied; ``cumulative`` counts the
  distinct codes seen up to and including an interview.
* **Base**: the first ``base`` interviews. Its number of distinct codes, ``B``, is the
  denominator of every ratio and stays **fixed** (the base does not grow as runs move on).
* **Runs**: windows of ``run`` consecutive interviews after the base that **slide forward one
  interview at a time**: the first run is interviews ``base+1 .. base+run``, the next
  ``base+2 .. base+run+1``, and so on (consecutive runs overlap).
* **Ratio** of a run = (codes first appearing anywhere in the run, i.e. in none of the earlier
  interviews) / ``B``. It is reported on the run's **last** interview, the moment it can be
  computed while data collection goes on; interviews before ``base + run`` have no ratio.
* **Saturation** is reached at the first run whose ratio is **<= threshold** (so a threshold of
  0 asks for runs that add nothing). It is reported as ``N+R`` where ``N`` is the interview
  just before that run (the number of interviews needed) and ``R`` the run length confirming
  it; ``reached_at`` is interview ``N`` and ``confirmed_by`` the run's interviews.
* No ratio exists when ``base + run`` exceeds the number of interviews (including a base
  larger than the data): saturation is then ``None`` with a note saying why, while new and
  cumulative counts are still given. A base with no codes (``B = 0``) leaves every ratio
  undefined (``None``), also with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Interview:
    """One unit in collection order: a document (or a case) and the codes applied in it."""

    document: str
    case: str | None
    order_value: str | None
    codes: frozenset[str]


@dataclass(slots=True)
class SaturationStep:
    position: int
    document: str
    case: str | None
    order_value: str | None
    new: int
    cumulative: int
    ratio: float | None
    new_codes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SaturationResult:
    documents: list[SaturationStep]
    base: int
    run: int
    threshold: float
    base_codes: int
    #: the interview N of "N+R" (the last one before the confirming run), or None
    saturation_reached_at: str | None = None
    saturation_position: int | None = None
    confirmed_by: list[str] = field(default_factory=list)
    report_as: str | None = None
    total_codes: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "documents": [
                {
                    "position": s.position,
                    "document": s.document,
                    "case": s.case,
                    "order_value": s.order_value,
                    "new": s.new,
                    "cumulative": s.cumulative,
                    "ratio": s.ratio,
                    "new_codes": list(s.new_codes),
                }
                for s in self.documents
            ],
            "saturation_reached_at": self.saturation_reached_at,
            "saturation_position": self.saturation_position,
            "confirmed_by": list(self.confirmed_by),
            "report_as": self.report_as,
            "base": self.base,
            "run": self.run,
            "threshold": self.threshold,
            "base_codes": self.base_codes,
            "total_codes": self.total_codes,
            "notes": list(self.notes),
        }


@dataclass(slots=True)
class CodeFirstSeen:
    code: str
    first_position: int
    first_document: str
    first_case: str | None
    documents: int
    cases: int


def check_parameters(base: int, run: int, threshold: float) -> None:
    from thematica.core.errors import InputError

    if base < 1:
        raise InputError(f"the base size must be at least 1 interview (got {base})")
    if run < 1:
        raise InputError(f"the run length must be at least 1 interview (got {run})")
    if not 0 <= threshold <= 1:
        raise InputError(f"the new-information threshold is a share from 0 to 1 (got {threshold})")


def new_codes(interviews: Sequence[Interview]) -> list[list[str]]:
    """For each interview, the codes that first appear in it (sorted)."""
    seen: set[str] = set()
    out: list[list[str]] = []
    for iv in interviews:
        fresh = sorted(iv.codes - seen)
        seen.update(fresh)
        out.append(fresh)
    return out


def assess(
    interviews: Sequence[Interview], base: int = 4, run: int = 2, threshold: float = 0.05
) -> SaturationResult:
    """New and cumulative codes per interview and the GNC (2020) saturation assessment."""
    check_parameters(base, run, threshold)
    fresh = new_codes(interviews)
    n = len(interviews)
    steps: list[SaturationStep] = []
    cumulative = 0
    for i, (iv, new) in enumerate(zip(interviews, fresh, strict=True), start=1):
        cumulative += len(new)
        steps.append(
            SaturationStep(i, iv.document, iv.case, iv.order_value, len(new), cumulative, None, new)
        )
    base_codes = steps[base - 1].cumulative if n >= base else cumulative
    result = SaturationResult(
        steps, base, run, threshold, base_codes if n >= base else 0, total_codes=cumulative
    )
    if n < base + run:
        result.notes.append(
            f"no run can be assessed: a base of {base} and a run of {run} need at least "
            f"{base + run} interviews, and there are {n}"
        )
        return result
    if base_codes == 0:
        result.notes.append("the base interviews have no codes, so the ratio is undefined")
        return result
    for end in range(base + run, n + 1):  # 1-based position of the run's last interview
        added = sum(steps[j].new for j in range(end - run, end))
        ratio = added / base_codes
        steps[end - 1].ratio = ratio
        if result.saturation_position is None and ratio <= threshold:
            at = end - run
            result.saturation_position = at
            result.saturation_reached_at = steps[at - 1].document
            result.confirmed_by = [steps[j].document for j in range(at, end)]
            result.report_as = f"{at}+{run}"
    if result.saturation_position is None:
        result.notes.append(
            f"no run of {run} reached a new-information ratio of {threshold:g} or less"
        )
    return result


def first_seen(interviews: Sequence[Interview]) -> list[CodeFirstSeen]:
    """Per code: where it first appeared and in how many interviews and cases it recurs."""
    first: dict[str, tuple[int, Interview]] = {}
    docs: dict[str, int] = {}
    cases: dict[str, set[str]] = {}
    for i, iv in enumerate(interviews, start=1):
        for code in iv.codes:
            first.setdefault(code, (i, iv))
            docs[code] = docs.get(code, 0) + 1
            cases.setdefault(code, set()).add(iv.case if iv.case is not None else iv.document)
    return [
        CodeFirstSeen(code, pos, iv.document, iv.case, docs[code], len(cases[code]))
        for code, (pos, iv) in sorted(first.items(), key=lambda kv: (kv[1][0], kv[0]))
    ]


def cumulative_share(
    interviews: Iterable[Interview], after: int, total: int | None = None
) -> float:
    """Share of all codes (or of ``total``) already seen after the first ``after`` interviews."""
    items = list(interviews)
    seen: set[str] = set()
    for iv in items[:after]:
        seen |= iv.codes
    denominator = total if total is not None else len(set().union(*(iv.codes for iv in items)))
    return len(seen) / denominator if denominator else 0.0
