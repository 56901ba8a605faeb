"""The ``character`` unit: spans on the text continuum, every document laid end to end.

Per code and pooled over codes: character-level percent agreement and Cohen's kappa (2
coders) or Fleiss' kappa (3+); per code Krippendorff's unitised u-alpha against the gaps;
overall αU with every code as its own layer, |u-alpha, cu-alpha and Cu-alpha. No bootstrap
interval: the characters of a text are not independently sampled units.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.core.segments import match_segments
from thematica.services.agreement.coefficients import (
    binary_from_histogram,
    cohen_2x2,
    join_notes,
    kappa_label,
    kappa_overall,
    label,
    percent_overall,
    row_value,
    try_overall,
)
from thematica.services.agreement.disagreements import segment_disagreements
from thematica.services.agreement.loading import Data, counts, doc_counts, pairs, segments
from thematica.services.agreement.report import finish
from thematica.services.agreement.rows import (
    AgreementReport,
    CodeAgreementRow,
    DocumentAgreementRow,
    OverallRow,
    PairAgreementRow,
)
from thematica.stats import u_alpha_family, unitized_alpha

IntArray = np.ndarray[Any, np.dtype[np.intp]]


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


def character_report(data: Data, parameters: dict[str, Any]) -> AgreementReport:
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
    code_counts = counts(data)
    merged = {cid: [_merge(spans[cid][k]) for k in range(m)] for cid in data.codes}
    used = [cid for cid in data.codes if any(code_counts[cid])]
    hists: dict[int, Any] = {}
    pair_hists: dict[tuple[int, int], Any] = {}
    for cid in used:
        hists[cid] = _coverage(merged[cid], bounds, lengths, m)
        if m > 2:
            for i, j in pairs(m):
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
            kappa, why = cohen_2x2(both, only_a, only_b, neither)
            return (both + neither) / n, (None if why else kappa), why
        return binary_from_histogram(hist, m)

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
        percent_overall(
            "percent agreement (characters × codes)",
            pct,
            n_cells,
            None if pct is not None else why,
        )
    )
    overall.append(
        kappa_overall(f"{kappa_label(m)} (characters × codes)", kap, n_cells, why or None)
    )
    all_spans = [
        [(float(s), float(e), cid) for cid in used for s, e in zip(*merged[cid][k], strict=True)]
        for k in range(m)
    ]
    overall.append(
        try_overall(
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
        try_overall(
            "|u-alpha, coded vs not coded (Krippendorff et al. 2016)",
            total,
            lambda: u_alpha_family(any_coded, float(total)).binary_u_alpha,
        )
    )
    cu_per_code: dict[Hashable, float | None] = {}
    cu_measure = "cu-alpha, selected codes as one domain (Krippendorff et al. 2016)"
    try:
        fam_all = u_alpha_family(all_spans, float(total))
        cu_per_code = dict(fam_all.per_code)
        overall.append(row_value(cu_measure, fam_all.cu_alpha, total, "no coded stretch is shared"))
    except InputError as exc:
        overall.append(OverallRow(cu_measure, None, None, None, total, None, str(exc)))
    domains: dict[Hashable, Hashable] = {cid: data.paths[data.top[cid]] for cid in used}
    overall.append(
        try_overall(
            "Cu-alpha, top-level codes as semantic domains (Krippendorff et al. 2016)",
            total,
            lambda: u_alpha_family(all_spans, float(total), domains=domains).cu_alpha,
        )
    )
    for cid in data.codes:
        coded = dict(zip(data.coders, code_counts[cid], strict=True))
        if cid not in hists:
            code_rows.append(CodeAgreementRow.unused(data.paths[cid], coded, total, cid))
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
                label=label(u),
                cu_alpha=cu,
                note=join_notes(why_c, family_note.get(cid)),
                code_id=cid,
            )
        )
    # per document: pooled characters × codes, plus |u-alpha of the document
    doc_rows: list[DocumentAgreementRow] = []
    per_doc_counts = doc_counts(data)
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
        coded = dict(zip(data.coders, per_doc_counts[doc.id], strict=True))
        if doc.length == 0 or not used:
            doc_rows.append(
                DocumentAgreementRow.empty(
                    doc.name,
                    doc.length,
                    coded,
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
                note_d = join_notes(note_d, str(exc))
        else:
            note_d = join_notes(note_d, "nobody coded this document")
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
                label(alpha_d),
                note_d,
            )
        )
    # pairs
    pair_rows: list[PairAgreementRow] = []
    for i, j in pairs(m):
        if m == 2:
            pair_rows.append(
                PairAgreementRow(
                    data.coders[i],
                    data.coders[j],
                    n_cells,
                    pct,
                    kap,
                    overall[2].value,
                    label(overall[2].value),
                    overall[2].note,
                )
            )
            continue
        ph = pair_hists.get((i, j))
        if ph is None:
            pair_rows.append(
                PairAgreementRow.empty(data.coders[i], data.coders[j], n_cells, "no codings")
            )
            continue
        h2 = np.asarray(ph).sum(axis=0).astype(np.float64)
        cov_i = sum(covered[cid][i] for cid in used)
        cov_j = sum(covered[cid][j] for cid in used)
        kappa_ij, why_ij = cohen_2x2(
            float(h2[2]), cov_i - float(h2[2]), cov_j - float(h2[2]), float(h2[0])
        )
        pct_ij = float((h2[2] + h2[0]) / h2.sum())
        two = [all_spans[i], all_spans[j]]
        alpha_ij = try_overall("", total, lambda two=two: unitized_alpha(two, float(total)).alpha)
        kap_ij = None if why_ij else kappa_ij
        pair_rows.append(
            PairAgreementRow(
                data.coders[i],
                data.coders[j],
                n_cells,
                pct_ij,
                kap_ij,
                alpha_ij.value,
                label(alpha_ij.value),
                join_notes(why_ij, alpha_ij.note),
            )
        )
    # disagreements: any-overlap pairing of the two coders' codings of a code
    matched = [
        (i, j, match_segments(segments(data, i), segments(data, j), min_overlap=0.0))
        for i, j in pairs(m)
    ]
    return finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        segment_disagreements(data, matched),
        notes,
    )
