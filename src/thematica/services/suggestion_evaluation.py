"""How good an AI layer's suggestions are, measured against a person's or a consensus layer.

The comparison is by unit, as a coder would be measured (``thematica agreement`` with the
``sentence``/``turn``/``document`` units): each document is cut into units (sentences,
paragraphs, speaker turns or the whole document); a unit is *positive* for code C in the gold
layer when any gold coding of C overlaps it, and *predicted* when any AI coding of C (scored at
least ``min_score``) overlaps it. Per code this gives a 2 × 2 table of units: true positives,
false positives, false negatives and true negatives, and from it precision, recall, F1 and
Cohen's kappa (Cohen 1960) on the binary unit ratings.

The documents are those the gold layer coded (or the ones named): the model is judged where a
person has judged. Every AI coding counts, whatever its review state: the model made it.
Micro averages pool the counts of every listed code (a code the model suggests but the gold
layer never used adds false positives); the macro F1 is the mean F1 of the codes the gold layer
used (codes with support), as a code nobody used has no recall to average.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from thematica.core.errors import InputError, NotFoundError
from thematica.core.tables import Table
from thematica.core.units import split_paragraphs, split_sentences, units_hit
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = [
    "UNITS",
    "CodeEvaluationRow",
    "Evaluation",
    "SummaryRow",
    "binary_kappa",
    "evaluate",
]

UNITS = ("sentence", "paragraph", "turn", "document")


@dataclass(slots=True)
class CodeEvaluationRow:
    code: str
    #: units the gold layer coded with the code
    support: int
    #: units the AI layer coded with it
    predicted: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None


@dataclass(slots=True)
class SummaryRow:
    measure: str
    value: float | None
    note: str | None = None


@dataclass(slots=True)
class Evaluation:
    gold: str
    layer: str
    model: str | None
    unit: str
    documents: int
    units: int
    min_score: float | None
    codes: list[CodeEvaluationRow]
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    macro_f1: float | None
    #: codes the gold layer used: what the macro F1 averages over
    codes_with_support: int
    notes: list[str] = field(default_factory=list)

    def table(self) -> Table[CodeEvaluationRow]:
        """Per code, in codebook order."""
        title = f"{self.layer} against {self.gold} ({self.units} {self.unit}s)"
        return Table.of(CodeEvaluationRow, list(self.codes), title=title)

    def summary(self) -> Table[SummaryRow]:
        """Micro precision, recall and F1 over every listed code; macro F1 over the codes with
        support."""
        rows = [
            SummaryRow("micro precision", self.micro_precision),
            SummaryRow("micro recall", self.micro_recall),
            SummaryRow("micro F1", self.micro_f1),
            SummaryRow(
                "macro F1",
                self.macro_f1,
                f"mean over the {self.codes_with_support} code(s) {self.gold} used",
            ),
        ]
        return Table.of(SummaryRow, rows, title="Overall")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def binary_kappa(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Cohen's kappa of two raters on one present/absent rating per unit; None when it is
    undefined (chance agreement is 1: both raters gave every unit the same single rating)."""
    # (p_o - p_e) / (1 - p_e) with both proportions multiplied by n², in whole numbers, so an
    # agreement no better than chance is exactly 0
    n = tp + fp + fn + tn
    gold_yes, pred_yes = tp + fn, tp + fp
    expected = gold_yes * pred_yes + (n - gold_yes) * (n - pred_yes)
    if n == 0 or expected == n * n:
        return None
    return (n * (tp + tn) - expected) / (n * n - expected)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _code_row(path: str, gold: set[int], pred: set[int], n_units: int) -> CodeEvaluationRow:
    tp = len(gold & pred)
    fp = len(pred) - tp
    fn = len(gold) - tp
    return CodeEvaluationRow(
        code=path,
        support=len(gold),
        predicted=len(pred),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
        kappa=binary_kappa(tp, fp, fn, n_units - tp - fp - fn),
    )


def _units(
    unit: str, text: str, length: int, turns: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    if unit == "sentence":
        return split_sentences(text)
    if unit == "paragraph":
        return split_paragraphs(text)
    if unit == "turn":
        return turns
    return [(0, length)] if length else []


def evaluate(
    project: Project,
    conn: Connection,
    gold: str,
    layer: str,
    *,
    unit: str = "sentence",
    min_score: float | None = None,
    documents: Sequence[str] | None = None,
) -> Evaluation:
    """The evaluation (see the module docstring); both layers must be readable."""
    if unit not in UNITS:
        raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise InputError(f"min_score must be between 0 and 1, not {min_score}")
    if gold == layer:
        raise InputError(f"the gold layer and the AI layer are both {gold!r}")
    ids = project.coding.coder_ids(conn, [gold, layer])  # exist, and readable by this person
    by_name = {name: cid for cid, name in ids.items()}
    k = t.coder.c
    kind, meta = conn.execute(select(k.kind, k.meta).where(k.id == by_name[layer])).one()
    if kind != "ai":
        raise InputError(
            f"{layer!r} is a {kind} layer, not an AI layer; people are compared by an "
            "agreement analysis"
        )
    pid = project.id
    c, d = t.coding.c, t.document.c
    if documents:
        names = list(dict.fromkeys(documents))
        found = dict(
            conn.execute(select(d.name, d.id).where(d.project_id == pid, d.name.in_(names))).all()
        )
        missing = [n for n in names if n not in found]
        if missing:
            raise NotFoundError(f"no document named {', '.join(map(repr, missing))}")
        doc_ids = sorted(int(i) for i in found.values())
    else:
        doc_ids = sorted(
            int(i)
            for i in conn.scalars(
                select(c.document_id).where(c.coder_id == by_name[gold]).distinct()
            )
        )
        if not doc_ids:
            raise InputError(f"{gold!r} has coded nothing to measure the suggestions against")
    docs = conn.execute(
        select(d.id, d.name, d.text, d.length).where(d.id.in_(doc_ids)).order_by(d.name)
    ).all()
    turns: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if unit == "turn":
        tc = t.turn.c
        for doc_id, start, end in conn.execute(
            select(tc.document_id, tc.start, tc.end)
            .where(tc.document_id.in_(doc_ids))
            .order_by(tc.document_id, tc.start)
        ):
            if end > start:
                turns[int(doc_id)].append((int(start), int(end)))
    spans: dict[int, dict[int, dict[int, list[tuple[int, int]]]]] = {
        by_name[gold]: defaultdict(lambda: defaultdict(list)),
        by_name[layer]: defaultdict(lambda: defaultdict(list)),
    }
    s = t.suggestion.c
    stmt = (
        select(c.coder_id, c.document_id, c.code_id, c.start, c.end, s.score)
        .outerjoin(t.suggestion, s.coding_id == c.id)
        .where(c.project_id == pid, c.coder_id.in_(list(ids)), c.document_id.in_(doc_ids))
    )
    ai_codes: set[int] = set()
    for coder_id, doc_id, code_id, start, end, score in conn.execute(stmt):
        if coder_id == by_name[layer]:
            ai_codes.add(int(code_id))
            if min_score is not None and (score is None or score < min_score):
                continue
        spans[coder_id][int(code_id)][int(doc_id)].append((int(start), int(end)))
    index = project.codebook.index(conn)
    used = set(spans[by_name[gold]]) | ai_codes
    codes = [cid for cid in index.depth_first() if cid in used]
    n_units = 0
    outside = 0
    without: list[str] = []
    hits: dict[int, dict[int, set[int]]] = {cid: {i: set() for i in ids} for cid in codes}
    for doc in docs:
        units = _units(unit, doc.text, int(doc.length), turns.get(int(doc.id), []))
        if not units and unit == "turn":
            without.append(str(doc.name))
        for coder_id, per_code in spans.items():
            for code_id, per_doc in per_code.items():
                these = per_doc.get(int(doc.id), [])
                hit = units_hit(units, these)
                outside += sum(1 for sp in these if not units_hit(units, [sp]))
                hits[code_id][coder_id].update(n_units + h for h in hit)
        n_units += len(units)
    if not n_units:
        what = {"sentence": "sentences", "paragraph": "paragraphs", "turn": "speaker turns"}
        raise InputError(f"the documents have no {what.get(unit, 'text')} to measure on")
    rows = [
        _code_row(index.paths[cid], hits[cid][by_name[gold]], hits[cid][by_name[layer]], n_units)
        for cid in codes
    ]
    notes: list[str] = []
    if without:
        shown = ", ".join(without[:5]) + (" …" if len(without) > 5 else "")
        notes.append(f"{len(without)} document(s) without speaker turns left out: {shown}")
    if outside:
        notes.append(f"{outside} coding(s) overlap no {unit} and are left out")
    tp = sum(r.tp for r in rows)
    fp = sum(r.fp for r in rows)
    fn = sum(r.fn for r in rows)
    supported = [r.f1 for r in rows if r.support and r.f1 is not None]
    return Evaluation(
        gold=gold,
        layer=layer,
        model=str((meta or {}).get("model") or layer.removeprefix("ai:")),
        unit=unit,
        documents=len(docs),
        units=n_units,
        min_score=min_score,
        codes=rows,
        micro_precision=_ratio(tp, tp + fp),
        micro_recall=_ratio(tp, tp + fn),
        micro_f1=_ratio(2 * tp, 2 * tp + fp + fn),
        macro_f1=sum(supported) / len(supported) if supported else None,
        codes_with_support=len(supported),
        notes=notes,
    )
