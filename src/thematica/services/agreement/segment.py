"""The ``segment`` unit, MAXQDA-style: codings of a code paired one-to-one by overlap.

Two coders' codings of the same code in the same document are paired
(:func:`thematica.core.segments.match_segments`) when their intersection over union reaches
``min_overlap``; every pair or unpaired coding is one unit. With 3+ coders, pairs of coders
are compared one at a time and the values are means over pairs (Light's kappa).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from thematica.core.segments import SegmentPair, match_segments
from thematica.services.agreement.coefficients import (
    Coef,
    alpha_overall,
    code_row,
    coefficient,
    document_row,
    join_notes,
    kappa_overall,
    label,
    percent_overall,
)
from thematica.services.agreement.disagreements import segment_disagreements
from thematica.services.agreement.loading import Data, counts, doc_counts, pairs, segments
from thematica.services.agreement.report import finish
from thematica.services.agreement.rows import (
    AgreementReport,
    CodeAgreementRow,
    DocumentAgreementRow,
    PairAgreementRow,
)

NONE_CATEGORY = "(none)"


@dataclass(slots=True)
class SegStats:
    units: int
    percent: float | None
    kappa: Coef
    alpha: Coef

    @classmethod
    def no_codings(cls) -> SegStats:
        return cls(0, None, Coef(note="no codings"), Coef(note="no codings"))


def _pair_tables(
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


def segment_report(
    data: Data, parameters: dict[str, Any], min_overlap: float, bootstrap: int, seed: int | None
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
    code_counts = counts(data)
    segs = [segments(data, k) for k in range(m)]
    pair_results: list[tuple[int, int, list[SegmentPair]]] = []
    for i, j in pairs(m):
        pair_results.append((i, j, match_segments(segs[i], segs[j], min_overlap=min_overlap)))
    docs = data.docs

    def alpha_of(table: Any, **kwargs: Any) -> Coef:
        """Nominal alpha with its interval (2 coders only; left out for 3+)."""
        if m != 2:
            return Coef()
        return coefficient("alpha", table, bootstrap=bootstrap, seed=seed, **kwargs)

    per_pair_code: dict[tuple[int, int], dict[int, SegStats]] = {}
    per_pair_overall: dict[tuple[int, int], SegStats] = {}
    per_pair_doc: dict[tuple[int, int], dict[int, SegStats]] = {}
    for i, j, matched in pair_results:
        arr, by_code, unit_doc = _pair_tables(matched)
        n_units = len(matched)
        codes_stats: dict[int, SegStats] = {}
        for cid, idx in by_code.items():
            is_c = np.zeros((n_units, 2), dtype=np.int64)
            is_c[idx, 0] = [1 if matched[u].a else 0 for u in idx]
            is_c[idx, 1] = [1 if matched[u].b else 0 for u in idx]
            paired = sum(1 for u in idx if matched[u].a and matched[u].b)
            kappa = coefficient("cohen", is_c, categories=[0, 1])
            alpha = alpha_of(is_c, categories=[0, 1])
            codes_stats[cid] = SegStats(len(idx), paired / len(idx), kappa, alpha)
        per_pair_code[(i, j)] = codes_stats
        paired_all = sum(1 for p in matched if p.a and p.b)
        if n_units:
            per_pair_overall[(i, j)] = SegStats(
                n_units, paired_all / n_units, coefficient("cohen", arr), alpha_of(arr)
            )
        else:
            per_pair_overall[(i, j)] = SegStats.no_codings()
        doc_stats: dict[int, SegStats] = {}
        unit_doc_arr = np.asarray(unit_doc, dtype=np.int64)
        for doc in docs:
            idx_d = (
                np.flatnonzero(unit_doc_arr == doc.id) if n_units else np.zeros(0, dtype=np.intp)
            )
            if idx_d.size == 0:
                doc_stats[doc.id] = SegStats.no_codings()
                continue
            sub = arr[idx_d]
            paired_d = sum(1 for u in idx_d if matched[u].a and matched[u].b)
            doc_stats[doc.id] = SegStats(
                int(idx_d.size),
                paired_d / idx_d.size,
                coefficient("cohen", sub),
                alpha_of(sub),
            )
        per_pair_doc[(i, j)] = doc_stats

    def combine(stats: list[SegStats], units: int) -> tuple[int, float | None, Coef, Coef]:
        if m == 2:
            s = stats[0]
            return s.units, s.percent, s.kappa, s.alpha
        pcts = [s.percent for s in stats if s.percent is not None]
        kaps = [s.kappa.value for s in stats if s.kappa.value is not None]
        kappa = Coef(
            value=float(np.mean(kaps)) if kaps else None,
            note=None if kaps else join_notes(*(s.kappa.note for s in stats)),
        )
        alpha = Coef(note="alpha needs units shared by all coders; see the pairs table")
        return units, float(np.mean(pcts)) if pcts else None, kappa, alpha

    pairs_list = pairs(m)
    overall_units = sum(per_pair_overall[p].units for p in pairs_list)
    n_o, pct_o, kap_o, alp_o = combine([per_pair_overall[p] for p in pairs_list], overall_units)
    overall = [
        percent_overall(
            "percent agreement (segments paired)",
            pct_o,
            n_o,
            None if pct_o is not None else "no codings",
        ),
        kappa_overall(
            f"{'Cohen' if m == 2 else 'Light'}'s kappa (codes as categories)",
            kap_o.value,
            n_o,
            kap_o.note,
        ),
        alpha_overall("Krippendorff's alpha (nominal, codes as categories)", alp_o, n_o),
    ]
    total_units = overall_units or 1
    code_rows: list[CodeAgreementRow] = []
    for cid in data.codes:
        coded = dict(zip(data.coders, code_counts[cid], strict=True))
        stats = [per_pair_code[p].get(cid) for p in pairs_list]
        present = [s for s in stats if s is not None]
        if not present:
            code_rows.append(CodeAgreementRow.unused(data.paths[cid], coded, 0, cid))
            continue
        units_c = sum(s.units for s in present)
        _n, pct_c, kap_c, alp_c = combine(present, units_c)
        code_rows.append(
            code_row(
                data.paths[cid],
                cid,
                prevalence=units_c / total_units,
                coded=coded,
                units=units_c if m == 2 else present[0].units,
                percent=pct_c,
                kappa=kap_c,
                alpha=alp_c,
            )
        )
    doc_rows: list[DocumentAgreementRow] = []
    per_doc_counts = doc_counts(data)
    for doc in docs:
        coded = dict(zip(data.coders, per_doc_counts[doc.id], strict=True))
        stats_d = [per_pair_doc[p][doc.id] for p in pairs_list]
        units_d, pct_d, kap_d, alp_d = combine(stats_d, sum(s.units for s in stats_d))
        doc_rows.append(document_row(doc.name, units_d, coded, pct_d, kap_d, alp_d))
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
                label(alpha_v),
                s.kappa.note,
            )
        )
    return finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        segment_disagreements(data, pair_results),
        notes,
    )
