"""The report states only what is true: who coded independently, what was compared, the same
agreement numbers as ``thematica agreement``, saved runs only while current, and open
disagreements refused or announced where the findings begin."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from rep_helpers import with_consensus

import thematica
from thematica.cli.main import run
from thematica.core.errors import ConflictError
from thematica.exporters import project_files as files
from thematica.services.reports import OpenDisagreementsError

SAM_CSV = resources.files("thematica") / "data" / "demo" / "coder-sam.csv"


def _sentences(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def test_an_imported_layer_is_not_an_independent_coder(demo: Any, tmp_path: Path) -> None:
    # "published" holds exactly sam's codings, loaded as an imported layer
    with resources.as_file(SAM_CSV) as path:
        demo.coding.import_csv(path, coder="published", kind="imported")
    data = demo.reports.data(coder="alex", figures=())
    assert "Two coders (alex and sam) coded the transcripts independently." in data.methods
    assert "published" not in data.methods
    assert data.agreement is not None and data.agreement.coders == ["alex", "sam"]
    alex_sam = data.agreement.measure("Krippendorff")
    # the same comparison with the imported layer in sam's place: named for what it is
    settings = demo.reports.settings(coder="alex", agreement_coders="alex,published")
    other = demo.reports.data(settings=settings, figures=())
    assert "One coder (alex) coded the transcripts." in other.methods
    assert "Two coders" not in other.methods
    assert (
        "The comparison also included published (an imported coding layer), which was not "
        "an independent coder." in other.methods
    )
    assert (
        "Agreement between alex and published (an imported coding layer) was measured on "
        "sentences × codes" in other.methods
    )
    assert other.agreement is not None
    # identical codings, identical numbers: only the name differs
    assert other.agreement.measure("Krippendorff") == alex_sam
    assert not [s for s in _sentences(other.methods) if s[0].isdigit()]


def test_open_disagreements_are_refused_or_announced(demo: Any, tmp_path: Path) -> None:
    with_consensus(demo)
    open_ = demo.consensus.status().rows[0].open
    assert open_ > 0
    out = tmp_path / "r.docx"
    with pytest.raises(OpenDisagreementsError) as err:
        files.write_report(demo, out)
    assert str(err.value) == (
        f"the consensus layer 'consensus' still has {open_} open disagreement(s) of "
        f"{demo.consensus.status().rows[0].compared} compared; decide them before reporting, "
        "or allow a provisional report"
    )
    assert not out.exists()
    # a report on one coder's own layer does not depend on the consensus: not refused
    assert demo.reports.data(coder="alex", figures=()).open_notice == ""
    files.write_report(demo, out, allow_open=True)
    from docx import Document

    paragraphs = [p.text for p in Document(str(out)).paragraphs]
    start = paragraphs.index("Findings by theme")
    assert paragraphs[start + 1].startswith("Provisional: the consensus coding is not final.")
    assert f", {open_} disagreements are still open," in paragraphs[start + 1]
    methods = paragraphs[paragraphs.index("Methods") + 1]
    assert f"and {open_} are still open." in methods
    # decided, the report needs no permission and carries no notice
    with_consensus(demo, close=True)
    data = demo.reports.data(figures=())
    assert data.open_notice == "" and "still open" not in data.methods


def test_cli_refuses_open_disagreements(tmp_path: Path, capsys: Any) -> None:
    db = str(tmp_path / "demo.db")
    project, _ = thematica.build_demo(db)
    with_consensus(project)
    project.close()
    out = tmp_path / "r.md"
    assert run(["report", "--db", db, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the consensus layer 'consensus' still has ")
    assert err.endswith("or allow a provisional report (--allow-open)\n")
    assert not out.exists()
    assert run(["report", "--db", db, "-o", str(out), "--allow-open", "-q"]) == 0
    assert "**Provisional: the consensus coding is not final." in out.read_text("utf-8")


@pytest.fixture
def closed_demo(tmp_path: Path) -> Any:
    project, _ = thematica.build_demo(str(tmp_path / "demo.db"))
    with_consensus(project, close=True)
    yield project
    project.close()


def test_report_numbers_are_the_agreement_command_numbers(
    closed_demo: Any, tmp_path: Path, capsys: Any
) -> None:
    data = closed_demo.reports.data(figures=())
    url = str(tmp_path / "demo.db")
    argv = ["agreement", "--db", url, "--coders", "alex,sam", "--unit", "sentence"]
    assert run([*argv, "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    alpha = next(r for r in cli["overall"] if r["measure"].startswith("Krippendorff"))
    kappa = next(r for r in cli["overall"] if "kappa" in r["measure"])
    assert data.agreement is not None and data.agreement.run is None
    mine = data.agreement.measure("Krippendorff")
    assert mine is not None
    # same resamples (1,000) and seed (1): the very same interval, to the last digit
    assert (mine["value"], mine["ci_low"], mine["ci_high"]) == (
        alpha["value"],
        alpha["ci_low"],
        alpha["ci_high"],
    )
    assert alpha["ci_low"] is not None and alpha["ci_low"] < alpha["value"] < alpha["ci_high"]
    text = (
        f"nominal Krippendorff's alpha = {alpha['value']:.2f} (95% CI {alpha['ci_low']:.2f}"
        f"\u2013{alpha['ci_high']:.2f}; percentile bootstrap, 1,000 resamples, seed 1); "
        f"Cohen's kappa = {kappa['value']:.2f}"
    )
    assert text in data.methods
    assert data.agreement_overall is not None
    row = next(r for r in data.agreement_overall.rows if r[0].startswith("Krippendorff"))
    assert row[2] == f"{alpha['ci_low']:.2f}\u2013{alpha['ci_high']:.2f}"
    # the per-code table (appendix) carries the command's per-code kappas
    codes = {r["code"]: r for r in cli["codes"]}
    table = data.appendix[0]
    assert table.title == "Table A1. Agreement per code"
    for values in table.rows:
        path = next(p for p in codes if p == values[0] or p.endswith("/" + values[0]))
        kappa_c = codes[path]["kappa"]
        assert values[4] == ("\u2013" if kappa_c is None else f"{kappa_c:.2f}")


def test_a_saved_run_is_used_while_current(demo: Any) -> None:
    with_consensus(demo, close=True)
    demo.agreement.compute(("alex", "sam"), "sentence", bootstrap=1000, seed=1, save="final")
    saved = demo.agreement._load_run("final")
    data = demo.reports.data(figures=())
    assert data.agreement is not None and data.agreement.run == "final"  # found by its settings
    assert data.agreement.overall == saved["results"]["overall"]
    assert "These figures are those of the saved agreement run “final” of " in data.methods
    named = demo.reports.data(settings=demo.reports.settings(agreement_run="final"), figures=())
    assert named.agreement is not None and named.agreement.overall == saved["results"]["overall"]
    # other settings (here 200 resamples) do not match the run: computed afresh
    other = demo.reports.data(settings=demo.reports.settings(agreement_bootstrap=200), figures=())
    assert other.agreement is not None and other.agreement.run is None
    # a star changes no agreement: the run stays current
    first = demo.coding.list(coder="consensus").rows[0].id
    demo.coding.star(first)
    assert demo.reports.data(figures=()).agreement.run == "final"
    # a new coding by a compared coder makes the run out of date (and opens a disagreement)
    demo.coding.apply("P01-interview", "Staffing", 0, 40, coder="alex")
    provisional = demo.reports.settings(allow_open=True)
    fresh = demo.reports.data(settings=provisional, figures=())
    assert fresh.agreement is not None and fresh.agreement.run is None  # recomputed
    assert fresh.agreement.overall != saved["results"]["overall"]
    assert "saved agreement run" not in fresh.methods
    with pytest.raises(ConflictError, match=r"agreement run 'final' is out of date: .*code at"):
        demo.reports.data(settings=demo.reports.settings(provisional, agreement_run="final"))


def test_methods_paragraph_from_hand_made_facts() -> None:
    from thematica.services.reports.agreement_figures import AgreementFigures
    from thematica.services.reports.methods import MethodsFacts, methods_paragraph

    figures = AgreementFigures(
        coders=["alex", "kim", "legacy"],
        unit="turn",
        bootstrap=0,
        seed=1,
        codes_asked=["Staffing"],
        overall=[
            {"measure": "percent agreement (turns × codes)", "value": 0.9, "n_units": 1200},
            {"measure": "Fleiss' kappa (turns × codes)", "value": -0.0004, "n_units": 1200},
            {
                "measure": "Krippendorff's alpha, nominal (turns × codes)",
                "value": -0.25,
                "ci_low": None,
                "ci_high": None,
                "n_units": 1200,
            },
        ],
        codes=[{"code": "Org/Staffing", "coded": {"alex": 3, "kim": 0, "legacy": 1}}],
    )
    facts = MethodsFacts(
        n_documents=12,
        n_cases=1,
        kinds={"alex": "human", "kim": "human", "legacy": "imported", "bot": "ai"},
        layer=["bot"],
        coverage={"alex": 12, "kim": 9, "legacy": 12},
        n_codes=30,
        deductive=20,
        inductive=8,
        agreement=figures,
    )
    assert methods_paragraph(facts) == (
        "The analysis drew on 12 interviews (documents) with 1 participant (cases). "
        "Two coders (alex and kim) coded the transcripts independently. "
        "Of the 12 interviews, alex coded all and kim coded 9. "
        "The comparison also included legacy (an imported coding layer), which was not an "
        "independent coder. "
        "Agreement between alex, kim and legacy (an imported coding layer) was measured on "
        "speaker turns × codes for the code Staffing "
        "over 1,200 ratings: nominal Krippendorff's alpha = \u22120.25; Fleiss' kappa = 0.00; "
        "and percent agreement = 90.0%. "
        "The findings below are based on the coding of bot (AI-suggested coding). "
        "The codebook held 30 codes (20 deductive, 8 inductive, 2 unspecified)."
    )


def test_agreement_needs_two_coders_and_saturation_reads_well(demo: Any) -> None:
    from thematica.core.errors import InputError

    one = demo.reports.settings(agreement_coders=("alex",))
    with pytest.raises(InputError, match="compares two or more coders, not alex alone"):
        demo.reports.data(settings=one, coder="alex", figures=())
    # runs of one: "the next one interview", and participants ordered by case name
    by_case = demo.reports.settings(saturation_unit="case", saturation_run=1, saturation_base=2)
    methods = demo.reports.data(settings=by_case, coder="alex", figures=()).methods
    assert "with participants taken in order of case name" in methods
    assert "(3+1: the next one participant added new codes at or below the threshold)" in methods


def test_a_consensus_layer_behind_its_coders_is_not_final(demo: Any) -> None:
    from thematica.core.errors import ConflictError

    with_consensus(demo, close=True)
    assert demo.reports.data(figures=()).layer == "consensus"  # all decided: a final report
    # sam now codes exactly what alex coded somewhere sam had not: a new agreed passage that
    # is compared but in no decision, so the layer no longer holds all the agreed coding
    row = next(r for r in demo.coding.list(coder="alex").rows)
    existing = {(r.document, r.code, r.start, r.end) for r in demo.coding.list(coder="sam").rows}
    assert (row.document, row.code, row.start, row.end) not in existing
    demo.coding.apply(row.document, row.code, row.start, row.end, coder="sam")
    status = demo.consensus.status().records()[0]
    assert status["open"] == 0
    with pytest.raises(ConflictError, match="newly agreed passage"):
        demo.reports.data(figures=())
