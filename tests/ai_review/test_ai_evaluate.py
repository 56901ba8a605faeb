"""``project.suggestions.evaluate``: an AI layer measured against alex's layer, by unit.

Sentences (see ``ai_review_helpers``): A = s0 "Pay is low." s1 "Staff leave often."
s2 "Managers listen." s3 "We feel safe."; B = s4 "Nobody helps." s5 "Pay rose last year."
s6 "The team is small." — 7 units.

gold (alex): Pay {s0, s5}; Staffing {s1, s6}; Support {s2, s3}; Workload {s6}
AI:          Pay {s0 .9, s5 .8, s1 .3}; Staffing {s1 .7, s4 .4}; Support {s2 .6}; Morale {s4 .2}

Worked by hand, per code (n = 7):

========  =  =  =  ==  =========  ======  ====  ===================================
code      TP FP FN TN  precision  recall  F1    kappa = (po − pe) / (1 − pe)
========  =  =  =  ==  =========  ======  ====  ===================================
Pay       2  1  0  4   2/3        1       4/5   po 6/7, pe 2/7·3/7 + 5/7·4/7 = 26/49 → 16/23
Staffing  1  1  1  4   1/2        1/2     1/2   po 5/7, pe 4/49 + 25/49 = 29/49 → 6/20
Support   1  0  1  5   1          1/2     2/3   po 6/7, pe 2/49 + 30/49 = 32/49 → 10/17
Morale    0  1  0  6   0          —       0     po 6/7, pe 0 + 1·6/7 = 6/7 → 0
Workload  0  0  1  6   —          0       0     po 6/7, pe 0 + 6/7·1 = 6/7 → 0
========  =  =  =  ==  =========  ======  ====  ===================================

micro (every code): TP 4, FP 3, FN 3 → P = R = F1 = 4/7; macro F1 over the four codes alex
used: (4/5 + 1/2 + 2/3 + 0) / 4 = 59/120.
"""

from __future__ import annotations

from typing import Any

import pytest
from ai_review_helpers import LAYER, add_ai_layer

import thematica
from thematica.core.errors import InputError, NotFoundError, PermissionDenied

HAND = {
    # code: (support, predicted, tp, fp, fn, precision, recall, f1, kappa)
    "Pay": (2, 3, 2, 1, 0, 2 / 3, 1.0, 4 / 5, 16 / 23),
    "Staffing": (2, 2, 1, 1, 1, 1 / 2, 1 / 2, 1 / 2, 6 / 20),
    "Support": (2, 1, 1, 0, 1, 1.0, 1 / 2, 2 / 3, 10 / 17),
    "Morale": (0, 1, 0, 1, 0, 0.0, None, 0.0, 0.0),
    "Workload": (1, 0, 0, 0, 1, None, 0.0, 0.0, 0.0),
}


def _measures(result: Any) -> dict[str, tuple[Any, ...]]:
    return {
        r.code: (r.support, r.predicted, r.tp, r.fp, r.fn, r.precision, r.recall, r.f1, r.kappa)
        for r in result.codes
    }


def _close(got: dict[str, tuple[Any, ...]], want: dict[str, tuple[Any, ...]]) -> None:
    assert list(got) == list(want)
    for code, values in want.items():
        for g, w in zip(got[code], values, strict=True):
            assert (g is None) == (w is None), (code, got[code], values)
            if w is not None:
                assert g == pytest.approx(w, abs=1e-12), (code, got[code], values)


def test_per_code_and_overall_measures_by_sentence(shared_study: Any) -> None:
    p, _url, _ids = shared_study
    result = p.suggestions.evaluate("alex")
    assert (result.gold, result.layer, result.model) == ("alex", LAYER, "test-model")
    assert (result.unit, result.units, result.documents) == ("sentence", 7, 2)
    _close(_measures(result), HAND)  # listed in codebook order, one-layer codes too
    assert result.micro_precision == pytest.approx(4 / 7)
    assert result.micro_recall == pytest.approx(4 / 7)
    assert result.micro_f1 == pytest.approx(4 / 7)
    assert result.macro_f1 == pytest.approx(59 / 120)
    assert result.codes_with_support == 4
    table = result.table()
    assert list(table.columns) == [
        "code",
        "support",
        "predicted",
        "tp",
        "fp",
        "fn",
        "precision",
        "recall",
        "f1",
        "kappa",
    ]
    assert [r.measure for r in result.summary()] == [
        "micro precision",
        "micro recall",
        "micro F1",
        "macro F1",
    ]


def test_a_score_threshold_drops_the_weak_suggestions(shared_study: Any) -> None:
    """min_score .5 keeps Pay s0, s5; Staffing s1; Support s2 (by hand):
    Pay TP 2 → P = R = F1 = κ = 1; Staffing TP 1 FN 1 → P 1, R 1/2, F1 2/3,
    κ: po 6/7, pe 2/7·1/7 + 5/7·6/7 = 32/49 → 10/17; Morale predicts nothing and nobody used
    it: every measure undefined; micro TP 4 FP 0 FN 3 (Staffing s6, Support s3, Workload s6)
    → P 1, R 4/7, F1 8/11;
    macro (1 + 2/3 + 2/3 + 0) / 4 = 7/12."""
    p, _url, _ids = shared_study
    result = p.suggestions.evaluate("alex", min_score=0.5)
    want = dict(HAND)
    want["Pay"] = (2, 2, 2, 0, 0, 1.0, 1.0, 1.0, 1.0)
    want["Staffing"] = (2, 1, 1, 0, 1, 1.0, 1 / 2, 2 / 3, 10 / 17)
    want["Morale"] = (0, 0, 0, 0, 0, None, None, None, None)
    _close(_measures(result), want)
    assert (result.micro_precision, result.micro_recall) == (1.0, pytest.approx(4 / 7))
    assert result.micro_f1 == pytest.approx(8 / 11)
    assert result.macro_f1 == pytest.approx(7 / 12)


def test_by_document(shared_study: Any) -> None:
    """Two units, A and B. Pay: gold A, B; AI A, B → TP 2, κ undefined (both say yes to
    everything). Support: gold A; AI A → TP 1, TN 1, κ = 1. Morale: AI B only → FP 1,
    κ: po 1/2, pe 0·1/2 + 1·1/2 = 1/2 → 0."""
    p, _url, _ids = shared_study
    got = _measures(p.suggestions.evaluate("alex", unit="document"))
    assert got["Pay"] == (2, 2, 2, 0, 0, 1.0, 1.0, 1.0, None)
    assert got["Support"] == (1, 1, 1, 0, 0, 1.0, 1.0, 1.0, 1.0)
    assert got["Morale"] == (0, 1, 0, 1, 0, 0.0, None, 0.0, 0.0)


def test_measures_agree_with_independent_implementations(shared_study: Any) -> None:
    """The same unit ratings through thematica.stats' Cohen's kappa and scikit-learn's F1."""
    from sklearn.metrics import f1_score

    from thematica.stats import cohen_kappa

    p, _url, _ids = shared_study
    result = p.suggestions.evaluate("alex")
    # the unit × code ratings of the module docstring, units s0..s6
    gold = {"Pay": {0, 5}, "Staffing": {1, 6}, "Support": {2, 3}, "Morale": set(), "Workload": {6}}
    pred = {"Pay": {0, 5, 1}, "Staffing": {1, 4}, "Support": {2}, "Morale": {4}, "Workload": set()}
    codes = list(gold)
    y_true = [[int(u in gold[c]) for c in codes] for u in range(7)]
    y_pred = [[int(u in pred[c]) for c in codes] for u in range(7)]
    by_code = {r.code: r for r in result.codes}
    for n, code in enumerate(["Pay", "Staffing", "Support"]):
        pairs = [[y_true[u][n], y_pred[u][n]] for u in range(7)]
        assert by_code[code].kappa == pytest.approx(cohen_kappa(pairs, categories=[0, 1]))
    assert result.micro_f1 == pytest.approx(f1_score(y_true, y_pred, average="micro"))
    supported = [n for n, c in enumerate(codes) if gold[c]]
    assert result.macro_f1 == pytest.approx(
        f1_score(y_true, y_pred, average="macro", labels=supported, zero_division=0)
    )


def test_layers_are_resolved_and_checked(study: Any) -> None:
    p, url, _ids = study
    with pytest.raises(NotFoundError, match="no coder named 'nobody'"):
        p.suggestions.evaluate("nobody")
    with pytest.raises(InputError, match="'sam' is a human layer, not an AI layer"):
        p.coding.apply("A", "Pay", 0, 3, coder="sam")
        p.suggestions.evaluate("alex", layer="sam")
    with pytest.raises(InputError, match="unknown unit 'line'"):
        p.suggestions.evaluate("alex", unit="line")
    # a text without speakers is one turn: by turn is by document here
    by_turn = p.suggestions.evaluate("alex", unit="turn")
    assert by_turn.units == 2
    assert _measures(by_turn) == _measures(p.suggestions.evaluate("alex", unit="document"))
    with pytest.raises(NotFoundError, match="no document named 'Z'"):
        p.suggestions.evaluate("alex", documents=["Z"])
    one = p.suggestions.evaluate("alex", documents=["B"])
    assert (one.documents, one.units) == (1, 3)
    add_ai_layer(p, [("A", "Pay", "Pay is low.", 0.9, 1)], model="other")
    with pytest.raises(InputError, match="several AI layers; choose one: ai:other, ai:test-model"):
        p.suggestions.evaluate("alex")
    assert p.suggestions.evaluate("alex", layer="ai:other").codes[0].tp == 1
    refused = pytest.raises(PermissionDenied, match="read coder layer 'alex'")
    # blind coding: alex's layer is not sam's to read, nor the viewer kim's
    with thematica.open_project(url, actor="sam") as sam, refused:
        sam.suggestions.evaluate("alex", layer=LAYER)
    refused = pytest.raises(PermissionDenied, match="read coder layer 'alex'")
    with thematica.open_project(url, actor="kim") as kim, refused:
        kim.suggestions.evaluate("alex", layer=LAYER)


def test_no_ai_layer_yet(db_url: str, tmp_path: Any) -> None:
    from ai_review_helpers import build_study

    with thematica.init_project(db_url, "bare", actor="pi") as p:
        build_study(p, tmp_path / "files")
        with pytest.raises(NotFoundError, match="no AI layer to evaluate"):
            p.suggestions.evaluate("alex")
