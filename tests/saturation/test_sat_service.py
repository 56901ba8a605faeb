"""Saturation through the project on both backends: ordering, layers, errors, CLI and plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from sat_helpers import build

import thematica
from thematica.cli.main import run
from thematica.core.errors import InputError, NotFoundError

#: Imported in name order C1..C6, but interviewed in a different order; C5 and C3 share a date
#: (tie -> document name), C6 has no date (listed last).
SPEC = [
    ("d", "C1", "2024-03-01", ["a", "x"]),
    ("d", "C2", "2024-01-10", ["a", "b", "c"]),
    ("d", "C3", "2024-02-01", ["b", "d"]),
    ("d", "C4", "2024-01-20", ["c", "e"]),
    ("d", "C5", "2024-02-01", ["a"]),
    ("d", "C6", None, ["f"]),
]


def test_sat_order_ties_missing_and_counts(project: object, tmp_path: Path) -> None:
    build(project, tmp_path / "docs", SPEC)
    r = project.saturation.assess("interview_date", base=2, run=2, threshold=0.0)  # type: ignore[attr-defined]
    assert [s.document for s in r.documents] == ["C2-d", "C4-d", "C3-d", "C5-d", "C1-d", "C6-d"]
    assert [s.order_value for s in r.documents][-1] is None
    assert any("C6" in n and "listed last" in n for n in r.notes)
    assert [s.new for s in r.documents] == [3, 1, 1, 0, 1, 1]
    assert [s.cumulative for s in r.documents] == [3, 4, 5, 5, 6, 7]
    # base {a,b,c,e} = 4: runs C3-C5 1/4, C5-C1 1/4, C1-C6 2/4; never 0
    assert [s.ratio for s in r.documents][3:] == [0.25, 0.25, 0.5]
    assert r.saturation_reached_at is None
    r = project.saturation.assess("interview_date", base=2, run=2, threshold=0.25)  # type: ignore[attr-defined]
    assert (r.saturation_reached_at, r.report_as) == ("C4-d", "2+2")
    freq = project.saturation.frequency("interview_date").records()  # type: ignore[attr-defined]
    assert freq[0]["code"] == "a" and freq[0]["documents"] == 3
    # numeric order compares numbers, not text (10 after 9)
    for case, value in [("C1", "10"), ("C2", "9"), ("C3", "1"), ("C4", "2"), ("C5", "3")]:
        project.cases.set(case, "wave", value)  # type: ignore[attr-defined]
    r = project.saturation.assess("wave", base=1, run=1)  # type: ignore[attr-defined]
    assert [s.document for s in r.documents][:5] == ["C3-d", "C4-d", "C5-d", "C2-d", "C1-d"]
    by_case = project.saturation.assess("interview_date", base=2, run=1, unit="case")  # type: ignore[attr-defined]
    assert [s.case for s in by_case.documents][:2] == ["C2", "C4"]


def test_sat_layers_and_errors(project: object, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no documents"):
        project.saturation.assess(None)  # type: ignore[attr-defined]
    build(project, tmp_path / "docs", SPEC[:3])
    with pytest.raises(NotFoundError, match="no attribute named 'nope'"):
        project.saturation.assess("nope")  # type: ignore[attr-defined]
    from thematica.services.coding import CodingInput

    project.coding.apply_many([CodingInput("C1-d", "d", 0, 5)], coder="sam")  # type: ignore[attr-defined]
    with pytest.raises(InputError, match=r"no consensus layer: choose which to read$"):
        project.saturation.assess("interview_date")  # type: ignore[attr-defined]
    # sam coded only C1: C2 and C3 are not yet coded in sam's layer, so they are left out
    # (named apart), not counted as interviews that brought no new code
    sam = project.saturation.assess("interview_date", coder="sam", base=1, run=1)  # type: ignore[attr-defined]
    assert [(s.document, s.cumulative) for s in sam.documents] == [("C1-d", 1)]
    assert sam.not_yet_coded == ["C2-d", "C3-d"]
    assert sam.to_dict()["not_yet_coded"] == ["C2-d", "C3-d"]
    both = project.saturation.assess("interview_date", coder="alex,sam", base=1, run=1)  # type: ignore[attr-defined]
    assert [s.new for s in both.documents] == [3, 1, 1]  # C2 abc, C3 d (b seen), C1 x (+d by sam)


def test_sat_leaves_out_documents_not_yet_coded(demo: object, tmp_path: Path) -> None:
    """An interview imported but not yet coded is no evidence of saturation: the assessment
    with it equals the assessment without it, and it is named as not yet coded."""
    p = demo
    kwargs = {"base": 3, "run": 2, "threshold": 0.2, "coder": "sam"}
    before = p.saturation.assess("interview_date", **kwargs)  # type: ignore[attr-defined]
    assert before.not_yet_coded == []
    new = tmp_path / "P08-interview.txt"
    new.write_text("Interviewer: How was it?\n\nParticipant 8: Long days in the van.\n", "utf-8")
    p.documents.import_files([new])  # type: ignore[attr-defined]
    # interviewed before everyone else: counted, it would be the first interview of the base
    p.cases.set("P08", "interview_date", "2020-01-01")  # type: ignore[attr-defined]
    after = p.saturation.assess("interview_date", **kwargs)  # type: ignore[attr-defined]
    assert after.not_yet_coded == ["P08-interview"]
    assert after.documents == before.documents
    assert (after.saturation_reached_at, after.report_as, after.base_codes) == (
        before.saturation_reached_at,
        before.report_as,
        before.base_codes,
    )
    assert "P08-interview" not in [s.document for s in after.documents]
    assert any(n.startswith("not yet coded") and "P08-interview" in n for n in after.notes)
    # by case too, and in the interviews the report and the frequency view read
    by_case = p.saturation.assess("interview_date", unit="case", **kwargs)  # type: ignore[attr-defined]
    assert "P08" not in [s.case for s in by_case.documents]
    assert by_case.not_yet_coded == ["P08-interview"]
    interviews, notes = p.saturation.interviews("interview_date", coder="sam")  # type: ignore[attr-defined]
    assert len(interviews) == 7 and any("P08-interview" in n for n in notes)
    # once sam codes it, it counts again, in its place (first)
    p.coding.apply("P08-interview", "Staffing", 26, 58, coder="sam")  # type: ignore[attr-defined]
    coded = p.saturation.assess("interview_date", **kwargs)  # type: ignore[attr-defined]
    assert coded.not_yet_coded == [] and coded.documents[0].document == "P08-interview"
    assert coded.documents[0].new == 1


def test_sat_cli_json_table_and_plots(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p, _ = thematica.build_demo(db_url)
    p.close()
    args = ["saturation", "--db", db_url, "--order-by", "interview_date", "--coder", "sam"]
    assert run([*args, "--base", "3", "--run", "2", "--threshold", "0.2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"documents", "saturation_reached_at", "base", "run", "threshold"} <= set(out)
    assert (out["base"], out["run"], out["threshold"]) == (3, 2, 0.2)
    docs = out["documents"]
    assert [d["case"] for d in docs] == [f"P0{i}" for i in range(1, 8)]
    assert {"document", "case", "order_value", "new", "cumulative", "ratio"} <= set(docs[0])
    assert docs[0]["ratio"] is None and docs[4]["ratio"] is not None
    assert docs[-1]["cumulative"] == sum(d["new"] for d in docs)
    assert out["saturation_reached_at"] in [d["document"] for d in docs]
    png, svg = tmp_path / "s.png", tmp_path / "s.svg"
    assert run([*args, "--base", "3", "--threshold", "0.2", "--plot", str(png), "-q"]) == 0
    assert run([*args, "--base", "3", "--threshold", "0.2", "--plot", str(svg), "-q"]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    tree = etree.fromstring(svg.read_bytes())
    assert tree.tag.endswith("svg")
    assert "saturation at P03-interview (3+2" in "".join(tree.itertext())
    capsys.readouterr()
    assert run([*args, "--frequency", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("code,first_position,first_document")
    assert run([*args, "--order-by", "nope"]) == 2
    assert "no attribute named 'nope'" in capsys.readouterr().err
    assert run([*args, "--plot", str(tmp_path / "s.gif")]) == 2
    assert not (tmp_path / "s.gif").exists()
