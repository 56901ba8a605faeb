"""Each unit on a hand-built project: expected values from arrays built here by hand.

doc1 = "Alpha one. Beta two. Gamma three. Delta four." (4 sentences), doc2 = "Epsilon five.
Zeta six." (2 sentences). Coder a: X on "Alpha one.", X on "Gamma three.", Y on "Beta two.",
X on "Epsilon five.". Coder b: X on "Alpha on" (8 of a's 10 characters), Y on "Beta two.",
Y on "Delta four.".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from agr_helpers import DOC1, DOC2, span

from thematica.core.errors import InputError, NotFoundError
from thematica.stats import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    u_alpha_family,
)


def _row(report: Any, code: str) -> Any:
    return next(r for r in report.codes if r.code == code)


def _overall(report: Any, start: str) -> Any:
    return next(r for r in report.overall if r.measure.startswith(start))


# sentence presence, units in order doc1 s1..s4, doc2 s1..s2; columns a, b
SENT_X = np.array([[1, 1], [0, 0], [1, 0], [0, 0], [1, 0], [0, 0]])
SENT_Y = np.array([[0, 0], [1, 1], [0, 0], [0, 1], [0, 0], [0, 0]])


def test_sentence_unit_matches_hand_built_arrays(small: Any) -> None:
    report = small.agreement.compute(("a", "b"), "sentence", bootstrap=50, seed=3)
    x, y = _row(report, "X"), _row(report, "Y")
    assert x.units == 6 and x.coded == {"a": 3, "b": 1}
    assert x.prevalence == pytest.approx(3 / 6)
    assert x.percent == pytest.approx(4 / 6)
    assert x.kappa == pytest.approx(cohen_kappa(SENT_X))
    assert x.alpha == pytest.approx(krippendorff_alpha(SENT_X))
    assert x.ci_low is not None and x.ci_low <= x.alpha <= x.ci_high
    assert x.label in ("reliable", "tentative", "unreliable")
    assert y.kappa == pytest.approx(cohen_kappa(SENT_Y))
    pooled = np.vstack([SENT_X, SENT_Y])
    assert _overall(report, "percent").value == pytest.approx(percent_agreement(pooled))
    assert _overall(report, "Cohen").value == pytest.approx(cohen_kappa(pooled))
    assert _overall(report, "Krippendorff").value == pytest.approx(krippendorff_alpha(pooled))
    assert 0 < _overall(report, "Cohen").value < 1
    # per document: doc1 is the first 4 sentences of both codes
    doc1 = next(r for r in report.documents if r.document == "doc1")
    d1 = np.vstack([SENT_X[:4], SENT_Y[:4]])
    assert doc1.kappa == pytest.approx(cohen_kappa(d1))
    assert doc1.units == 8
    pair = report.pairs.rows[0]
    assert (pair.coder_a, pair.coder_b) == ("a", "b")
    assert pair.kappa == pytest.approx(cohen_kappa(pooled))


def test_sentence_disagreements_list_units_and_texts(small: Any) -> None:
    report = small.agreement.compute("a,b", "sentence", bootstrap=0)
    rows = [(r.code, r.document, r.kind, r.a_text, r.b_text) for r in report.disagreements]
    assert rows == [
        ("X", "doc1", "only_a", "Gamma three.", None),
        ("Y", "doc1", "only_b", None, "Delta four."),
        ("X", "doc2", "only_a", "Epsilon five.", None),
    ]
    first = report.disagreements.rows[0]
    assert (first.unit_start, first.unit_end) == span(DOC1, "Gamma three.")
    assert (first.coder_a, first.coder_b) == ("a", "b")


def test_document_unit(small: Any) -> None:
    report = small.agreement.compute(("a", "b"), "document", bootstrap=0)
    cells = np.array([[1, 1], [1, 0], [1, 1], [0, 0]])  # X doc1, X doc2, Y doc1, Y doc2
    assert _overall(report, "percent").value == pytest.approx(0.75)
    assert _overall(report, "Cohen").value == pytest.approx(cohen_kappa(cells))
    assert _overall(report, "Krippendorff").value == pytest.approx(krippendorff_alpha(cells))
    x = _row(report, "X")
    assert x.prevalence == 1.0 and x.coded == {"a": 2, "b": 1}
    # X: a and b both present in doc1, only a in doc2 -> one category for a: kappa is 0
    assert x.kappa == pytest.approx(cohen_kappa(np.array([[1, 1], [1, 0]]), categories=[0, 1]))


def test_character_unit_against_hand_built_character_arrays(small: Any) -> None:
    report = small.agreement.compute(("a", "b"), "character", bootstrap=0)
    total = len(DOC1) + len(DOC2)
    off2 = len(DOC1)
    x_a = np.zeros(total, dtype=int)
    x_b = np.zeros(total, dtype=int)
    y_a = np.zeros(total, dtype=int)
    y_b = np.zeros(total, dtype=int)
    s, e = span(DOC1, "Alpha one.")
    x_a[s:e] = 1
    x_b[s : s + 8] = 1
    s, e = span(DOC1, "Gamma three.")
    x_a[s:e] = 1
    s, e = span(DOC2, "Epsilon five.")
    x_a[off2 + s : off2 + e] = 1
    s, e = span(DOC1, "Beta two.")
    y_a[s:e] = 1
    y_b[s:e] = 1
    s, e = span(DOC1, "Delta four.")
    y_b[s:e] = 1
    x = _row(report, "X")
    assert x.kappa == pytest.approx(cohen_kappa(np.stack([x_a, x_b], axis=1)))
    assert x.percent == pytest.approx(float((x_a == x_b).mean()))
    assert x.prevalence == pytest.approx(float((x_a | x_b).mean()))
    hand_x = [
        [(0, 10, "X"), (21, 33, "X"), (off2, off2 + 13, "X")],
        [(0, 8, "X")],
    ]
    assert span(DOC1, "Gamma three.") == (21, 33)
    assert x.alpha == pytest.approx(u_alpha_family(hand_x, total).u_alpha)
    y = _row(report, "Y")
    assert y.kappa == pytest.approx(cohen_kappa(np.stack([y_a, y_b], axis=1)))
    pooled = np.stack([np.concatenate([x_a, y_a]), np.concatenate([x_b, y_b])], axis=1)
    assert _overall(report, "Cohen").value == pytest.approx(cohen_kappa(pooled))
    assert _overall(report, "percent").value == pytest.approx(percent_agreement(pooled))
    alpha_u = _overall(report, "αU")
    assert alpha_u.value is not None and -1 < alpha_u.value < 1
    # a's X and Y do not overlap, nor b's: cu-alpha is defined here
    assert _overall(report, "cu-alpha").value is not None
    kinds = sorted(r.kind for r in report.disagreements)
    assert kinds == ["boundary", "only_a", "only_a", "only_b"]
    boundary = next(r for r in report.disagreements if r.kind == "boundary")
    assert (boundary.a_text, boundary.b_text) == ("Alpha one.", "Alpha on")
    assert boundary.overlap == pytest.approx(0.8)


def test_segment_unit_maxqda_style(small: Any) -> None:
    report = small.agreement.compute(("a", "b"), "segment", min_overlap=0.9, bootstrap=0)
    # units: X a-only "Alpha one.", X b-only "Alpha on", X a-only "Gamma three.",
    # X a-only "Epsilon five.", Y paired "Beta two.", Y b-only "Delta four."
    labels = np.array(
        [["X", "-"], ["-", "X"], ["X", "-"], ["X", "-"], ["Y", "Y"], ["-", "Y"]], dtype=object
    )
    assert _overall(report, "percent").value == pytest.approx(1 / 6)
    assert _overall(report, "Cohen").value == pytest.approx(cohen_kappa(labels))
    x, y = _row(report, "X"), _row(report, "Y")
    assert x.units == 4 and x.percent == 0.0
    assert y.units == 2 and y.percent == pytest.approx(0.5)
    is_y = (labels == "Y").astype(int)
    assert y.kappa == pytest.approx(cohen_kappa(is_y))
    assert y.alpha == pytest.approx(krippendorff_alpha(is_y))
    kinds = [(r.code, r.kind, r.a_text, r.b_text) for r in report.disagreements]
    assert ("X", "only_a", "Alpha one.", None) in kinds
    assert ("X", "only_b", None, "Alpha on") in kinds
    assert ("Y", "only_b", None, "Delta four.") in kinds
    assert len(kinds) == 5
    looser = small.agreement.compute(("a", "b"), "segment", min_overlap=0.5, bootstrap=0)
    assert _row(looser, "X").percent == pytest.approx(1 / 3)
    assert [r.kind for r in looser.disagreements if r.code == "X"].count("boundary") == 1


def test_turn_unit_uses_stored_turns(project: Any, tmp_path: Any) -> None:
    from thematica import CodingInput

    text = "Interviewer: How is work?\nParticipant 1: Hard. Long days.\nInterviewer: Why?\n"
    path = tmp_path / "t1.txt"
    path.write_text(text, "utf-8")
    project.documents.import_files([path])
    turns = project.documents.get("t1").turns
    assert len(turns) == 3
    project.codebook.add("Work")
    hard = span(text, "Hard.")
    why = span(text, "Why?")
    project.coding.apply_many([CodingInput("t1", "Work", *hard)], coder="a")
    project.coding.apply_many(
        [CodingInput("t1", "Work", *span(text, "Long days.")), CodingInput("t1", "Work", *why)],
        coder="b",
    )
    report = project.agreement.compute(("a", "b"), "turn", bootstrap=0)
    hand = np.array([[0, 0], [1, 1], [0, 1]])  # turn 2 both; turn 3 only b
    row = _row(report, "Work")
    assert row.units == 3
    assert row.kappa == pytest.approx(cohen_kappa(hand))
    assert row.alpha == pytest.approx(krippendorff_alpha(hand))
    (dis,) = report.disagreements.rows
    assert (dis.kind, dis.b_text, dis.unit_start, dis.unit_end) == (
        "only_b",
        "Why?",
        turns[2].start,
        turns[2].end,
    )


def test_three_coders_use_fleiss_and_pairs(small: Any) -> None:
    from thematica import CodingInput

    small.coding.apply_many(
        [CodingInput("doc1", "X", *span(DOC1, "Alpha one.")), CodingInput("doc2", "Y", 0, 5)],
        coder="c",
    )
    report = small.agreement.compute(("a", "b", "c"), "sentence", bootstrap=0)
    x_c = np.array([1, 0, 0, 0, 0, 0])
    y_c = np.array([0, 0, 0, 0, 1, 0])
    pooled = np.vstack([np.column_stack([SENT_X, x_c]), np.column_stack([SENT_Y, y_c])])
    assert _overall(report, "Fleiss").value == pytest.approx(fleiss_kappa(pooled))
    assert _overall(report, "Krippendorff").value == pytest.approx(krippendorff_alpha(pooled))
    assert [(p.coder_a, p.coder_b) for p in report.pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert report.pairs.rows[1].kappa == pytest.approx(cohen_kappa(pooled[:, [0, 2]]))
    seg = small.agreement.compute(("a", "b", "c"), "segment", bootstrap=0)
    assert len(seg.pairs) == 3
    assert _overall(seg, "Krippendorff").value is None  # pairwise only: left out, with a note
    assert _overall(seg, "Krippendorff").note
    char = small.agreement.compute(("a", "b", "c"), "character", bootstrap=0)
    assert _overall(char, "Fleiss").value is not None


def test_undefined_values_are_null_with_a_reason(small: Any) -> None:
    small.codebook.add("Unused")
    report = small.agreement.compute(("a", "b"), "document", bootstrap=20)
    unused = _row(report, "Unused")
    assert unused.kappa is None and unused.alpha is None and unused.note
    # on doc1 alone both coders mark X and Y present: a single category
    one = small.agreement.compute(("a", "b"), "document", documents=["doc1"], bootstrap=0)
    x = _row(one, "X")
    assert x.kappa is None and x.alpha is None
    assert "one category" in (x.note or "") or "at least 2" in (x.note or "")
    for r in one.overall:
        assert r.value is None or np.isfinite(r.value)
    json_safe = one.to_dict()
    assert "nan" not in repr(json_safe).lower()


def test_selection_of_codes_and_documents(small: Any) -> None:
    small.codebook.add("Sub", "X")
    from thematica import CodingInput

    small.coding.apply_many([CodingInput("doc2", "X/Sub", 14, 23)], coder="b")
    report = small.agreement.compute(("a", "b"), "sentence", codes=["X"], bootstrap=0)
    assert [r.code for r in report.codes] == ["X", "X/Sub"]
    assert _row(report, "X/Sub").coded == {"a": 0, "b": 1}
    only2 = small.agreement.compute(("a", "b"), "sentence", documents=["doc2"], bootstrap=0)
    assert [d.document for d in only2.documents] == ["doc2"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"coders": "a"}, InputError),
        ({"coders": ("a", "zed")}, NotFoundError),
        ({"coders": ("a", "b"), "unit": "word"}, InputError),
        ({"coders": ("a", "b"), "documents": ["nope"]}, NotFoundError),
        ({"coders": ("a", "b"), "codes": ["nope"]}, NotFoundError),
        ({"coders": ("a", "b"), "unit": "segment", "min_overlap": 1.5}, InputError),
    ],
)
def test_errors(small: Any, kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        small.agreement.compute(**kwargs)


def test_empty_project_is_an_input_error(project: Any) -> None:
    with pytest.raises(InputError, match="no documents"):
        project.agreement.compute(("a", "b"), "sentence")
