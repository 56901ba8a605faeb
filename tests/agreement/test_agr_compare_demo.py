"""Saved runs and their comparison after a codebook change; agreement on the demo project."""

from __future__ import annotations

from typing import Any

import pytest

from thematica.core.errors import ConflictError, NotFoundError


def test_save_and_compare_after_rename_and_new_code(small: Any) -> None:
    from thematica import CodingInput

    first = small.agreement.compute(("a", "b"), "sentence", bootstrap=0, save="round 1")
    assert first.saved_as == "round 1"
    with pytest.raises(ConflictError):
        small.agreement.compute(("a", "b"), "sentence", bootstrap=0, save="round 1")
    small.codebook.update("X", name="Xray")
    small.codebook.add("Z")
    small.coding.apply_many([CodingInput("doc2", "Z", 14, 23)], coder="a")
    small.coding.apply_many([CodingInput("doc2", "Z", 14, 23)], coder="b")
    small.coding.apply_many([CodingInput("doc1", "Xray", 21, 33)], coder="b")
    small.agreement.compute(("a", "b"), "sentence", bootstrap=0, save="round 2")
    result = small.agreement.compare("round 1", "round 2")
    changes = {(c.change, c.path) for c in result.codebook_changes}
    assert ("renamed", "Xray") in changes and ("added", "Z") in changes
    rows = {r.code: r for r in result.codes}
    xray = rows["Xray"]
    assert (xray.status, xray.old_code) == ("renamed", "X")
    assert xray.alpha_old is not None and xray.alpha_new is not None
    assert xray.alpha_new > xray.alpha_old  # b now agrees on "Gamma three."
    assert xray.alpha_change == pytest.approx(xray.alpha_new - xray.alpha_old)
    assert rows["Z"].status == "added" and rows["Z"].alpha_old is None
    assert rows["Y"].status == "same"
    current = small.agreement.compare("round 1")  # re-runs round 1's settings now
    assert current.new == "current"
    assert {r.code for r in current.codes} == set(rows)
    assert [r.name for r in small.agreement.runs()] == ["round 1", "round 2"]
    with pytest.raises(NotFoundError):
        small.agreement.compare("nope")


def test_demo_shows_real_imperfect_agreement(demo: Any) -> None:
    sentence = demo.agreement.compute(("alex", "sam"), "sentence", bootstrap=100)
    assert len(sentence.codes) == 21
    kappa = next(r for r in sentence.overall if r.measure.startswith("Cohen"))
    alpha = next(r for r in sentence.overall if r.measure.startswith("Krippendorff"))
    assert 0 < kappa.value < 1 and 0 < alpha.value < 1
    assert alpha.ci_low < alpha.value < alpha.ci_high
    used = [r for r in sentence.codes if r.alpha is not None]
    assert len(used) >= 15
    assert any(r.alpha < 1 for r in used)
    assert sentence.disagreements.rows
    frame = sentence.codes.to_dataframe()
    assert list(frame.columns)[:3] == ["code", "prevalence", "coded"]
    character = demo.agreement.compute(("alex", "sam"), "character", bootstrap=0)
    for name in ("Cohen", "αU", "|u-alpha"):
        row = next(r for r in character.overall if r.measure.startswith(name))
        assert 0 < row.value < 1, name
    segment = demo.agreement.compute(("alex", "sam"), "segment", bootstrap=0)
    pct = next(r for r in segment.overall if r.measure.startswith("percent"))
    assert 0 < pct.value < 1
    assert {r.kind for r in segment.disagreements} <= {"boundary", "only_a", "only_b"}
