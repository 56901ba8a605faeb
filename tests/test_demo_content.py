"""Content checks for the bundled starter codebook and the fictional demo project.

These tests read the data files directly (stdlib + PyYAML only) so that they guard the
product content independently of the code that imports it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).resolve().parent.parent / "src" / "thematica" / "data"
TEMPLATE = DATA / "templates" / "sem-harm-reduction-workforce.yaml"
DEMO = DATA / "demo"
CODERS = ("coder-alex.csv", "coder-sam.csv")
PARTICIPANTS = [f"P{i:02d}" for i in range(1, 8)]

LEVELS = {
    "Individual": "individual",
    "Interpersonal": "interpersonal",
    "Organizational": "organizational",
    "Community": "community",
}
THEMES: dict[str, dict[str, list[str]]] = {
    "Individual": {
        "Navigating the variability of the physical environment": [],
        "Navigating boundary setting and self-care": [
            "Feelings of guilt",
            "Impact of lived experiences",
        ],
    },
    "Interpersonal": {
        "Establishing and maintaining relationships with clients": [],
        "Establishing and maintaining relationships with fellow staff": [],
    },
    "Organizational": {
        "Receiving affirmation and care from supervisors": [],
        "Receiving resources and benefits from the organization": [
            "Training and shadowing",
            "Staffing",
            "Compensation and benefits",
        ],
    },
    "Community": {
        "Working with a stigmatized population in a stigmatized field": [
            "Onus of public education",
            "Ideological misalignment",
        ],
        "Working within complex and inefficient systems": [
            "Navigating bureaucracy",
            "Perceived helplessness",
        ],
    },
}
TEXT_FIELDS = ("definition", "inclusion", "exclusion", "example")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
HEADER = "[Fictional demo transcript written for Thematica. Not real data.]"


def norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


@pytest.fixture(scope="module")
def codebook() -> dict[str, Any]:
    data = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def walk(codes: list[dict[str, Any]], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for code in codes:
        path = f"{prefix}{code['name']}"
        out.append((path, code))
        out.extend(walk(code.get("children") or [], path + "/"))
    return out


@pytest.fixture(scope="module")
def code_paths(codebook: dict[str, Any]) -> set[str]:
    return {path for path, _ in walk(codebook["codes"])}


@pytest.fixture(scope="module")
def transcripts() -> dict[str, str]:
    return {
        p.stem: norm(p.read_text(encoding="utf-8")) for p in sorted(DEMO.glob("P*-interview.txt"))
    }


def read_csv(name: str) -> list[dict[str, str]]:
    with (DEMO / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- codebook -------------------------------------------------------------------------------


def test_codebook_header(codebook: dict[str, Any]) -> None:
    assert codebook["thematica_codebook"] == 1
    assert codebook["name"] == "sem-harm-reduction-workforce"
    assert len(codebook["description"].split()) >= 40
    assert codebook["sem_levels"] == [
        "individual",
        "interpersonal",
        "organizational",
        "community",
        "policy",
    ]


def test_codebook_tree_matches_published_structure(codebook: dict[str, Any]) -> None:
    top = codebook["codes"]
    assert [c["name"] for c in top] == list(LEVELS)
    n_themes = n_subthemes = 0
    for level in top:
        expected = THEMES[level["name"]]
        themes = level["children"]
        assert [t["name"] for t in themes] == list(expected)
        for theme in themes:
            subs = [s["name"] for s in theme.get("children") or []]
            assert subs == expected[theme["name"]]
            for sub in theme.get("children") or []:
                assert not sub.get("children")
            n_subthemes += len(subs)
        n_themes += len(themes)
    # BRIEF.md's prose says "8 themes / 12 subthemes", but its table lists nine subthemes;
    # the template follows the table, name for name.
    assert (len(top), n_themes, n_subthemes) == (4, 8, 9)


def test_every_code_is_fully_documented(codebook: dict[str, Any]) -> None:
    levels = set(codebook["sem_levels"])
    paths = walk(codebook["codes"])
    assert len(paths) == 4 + 8 + 9
    for path, code in paths:
        assert "/" not in code["name"], path
        assert code["sem_level"] in levels, path
        assert code["sem_level"] == LEVELS[path.split("/")[0]], path
        assert code["origin"] in {"deductive", "inductive"}, path
        assert HEX.match(str(code["colour"])), path
        for field in TEXT_FIELDS:
            value = code.get(field)
            assert isinstance(value, str), (path, field)
            assert len(value.split()) >= 5, (path, field)


def test_colours_are_distinct(codebook: dict[str, Any]) -> None:
    colours = [str(code["colour"]).lower() for _, code in walk(codebook["codes"])]
    assert len(colours) == len(set(colours))


# --- demo project ---------------------------------------------------------------------------


def test_readme_says_fictional() -> None:
    text = (DEMO / "README.md").read_text(encoding="utf-8").lower()
    assert "fictional" in text
    assert "no real person" in text


def test_transcripts_format(transcripts: dict[str, str]) -> None:
    assert sorted(transcripts) == [f"{p}-interview" for p in PARTICIPANTS]
    for stem, text in transcripts.items():
        raw = (DEMO / f"{stem}.txt").read_bytes()
        assert b"\r" not in raw, stem
        assert text.startswith(HEADER + "\n\n"), stem
        number = int(stem[1:3])
        turns = text[len(HEADER) :].strip().split("\n\n")
        speakers = {t.split(": ", 1)[0] for t in turns}
        assert speakers == {"Interviewer", f"Participant {number}"}, stem
        assert all("\n" not in t for t in turns), stem
        words = len(text.split())
        assert 1000 <= words <= 1600, (stem, words)


def test_transcripts_contain_non_ascii(transcripts: dict[str, str]) -> None:
    assert any(ch in "“”’—é" for text in transcripts.values() for ch in text)


def test_participants(transcripts: dict[str, str]) -> None:
    rows = read_csv("participants.csv")
    assert list(rows[0]) == [
        "participant_id",
        "employer_type",
        "job_title",
        "county_type",
        "time_in_role",
        "prior_experience",
        "lived_experience",
        "interview_date",
        "interview_mode",
    ]
    assert [r["participant_id"] for r in rows] == PARTICIPANTS
    assert {f"{r['participant_id']}-interview" for r in rows} == set(transcripts)
    assert sum(1 for r in rows if r["lived_experience"] == "") == 1
    for r in rows:
        assert r["county_type"] in {"Urban", "Suburban", "Rural"}
        assert r["time_in_role"] in {"<1 year", "1-3 years", "3-5 years", ">5 years"}
        assert r["prior_experience"] in {"yes", "no"}
        assert r["lived_experience"] in {"yes", "no", ""}
        assert r["interview_mode"] in {"In person", "Zoom"}
        assert re.fullmatch(r"2026-\d\d-\d\d", r["interview_date"])
    dates = [r["interview_date"] for r in rows]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    for column in ("employer_type", "county_type", "time_in_role", "interview_mode"):
        values = [r[column] for r in rows]
        assert len(set(values)) < len(values), column


@pytest.mark.parametrize("name", CODERS)
def test_coder_file(name: str, code_paths: set[str], transcripts: dict[str, str]) -> None:
    rows = read_csv(name)
    assert list(rows[0]) == ["document", "code", "quote", "memo"]
    assert len(rows) >= 10 * len(transcripts)
    for r in rows:
        assert r["document"] in transcripts, r
        assert r["code"] in code_paths, r
        quote = norm(r["quote"])
        assert quote and quote == quote.strip(), r
        assert not re.match(r"(Interviewer|Participant \d+): ", quote), r
        assert transcripts[r["document"]].count(quote) == 1, r
    assert len({(r["document"], r["code"], r["quote"]) for r in rows}) == len(rows)
    assert {r["document"] for r in rows} == set(transcripts)
    assert any(r["memo"] for r in rows)


def test_coders_agree_partly() -> None:
    def triples(name: str) -> set[tuple[str, str, str]]:
        return {(r["document"], r["code"], norm(r["quote"])) for r in read_csv(name)}

    alex, sam = (triples(name) for name in CODERS)
    jaccard = len(alex & sam) / len(alex | sam)
    assert 0.6 <= jaccard <= 0.9, jaccard
