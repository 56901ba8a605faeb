"""A public two-coder study Thematica was not built around, run end to end from the CLI.

The `world_after_covid` corpus (Grossmann et al.; MIT): 57 interviewees answered five questions;
two coders (CC and OM) coded "outside view" on the answers to Q1 and Q3 and "dialectical
thinking" on each interviewee as a whole, and the team recorded a reconciled final code. The
test imports the answers as a wide survey, loads each coder's codes from wide coding tables,
and checks agreement against scikit-learn's Cohen's kappa, the consensus layer against the
published final codes, and the report's methods paragraph against who actually coded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

QUESTIONS = ("Q1", "Q2", "Q3", "Q4", "Q5")
OUTSIDE = "Outside view"
DIALECTIC = "Dialectical thinking"

pytestmark = pytest.mark.shared


def _cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    from thematica.cli.main import run

    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, f"thematica {' '.join(map(str, argv))} failed: {err}"
    return out


def _published(wac: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    answers = pd.read_csv(wac / "transcripts.csv", encoding="cp1252")
    codes = pd.read_csv(wac / "outside_dialectic_codes.csv", encoding="cp1252")
    return answers, codes


def _tables(
    codes: pd.DataFrame, answers: pd.DataFrame, who: str, folder: Path
) -> tuple[Path, Path]:
    """One coder's (or the final) codes as the two wide tables a team would keep: outside view
    per answer (turn = the question the answer belongs to), dialectical thinking per person."""
    answered = answers.set_index("Name")
    turns = []
    for _, row in codes.iterrows():
        for q in ("Q1", "Q3"):
            value = row[f"{q}_Outside_{who}"]
            if pd.isna(answered.loc[row["Name"], q]):
                continue  # no answer, no turn to code
            turns.append(
                {"document": row["Name"], "turn": q, OUTSIDE: 0 if pd.isna(value) else int(value)}
            )
    docs = [
        {"document": row["Name"], DIALECTIC: int(row[f"Dialectic_{who}"])}
        for _, row in codes.iterrows()
    ]
    turn_file, doc_file = folder / f"{who}-turns.csv", folder / f"{who}-documents.xlsx"
    pd.DataFrame(turns).to_csv(turn_file, index=False)
    pd.DataFrame(docs).to_excel(doc_file, index=False)
    return turn_file, doc_file


def _expected_turn_vectors(codes: pd.DataFrame, answers: pd.DataFrame, who: str) -> list[int]:
    """Per answered question of every interviewee, in name then question order: 1 where the
    coder marked outside view. Unmarked questions (Q2, Q4, Q5) are answers coded 0."""
    marks = codes.set_index("Name")
    out = []
    for _, row in answers.sort_values("Name").iterrows():
        for q in QUESTIONS:
            if pd.isna(row[q]):
                continue
            value = marks.loc[row["Name"], f"{q}_Outside_{who}"] if q in ("Q1", "Q3") else 0
            out.append(0 if pd.isna(value) else int(value))
    return out


def _kappa(report: dict[str, object], code: str) -> float:
    rows = [r for r in report["codes"] if r["code"] == code]  # type: ignore[union-attr,index]
    assert len(rows) == 1
    return float(rows[0]["kappa"])  # type: ignore[index]


def test_world_after_covid_end_to_end(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wac = shared_data / "corpora" / "world_after_covid"
    answers, codes = _published(wac)
    db = tmp_path / "wac.db"
    _cli(capsys, "init", "--db", db)
    _cli(
        capsys,
        "import",
        wac / "transcripts.csv",
        "--text-columns",
        ",".join(QUESTIONS),
        "--id-column",
        "Name",
        "--db",
        db,
    )
    docs = json.loads(_cli(capsys, "documents", "list", "--db", db, "--format", "json"))
    assert len(docs) == 57
    answered = answers[list(QUESTIONS)].notna().sum(axis=1)
    turns = {d["name"]: d["turns"] for d in docs}
    assert turns == dict(zip(answers["Name"], answered, strict=True))
    cases = json.loads(_cli(capsys, "cases", "list", "--db", db, "--format", "json"))
    assert len(cases) == 57

    _cli(
        capsys,
        "codebook",
        "add",
        OUTSIDE,
        "--db",
        db,
        "--definition",
        "Predictions informed by past pandemics or other base-rate information.",
    )
    _cli(
        capsys,
        "codebook",
        "add",
        DIALECTIC,
        "--db",
        db,
        "--definition",
        "The same issue seen to have positives and negatives, or marked uncertainty.",
    )
    for who in ("CC", "OM"):
        turn_file, doc_file = _tables(codes, answers, who, tmp_path)
        _cli(
            capsys, "code", "--coder", who, "--from-table", turn_file, "--unit", "turn", "--db", db
        )
        _cli(
            capsys,
            "code",
            "--coder",
            who,
            "--from-table",
            doc_file,
            "--unit",
            "document",
            "--db",
            db,
        )

    # agreement per code equals scikit-learn's Cohen's kappa on the same units
    by_turn = json.loads(
        _cli(
            capsys,
            "agreement",
            "--db",
            db,
            "--coders",
            "CC,OM",
            "--unit",
            "turn",
            "--code",
            OUTSIDE,
            "--format",
            "json",
        )
    )
    expected = cohen_kappa_score(
        _expected_turn_vectors(codes, answers, "CC"), _expected_turn_vectors(codes, answers, "OM")
    )
    assert _kappa(by_turn, OUTSIDE) == pytest.approx(expected, abs=1e-9)
    outside_kappa = expected
    by_doc = json.loads(
        _cli(
            capsys,
            "agreement",
            "--db",
            db,
            "--coders",
            "CC,OM",
            "--unit",
            "document",
            "--code",
            DIALECTIC,
            "--format",
            "json",
        )
    )
    ordered = codes.sort_values("Name")
    expected = cohen_kappa_score(ordered["Dialectic_CC"], ordered["Dialectic_OM"])
    assert _kappa(by_doc, DIALECTIC) == pytest.approx(expected, abs=1e-9)

    # the published reconciliation, applied as a final table, is exactly the consensus layer
    final_turns, final_docs = _tables(codes, answers, "Final", tmp_path)
    _cli(
        capsys,
        "consensus",
        "apply",
        "--final",
        final_turns,
        "--unit",
        "turn",
        "--coders",
        "CC,OM",
        "--db",
        db,
    )
    _cli(
        capsys,
        "consensus",
        "apply",
        "--final",
        final_docs,
        "--unit",
        "document",
        "--coders",
        "CC,OM",
        "--db",
        db,
    )
    export = tmp_path / "consensus.csv"
    _cli(capsys, "export", "codings", "--coder", "consensus", "--db", db, "-o", export)
    layer = pd.read_csv(export).to_dict("records")
    got_outside = sorted(
        (c["document"], " ".join(str(c["text"]).split())) for c in layer if c["code"] == OUTSIDE
    )
    want_outside = sorted(
        (row["Name"], " ".join(str(answers.set_index("Name").loc[row["Name"], q]).split()))
        for _, row in codes.iterrows()
        for q in ("Q1", "Q3")
        if row[f"{q}_Outside_Final"] == 1
        and pd.notna(answers.set_index("Name").loc[row["Name"], q])
    )
    # 29 published, less Mendes's answer to Q3, which the codes file has but transcripts.csv lacks
    assert len(got_outside) == len(want_outside) == 28
    assert got_outside == want_outside  # each the whole answer to Q1 or Q3, nothing else
    got_dialectic = sorted(c["document"] for c in layer if c["code"] == DIALECTIC)
    assert got_dialectic == sorted(codes.loc[codes["Dialectic_Final"] == 1, "Name"])
    # counted by hand from the published columns (CC, OM, Final) over the 171 coded units:
    # both and final 44, CC only kept 4 / dropped 14, OM only kept 7 / dropped 3, neither but
    # final 1 (added), both but not final 1 (overturned)
    status = json.loads(_cli(capsys, "consensus", "status", "--db", db, "--format", "json"))[0]
    assert {
        k: status[k]
        for k in ("compared", "agreed", "keep_a", "keep_b", "drop", "added", "overturned", "open")
    } == {
        "compared": 73,
        "agreed": 44,
        "keep_a": 4,
        "keep_b": 7,
        "drop": 17,
        "added": 1,
        "overturned": 1,
        "open": 0,
    }

    # the report names exactly the two coders who coded independently
    for name, code in (("Learning from the past", OUTSIDE), ("Holding both sides", DIALECTIC)):
        _cli(capsys, "themes", "add", name, "--code", code, "--db", db)
    report = tmp_path / "report.md"
    _cli(
        capsys,
        "report",
        "--db",
        db,
        "--agreement-unit",
        "turn",
        "--agreement-code",
        OUTSIDE,
        "-o",
        report,
    )
    text = report.read_text("utf-8")
    methods = text[text.index("## Methods") : text.index("## Participants")]
    assert "Two coders (CC and OM) coded the transcripts independently." in methods
    assert "Agreement between CC and OM was measured on speaker turns" in methods
    assert "of 73 coded passages compared, 44 agreed, 28 disagreements were settled" in methods
    # the same kappa as the standalone command: sklearn's, to two decimals
    assert f"Cohen's kappa = {outside_kappa:.2f}" in methods
    assert methods.count("independently") == 1  # no other layer is called an independent coder
    table1 = text[text.index("## Participants") : text.index("## Themes")]
    assert "| Gender | Female | 20 | 35.1 |" in table1  # 20 of 57 in transcripts.csv
    assert "RecordingDate" not in table1  # a date describes the study, not the participant
