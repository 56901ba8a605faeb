"""The ``sentence``, ``turn`` and ``document`` units: the text cut into units, each unit ×
code one present/absent rating per coder.

A code is present in a unit for a coder when any of that coder's codings of it overlaps the
unit. Percent agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+) and nominal
Krippendorff's alpha with a percentile bootstrap interval; the overall values pool every
unit × code cell over the codes that somebody used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.core.units import split_sentences
from thematica.services.agreement.coefficients import (
    Coef,
    alpha_overall,
    code_row,
    coefficient,
    document_row,
    join_notes,
    kappa_label,
    kappa_name,
    kappa_overall,
    label,
    percent_overall,
)
from thematica.services.agreement.disagreements import unit_disagreements
from thematica.services.agreement.loading import Data, pairs
from thematica.services.agreement.report import finish
from thematica.services.agreement.rows import (
    AgreementReport,
    CodeAgreementRow,
    DocumentAgreementRow,
    OverallRow,
    PairAgreementRow,
)


def units_report(
    data: Data, parameters: dict[str, Any], unit: str, bootstrap: int, seed: int | None
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
    kappa_coef = kappa_name(m)
    cats = [0, 1]

    def cells(code_idx: list[int], u0: int = 0, u1: int = n_units) -> np.ndarray[Any, Any]:
        block = presence[:, code_idx, u0:u1]  # coders × codes × units
        return block.reshape(m, -1).T.astype(np.int8)

    def measure(data_: np.ndarray[Any, Any], boot: int) -> tuple[Coef, Coef, Coef]:
        return (
            coefficient("percent", data_, categories=cats),
            coefficient(kappa_coef, data_, categories=cats),
            coefficient("alpha", data_, categories=cats, bootstrap=boot, seed=seed),
        )

    if used:
        pooled = cells(used)
        pct, kap, alp = measure(pooled, bootstrap)
        n_cells = pooled.shape[0]
    else:
        why = "no coder used any of the selected codes"
        pct = kap = alp = Coef(note=why)
        n_cells = 0
    what = f"{unit}s × codes"
    overall: list[OverallRow] = [
        percent_overall(f"percent agreement ({what})", pct.value, n_cells, pct.note),
        kappa_overall(f"{kappa_label(m)} ({what})", kap.value, n_cells, kap.note),
        alpha_overall(f"Krippendorff's alpha, nominal ({what})", alp, n_cells),
    ]
    code_rows: list[CodeAgreementRow] = []
    for n, cid in enumerate(data.codes):
        marked = presence[:, n, :]
        coded = dict(zip(data.coders, (int(x) for x in marked.sum(axis=1)), strict=True))
        if n not in used:
            code_rows.append(CodeAgreementRow.unused(data.paths[cid], coded, n_units, cid))
            continue
        p_c, k_c, a_c = measure(cells([n]), bootstrap)
        code_rows.append(
            code_row(
                data.paths[cid],
                cid,
                prevalence=float(marked.any(axis=0).mean()),
                coded=coded,
                units=n_units,
                percent=p_c.value,
                kappa=k_c,
                alpha=a_c,
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
            note = f"no {unit}s" if u0 == u1 else "no codings"
            doc_rows.append(DocumentAgreementRow.empty(doc.name, 0, coded, note))
            continue
        p_d, k_d, a_d = measure(cells(used, u0, u1), doc_boot)
        doc_rows.append(document_row(doc.name, (u1 - u0) * len(used), coded, p_d.value, k_d, a_d))
    pair_rows: list[PairAgreementRow] = []
    for i, j in pairs(m):
        if not used:
            pair_rows.append(
                PairAgreementRow.empty(data.coders[i], data.coders[j], 0, "no codings")
            )
            continue
        two = presence[[i, j]][:, used, :].reshape(2, -1).T.astype(np.int8)
        p_p = coefficient("percent", two, categories=cats)
        k_p = coefficient("cohen", two, categories=cats)
        a_p = coefficient("alpha", two, categories=cats)
        pair_rows.append(
            PairAgreementRow(
                data.coders[i],
                data.coders[j],
                two.shape[0],
                p_p.value,
                k_p.value,
                a_p.value,
                label(a_p.value),
                join_notes(k_p.note, a_p.note),
            )
        )
    return finish(
        data,
        parameters,
        overall,
        code_rows,
        doc_rows,
        pair_rows,
        unit_disagreements(data, presence, u_start, u_end, doc_first),
        notes,
    )
