"""Multi-label reconciliation: alex's X where sam has Y over the same text is two disagreements,
decided independently, unless X and Y are declared mutually exclusive (an ``exclusive``
parent code); SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cons_helpers import layer_codings, small_study, state

from thematica.core.errors import ConflictError


def _open(p: Any) -> dict[str, str]:
    return {d.id: d.kind for d in p.consensus.disagreements()}


def test_x_against_y_is_two_disagreements_decided_independently(
    project: Any, tmp_path: Path
) -> None:
    p = project
    ids = small_study(p, tmp_path)
    p.consensus.start(("alex", "sam"))
    # s1 turn 4: alex Support, sam Coping over the same text -> a.. only_a and b.. only_b
    assert _open(p) == {
        f"a{ids['a_coping_s1']}": "only_a",
        f"a{ids['a_support_s1']}": "only_a",
        f"b{ids['b_coping_s1']}": "only_b",
        f"a{ids['a_coping_s2']}-b{ids['b_coping_s2']}": "boundary",
        f"b{ids['b_support_s2']}": "only_b",
    }
    agreed = layer_codings(p)
    p.consensus.decide(f"a{ids['a_support_s1']}", "drop", "no support is described here")
    # sam's Coping on the same text is still open, and the layer did not change
    assert f"b{ids['b_coping_s1']}" in _open(p)
    assert len(_open(p)) == 4
    assert layer_codings(p) == agreed
    p.consensus.decide(f"b{ids['b_coping_s1']}", "keep_b", "the supervisor's help is coping")
    assert layer_codings(p) == agreed | {("s1", "Coping", 119, 182)}
    status = p.consensus.status().rows[0]
    # compared: 2 agreed + the 5 pairings above
    assert (status.compared, status.open, status.drop, status.keep_b) == (7, 3, 1, 1)


def test_an_exclusive_group_keeps_one_different_code_disagreement(
    project: Any, tmp_path: Path
) -> None:
    p = project
    small_study(p, tmp_path)
    p.codebook.add("Mild", "Tone/Positive")
    pos = p.coding.apply("s2", "Tone/Positive", 117, 159, coder="alex")
    neg = p.coding.apply("s2", "Tone/Negative", 117, 159, coder="sam")
    mild = p.coding.apply("s1", "Tone/Positive/Mild", 0, 32, coder="alex")
    neg1 = p.coding.apply("s1", "Tone/Negative", 0, 32, coder="sam")
    # Tone itself against a subcode of it is a refinement, not an alternative
    tone = p.coding.apply("s1", "Tone", 93, 117, coder="alex")
    neg2 = p.coding.apply("s1", "Tone/Negative", 93, 117, coder="sam")
    # Staffing against a Tone code: unrelated codes, both may apply
    staff = p.coding.apply("s2", "Staffing", 0, 34, coder="alex")
    pos2 = p.coding.apply("s2", "Tone/Positive", 0, 34, coder="sam")
    p.consensus.start(("alex", "sam"))
    kinds = _open(p)
    assert kinds[f"a{pos}-b{neg}"] == "different_code"
    assert kinds[f"a{mild}-b{neg1}"] == "different_code"  # under Positive, still an alternative
    for single in (tone, neg2, staff, pos2):
        assert not any(str(single) in k and "-" in k for k in kinds)
    assert (kinds[f"a{tone}"], kinds[f"b{neg2}"]) == ("only_a", "only_b")
    assert (kinds[f"a{staff}"], kinds[f"b{pos2}"]) == ("only_a", "only_b")

    row = p.consensus.decide(f"a{pos}-b{neg}", "keep_b", "the pay is bad: negative")
    assert {x["id"] for x in row.source_codings} == {pos, neg}
    assert ("s2", "Tone/Negative", 117, 159) in layer_codings(p)
    assert ("s2", "Tone/Positive", 117, 159) not in layer_codings(p)

    # no longer exclusive: the decided pair splits in two, but nothing reopens
    p.codebook.set_exclusive("Tone", False)
    kinds = _open(p)
    assert not {f"a{pos}", f"b{neg}", f"a{pos}-b{neg}"} & set(kinds)
    assert (kinds[f"a{mild}"], kinds[f"b{neg1}"]) == ("only_a", "only_b")
    before = state(p)
    with pytest.raises(ConflictError, match=rf"a{pos} is already settled by decision \d+"):
        p.consensus.decide(f"a{pos}", "keep_a")
    assert state(p) == before
