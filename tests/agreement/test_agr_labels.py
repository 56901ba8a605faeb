"""One label scale per coefficient, the same for overall and per-code rows.

One document of 11 sentences, one code X, coders a (sentences 1–4) and b (sentences 1–6).
By hand: p_o = 9/11, p_e = (4·6 + 7·5)/121 = 59/121, Cohen's kappa = (99 − 59)/(121 − 59) =
20/31 = 0.645 ("substantial", Landis & Koch); alpha: n = 22 values, n_1 = 10, n_0 = 12,
o_01 = o_10 = 2, α = 1 − 21·4/(2·10·12) = 0.65 ("unreliable", Krippendorff: below .667).
With one code the overall values are the code's values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import cohen_kappa_score

from thematica.stats import reliability_label

WORDS = ["Ann", "Ben", "Cai", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim"]
TEXT = " ".join(f"{w} said this." for w in WORDS)


def _sentence(i: int) -> tuple[int, int]:
    piece = f"{WORDS[i]} said this."
    start = TEXT.index(piece)
    return start, start + len(piece)


@pytest.fixture
def one_code(project: Any, tmp_path: Path) -> Any:
    from thematica import CodingInput

    (tmp_path / "doc.txt").write_text(TEXT, "utf-8")
    project.documents.import_files([tmp_path / "doc.txt"])
    project.codebook.add("X")
    project.coding.apply_many([CodingInput("doc", "X", *_sentence(i)) for i in range(4)], coder="a")
    project.coding.apply_many([CodingInput("doc", "X", *_sentence(i)) for i in range(6)], coder="b")
    return project


def test_same_value_same_label_overall_and_per_code(one_code: Any) -> None:
    report = one_code.agreement.compute(("a", "b"), "sentence")
    by_measure = {r.measure.split(" (")[0].split(",")[0]: r for r in report.overall}
    kappa, alpha = by_measure["Cohen's kappa"], by_measure["Krippendorff's alpha"]
    a = [1] * 4 + [0] * 7
    b = [1] * 6 + [0] * 5
    assert kappa.value == pytest.approx(cohen_kappa_score(a, b)) == pytest.approx(20 / 31)
    assert alpha.value == pytest.approx(0.65)
    assert kappa.label == "substantial"
    assert alpha.label == "unreliable"
    (x,) = report.codes.rows
    assert x.alpha == pytest.approx(alpha.value) and x.kappa == pytest.approx(kappa.value)
    # The code's row labels its alpha, on alpha's scale, as the overall alpha row does.
    assert x.label == alpha.label == reliability_label("alpha", x.alpha)
    assert "label: alpha" in report.codes.title
    doc = next(iter(report.documents.rows))
    pair = next(iter(report.pairs.rows))
    assert doc.label == pair.label == "unreliable"


def test_per_code_label_never_falls_back_to_kappa_scale(one_code: Any) -> None:
    """Every label in the per-code table is on Krippendorff's scale (or absent)."""
    report = one_code.agreement.compute(("a", "b"), "sentence")
    words = {"reliable", "tentative", "unreliable", None}
    assert {r.label for r in report.codes.rows} <= words
    assert {r.label for r in report.documents.rows} <= words
