"""Reports on the demo (SQLite, consensus layer): tables, quotes, figures, reproducibility."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rep_helpers import (
    DASH,
    assert_real_quote,
    docx_quotes,
    docx_tables,
    participant_texts,
    with_consensus,
)

import thematica
from thematica.exporters import project_files as files
from thematica.services.reports import (
    MAX_QUOTES,
    _Candidate,
    choose_quotes,
    prevalence_words,
)


@pytest.fixture(scope="module")
def demo_c(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("rep-demo")
    project, _ = thematica.build_demo(str(folder / "demo.db"))
    with_consensus(project, close=True)
    yield project
    project.close()


@pytest.fixture(scope="module")
def docx_pair(demo_c: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("rep-docx")
    first = files.write_report(demo_c, folder / "a.docx")
    second = files.write_report(demo_c, folder / "b.docx")
    assert first.state_hash == second.state_hash
    return first.path, second.path, first.state_hash


def test_docx_tables_match_the_project(demo_c: Any, docx_pair: tuple[Path, Path, str]) -> None:
    tables = docx_tables(docx_pair[0])
    table1, table2 = tables[0], tables[1]
    assert table1[0] == ["Characteristic", "Value", "n", "%"]
    # by default Table 1 leaves out the date (interview_date) and the attribute with a
    # different value for every participant (job_title); each label is printed once
    kept = [
        "employer_type",
        "county_type",
        "time_in_role",
        "prior_experience",
        "lived_experience",
        "interview_mode",
    ]
    expected = []
    previous = None
    for r in demo_c.cases.describe(kept).rows:
        label = r.attribute.replace("_", " ").capitalize() if r.attribute != previous else ""
        expected.append([label, r.value or "Missing", str(r.n), f"{r.percent:.1f}"])
        previous = r.attribute
    assert table1[1:] == expected
    assert table1[1] == ["Employer type", "Community-based organization", "3", "42.9"]
    assert table2[0] == ["SEM level", "Theme", "Subthemes", "Codes"]
    themes = demo_c.themes.table().rows
    levels = [r.level for r in themes]
    assert table2[1:] == [
        [
            r.level if i == 0 or levels[i - 1] != r.level else "",
            r.theme,
            "; ".join(r.subthemes),
            "; ".join(r.codes),
        ]
        for i, r in enumerate(themes)
    ]
    assert {row[0] for row in table2[1:]} >= {"individual", "interpersonal", "organizational"}
    # agreement tables: overall and per code
    overall = tables[2]
    assert overall[0][:2] == ["Measure", "Value"]
    assert any(row[0].startswith("Krippendorff") for row in overall[1:])


def test_docx_quotes_are_real_and_attributed(
    demo_c: Any, docx_pair: tuple[Path, Path, str]
) -> None:
    quotes = docx_quotes(docx_pair[0])
    texts = participant_texts(demo_c)
    assert quotes, "no quotes in the report"
    n = 0
    for heading, items in quotes.items():
        assert re.match(r"(Theme|Subtheme) \d+(\.\d+)?\. ", heading), heading
        assert len(items) <= MAX_QUOTES
        for quote, who in items:
            assert_real_quote(texts, quote, who)
            n += 1
        if not heading.count("."):  # default rule: different participants
            assert len({who for _q, who in items}) == len(items)
    assert n >= 10


def test_docx_structure_and_fixed_properties(
    demo_c: Any, docx_pair: tuple[Path, Path, str]
) -> None:
    from docx import Document

    path, other, state = docx_pair
    doc = Document(str(path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for name in (
        "Methods",
        "Participants",
        "Themes",
        "Inter-coder agreement",
        "Saturation",
        "Findings by theme",
        "Appendix",
    ):
        assert name in headings
    assert headings.index("Appendix") > headings.index("Findings by theme")
    assert len(doc.inline_shapes) == 2  # SEM figure and saturation plot
    assert all(t.rows[0]._tr.trPr is not None for t in doc.tables)  # header rows marked
    props = doc.core_properties
    assert props.identifier == f"thematica-state:{state}"
    assert props.created == props.modified
    assert props.created is not None and props.created.year >= 2020
    text = "\n".join(p.text for p in doc.paragraphs)
    assert state in text
    assert "7 interviews" in text and "Two coders (alex and sam) coded" in text
    assert "21 codes (21 deductive, 0 inductive)" in text
    # in document order the base (P01-P04) holds 15 codes; P05+P06 add 2 (2/15 = 13%) and
    # P06+P07 add 1 (7%): no run is at or under 5%
    assert "threshold 5%): it was not reached within the 7 interviews." in text
    assert "Provisional" not in text  # every disagreement is decided
    # reproducible: the document XML and indeed the whole file
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(other) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")
    assert path.read_bytes() == other.read_bytes()


def test_methods_give_the_agreement_value(demo_c: Any) -> None:
    data = demo_c.reports.data(figures=())
    report = demo_c.agreement.compute(("alex", "sam"), "sentence", bootstrap=1000, seed=1)
    alpha = next(r for r in report.overall.rows if r.measure.startswith("Krippendorff"))
    assert f"nominal Krippendorff's alpha = {alpha.value:.2f}" in data.methods
    assert "resolved by consensus" in data.methods
    assert (
        "of 131 coded passages compared, 91 agreed and 40 disagreements were settled"
        in data.methods
    )
    assert data.layer == "consensus"


def test_prevalence_in_words_and_numbers(demo_c: Any) -> None:
    data = demo_c.reports.data(figures=())
    rows = demo_c.prevalence.table("themes").rows
    assert [(s.number, s.name) for s in data.sections] == [(r.number, r.name) for r in rows]
    for section, row in zip(data.sections, rows, strict=True):
        assert section.prevalence.endswith(f"({row.cases} of {row.total}, {row.percent:.1f}%)")
        assert section.prevalence.startswith(row.quantifier) or row.cases == 0
    assert prevalence_words("most", 5, 7, 71.4, "none") == "most participants (5 of 7, 71.4%)"
    assert prevalence_words("one", 1, 7, 14.3, "none") == "one participant (1 of 7, 14.3%)"
    assert prevalence_words("none", 0, 7, 0.0, "none") == "no participants (0 of 7, 0.0%)"


def test_markdown_links_figures_and_is_reproducible(demo_c: Any, tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    result = files.write_report(demo_c, out, "md")
    first = out.read_bytes()
    text = out.read_text("utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == ["results.sem.png", "results.saturation.png"]
    for link in links:
        assert (tmp_path / link).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in result.files) == sorted(links)
    assert result.state_hash in text
    assert f"> {DASH} Participant " in text
    assert "| Characteristic | Value | n | % |" in text
    files.write_report(demo_c, out, "md")
    assert out.read_bytes() == first


def test_html_is_well_formed_with_inline_svg(demo_c: Any, tmp_path: Path) -> None:
    import lxml.etree
    import lxml.html

    out = tmp_path / "results.html"
    result = files.write_report(demo_c, out)
    first = out.read_bytes()
    parser = lxml.etree.HTMLParser(recover=False)
    root = lxml.html.fromstring(first, parser=parser)
    assert len(root.findall(".//svg")) == 2
    assert root.find(".//title").text == "Results: demo"
    meta = root.find(".//meta[@name='thematica-state-hash']")
    assert meta.get("content") == result.state_hash
    quotes = root.findall(".//blockquote")
    texts = participant_texts(demo_c)
    assert quotes
    for q in quotes:
        assert_real_quote(texts, "".join(q.find("p").itertext()), q.find("footer").text)
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # two inline figures, no clashing ids
    assert len(root.findall(".//table")) == 4  # Table 1, 2, 3 and the appendix's A1
    assert not list(tmp_path.glob("*.png"))  # nothing beside an HTML report
    files.write_report(demo_c, out)
    assert out.read_bytes() == first


def test_a_coder_layer_on_request(demo_c: Any, tmp_path: Path) -> None:
    out = tmp_path / "alex.docx"
    result = files.write_report(demo_c, out, coder="alex", title="Alex's coding")
    assert result.state_hash != demo_c.reports.state_hash()
    assert result.state_hash == demo_c.reports.state_hash(coder="alex", title="Alex's coding")
    from docx import Document

    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "The findings below are based on the coding of alex." in text
    assert doc.paragraphs[0].text == "Alex's coding"
    texts = participant_texts(demo_c)
    for items in docx_quotes(out).values():
        for quote, who in items:
            assert_real_quote(texts, quote, who)
    first = demo_c.prevalence.table("themes", coder="alex").rows[0]
    words = prevalence_words(first.quantifier, first.cases, first.total, first.percent, "none")
    assert f"Raised by {words}, in {first.segments} coded segments." in text


def _cand(i: int, words: int, case: str, doc: str = "D", start: int = 0) -> _Candidate:
    return _Candidate(
        i, i, doc, case, case, start, start + 1, False, "w " * words, words, f"– {case}"
    )


def test_default_quote_rule() -> None:
    cands = [
        _cand(1, 100, "A"),  # too long
        _cand(2, 20, "B", "D2"),
        _cand(3, 40, "B", "D3"),  # longer, same case as 2: 2 is skipped
        _cand(4, 20, "C", "D1"),  # ties with 2 on length: document name breaks it
        _cand(5, 5, "D"),  # too short: after in-range ones
        _cand(6, 30, "E"),
    ]
    chosen, rule = choose_quotes(cands, set())
    assert rule == "default"
    assert [c.coding_id for c in chosen] == [3, 6, 4]
    used: set[tuple[int, int, int]] = set()
    chosen, _ = choose_quotes(cands[:1] + cands[4:5], used)
    assert [c.coding_id for c in chosen] == [5, 1]  # 5 words is 10 off the range, 100 is 20
    again, rule = choose_quotes(cands[:1], used)  # an excerpt is quoted once per report
    assert again == [] and rule == "none"
    starred = _cand(7, 3, "A")
    starred.starred = True
    chosen, rule = choose_quotes([*cands, starred], set())
    assert rule == "starred" and [c.coding_id for c in chosen] == [7]
