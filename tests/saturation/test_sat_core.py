"""The pure saturation arithmetic (core.saturation) on hand-computed and reference cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sat_helpers import interviews

from thematica.core.errors import InputError
from thematica.core.saturation import assess, cumulative_share, first_seen

#: Worked by hand. Base 2 = {a,b,c,d,e}: B = 5. New per doc 4,1,1,0,1,0,0.
#: Runs of 2 (ratio on the run's last doc): D3-D4 1/5, D4-D5 1/5, D5-D6 1/5, D6-D7 0/5.
HAND = [["a", "b", "c", "d"], ["a", "e"], ["b", "f"], ["a"], ["g"], ["a"], ["b"]]


def test_sat_hand_counts_and_ratios() -> None:
    r = assess(interviews(HAND), base=2, run=2, threshold=0.05)
    assert [s.new for s in r.documents] == [4, 1, 1, 0, 1, 0, 0]
    assert [s.cumulative for s in r.documents] == [4, 5, 6, 6, 7, 7, 7]
    assert [s.ratio for s in r.documents] == [None, None, None, 0.2, 0.2, 0.2, 0.0]
    assert r.documents[2].new_codes == ["f"]
    assert r.base_codes == 5 and r.total_codes == 7
    # first run at or under 5%: D6-D7, so N = 5 and the report reads "5+2"
    assert (r.saturation_reached_at, r.saturation_position, r.report_as) == ("D5", 5, "5+2")
    assert r.confirmed_by == ["D6", "D7"]


def test_sat_threshold_is_inclusive() -> None:
    """A run exactly at the threshold counts (ratio <= threshold)."""
    r = assess(interviews(HAND), base=2, run=2, threshold=0.2)
    assert (r.saturation_reached_at, r.report_as, r.confirmed_by) == ("D2", "2+2", ["D3", "D4"])
    r = assess(interviews(HAND), base=2, run=2, threshold=0.19)
    assert r.report_as == "5+2"


def test_sat_base_is_fixed_not_rolling() -> None:
    """The denominator stays the base's code count even after later runs add codes."""
    r = assess(interviews(HAND), base=2, run=1, threshold=0.0)
    # run of 1: D3 1/5, D4 0/5 -> saturated at 3+1 (a rolling base would still give 0 here),
    # and D5 is 1/5, not 1/6 as a base grown to D4 would make it.
    assert [s.ratio for s in r.documents] == [None, None, 0.2, 0.0, 0.2, 0.0, 0.0]
    assert r.report_as == "3+1"


def test_sat_not_reached_and_too_few_documents() -> None:
    r = assess(interviews(HAND), base=2, run=2, threshold=0.0)
    assert r.report_as == "5+2"  # D6-D7 add nothing
    r = assess(interviews(HAND[:6]), base=2, run=2, threshold=0.0)
    assert r.saturation_reached_at is None and "no run of 2" in r.notes[0]
    # base larger than the data: counts still given, no ratio, no saturation, a note says why
    r = assess(interviews(HAND), base=9, run=2, threshold=0.05)
    assert [s.cumulative for s in r.documents][-1] == 7
    assert all(s.ratio is None for s in r.documents)
    assert r.saturation_reached_at is None
    assert "need at least 11 interviews, and there are 7" in r.notes[0]
    # base + run just over the data
    assert assess(interviews(HAND), base=6, run=2).saturation_reached_at is None


def test_sat_empty_base_and_bad_parameters() -> None:
    r = assess(interviews([[], [], ["a"], []]), base=2, run=1, threshold=0.05)
    assert all(s.ratio is None for s in r.documents) and "undefined" in r.notes[0]
    for kwargs in ({"base": 0}, {"run": 0}, {"threshold": -0.1}, {"threshold": 1.5}):
        with pytest.raises(InputError):
            assess(interviews(HAND), **kwargs)  # type: ignore[arg-type]


def test_sat_first_seen() -> None:
    rows = first_seen(interviews(HAND))
    by_code = {r.code: r for r in rows}
    assert [r.code for r in rows][:4] == ["a", "b", "c", "d"]
    assert (by_code["a"].documents, by_code["a"].cases, by_code["a"].first_document) == (4, 4, "D1")
    assert (by_code["g"].first_position, by_code["g"].documents) == (5, 1)


def _reference(shared_data: Path) -> dict[str, dict[str, object]]:
    data = json.loads((shared_data / "reference-values" / "saturation.json").read_text("utf-8"))
    return {e["id"]: e for e in data["entries"]}


def test_sat_reference_guest_2006_cumulative(shared_data: Path) -> None:
    """Guest, Bunce & Johnson (2006) counts 80 / 100 / 114 (PROVISIONAL: from secondary texts,
    primary_text_confirmed=false in saturation.json). A 60-interview sequence with those
    cumulative counts must give the file's shares within its tolerance."""
    entry = _reference(shared_data)["guest_bunce_johnson_2006_cumulative_codes"]
    data, expected, tol = entry["data"], entry["expected"], entry["tolerance"]
    assert entry["primary_text_confirmed"] is False
    cum = {int(k): v for k, v in data["cumulative_codes_after_interviews"].items()}  # type: ignore[index, union-attr]
    nigeria = data["codes_added_by_nigeria_30"]  # type: ignore[index]
    # first appearances: 80 in 1-6, 20 in 7-12, the Ghana rest in 13-30, Nigeria's in 31-60
    adds = {1: 80, 7: cum[12] - cum[6], 13: cum[60] - cum[12] - nigeria, 31: nigeria}
    codes: list[list[str]] = [[] for _ in range(60)]
    n = 0
    for at, k in adds.items():
        codes[at - 1] += [f"c{n + i}" for i in range(k)]
        n += k
    seq = interviews(codes)
    r = assess(seq, base=6, run=6, threshold=0.05)
    steps = r.documents
    assert (steps[5].cumulative, steps[11].cumulative, steps[59].cumulative) == (80, 100, 114)
    ghana = steps[29].cumulative
    assert ghana == 109
    assert cumulative_share(seq, 6) == pytest.approx(expected["share_by_6_of_all_114"], abs=tol)  # type: ignore[index]
    assert cumulative_share(seq, 12) == pytest.approx(expected["share_by_12_of_all_114"], abs=tol)  # type: ignore[index]
    got = cumulative_share(seq, 12, ghana)
    assert got == pytest.approx(expected["share_by_12_of_109_ghana_codebook"], abs=tol)  # type: ignore[index]
    got = cumulative_share(seq, 6, ghana)
    assert got == pytest.approx(expected["share_by_6_of_109_ghana_codebook"], abs=tol)  # type: ignore[index]


def test_sat_reference_gnc_2020_definition(shared_data: Path) -> None:
    """Guest, Namey & Chen (2020) method definition (PROVISIONAL: primary_text_confirmed=false):
    ratio = new codes in the run / unique codes in the base, saturated if ratio <= threshold,
    reported as 'N+R', runs sliding one interview at a time. Checked for every listed base,
    run and threshold on a sequence whose answer is worked out by hand below."""
    entry = _reference(shared_data)["guest_namey_chen_2020_method_definition"]
    data, expected = entry["data"], entry["expected"]
    assert expected["saturated_if"] == "ratio <= threshold"  # type: ignore[index]
    for base in data["base_size_options"]:  # type: ignore[index]
        for run in data["run_length_options"]:  # type: ignore[index]
            for threshold in data["new_information_threshold_options"]:  # type: ignore[index]
                # base: 20 codes; doc b+1 adds 3, doc b+r+1 adds 1 (= 1/20 = 0.05), then none
                codes: list[list[str]] = [[f"b{i}" for i in range(20)]] + [[]] * (base - 1)
                codes += [["n1", "n2", "n3"]] + [[]] * (run - 1) + [["n4"]] + [[]] * (run + 1)
                r = assess(interviews(codes), base=base, run=run, threshold=threshold)
                assert r.base_codes == 20
                first = r.documents[base + run - 1]
                assert first.ratio == pytest.approx(3 / 20)
                # sliding: the second run starts one interview later and holds n4 only
                assert r.documents[base + run].ratio == pytest.approx(1 / 20)
                n = base + 1 if threshold == 0.05 else base + run + 1
                assert r.saturation_position == n, (base, run, threshold)
                assert r.report_as == f"{n}+{run}"
