"""Inter-coder agreement on a project: any two or more coder layers, five choices of unit.

``project.agreement.compute(coders=("alex", "sam"), unit="sentence")`` returns an
:class:`AgreementReport`: the overall values, a per-code, per-document and per-coder-pair
table, and the list of disagreements. The coefficients themselves come from
:mod:`thematica.stats`; this module only turns codings into the data those functions take.

Units
-----
``character``
    Spans on the text continuum (every document laid end to end). Per code and pooled over
    codes: character-level percent agreement and Cohen's kappa (2 coders) or Fleiss' kappa
    (3+), the measures NVivo reports; per code Krippendorff's unitised u-alpha of that code
    against the gaps (Krippendorff et al. 2016); overall αU with every code as its own layer
    (Krippendorff 2004), |u-alpha (coded vs not coded), cu-alpha (the selected codes as one
    semantic domain) and Cu-alpha (top-level codes as domains) — the last two only when each
    coder's codes do not overlap, as the coefficients require. No bootstrap interval: the
    characters of a text are not independently sampled units.
``segment``
    MAXQDA-style: two coders' codings of the same code in the same document are paired
    one-to-one (:func:`thematica.core.segments.match_segments`) when their overlap
    (intersection over union) reaches ``min_overlap``. Every pair or unpaired coding is one
    unit, on which each coder either applied the code or not. Per code: percent = paired /
    all units of the code; Cohen's kappa and nominal alpha on "is this code" over all segment
    units. Overall: percent paired; kappa and alpha with the codes (and "(none)") as
    categories. With 3+ coders, pairs are compared one at a time and per-code and overall
    values are means over pairs (Light's kappa); alpha is then left out.
``sentence`` / ``turn`` / ``document``
    The text is cut into units — sentences (:func:`split_sentences`), the stored speaker
    turns, or whole documents — and a code is present in a unit for a coder when any of that
    coder's codings of it overlaps the unit. Each unit × code is one rating per coder
    (present/absent): percent agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+),
    nominal Krippendorff's alpha with a percentile bootstrap interval. The overall values
    pool every unit × code cell over the codes that somebody used.

A coefficient that cannot be computed (nobody used the code; one category only) is ``None``
with the reason in ``note``; it never becomes NaN, and the rest of the report still computes.
Codes include their subcodes' codings under the subcodes' own rows.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import insert, select

from thematica.core.codebook import CodebookChange, diff_snapshots
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.segments import Segment, SegmentPair, match_segments
from thematica.core.tables import Table
from thematica.stats import (
    bootstrap_ci,
    estimator,
    krippendorff_label,
    landis_koch_label,
    u_alpha_family,
    unitized_alpha,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = [
    "UNITS",
    "Agreement",
    "AgreementComparison",
    "AgreementReport",
    "split_sentences",
]

UNITS = ("character", "segment", "sentence", "turn", "document")
NONE_CATEGORY = "(none)"
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n[ \t]*\n\s*")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)`` of a normalised text.

    A sentence ends at ``.``, ``?`` or ``!`` followed by white space (a space or a line
    break), and at every paragraph break (a blank line). Leading and trailing white space is
    not part of a sentence. Deliberately simple and predictable: "Dr. Smith" splits after
    "Dr.", and a line break alone (without a blank line or end punctuation) does not split.
    """
    out: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        _trim(text, pos, match.start(), out)
        pos = match.end()
    _trim(text, pos, len(text), out)
    return out


def _trim(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append((start, end))


# -- result rows ----------------------------------------------------------------------------
@dataclass(slots=True)
class OverallRow:
    """One overall coefficient; ``value`` is None (with ``note``) when undefined."""

    measure: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_units: int
    label: str | None
    note: str | None = None


@dataclass(slots=True)
class CodeAgreementRow:
    """Agreement on one code. ``coded``: each coder's codings (character, segment) or units
    marked present (sentence, turn, document)."""

    code: str
    prevalence: float | None
    coded: dict[str, int]
    units: int
    percent: float | None
    kappa: float | None
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    label: str | None
    cu_alpha: float | None = None
    note: str | None = None
    code_id: int = 0


@dataclass(slots=True)
class DocumentAgreementRow:
    document: str
    units: int
    coded: dict[str, int]
    percent: float | None
    kappa: float | None
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    label: str | None
    note: str | None = None


@dataclass(slots=True)
class PairAgreementRow:
    coder_a: str
    coder_b: str
    units: int
    percent: float | None
    kappa: float | None
    alpha: float | None
    label: str | None
    note: str | None = None


@dataclass(slots=True)
class DisagreementRow:
    """Two coders differ: ``kind`` is boundary (both coded, spans differ), only_a or only_b.

    ``unit_start``/``unit_end`` give the sentence, turn or document compared (unit-based
    analyses); ``a_*``/``b_*`` are what each coder coded there (None where they did not).
    """

    code: str
    document: str
    kind: str
    coder_a: str
    coder_b: str
    a_start: int | None
    a_end: int | None
    a_text: str | None
    b_start: int | None
    b_end: int | None
    b_text: str | None
    unit_start: int | None = None
    unit_end: int | None = None
    overlap: float | None = None


@dataclass(slots=True)
class CodeChangeRow:
    """How agreement on one code changed between two runs (matched by the code's id)."""

    code: str
    status: str  # same | renamed | moved | added | removed
    old_code: str | None
    percent_old: float | None
    percent_new: float | None
    kappa_old: float | None
    kappa_new: float | None
    alpha_old: float | None
    alpha_new: float | None
    alpha_change: float | None


@dataclass(slots=True)
class AgreementReport:
    coders: list[str]
    unit: str
    parameters: dict[str, Any]
    overall: Table[OverallRow]
    codes: Table[CodeAgreementRow]
    documents: Table[DocumentAgreementRow]
    pairs: Table[PairAgreementRow]
    disagreements: Table[DisagreementRow]
    notes: list[str] = field(default_factory=list)
    saved_as: str | None = None

    def tables(self) -> dict[str, Table[Any]]:
        return {
            "overall": self.overall,
            "codes": self.codes,
            "documents": self.documents,
            "pairs": self.pairs,
            "disagreements": self.disagreements,
        }

    def to_dict(self, *, disagreements: bool = True) -> dict[str, Any]:
        """JSON-ready: parameters, notes and every table as a list of records."""
        out: dict[str, Any] = {
            "coders": list(self.coders),
            "unit": self.unit,
            "parameters": dict(self.parameters),
            "notes": list(self.notes),
        }
        for name, table in self.tables().items():
            if name == "disagreements" and not disagreements:
                continue
            out[name] = table.records()
        return out


@dataclass(slots=True)
class AgreementComparison:
    old: str
    new: str
    codebook_changes: Table[CodebookChange]
    overall: Table[OverallChangeRow]
    codes: Table[CodeChangeRow]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "codebook_changes": self.codebook_changes.records(),
            "overall": self.overall.records(),
            "codes": self.codes.records(),
        }


@dataclass(slots=True)
class OverallChangeRow:
    measure: str
    old: float | None
    new: float | None
    change: float | None


CODE_COLUMNS = (
    "code",
    "prevalence",
    "coded",
    "units",
    "percent",
    "kappa",
    "alpha",
    "ci_low",
    "ci_high",
    "label",
    "cu_alpha",
    "note",
)


# -- coefficients ---------------------------------------------------------------------------
@dataclass(slots=True)
class _Coef:
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str | None = None
    n_units: int = 0


def _coefficient(
    name: str,
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
) -> _Coef:
    """A coefficient from :mod:`thematica.stats`, or None with the reason it is undefined."""
    try:
        est = estimator(name, data, categories=categories)
        value = est.value()
    except InputError as exc:
        return _Coef(note=str(exc))
    out = _Coef(value=value, n_units=est.n_units)
    if bootstrap:
        try:
            out.ci_low, out.ci_high, _valid = bootstrap_ci(est, resamples=bootstrap, seed=seed)
        except InputError as exc:
            out.note = f"no interval: {exc}"
    return out


def _kappa_name(m: int) -> str:
    return "cohen" if m == 2 else "fleiss"


def _kappa_label(m: int) -> str:
    return "Cohen's kappa" if m == 2 else "Fleiss' kappa"


def _join_notes(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(dict.fromkeys(kept)) or None


def _label(alpha: float | None, kappa: float | None) -> str | None:
    if alpha is not None:
        return krippendorff_label(alpha)
    if kappa is not None:
        return landis_koch_label(kappa)
    return None


def _binary_from_histogram(hist: FloatArray, m: int) -> tuple[float | None, float | None, str]:
    """Percent agreement and Fleiss' kappa (Cohen's for the 2×2 case is computed apart) from
    ``hist[j]`` = number of units that exactly ``j`` of ``m`` coders marked present.

    Fleiss, J. L. (1971) Psychol. Bull. 76(5):378–382 with a binary category; percent is the
    mean pairwise agreement per unit. Returns (percent, kappa, reason if kappa undefined).
    """
    n = float(hist.sum())
    if n <= 0:
        return None, None, "no units"
    j = np.arange(m + 1, dtype=np.float64)
    agree = (j * (j - 1) + (m - j) * (m - j - 1)) / (m * (m - 1))
    p_o = float((hist * agree).sum() / n)
    p = float((hist * j).sum() / (n * m))
    p_e = p * p + (1 - p) * (1 - p)
    if abs(1.0 - p_e) < 1e-12:
        return p_o, None, "only one category (every unit coded, or none): kappa is undefined"
    return p_o, (p_o - p_e) / (1.0 - p_e), ""


def _cohen_2x2(both: float, only_a: float, only_b: float, neither: float) -> tuple[float, str]:
    """Cohen's (1960) kappa from a 2×2 table of present/absent counts (NaN-free)."""
    n = both + only_a + only_b + neither
    p_o = (both + neither) / n
    pa, pb = (both + only_a) / n, (both + only_b) / n
    p_e = pa * pb + (1 - pa) * (1 - pb)
    if abs(1.0 - p_e) < 1e-12:
        return float("nan"), "only one category (every unit coded, or none): kappa is undefined"
    return (p_o - p_e) / (1.0 - p_e), ""


# -- loaded data ----------------------------------------------------------------------------
@dataclass(slots=True)
class _Doc:
    id: int
    name: str
    length: int
    text: str
    offset: int = 0


@dataclass(slots=True)
class _Data:
    coders: list[str]  # names, in the order asked for
    coder_ids: list[int]
    docs: list[_Doc]
    codes: list[int]  # code ids, depth-first
    paths: dict[int, str]
    top: dict[int, int]  # code id -> its top-level ancestor
    # per coder index: list of (document_id, code_id, start, end, coding_id)
    codings: list[list[tuple[int, int, int, int, int]]]
    turns: dict[int, list[tuple[int, int]]]


class Agreement:
    """Inter-coder agreement on the project's coder layers (``project.agreement``)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- public API --------------------------------------------------------------------------
    def compute(
        self,
        coders: str | Sequence[str] = ("alex", "sam"),
        unit: str = "character",
        *,
        documents: Sequence[str] | None = None,
        codes: Sequence[str] | None = None,
        min_overlap: float = 0.9,
        bootstrap: int = 1000,
        seed: int | None = 1,
        save: str | None = None,
    ) -> AgreementReport:
        """Agreement between ``coders`` (2 or more; "a,b" or a list) on ``unit``.

        ``documents`` (names) and ``codes`` (paths or unique names; each with its subcodes)
        restrict the comparison; ``min_overlap`` is the segment unit's pairing threshold
        (intersection over union); ``bootstrap`` resamples units for 95% intervals (0 = none)
        with ``seed``. ``save`` stores the run under that name for :meth:`compare`.
        """
        if unit not in UNITS:
            raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
        if not 0.0 < min_overlap <= 1.0:
            raise InputError("min_overlap must be greater than 0 and at most 1")
        if bootstrap < 0:
            raise InputError("bootstrap must be 0 or more resamples")
        names = _coder_names(coders)
        if save is not None and not save.strip():
            raise InputError("a saved agreement run needs a name")
        data, snapshot = self._load(names, unit, documents, codes)
        parameters = {
            "coders": data.coders,
            "unit": unit,
            "documents": list(documents) if documents else None,
            "codes": list(codes) if codes else None,
            "min_overlap": min_overlap,
            "bootstrap": bootstrap,
            "seed": seed,
        }
        if unit == "character":
            report = _character(data, parameters)
        elif unit == "segment":
            report = _segment(data, parameters, min_overlap, bootstrap, seed)
        else:
            report = _units(data, parameters, unit, bootstrap, seed)
        if save is not None:
            self._save(save.strip(), report, snapshot)
            report.saved_as = save.strip()
        return report

    def runs(self) -> Table[RunRow]:
        """Saved agreement runs, oldest first."""
        r = t.agreement_run.c
        with self.project.db.read() as conn:
            rows = [
                RunRow(
                    row.name,
                    row.created_at.isoformat(timespec="seconds"),
                    row.parameters.get("unit"),
                    ",".join(row.parameters.get("coders") or []),
                )
                for row in conn.execute(
                    select(t.agreement_run).where(r.project_id == self.project.id).order_by(r.id)
                )
            ]
        return Table(rows, title="Saved agreement runs")

    def compare(self, old: str, new: str | None = None) -> AgreementComparison:
        """How agreement changed from saved run ``old`` to saved run ``new``.

        With ``new`` None or ``"current"`` the old run's parameters are re-run on the project
        as it is now. Codes are matched by their stable id, so a renamed code keeps its
        history; codebook changes in between come from the two codebook snapshots.
        """
        old_run = self._load_run(old)
        if new is None or new == "current":
            p = old_run["parameters"]
            report = self.compute(
                p["coders"],
                p["unit"],
                documents=p.get("documents"),
                codes=p.get("codes"),
                min_overlap=p.get("min_overlap", 0.9),
                bootstrap=p.get("bootstrap", 0),
                seed=p.get("seed"),
            )
            with self.project.db.read() as conn:
                snapshot = self.project.codebook.index(conn).snapshot()
            new_run: dict[str, Any] = {"codebook": snapshot, "results": _results(report)}
            new_label = "current"
        else:
            new_run = self._load_run(new)
            new_label = new
        changes = diff_snapshots(old_run["codebook"], new_run["codebook"])
        change_table = Table(
            changes, columns=("change", "path", "field", "old", "new"), title="Codebook changes"
        )
        old_codes = {row["code_id"]: row for row in old_run["results"]["codes"]}
        new_codes = {row["code_id"]: row for row in new_run["results"]["codes"]}
        old_snap = {row["id"]: row for row in old_run["codebook"]}
        new_snap = {row["id"]: row for row in new_run["codebook"]}
        rows: list[CodeChangeRow] = []
        for cid, after in new_codes.items():
            before = old_codes.get(cid)
            if before is None:
                status = "added" if cid not in old_snap else "newly compared"
            elif before["code"] != after["code"]:
                was, now_ = old_snap.get(cid), new_snap.get(cid)
                renamed = was is not None and now_ is not None and was["name"] != now_["name"]
                status = "renamed" if renamed else "moved"
            else:
                status = "same"
            rows.append(_change_row(after["code"], status, before, after))
        for cid, before in old_codes.items():
            if cid not in new_codes:
                status = "removed" if cid not in new_snap else "not compared"
                rows.append(_change_row(before["code"], status, before, None))
        old_overall = {r["measure"]: r["value"] for r in old_run["results"]["overall"]}
        new_overall = {r["measure"]: r["value"] for r in new_run["results"]["overall"]}
        overall = [
            OverallChangeRow(
                m,
                old_overall.get(m),
                new_overall.get(m),
                _delta(old_overall.get(m), new_overall.get(m)),
            )
            for m in dict.fromkeys([*old_overall, *new_overall])
        ]
        return AgreementComparison(
            old,
            new_label,
            change_table,
            Table(overall, title=f"Overall agreement, {old} -> {new_label}"),
            Table(rows, title=f"Agreement per code, {old} -> {new_label}"),
        )

    # -- storage -------------------------------------------------------------------------
    def _save(self, name: str, report: AgreementReport, snapshot: list[dict[str, Any]]) -> None:
        from thematica.services.project import now

        r = t.agreement_run.c
        with self.project.db.write() as conn:
            exists = conn.scalar(
                select(r.id).where(r.project_id == self.project.id, r.name == name)
            )
            if exists is not None:
                raise ConflictError(f"an agreement run named {name!r} already exists")
            conn.execute(
                insert(t.agreement_run).values(
                    project_id=self.project.id,
                    name=name,
                    created_at=now(),
                    parameters=report.parameters,
                    codebook=snapshot,
                    results=_results(report),
                )
            )
            self.project.audit(conn, "agreement_run", name=name, unit=report.unit)

    def _load_run(self, name: str) -> dict[str, Any]:
        r = t.agreement_run.c
        with self.project.db.read() as conn:
            row = conn.execute(
                select(t.agreement_run).where(r.project_id == self.project.id, r.name == name)
            ).first()
        if row is None:
            raise NotFoundError(f"no saved agreement run named {name!r}")
        return {"parameters": row.parameters, "codebook": row.codebook, "results": row.results}

    # -- loading -------------------------------------------------------------------------
    def _load(
        self,
        names: list[str],
        unit: str,
        documents: Sequence[str] | None,
        codes: Sequence[str] | None,
    ) -> tuple[_Data, list[dict[str, Any]]]:
        pid = self.project.id
        with self.project.db.read() as conn:
            d = t.document.c
            doc_stmt = (
                select(d.id, d.name, d.length, d.text).where(d.project_id == pid).order_by(d.name)
            )
            all_docs = [_Doc(r.id, r.name, r.length, r.text) for r in conn.execute(doc_stmt)]
            if not all_docs:
                raise InputError(f"project {self.project.name!r} has no documents to compare")
            if documents:
                by_name = {doc.name: doc for doc in all_docs}
                missing = [n for n in documents if n not in by_name]
                if missing:
                    raise NotFoundError(
                        f"no document named {', '.join(map(repr, missing))} "
                        f"in project {self.project.name!r}"
                    )
                wanted = set(documents)
                docs = [doc for doc in all_docs if doc.name in wanted]
            else:
                docs = all_docs
            coder_map = self.project.coding.coder_ids(conn, names)
            index = self.project.codebook.index(conn)
            if not index.rows:
                raise InputError("the codebook has no codes to compare")
            if codes:
                chosen: dict[int, None] = {}
                for term in codes:
                    for cid in index.subtree(index.resolve(term)):
                        chosen[cid] = None
                order = {cid: n for n, cid in enumerate(index.depth_first())}
                code_ids = sorted(chosen, key=order.__getitem__)
            else:
                code_ids = index.depth_first()
            top: dict[int, int] = {}
            for cid in code_ids:
                root = cid
                while index.rows[root].parent_id is not None:
                    root = index.rows[root].parent_id
                top[cid] = root
            c = t.coding.c
            stmt = select(c.coder_id, c.document_id, c.code_id, c.start, c.end, c.id).where(
                c.project_id == pid, c.coder_id.in_(list(coder_map))
            )
            if documents:
                stmt = stmt.where(c.document_id.in_([doc.id for doc in docs]))
            if codes:
                stmt = stmt.where(c.code_id.in_(code_ids))
            position = {cid: n for n, cid in enumerate(coder_map)}
            per_coder: list[list[tuple[int, int, int, int, int]]] = [[] for _ in coder_map]
            doc_ids = {doc.id for doc in docs}
            code_set = set(code_ids)
            for coder_id, doc_id, code_id, start, end, coding_id in conn.execute(stmt):
                if doc_id in doc_ids and code_id in code_set:
                    per_coder[position[coder_id]].append((doc_id, code_id, start, end, coding_id))
            turns: dict[int, list[tuple[int, int]]] = defaultdict(list)
            if unit == "turn":
                tc = t.turn.c
                for doc_id, start, end in conn.execute(
                    select(tc.document_id, tc.start, tc.end)
                    .join(t.document, t.document.c.id == tc.document_id)
                    .where(t.document.c.project_id == pid)
                    .order_by(tc.document_id, tc.start)
                ):
                    if doc_id in doc_ids and end > start:
                        turns[doc_id].append((start, end))
            snapshot = index.snapshot()
        offset = 0
        for doc in docs:
            doc.offset = offset
            offset += doc.length
        data = _Data(
            coders=list(coder_map.values()),
            coder_ids=list(coder_map),
            docs=docs,
            codes=code_ids,
            paths={cid: index.paths[cid] for cid in code_ids},
            top=top,
            codings=per_coder,
            turns=dict(turns),
        )
        if len(data.coders) < 2:
            raise InputError("agreement needs at least 2 coders (e.g. --coders alex,sam)")
        return data, snapshot


@dataclass(slots=True)
class RunRow:
    name: str | None
    created_at: str
    unit: str | None
    coders: str


def _coder_names(coders: str | Sequence[str]) -> list[str]:
    if isinstance(coders, str):
        raw = coders.split(",")
    else:
        raw = [part for item in coders for part in str(item).split(",")]
    names = list(dict.fromkeys(n.strip() for n in raw if n.strip()))
    if [n.lower() for n in names] == ["all"]:
        return names
    if len(names) < 2:
        raise InputError(
            f"agreement needs at least 2 coders, got {len(names)} (e.g. --coders alex,sam)"
        )
    return names


def _results(report: AgreementReport) -> dict[str, Any]:
    return {
        "overall": report.overall.records(),
        "codes": [asdict(row) for row in report.codes.rows],
        "documents": report.documents.records(),
        "pairs": report.pairs.records(),
        "notes": list(report.notes),
    }


def _delta(old: Any, new: Any) -> float | None:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(new) - float(old)
    return None


def _change_row(
    code: str, status: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> CodeChangeRow:
    def get(row: dict[str, Any] | None, key: str) -> float | None:
        return None if row is None else row.get(key)

    return CodeChangeRow(
        code=code,
        status=status,
        old_code=None if before is None or before["code"] == code else before["code"],
        percent_old=get(before, "percent"),
        percent_new=get(after, "percent"),
        kappa_old=get(before, "kappa"),
        kappa_new=get(after, "kappa"),
        alpha_old=get(before, "alpha"),
        alpha_new=get(after, "alpha"),
        alpha_change=_delta(get(before, "alpha"), get(after, "alpha")),
    )


def _text(doc: _Doc, start: int | None, end: int | None) -> str | None:
    return None if start is None or end is None else doc.text[start:end]


def _pairs(m: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(m) for j in range(i + 1, m)]


def _segments(data: _Data, k: int) -> list[Segment]:
    return [Segment(cid, doc, code, s, e) for doc, code, s, e, cid in data.codings[k]]


def _segment_disagreements(
    data: _Data, pairs: Iterable[tuple[int, int, list[SegmentPair]]]
) -> list[DisagreementRow]:
    docs = {doc.id: doc for doc in data.docs}
    out: list[DisagreementRow] = []
    for i, j, matched in pairs:
        for pair in matched:
            kind = pair.kind
            if kind == "agreed":
                continue
            doc = docs[pair.document_id]
            a, b = pair.a, pair.b
            out.append(
                DisagreementRow(
                    code=data.paths[pair.code_id],
                    document=doc.name,
                    kind=kind,
                    coder_a=data.coders[i],
                    coder_b=data.coders[j],
                    a_start=a.start if a else None,
                    a_end=a.end if a else None,
                    a_text=_text(doc, a.start, a.end) if a else None,
                    b_start=b.start if b else None,
                    b_end=b.end if b else None,
                    b_text=_text(doc, b.start, b.end) if b else None,
                    overlap=round(pair.overlap, 4) if kind == "boundary" else None,
                )
            )
    return out


def _counts(data: _Data) -> dict[int, list[int]]:
    """Per code: each coder's number of codings."""
    out = {cid: [0] * len(data.coders) for cid in data.codes}
    for k, rows in enumerate(data.codings):
        for _doc, code, _s, _e, _id in rows:
            out[code][k] += 1
    return out


def _doc_counts(data: _Data) -> dict[int, list[int]]:
    out = {doc.id: [0] * len(data.coders) for doc in data.docs}
    for k, rows in enumerate(data.codings):
        for doc, _code, _s, _e, _id in rows:
            out[doc][k] += 1
    return out


def _finish(
    data: _Data,
    parameters: dict[str, Any],
    overall: list[OverallRow],
    codes: list[CodeAgreementRow],
    documents: list[DocumentAgreementRow],
    pairs: list[PairAgreementRow],
    disagreements: list[DisagreementRow],
    notes: list[str],
) -> AgreementReport:
    unit = parameters["unit"]
    who = " vs ".join(data.coders)
    return AgreementReport(
        coders=list(data.coders),
        unit=unit,
        parameters=parameters,
        overall=Table(overall, title=f"Agreement by {unit}, {who}"),
        codes=Table(codes, columns=CODE_COLUMNS, title=f"Agreement per code ({unit})"),
        documents=Table(documents, title=f"Agreement per document ({unit})"),
        pairs=Table(pairs, title=f"Agreement per coder pair ({unit})"),
        disagreements=Table(disagreements, title=f"Disagreements ({unit})"),
        notes=notes,
    )


# -- character -------------------------------------------------------------------------------
def _merge(intervals: list[tuple[int, int]]) -> tuple[IntArray, IntArray]:
    """Union of overlapping intervals (touching ones stay apart) as start and end arrays."""
    if not intervals:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    arr = np.asarray(sorted(intervals), dtype=np.intp)
    starts, ends = arr[:, 0], arr[:, 1]
    run_end = np.maximum.accumulate(ends)
    new = np.ones(starts.size, dtype=bool)
    new[1:] = starts[1:] >= run_end[:-1]
    group = np.cumsum(new) - 1
    out_s = starts[new]
    out_e = np.zeros(out_s.size, dtype=np.intp)
    np.maximum.at(out_e, group, ends)
    return out_s, out_e


def _coverage(layers: list[tuple[IntArray, IntArray]], bounds: Any, lengths: Any, m: int) -> Any:
    """``hist[doc, j]``: characters of each document covered by exactly ``j`` of the layers.

    ``bounds`` are the documents' global start offsets plus the total length at the end.
    """
    n_docs = bounds.size - 1
    hist = np.zeros((n_docs, m + 1), dtype=np.int64)
    pos = np.concatenate([s for s, _ in layers] + [e for _, e in layers])
    if pos.size == 0:
        hist[:, 0] = lengths
        return hist
    delta = np.concatenate(
        [np.ones(s.size, dtype=np.int64) for s, _ in layers]
        + [-np.ones(e.size, dtype=np.int64) for _, e in layers]
    )
    order = np.argsort(pos, kind="stable")
    pos, delta = pos[order], delta[order]
    level = np.cumsum(delta)
    widths = np.diff(pos)
    lv = level[:-1]
    keep = (widths > 0) & (lv > 0)
    doc = np.searchsorted(bounds, pos[:-1][keep], side="right") - 1
    np.add.at(hist, (doc, lv[keep]), widths[keep])
    hist[:, 0] = lengths - hist[:, 1:].sum(axis=1)
    return hist


def _character(data: _Data, parameters: dict[str, Any]) -> AgreementReport:
    m = len(data.coders)
    notes = [
        "character unit: no bootstrap intervals (characters are not independently sampled "
        "units); percent and kappa count characters × codes, so the uncoded text weighs in"
    ]
    bounds = np.asarray([doc.offset for doc in data.docs] + [sum(d.length for d in data.docs)])
    lengths = np.asarray([doc.length for doc in data.docs], dtype=np.int64)
    total = int(lengths.sum())
    offset = {doc.id: doc.offset for doc in data.docs}
    # global spans per coder per code
    spans: dict[int, list[list[tuple[int, int]]]] = {
        cid: [[] for _ in range(m)] for cid in data.codes
    }
    for k, rows in enumerate(data.codings):
        for doc_id, code, s, e, _id in rows:
            o = offset[doc_id]
            spans[code][k].append((s + o, e + o))
    counts = _counts(data)
    merged = {cid: [_merge(spans[cid][k]) for k in range(m)] for cid in data.codes}
    used = [cid for cid in data.codes if any(counts[cid])]
    hists: dict[int, Any] = {}
    pair_hists: dict[tuple[int, int], Any] = {}
    for cid in used:
        hists[cid] = _coverage(merged[cid], bounds, lengths, m)
        if m > 2:
            for i, j in _pairs(m):
                ph = _coverage([merged[cid][i], merged[cid][j]], bounds, lengths, 2)
                pair_hists[(i, j)] = pair_hists[(i, j)] + ph if (i, j) in pair_hists else ph
    covered = {cid: [int((e - s).sum()) for s, e in merged[cid]] for cid in used}

    def binary(hist: Any, per_coder: list[int] | None) -> tuple[float | None, float | None, str]:
        """percent, kappa, reason from a 0..m coverage histogram (+ per-coder totals, m=2)."""
        hist = np.asarray(hist, dtype=np.float64)
        if m == 2 and per_coder is not None:
            both = float(hist[2])
            a, b = per_coder
            only_a, only_b = a - both, b - both
            neither = float(hist[0])
            n = both + only_a + only_b + neither
            if n <= 0:
                return None, None, "no units"
            kappa, why = _cohen_2x2(both, only_a, only_b, neither)
            return (both + neither) / n, (None if why else kappa), why
        return _binary_from_histogram(hist, m)

    # per-code u-alpha (Krippendorff et al. 2016) of each code against the gaps
    code_rows: list[CodeAgreementRow] = []
    family_note: dict[int, str] = {}
    u_per_code: dict[int, float | None] = {}
    for cid in used:
        layer = [
            [(float(s), float(e), cid) for s, e in zip(*merged[cid][k], strict=True)]
            for k in range(m)
        ]
        try:
            fam = u_alpha_family(layer, float(total))
            u_per_code[cid] = fam.u_alpha
            if fam.u_alpha is None:
                family_note[cid] = "u-alpha undefined: no variation to expect"
        except InputError as exc:
            u_per_code[cid] = None
            family_note[cid] = str(exc)
    # overall family
    overall: list[OverallRow] = []
    pooled = sum((hists[cid].sum(axis=0) for cid in used), np.zeros(m + 1, dtype=np.int64))
    n_cells = total * len(used)
    if used:
        per_coder_tot = [sum(covered[cid][k] for cid in used) for k in range(m)]
        pct, kap, why = binary(pooled, per_coder_tot)
    else:
        pct, kap, why = None, None, "no coder used any of the selected codes"
    overall.append(
        OverallRow(
            "percent agreement (characters × codes)",
            pct,
            None,
            None,
            n_cells,
            None,
            None if pct is not None else why,
        )
    )
    overall.append(
        OverallRow(
            f"{_kappa_label(m)} (characters × codes)",
            kap,
            None,
            None,
            n_cells,
            landis_koch_label(kap) if kap is not None else None,
            why or None,
        )
    )
    all_spans = [
        [(float(s), float(e), cid) for cid in used for s, e in zip(*merged[cid][k], strict=True)]
        for k in range(m)
    ]
    overall.append(
        _try_overall(
            "αU, codes as layers (Krippendorff 2004)",
            total,
            lambda: unitized_alpha(all_spans, float(total)).alpha,
        )
    )
    any_coded = [
        [
            (float(s), float(e), "coded")
            for s, e in zip(*_merge([(int(a), int(b)) for a, b, _c in spans_k]), strict=True)
        ]
        for spans_k in all_spans
    ]
    overall.append(
        _try_overall(
            "|u-alpha, coded vs not coded (Krippendorff et al. 2016)",
            total,
            lambda: u_alpha_family(any_coded, float(total)).binary_u_alpha,
        )
    )
    cu_per_code: dict[Hashable, float | None] = {}
    cu_note = ""
    try:
        fam_all = u_alpha_family(all_spans, float(total))
        cu_per_code = dict(fam_all.per_code)
        overall.append(
            _row_value(
                "cu-alpha, selected codes as one domain (Krippendorff et al. 2016)",
                fam_all.cu_alpha,
                total,
                "no coded stretch is shared",
            )
        )
    except InputError as exc:
        cu_note = str(exc)
        overall.append(
            OverallRow(
                "cu-alpha, selected codes as one domain (Krippendorff et al. 2016)",
                None,
                None,
                None,
                total,
                None,
                cu_note,
            )
        )
    domains: dict[Hashable, Hashable] = {cid: data.paths[data.top[cid]] for cid in used}
    overall.append(
        _try_overall(
            "Cu-alpha, top-level codes as semantic domains (Krippendorff et al. 2016)",
            total,
            lambda: u_alpha_family(all_spans, float(total), domains=domains).cu_alpha,
        )
    )
    for cid in data.codes:
        coded = dict(zip(data.coders, counts[cid], strict=True))
        if cid not in hists:
            code_rows.append(
                CodeAgreementRow(
                    data.paths[cid],
                    0.0,
                    coded,
                    total,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "no coder used this code",
                    cid,
                )
            )
            continue
        h = hists[cid].sum(axis=0)
        pct_c, kap_c, why_c = binary(h, covered[cid])
        u = u_per_code.get(cid)
        cu = cu_per_code.get(cid)
        code_rows.append(
            CodeAgreementRow(
                code=data.paths[cid],
                prevalence=float(h[1:].sum()) / total if total else None,
                coded=coded,
                units=total,
                percent=pct_c,
                kappa=kap_c,
                alpha=u,
                ci_low=None,
                ci_high=None,
                label=_label(u, kap_c),
                cu_alpha=cu,
                note=_join_notes(why_c, family_note.get(cid)),
                code_id=cid,
            )
        )
    # per document: pooled characters × codes, plus |u-alpha of the document
    doc_rows: list[DocumentAgreementRow] = []
    doc_counts = _doc_counts(data)
    per_doc_cover = {
        cid: [np.zeros(len(data.docs), dtype=np.int64) for _ in range(m)] for cid in used
    }
    for cid in used:
        for k in range(m):
            s_arr, e_arr = merged[cid][k]
            if s_arr.size:
                np.add.at(
                    per_doc_cover[cid][k],
                    np.searchsorted(bounds, s_arr, side="right") - 1,
                    e_arr - s_arr,
                )
    any_by_doc: list[list[list[tuple[float, float, str]]]] = [
        [[] for _ in range(m)] for _ in data.docs
    ]
    for k, coder_spans in enumerate(any_coded):
        for s_f, e_f, val in coder_spans:
            di = int(np.searchsorted(bounds, s_f, side="right") - 1)
            base = float(bounds[di])
            any_by_doc[di][k].append((s_f - base, e_f - base, val))
    for di, doc in enumerate(data.docs):
        coded = dict(zip(data.coders, doc_counts[doc.id], strict=True))
        if doc.length == 0 or not used:
            doc_rows.append(
                DocumentAgreementRow(
                    doc.name,
                    doc.length,
                    coded,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "empty document" if doc.length == 0 else "no codings",
                )
            )
            continue
        h = sum((hists[cid][di] for cid in used), np.zeros(m + 1, dtype=np.int64))
        per_coder = [int(sum(per_doc_cover[cid][k][di] for cid in used)) for k in range(m)]
        pct_d, kap_d, why_d = binary(h, per_coder)
        alpha_d: float | None = None
        note_d: str | None = why_d or None
        if any(any_by_doc[di]):
            try:
                alpha_d = u_alpha_family(any_by_doc[di], float(doc.length)).binary_u_alpha
            except InputError as exc:
                note_d = _join_notes(note_d, str(exc))
        else:
            note_d = _join_notes(note_d, "nobody coded this document")
        doc_rows.append(
            DocumentAgreementRow(
                doc.name,
                doc.length * len(used),
                coded,
                pct_d,
                kap_d,
                alpha_d,
                None,
                None,
                _label(alpha_d, kap_d),
                note_d,
            )
        )
    # pairs
    pair_rows: list[PairAgreementRow] = []
    for i, j in _pairs(m):
        if m == 2:
            pair_rows.append(
                PairAgreementRow(
                    data.coders[i],
                    data.coders[j],
                    n_cells,
                    pct,
                    kap,
                    overall[2].value,
                    _label(overall[2].value, kap),
                    overall[2].note,
                )
            )
            continue
        ph = pair_hists.get((i, j))
        if ph is None:
            pair_rows.append(
                PairAgreementRow(
                    data.coders[i], data.coders[j], n_cells, None, None, None, None, "no codings"
                )
            )
            continue
        h2 = np.asarray(ph).sum(axis=0).astype(np.float64)
        cov_i = sum(covered[cid][i] for cid in used)
        cov_j = sum(covered[cid][j] for cid in used)
        kappa_ij, why_ij = _cohen_2x2(
            float(h2[2]), cov_i - float(h2[2]), cov_j - float(h2[2]), float(h2[0])
        )
        pct_ij = float((h2[2] + h2[0]) / h2.sum())
        two = [all_spans[i], all_spans[j]]
        alpha_ij = _try_overall("", total, lambda two=two: unitized_alpha(two, float(total)).alpha)
        kap_ij = None if why_ij else kappa_ij
        pair_rows.append(
            PairAgreementRow(
                data.coders[i],
                data.coders[j],
                n_cells,
                pct_ij,
                kap_ij,
                alpha_ij.value,
                _label(alpha_ij.value, kap_ij),
                _join_notes(why_ij, alpha_ij.note),
            )
        )
    # disagreements: any-overlap pairing of the two coders' codings of a code
    matched = [
        (i, j, match_segments(_segments(data, i), _segments(data, j), min_overlap=0.0))
        for i, j in _pairs(m)
    ]
    return _finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        _segment_disagreements(data, matched),
        notes,
    )


def _row_value(measure: str, value: float | None, n: int, why: str) -> OverallRow:
    label = krippendorff_label(value) if value is not None else None
    return OverallRow(measure, value, None, None, n, label, None if value is not None else why)


def _try_overall(measure: str, n: int, fn: Any) -> OverallRow:
    try:
        value = fn()
    except InputError as exc:
        return OverallRow(measure, None, None, None, n, None, str(exc))
    return _row_value(measure, value, n, "undefined: no variation to expect")


# -- segment ---------------------------------------------------------------------------------
def _segment(
    data: _Data, parameters: dict[str, Any], min_overlap: float, bootstrap: int, seed: int | None
) -> AgreementReport:
    m = len(data.coders)
    notes = [
        f"segment unit: codings of the same code pair up when their overlap (intersection over "
        f"union) is at least {min_overlap:g}; each pair or unpaired coding is one unit"
    ]
    if m > 2:
        notes.append(
            "3+ coders: segments are paired two coders at a time; per-code and overall percent "
            "and kappa are means over coder pairs (Light's kappa); alpha is left out"
        )
    counts = _counts(data)
    segs = [_segments(data, k) for k in range(m)]
    pair_results: list[tuple[int, int, list[SegmentPair]]] = []
    for i, j in _pairs(m):
        pair_results.append((i, j, match_segments(segs[i], segs[j], min_overlap=min_overlap)))
    docs = data.docs

    def pair_tables(
        matched: list[SegmentPair],
    ) -> tuple[np.ndarray[Any, Any], dict[int, list[int]], list[int]]:
        """Units × 2 code labels, index of units per code, document id per unit."""
        labels: list[tuple[Any, Any]] = []
        by_code: dict[int, list[int]] = defaultdict(list)
        unit_doc: list[int] = []
        for n, pair in enumerate(matched):
            code = pair.code_id
            labels.append((code if pair.a else NONE_CATEGORY, code if pair.b else NONE_CATEGORY))
            by_code[code].append(n)
            unit_doc.append(pair.document_id)
        arr = np.asarray([[str(a), str(b)] for a, b in labels], dtype=object).reshape(-1, 2)
        return arr, by_code, unit_doc

    per_pair_code: dict[tuple[int, int], dict[int, _SegStats]] = {}
    per_pair_overall: dict[tuple[int, int], _SegStats] = {}
    per_pair_doc: dict[tuple[int, int], dict[int, _SegStats]] = {}
    for i, j, matched in pair_results:
        arr, by_code, unit_doc = pair_tables(matched)
        n_units = len(matched)
        codes_stats: dict[int, _SegStats] = {}
        for cid, idx in by_code.items():
            is_c = np.zeros((n_units, 2), dtype=np.int64)
            is_c[idx, 0] = [1 if matched[u].a else 0 for u in idx]
            is_c[idx, 1] = [1 if matched[u].b else 0 for u in idx]
            paired = sum(1 for u in idx if matched[u].a and matched[u].b)
            kappa = _coefficient("cohen", is_c, categories=[0, 1])
            alpha = (
                _coefficient("alpha", is_c, categories=[0, 1], bootstrap=bootstrap, seed=seed)
                if m == 2
                else _Coef()
            )
            codes_stats[cid] = _SegStats(len(idx), paired / len(idx), kappa, alpha)
        per_pair_code[(i, j)] = codes_stats
        paired_all = sum(1 for p in matched if p.a and p.b)
        if n_units:
            kappa_all = _coefficient("cohen", arr)
            alpha_all = (
                _coefficient("alpha", arr, bootstrap=bootstrap, seed=seed) if m == 2 else _Coef()
            )
            per_pair_overall[(i, j)] = _SegStats(
                n_units, paired_all / n_units, kappa_all, alpha_all
            )
        else:
            per_pair_overall[(i, j)] = _SegStats(
                0, None, _Coef(note="no codings"), _Coef(note="no codings")
            )
        doc_stats: dict[int, _SegStats] = {}
        unit_doc_arr = np.asarray(unit_doc, dtype=np.int64)
        for doc in docs:
            idx_d = (
                np.flatnonzero(unit_doc_arr == doc.id) if n_units else np.zeros(0, dtype=np.intp)
            )
            if idx_d.size == 0:
                doc_stats[doc.id] = _SegStats(
                    0, None, _Coef(note="no codings"), _Coef(note="no codings")
                )
                continue
            sub = arr[idx_d]
            paired_d = sum(1 for u in idx_d if matched[u].a and matched[u].b)
            doc_stats[doc.id] = _SegStats(
                int(idx_d.size),
                paired_d / idx_d.size,
                _coefficient("cohen", sub),
                _coefficient("alpha", sub, bootstrap=bootstrap, seed=seed) if m == 2 else _Coef(),
            )
        per_pair_doc[(i, j)] = doc_stats

    def combine(stats: list[_SegStats], units: int) -> tuple[int, float | None, _Coef, _Coef]:
        if m == 2:
            s = stats[0]
            return s.units, s.percent, s.kappa, s.alpha
        pcts = [s.percent for s in stats if s.percent is not None]
        kaps = [s.kappa.value for s in stats if s.kappa.value is not None]
        kappa = _Coef(
            value=float(np.mean(kaps)) if kaps else None,
            note=None if kaps else _join_notes(*(s.kappa.note for s in stats)),
        )
        alpha = _Coef(note="alpha needs units shared by all coders; see the pairs table")
        return units, float(np.mean(pcts)) if pcts else None, kappa, alpha

    pairs_list = _pairs(m)
    overall_units = sum(per_pair_overall[p].units for p in pairs_list)
    n_o, pct_o, kap_o, alp_o = combine([per_pair_overall[p] for p in pairs_list], overall_units)
    overall = [
        OverallRow(
            "percent agreement (segments paired)",
            pct_o,
            None,
            None,
            n_o,
            None,
            None if pct_o is not None else "no codings",
        ),
        OverallRow(
            f"{'Cohen' if m == 2 else 'Light'}'s kappa (codes as categories)",
            kap_o.value,
            None,
            None,
            n_o,
            landis_koch_label(kap_o.value) if kap_o.value is not None else None,
            kap_o.note,
        ),
        OverallRow(
            "Krippendorff's alpha (nominal, codes as categories)",
            alp_o.value,
            alp_o.ci_low,
            alp_o.ci_high,
            n_o,
            krippendorff_label(alp_o.value) if alp_o.value is not None else None,
            alp_o.note,
        ),
    ]
    total_units = overall_units or 1
    code_rows: list[CodeAgreementRow] = []
    for cid in data.codes:
        coded = dict(zip(data.coders, counts[cid], strict=True))
        stats = [per_pair_code[p].get(cid) for p in pairs_list]
        present = [s for s in stats if s is not None]
        if not present:
            code_rows.append(
                CodeAgreementRow(
                    data.paths[cid],
                    0.0,
                    coded,
                    0,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "no coder used this code",
                    cid,
                )
            )
            continue
        units_c = sum(s.units for s in present)
        _n, pct_c, kap_c, alp_c = combine(present, units_c)
        code_rows.append(
            CodeAgreementRow(
                code=data.paths[cid],
                prevalence=units_c / total_units,
                coded=coded,
                units=units_c if m == 2 else present[0].units,
                percent=pct_c,
                kappa=kap_c.value,
                alpha=alp_c.value,
                ci_low=alp_c.ci_low,
                ci_high=alp_c.ci_high,
                label=_label(alp_c.value, kap_c.value),
                note=_join_notes(kap_c.note, alp_c.note),
                code_id=cid,
            )
        )
    doc_rows: list[DocumentAgreementRow] = []
    doc_counts = _doc_counts(data)
    for doc in docs:
        coded = dict(zip(data.coders, doc_counts[doc.id], strict=True))
        stats_d = [per_pair_doc[p][doc.id] for p in pairs_list]
        units_d, pct_d, kap_d, alp_d = combine(stats_d, sum(s.units for s in stats_d))
        doc_rows.append(
            DocumentAgreementRow(
                doc.name,
                units_d,
                coded,
                pct_d,
                kap_d.value,
                alp_d.value,
                alp_d.ci_low,
                alp_d.ci_high,
                _label(alp_d.value, kap_d.value),
                _join_notes(kap_d.note, alp_d.note),
            )
        )
    pair_rows = []
    for i, j in pairs_list:
        s = per_pair_overall[(i, j)]
        alpha_v = s.alpha.value if m == 2 else None
        pair_rows.append(
            PairAgreementRow(
                data.coders[i],
                data.coders[j],
                s.units,
                s.percent,
                s.kappa.value,
                alpha_v,
                _label(alpha_v, s.kappa.value),
                s.kappa.note,
            )
        )
    return _finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        _segment_disagreements(data, pair_results),
        notes,
    )


@dataclass(slots=True)
class _SegStats:
    units: int
    percent: float | None
    kappa: _Coef
    alpha: _Coef


# -- sentence, turn, document ----------------------------------------------------------------
def _units(
    data: _Data, parameters: dict[str, Any], unit: str, bootstrap: int, seed: int | None
) -> AgreementReport:
    m = len(data.coders)
    notes: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    doc_first: list[int] = []
    for doc in data.docs:
        doc_first.append(len(starts))
        if unit == "sentence":
            spans = split_sentences(doc.text)
        elif unit == "turn":
            spans = data.turns.get(doc.id, [])
        else:
            spans = [(0, doc.length)] if doc.length else []
        for s, e in spans:
            starts.append(doc.offset + s)
            ends.append(doc.offset + e)
    doc_first.append(len(starts))
    if not starts:
        what = {"turn": "speaker turns", "sentence": "sentences", "document": "text"}[unit]
        raise InputError(f"the selected documents have no {what} to compare")
    if unit == "turn":
        without = [doc.name for n, doc in enumerate(data.docs) if doc_first[n] == doc_first[n + 1]]
        if without:
            notes.append(
                f"{len(without)} document(s) without speaker turns left out: "
                f"{', '.join(without[:5])}"
            )
    u_start = np.asarray(starts, dtype=np.int64)
    u_end = np.asarray(ends, dtype=np.int64)
    n_units = u_start.size
    code_pos = {cid: n for n, cid in enumerate(data.codes)}
    n_codes = len(data.codes)
    offset = {doc.id: doc.offset for doc in data.docs}
    presence = np.zeros((m, n_codes, n_units), dtype=bool)
    outside = 0
    for k, rows in enumerate(data.codings):
        if not rows:
            continue
        arr = np.asarray(
            [(offset[d] + s, offset[d] + e, code_pos[c]) for d, c, s, e, _id in rows],
            dtype=np.int64,
        )
        lo = np.searchsorted(u_end, arr[:, 0], side="right")
        hi = np.searchsorted(u_start, arr[:, 1], side="left")
        hit = lo < hi
        outside += int((~hit).sum())
        diff = np.zeros((n_codes, n_units + 1), dtype=np.int64)
        np.add.at(diff, (arr[hit, 2], lo[hit]), 1)
        np.add.at(diff, (arr[hit, 2], hi[hit]), -1)
        presence[k] = np.cumsum(diff, axis=1)[:, :n_units] > 0
    if outside:
        notes.append(
            f"{outside} coding(s) overlap no {unit} (e.g. text outside speaker turns) "
            "and are left out"
        )
    used = [n for n in range(n_codes) if presence[:, n, :].any()]
    kappa_name = _kappa_name(m)
    cats = [0, 1]

    def cells(code_idx: list[int], u0: int = 0, u1: int = n_units) -> np.ndarray[Any, Any]:
        block = presence[:, code_idx, u0:u1]  # coders × codes × units
        return block.reshape(m, -1).T.astype(np.int8)

    def measure(data_: np.ndarray[Any, Any], boot: int) -> tuple[_Coef, _Coef, _Coef]:
        return (
            _coefficient("percent", data_, categories=cats),
            _coefficient(kappa_name, data_, categories=cats),
            _coefficient("alpha", data_, categories=cats, bootstrap=boot, seed=seed),
        )

    overall: list[OverallRow] = []
    if used:
        pooled = cells(used)
        pct, kap, alp = measure(pooled, bootstrap)
        n_cells = pooled.shape[0]
    else:
        why = "no coder used any of the selected codes"
        pct = kap = alp = _Coef(note=why)
        n_cells = 0
    what = f"{unit}s × codes"
    overall.append(
        OverallRow(f"percent agreement ({what})", pct.value, None, None, n_cells, None, pct.note)
    )
    overall.append(
        OverallRow(
            f"{_kappa_label(m)} ({what})",
            kap.value,
            None,
            None,
            n_cells,
            landis_koch_label(kap.value) if kap.value is not None else None,
            kap.note,
        )
    )
    overall.append(
        OverallRow(
            f"Krippendorff's alpha, nominal ({what})",
            alp.value,
            alp.ci_low,
            alp.ci_high,
            n_cells,
            krippendorff_label(alp.value) if alp.value is not None else None,
            alp.note,
        )
    )
    code_rows: list[CodeAgreementRow] = []
    for n, cid in enumerate(data.codes):
        marked = presence[:, n, :]
        coded = dict(zip(data.coders, (int(x) for x in marked.sum(axis=1)), strict=True))
        if n not in used:
            code_rows.append(
                CodeAgreementRow(
                    data.paths[cid],
                    0.0,
                    coded,
                    n_units,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "no coder used this code",
                    cid,
                )
            )
            continue
        p_c, k_c, a_c = measure(cells([n]), bootstrap)
        code_rows.append(
            CodeAgreementRow(
                code=data.paths[cid],
                prevalence=float(marked.any(axis=0).mean()),
                coded=coded,
                units=n_units,
                percent=p_c.value,
                kappa=k_c.value,
                alpha=a_c.value,
                ci_low=a_c.ci_low,
                ci_high=a_c.ci_high,
                label=_label(a_c.value, k_c.value),
                note=_join_notes(k_c.note, a_c.note),
                code_id=cid,
            )
        )
    doc_rows: list[DocumentAgreementRow] = []
    doc_boot = bootstrap if len(data.docs) <= 200 else 0
    if bootstrap and not doc_boot:
        notes.append("per-document intervals left out (more than 200 documents)")
    for di, doc in enumerate(data.docs):
        u0, u1 = doc_first[di], doc_first[di + 1]
        coded = {name: int(presence[k, :, u0:u1].sum()) for k, name in enumerate(data.coders)}
        if u0 == u1 or not used:
            doc_rows.append(
                DocumentAgreementRow(
                    doc.name,
                    0,
                    coded,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"no {unit}s" if u0 == u1 else "no codings",
                )
            )
            continue
        p_d, k_d, a_d = measure(cells(used, u0, u1), doc_boot)
        doc_rows.append(
            DocumentAgreementRow(
                doc.name,
                (u1 - u0) * len(used),
                coded,
                p_d.value,
                k_d.value,
                a_d.value,
                a_d.ci_low,
                a_d.ci_high,
                _label(a_d.value, k_d.value),
                _join_notes(k_d.note, a_d.note),
            )
        )
    pair_rows: list[PairAgreementRow] = []
    for i, j in _pairs(m):
        if not used:
            pair_rows.append(
                PairAgreementRow(
                    data.coders[i], data.coders[j], 0, None, None, None, None, "no codings"
                )
            )
            continue
        two = presence[[i, j]][:, used, :].reshape(2, -1).T.astype(np.int8)
        p_p = _coefficient("percent", two, categories=cats)
        k_p = _coefficient("cohen", two, categories=cats)
        a_p = _coefficient("alpha", two, categories=cats)
        pair_rows.append(
            PairAgreementRow(
                data.coders[i],
                data.coders[j],
                two.shape[0],
                p_p.value,
                k_p.value,
                a_p.value,
                _label(a_p.value, k_p.value),
                _join_notes(k_p.note, a_p.note),
            )
        )
    return _finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        _unit_disagreements(data, presence, u_start, u_end, doc_first),
        notes,
    )


def _unit_disagreements(
    data: _Data,
    presence: np.ndarray[Any, Any],
    u_start: np.ndarray[Any, Any],
    u_end: np.ndarray[Any, Any],
    doc_first: list[int],
) -> list[DisagreementRow]:
    m = len(data.coders)
    firsts = np.asarray(doc_first[:-1], dtype=np.int64)
    # each coder's codings per (code, document), sorted by start, for the spans shown
    index: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    for k, rows in enumerate(data.codings):
        for d, c, s, e, _id in rows:
            index[(k, c, d)].append((s, e))
    for spans in index.values():
        spans.sort()

    def extent(k: int, code: int, doc: _Doc, s: int, e: int) -> tuple[int | None, int | None]:
        spans = index.get((k, code, doc.id), [])
        hits = [(a, b) for a, b in spans[: bisect.bisect_left(spans, (e, e))] if b > s and a < e]
        if not hits:
            return None, None
        return max(s, min(a for a, _ in hits)), min(e, max(b for _, b in hits))

    out: list[DisagreementRow] = []
    for i, j in _pairs(m):
        differ = presence[i] != presence[j]  # codes × units
        code_idx, unit_idx = np.nonzero(differ)
        order = np.lexsort((code_idx, unit_idx))
        for n in order:
            c, u = int(code_idx[n]), int(unit_idx[n])
            cid = data.codes[c]
            di = int(np.searchsorted(firsts, u, side="right") - 1)
            doc = data.docs[di]
            s = int(u_start[u]) - doc.offset
            e = int(u_end[u]) - doc.offset
            a_s, a_e = extent(i, cid, doc, s, e) if presence[i, c, u] else (None, None)
            b_s, b_e = extent(j, cid, doc, s, e) if presence[j, c, u] else (None, None)
            out.append(
                DisagreementRow(
                    code=data.paths[cid],
                    document=doc.name,
                    kind="only_a" if presence[i, c, u] else "only_b",
                    coder_a=data.coders[i],
                    coder_b=data.coders[j],
                    a_start=a_s,
                    a_end=a_e,
                    a_text=_text(doc, a_s, a_e),
                    b_start=b_s,
                    b_end=b_e,
                    b_text=_text(doc, b_s, b_e),
                    unit_start=s,
                    unit_end=e,
                )
            )
    return out
