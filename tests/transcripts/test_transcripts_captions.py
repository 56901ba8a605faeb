"""Captions export: WebVTT/SubRip text written by hand, long turns split, the round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transcripts_helpers import (
    INTERVIEW_TEXT,
    INTERVIEW_VTT,
    import_text,
    one_error,
    run_cli,
    write,
)

from thematica.core.errors import InputError
from thematica.exporters.captions import format_time, split_cue, to_srt, to_vtt

EXPECTED_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.500
<v Interviewer>How did you start in outreach?

00:00:05.000 --> 00:00:09.250
<v Participant 11>A friend &amp; I helped at the van.

01:02:03.456 --> 01:02:05.000
<v Interviewer>And what keeps you going?
"""

EXPECTED_SRT = """1
00:00:01,000 --> 00:00:04,500
Interviewer: How did you start in outreach?

2
00:00:05,000 --> 00:00:09,250
Participant 11: A friend & I helped at the van.

3
01:02:03,456 --> 01:02:05,000
Interviewer: And what keeps you going?
"""


def test_times_are_formatted_to_the_millisecond() -> None:
    assert format_time(0) == "00:00:00.000"
    assert format_time(3723.456) == "01:02:03.456"
    assert format_time(59.9996) == "00:01:00.000"  # rounds up across the minute
    assert format_time(7.25, ",") == "00:00:07,250"
    assert format_time(100 * 3600 + 1.5) == "100:00:01.500"


def test_three_turns_as_vtt_and_srt_pure() -> None:
    cues = [
        (1.0, 4.5, "Interviewer", "How did you start in outreach?"),
        (5.0, 9.25, "Participant 11", "A friend & I helped at the van."),
        (3723.456, 3725.0, "Interviewer", "And what keeps you going?"),
    ]
    assert to_vtt(cues) == EXPECTED_VTT
    assert to_srt(cues) == EXPECTED_SRT


def test_a_long_turn_is_split_by_time() -> None:
    # ten 4-letter words over 20 s: 2 s a word, so at most 3 words fit in 7 s
    text = "time goes slow when they wait here each cold dawn"
    cues = split_cue(10.0, 30.0, "P", text)
    assert [(c[2], c[3]) for c in cues] == [
        ("P", "time goes slow"),
        ("P", "when they wait"),
        ("P", "here each cold"),
        ("P", "dawn"),
    ]
    times = [t for c in cues for t in c[:2]]
    assert times == pytest.approx([10.0, 16.0, 16.0, 22.0, 22.0, 28.0, 28.0, 30.0])
    assert to_vtt([(10.0, 30.0, "P", text)]) == (
        "WEBVTT\n\n"
        "00:00:10.000 --> 00:00:16.000\n<v P>time goes slow\n\n"
        "00:00:16.000 --> 00:00:22.000\n<v P>when they wait\n\n"
        "00:00:22.000 --> 00:00:28.000\n<v P>here each cold\n\n"
        "00:00:28.000 --> 00:00:30.000\n<v P>dawn\n"
    )


def test_a_long_turn_is_split_by_lines() -> None:
    # twenty 9-letter words in 2 s: 4 words make a 39-character line, so 8 words a cue
    words = [f"alpha{n:04d}" for n in range(1, 21)]
    cues = split_cue(0.0, 2.0, None, " ".join(words))
    assert [c[3] for c in cues] == [
        " ".join(words[0:8]),
        " ".join(words[8:16]),
        " ".join(words[16:20]),
    ]
    assert [t for c in cues for t in c[:2]] == pytest.approx([0.0, 0.8, 0.8, 1.6, 1.6, 2.0])
    srt = to_srt([(0.0, 2.0, None, " ".join(words))])
    assert srt.split("\n\n")[0] == (
        "1\n00:00:00,000 --> 00:00:00,800\n"
        "alpha0001 alpha0002 alpha0003 alpha0004\n"
        "alpha0005 alpha0006 alpha0007 alpha0008"
    )


def test_captions_of_a_caption_import(project: Any, tmp_path: Path) -> None:
    import_text(project, tmp_path, "interview.vtt", INTERVIEW_VTT)
    assert project.documents.get("interview").text == INTERVIEW_TEXT
    assert project.exports.captions("interview") == EXPECTED_VTT
    assert project.exports.captions("interview", "srt") == EXPECTED_SRT
    with pytest.raises(InputError, match="captions are vtt or srt"):
        project.exports.captions("interview", "ass")


def test_a_document_without_times_is_refused(project: Any, tmp_path: Path) -> None:
    import_text(project, tmp_path, "notes.txt", "Interviewer: Hello.\nParticipant 2: Hi.\n")
    with pytest.raises(InputError) as err:
        project.exports.captions("notes", "srt")
    assert str(err.value) == (
        "notes has no timestamps: only transcribed or caption-imported documents "
        "can be exported as captions"
    )


ROUND_TRIP_VTT = """WEBVTT

00:00:00.500 --> 00:00:03.000
<v Interviewer>Where do you work now?

00:00:03.250 --> 00:00:31.125
<v Participant 7>I work nights on the outreach van, mostly by the river, and before
that I spent three years at the syringe exchange downtown where we saw maybe
eighty people a day and never had enough staff for the weekend shifts.

00:00:32.000 --> 00:00:33.333
<v Interviewer>Thank you.
"""


def test_vtt_round_trip_keeps_speakers_words_and_times(
    project: Any, db_url: str, tmp_path: Path
) -> None:
    import thematica

    import_text(project, tmp_path, "night.vtt", ROUND_TRIP_VTT)
    exported = project.exports.captions("night")
    assert exported.count(" --> ") > 3  # the long turn was split into several cues
    copy = write(tmp_path / "copy" / "night.vtt", exported)
    with thematica.init_project(db_url, "copy") as other:
        other.documents.import_files([copy])
        again = other.documents.get("night")
    before = project.documents.get("night")
    assert again.text == before.text
    assert [t.speaker for t in again.turns] == ["Interviewer", "Participant 7", "Interviewer"]
    assert [t.speaker for t in again.turns] == [t.speaker for t in before.turns]
    for old, new in zip(before.turns, again.turns, strict=True):
        assert before.text[old.start : old.end].split() == again.text[new.start : new.end].split()
        assert abs(old.time_start - new.time_start) <= 0.001
        assert abs(old.time_end - new.time_end) <= 0.001
    assert [x for t in again.turns for x in (t.time_start, t.time_end)] == pytest.approx(
        [0.5, 3.0, 3.25, 31.125, 32.0, 33.333], abs=0.001
    )


def test_cli_export_captions(
    project: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_text(project, tmp_path, "interview.vtt", INTERVIEW_VTT)
    import_text(project, tmp_path, "plain.txt", "Interviewer: Hello.\n")
    base = ("export", "captions", "--db", db_url, "--project", "study")
    out = tmp_path / "out.srt"
    done = run_cli(capsys, *base, "interview", "-o", out)
    assert done.code == 0, done.err
    assert out.read_text(encoding="utf-8") == EXPECTED_SRT  # the format from the suffix
    assert "3 cue(s)" in done.err
    printed = run_cli(capsys, *base, "interview", "--format", "vtt")
    assert printed.code == 0, printed.err
    assert printed.out == EXPECTED_VTT
    one_error(run_cli(capsys, *base, "plain"), "plain has no timestamps")
    one_error(run_cli(capsys, *base, "interview", "-o", tmp_path / "nowhere" / "x.vtt"), "nowhere")


def test_turns_without_a_usable_end_get_a_length_from_their_words() -> None:
    from thematica.core.models import Turn
    from thematica.exporters.captions import turn_cues

    text = (
        "Interviewer: One two three four five six.\n"  # 0-41; end before start
        "Participant 2: Yes.\n"  # 42-61; no end, next turn 2.0 s later
        "Interviewer: Seven.\n"  # 62-81; same end as start, next turn 0.5 s later
        "Participant 2: Eight nine ten."  # 82-112; the last, no end
    )
    turns = [
        Turn(0, 41, "Interviewer", 10.0, 9.0),
        Turn(42, 61, "Participant 2", 20.0, None),
        Turn(62, 81, "Interviewer", 22.0, 22.0),
        Turn(82, 112, "Participant 2", 22.5, None),
    ]
    cues = turn_cues(text, turns)
    assert cues == [
        (10.0, 12.4, "Interviewer", "One two three four five six."),  # 6 words x 0.4 s
        (20.0, 22.0, "Participant 2", "Yes."),  # until the next turn
        (22.0, 22.5, "Interviewer", "Seven."),  # 1 s, cut at the next turn's start
        (22.5, 23.7, "Participant 2", "Eight nine ten."),  # 3 x 0.4 = 1.2 s
    ]
    vtt = to_vtt(cues)
    for line in vtt.splitlines():
        if "-->" in line:
            start, end = line.split(" --> ")
            assert end > start, line  # same width: text order is time order
    assert "00:00:22.500 --> 00:00:23.700\n<v Participant 2>Eight nine ten." in vtt
    lone = turn_cues("Interviewer: Hi.", [Turn(0, 16, "Interviewer", 5.0, None)])
    assert lone == [(5.0, 6.0, "Interviewer", "Hi.")]  # one word: the 1 s minimum
