"""``report init`` and ``report --config``: defaults written and read back, flags over the file,
and every bad key or value a one-line error that names it, with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rep_helpers import docx_tables, with_consensus

import thematica
from thematica.cli.main import run
from thematica.core.errors import InputError
from thematica.services.reports import ReportSettings, load_settings


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = str(tmp_path_factory.mktemp("rep-config") / "demo.db")
    project, _ = thematica.build_demo(db)
    with_consensus(project, close=True)
    project.close()
    yield db


def _init(db: str, path: Path) -> str:
    assert run(["report", "init", "--db", db, "-o", str(path), "-q"]) == 0
    return path.read_text("utf-8")


def test_init_writes_the_defaults_and_reads_back(demo_db: str, tmp_path: Path) -> None:
    text = _init(demo_db, tmp_path / "report.yaml")
    settings = load_settings(text, "report.yaml")
    defaults = ReportSettings()
    # the standalone commands' defaults: agreement --bootstrap 1000 --seed 1; saturation
    # --base 4 --run 2 --threshold 0.05 in document order
    assert (settings.agreement_unit, settings.agreement_bootstrap, settings.agreement_seed) == (
        "sentence",
        1000,
        1,
    )
    assert (
        settings.saturation_order_by,
        settings.saturation_base,
        settings.saturation_run,
        settings.saturation_threshold,
    ) == (None, 4, 2, 0.05)
    assert settings.with_overrides(attributes=None) == settings
    assert settings.quotes_max == defaults.quotes_max == 3
    # Table 1 lists the attributes in order, leaving out the date and the one-per-case title
    assert [a.name for a in settings.attributes or ()] == [
        "employer_type",
        "county_type",
        "time_in_role",
        "prior_experience",
        "lived_experience",
        "interview_mode",
    ]
    assert "#   - name: job_title  # left out: one value per case" in text
    assert "#   - name: interview_date  # left out: a date" in text
    assert "# coders in this project: alex (human), sam (human), consensus (consensus)" in text
    # the file as written gives the same report as no file at all
    with thematica.open_project(demo_db) as p:
        assert p.reports.state_hash(settings=settings) == p.reports.state_hash()
    # init does not overwrite
    assert run(["report", "init", "--db", demo_db, "-o", str(tmp_path / "report.yaml")]) == 2


def test_config_file_and_flags_over_it(demo_db: str, tmp_path: Path) -> None:
    config = tmp_path / "report.yaml"
    config.write_text(
        "title: From the file\n"
        "table1:\n"
        "  attributes:\n"
        "    - name: lived_experience\n"
        "      label: Personal experience with substance use\n"
        "    - employer_type\n"
        "saturation:\n"
        "  threshold: 0.05\n"
        "themes: [2]\n"
        "quotes:\n"
        "  max: 1\n",
        "utf-8",
    )
    out = tmp_path / "r.docx"
    argv = ["report", "--db", demo_db, "--config", str(config), "-o", str(out), "-q"]
    assert run([*argv, "--title", "From the flag", "--threshold", "0.15"]) == 0
    from docx import Document

    doc = Document(str(out))
    assert doc.paragraphs[0].text == "From the flag"
    table1 = docx_tables(out)[0]
    # P01, P02, P07 said yes; P03, P05, P06 no; P04 left it blank. Employer: P02, P06, P07
    # community-based, P03 and P05 health department, P01 and P04 syringe services
    assert table1[1:] == [
        ["Personal experience with substance use", "yes", "3", "42.9"],
        ["", "no", "3", "42.9"],
        ["", "Missing", "1", "14.3"],
        ["Employer type", "Community-based organization", "3", "42.9"],
        ["", "Health department", "2", "28.6"],
        ["", "Syringe services program", "2", "28.6"],
    ]
    text = "\n".join(p.text for p in doc.paragraphs)
    # base P01-P04 holds 15 codes; P05+P06 add 2: 2/15 = 13.3% is at or under 15%
    assert "new-information threshold 15%): it was reached after 4 of 7 interviews (4+2" in text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    themes = [h for h in headings if h.startswith(("Theme ", "Subtheme "))]
    assert [h.split(".")[0] for h in themes] == ["Theme 2", "Subtheme 2", "Subtheme 2"]
    assert themes[1].startswith("Subtheme 2.1. ") and themes[2].startswith("Subtheme 2.2. ")
    quotes = [p for p in doc.paragraphs if p.text.startswith("\u2013 Participant")]
    assert 1 <= len(quotes) <= 3  # one per section at most


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "agreement:\n  unti: turn\n",
            "error: {f}: unknown key 'agreement.unti' (known: title, coder, allow_open,",
        ),
        (
            "agreement:\n  bootstrap: -1\n",
            "error: {f}: agreement.bootstrap must be a whole number of at least 0, not -1",
        ),
        (
            "saturation:\n  threshold: 5\n",
            "error: {f}: saturation.threshold must be a share from 0 up to (not including) 1, "
            "not 5",
        ),
        ("agreement:\n  unit: word\n", "error: {f}: agreement.unit must be one of character,"),
        ("allow_open: perhaps\n", "error: {f}: allow_open must be true or false, not 'perhaps'"),
        ("title: [unclosed\n", "error: {f} line 2: expected ',' or ']', but got '<stream end>'"),
        ("agreement: sentence\n", "error: {f}: agreement must hold keys, such as agreement.run"),
        (
            "quotes:\n  min_words: 90\n",
            "error: {f}: quotes.min_words (90) is more than quotes.max_words (80)",
        ),
        (
            "table1:\n  attributes: [shoe_size]\n",
            "error: table1.attributes: no attribute named 'shoe_size' (attributes: ",
        ),
        ("themes: [Nine]\n", "error: themes: no theme named or numbered 'Nine'"),
        (
            "agreement:\n  coders: [alex, nobody]\n",
            "error: agreement.coders: no coder named 'nobody' (coders: alex, sam, consensus)",
        ),
        ("agreement:\n  run: final\n", "error: no saved agreement run named 'final' (runs: "),
    ],
)
def test_bad_configuration(
    demo_db: str, tmp_path: Path, capsys: Any, content: str, message: str
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(content, "utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["report", "--db", demo_db, "--config", str(config), "-o", str(out_dir / "r.docx")]
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.format(f=config)), err
    assert err.count("\n") == 1
    assert list(out_dir.iterdir()) == []


def test_bad_flags(demo_db: str, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "r.docx"
    for extra, message in (
        (["--quote-words", "80"], "error: --quote-words must look like 15-80, not '80'"),
        (["--threshold", "1.5"], "error: saturation.threshold must be a share from 0"),
        (["--agreement-unit", "word"], "error: agreement.unit must be one of character"),
        (["--config", str(tmp_path / "none.yaml")], "error: no report configuration at "),
    ):
        assert run(["report", "--db", demo_db, "-o", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not out.exists()
    assert run(["report", "--db", demo_db]) == 2
    assert capsys.readouterr().err == "error: report needs --output FILE (.md, .html or .docx)\n"


def test_settings_api_validates_like_the_file() -> None:
    with pytest.raises(InputError, match=r"^agreement.seed must be a whole number"):
        ReportSettings().with_overrides(agreement_seed="one")
    s = ReportSettings().with_overrides(
        agreement_coders="alex, sam", attributes=["county_type=County", "employer_type"]
    )
    assert s.agreement_coders == ("alex", "sam")
    assert [(a.name, a.label) for a in s.attributes or ()] == [
        ("county_type", "County"),
        ("employer_type", "Employer type"),
    ]
