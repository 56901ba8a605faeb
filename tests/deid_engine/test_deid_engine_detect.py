"""Detection through the whole engine (Presidio + spaCy + field recognisers + known names).

The analyzer is built once per process, so the module fixture costs one model load."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thematica.core.errors import InputError
from thematica.intake.deid.engine import ENTITY_TYPES, Detector, Finding, engine_available

pytestmark = pytest.mark.skipif(engine_available() is not None, reason="deid extra missing")

REPO = Path(__file__).resolve().parents[2]

PASSAGE = (
    "Interviewer: Thanks for talking with me today.\n"
    "Participant: So my friend Marisol Vega and I started at Eastside Harm Reduction in "
    "Gresham on March 3rd, 2019. The Harbor Clinic is at 1420 SE Division St, and you can "
    "call (503) 555-0142 or write to marisol.vega@example.org, or look at www.eastsidehr.org.\n"
)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def spans(text: str, findings: list[Finding]) -> list[tuple[str, str]]:
    for f in findings:
        assert text[f.start : f.end] == f.text
    return [(f.text, f.entity_type) for f in findings]


def at(text: str, value: str, kind: str, nth: int = 0) -> tuple[int, int, str]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return (start, start + len(value), kind)


def test_every_entity_type_with_exact_spans(detector: Detector) -> None:
    found = detector.find(PASSAGE)
    got = [(f.start, f.end, f.entity_type) for f in found]
    assert got == [
        at(PASSAGE, "Marisol Vega", "PERSON"),
        at(PASSAGE, "Eastside Harm Reduction", "ORGANIZATION"),
        at(PASSAGE, "Gresham", "LOCATION"),
        at(PASSAGE, "March 3rd, 2019", "DATE_TIME"),
        at(PASSAGE, "Harbor Clinic", "FACILITY"),
        at(PASSAGE, "1420 SE Division St", "STREET_ADDRESS"),
        at(PASSAGE, "(503) 555-0142", "PHONE_NUMBER"),
        at(PASSAGE, "marisol.vega@example.org", "EMAIL_ADDRESS"),
        at(PASSAGE, "www.eastsidehr.org", "URL"),
    ]
    assert {f.entity_type for f in found} == set(ENTITY_TYPES)
    assert all(0 < f.score <= 1 and f.recogniser for f in found)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "We got Narcan from Eastside Harm Reduction last week.",
            [("Eastside Harm Reduction", "ORGANIZATION")],
        ),
        ("I took her to the Harbor Clinic.", [("Harbor Clinic", "FACILITY")]),
        (
            "That was back when Project Safe Haven still had funding.",
            [("Project Safe Haven", "ORGANIZATION")],
        ),
        ("They ran the Narcan program at St. Mary's for years.", [("St. Mary's", "FACILITY")]),
        (
            "She left Safe Points Syringe Services Program in the spring.",
            [("Safe Points Syringe Services Program", "ORGANIZATION")],
        ),
        (
            "A lot of the women end up at Casa Esperanza eventually.",
            [("Casa Esperanza", "ORGANIZATION")],
        ),
        (
            "The Bridge Outreach Team comes by on Fridays.",
            [("Bridge Outreach Team", "ORGANIZATION")],
        ),
        ("We meet at the corner of 5th and Main.", [("5th and Main", "STREET_ADDRESS")]),
        ("Everybody hangs out at Fifth and Pine.", [("Fifth and Pine", "STREET_ADDRESS")]),
        ("Then we moved the van over on Burnside.", [("Burnside", "STREET_ADDRESS")]),
        ("There's a camp under the Morrison Bridge.", [("Morrison Bridge", "LOCATION")]),
        ("The needle drop is on Alder Street.", [("Alder Street", "STREET_ADDRESS")]),
        ("Everyone out there, they call him Smokey.", [("Smokey", "PERSON")]),
        ("I know a guy named Tiny who helps out.", [("Tiny", "PERSON")]),
        ("The new kid, he goes by Red now.", [("Red", "PERSON")]),
        ("We called her \u201cPeaches\u201d the whole summer.", [("Peaches", "PERSON")]),
        ("I asked Dr. Patel about the wound.", [("Patel", "PERSON")]),
        ("Then Officer Ramirez showed up and took the kits.", [("Ramirez", "PERSON")]),
        ("Ms. Lee runs the front desk.", [("Lee", "PERSON")]),
        ("Honestly my friend Marisol said it was fine.", [("Marisol", "PERSON")]),
        ("My number was 503-555-0199 back then.", [("503-555-0199", "PHONE_NUMBER")]),
        ("It happened on June 12, 2021, right after lunch.", [("June 12, 2021", "DATE_TIME")]),
        ("We fixed it on 6/12/2021.", [("6/12/2021", "DATE_TIME")]),
    ],
)
def test_field_recognisers(
    detector: Detector, sentence: str, expected: list[tuple[str, str]]
) -> None:
    text = f"Participant: {sentence}\n"
    assert spans(text, detector.find(text)) == expected


def test_relative_dates_and_years_are_left(detector: Detector) -> None:
    text = "Participant: Last Tuesday was rough, and two weeks ago too. Back in 2019 it was calm.\n"
    assert [f for f in detector.find(text) if f.entity_type == "DATE_TIME"] == []


def test_known_names_case_and_possessive() -> None:
    detector = Detector(known=[("Maria", "PERSON"), ("Tacoma Needle Exchange", "ORGANIZATION")])
    text = (
        "Participant: maria's van broke down, so MARIA walked. Mariana came too. We called "
        "the tacoma  needle exchange about it.\n"
    )
    found = [(f.text, f.entity_type, f.recogniser) for f in detector.find(text)]
    assert ("maria", "PERSON", "known") in found
    assert ("MARIA", "PERSON", "known") in found
    assert ("tacoma  needle exchange", "ORGANIZATION", "known") in found
    assert not any(f[0].startswith("Mariana") and f[2] == "known" for f in found)


def test_known_name_as_speaker_label_and_placeholders() -> None:
    detector = Detector(known=[("Keisha", "PERSON")])
    text = (
        "Interviewer: Where were you working then?\n"
        "Speaker 1: At [organisation 1] in [town], with [person 2].\n"
        "P03: Yeah.\n"
        "Keisha: I was there too.\n"
    )
    found = spans(text, detector.find(text))
    assert found == [("Keisha", "PERSON")]
    assert detector.find(text)[0].start == text.index("Keisha:")
    # without the known name a label that is a name is still proposed; role labels
    # ("Interviewer", "Speaker 1", "P03") never are
    assert spans(text, Detector().find(text)) == [("Keisha", "PERSON")]


def test_speaker_labels_that_are_names_are_proposed(detector: Detector) -> None:
    text = (
        "Maria Lopez: I grew up near the river.\n"
        "Jake: yes\n"
        "Interviewer 2: And then?\n"
        "SPEAKER_00: okay\n"
        "Moderator: go on\n"
        "Dr. Patel: hello\n"
        "Mom: dinner\n"
    )
    found = spans(text, detector.find(text))
    people = [value for value, kind in found if kind == "PERSON"]
    assert people[:3] == ["Maria Lopez", "Jake", "Patel"]
    labelled = {f.start for f in detector.find(text)}
    assert {0, text.index("Jake:"), text.index("Patel:")} <= labelled
    for role in ("Interviewer", "SPEAKER_00", "Moderator", "Mom", "Dr."):
        assert not any(role in value for value, _ in found), role


def test_overlaps_resolved() -> None:
    text = "Participant: My supervisor Jen Alvarez at Riverside Health Center said no.\n"
    found = Detector(known=[("Jen", "PERSON")]).find(text)
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start
    values = spans(text, found)
    # the known "Jen" wins the overlap with "Jen Alvarez"; the surname stays found
    assert ("Jen", "PERSON") in values
    assert ("Alvarez", "PERSON") in values
    assert ("Riverside Health Center", "FACILITY") in values


def test_offsets_after_emoji_and_accents(detector: Detector) -> None:
    text = "Participant: 😂👍🏽 José’s café — señora 🙏 then Officer Ramirez came, at 82nd Ave.\n"
    found = detector.find(text)
    by_text = {f.text: f for f in found}
    assert "Ramirez" in by_text and "82nd Ave" in by_text
    assert by_text["Ramirez"].start == text.index("Ramirez")
    assert by_text["82nd Ave"].start == text.index("82nd Ave")
    assert text[by_text["Ramirez"].start : by_text["Ramirez"].end] == "Ramirez"


def test_entities_filter_and_bad_types() -> None:
    text = "Participant: Call Darnell at (503) 555-0142 on March 3rd.\n"
    only_phone = Detector(entities=["PHONE_NUMBER"]).find(text)
    assert spans(text, only_phone) == [("(503) 555-0142", "PHONE_NUMBER")]
    with pytest.raises(InputError, match="unknown entity type 'NAME'"):
        Detector(entities=["NAME"])
    with pytest.raises(InputError, match="unknown entity type"):
        Detector(known=[("x", "TOWN")])


def test_long_text_completes(detector: Detector) -> None:
    names = ["Marisol", "Darnell", "Keisha", "Hector", "Yolanda", "Trevor"]
    lines = []
    size = 0
    i = 0
    while size < 220_000:  # more than two of spaCy's chunks (~100k characters each)
        line = (
            f"Participant: So my friend {names[i % 6]} said we should meet at the corner of "
            f"{i % 90 + 1}th and Main, near Eastside Harm Reduction, and call "
            f"503-555-{i % 10000:04d}.\n"
        )
        lines.append(line)
        size += len(line)
        i += 1
    text = "".join(lines)
    started = time.perf_counter()
    found = detector.find(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 120, f"220 kB took {elapsed:.0f} s"
    people = [f for f in found if f.entity_type == "PERSON"]
    phones = [f for f in found if f.entity_type == "PHONE_NUMBER"]
    assert len(phones) == len(lines)
    assert len(people) >= 0.95 * len(lines)
    last = found[-1]
    assert text[last.start : last.end] == last.text
    print(f"{len(text):,} chars in {elapsed:.1f} s")


def test_no_network_is_used() -> None:
    """A fresh process whose sockets refuse to connect builds the engine and finds e-mail
    and web addresses (Presidio's tldextract would try to download a suffix list)."""
    code = r"""
import socket
def refuse(*args, **kwargs):
    raise OSError("network used: " + repr(args)[:80])
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from thematica.intake.deid.engine import Detector
text = ("Participant: Mail jo@harmreduction.org or see https://example.org/help and "
        "www.safe.net, says Maria in Salem.\n")
for f in Detector().find(text):
    print(f.entity_type, f.text)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "network used" not in out.stderr
    lines = out.stdout.splitlines()
    assert "EMAIL_ADDRESS jo@harmreduction.org" in lines
    assert "URL https://example.org/help" in lines
    assert "URL www.safe.net" in lines
