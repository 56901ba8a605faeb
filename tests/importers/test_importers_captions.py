"""WebVTT and SubRip captions, in the shapes Teams and Zoom write them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from thematica.core.errors import InputError
from thematica.core.models import ParsedDocument
from thematica.importers import parse_file

TEAMS_VTT = """WEBVTT

NOTE exported from Teams

3f6b2c-0
00:00:01.000 --> 00:00:04.500
<v Dana Ortiz>Thanks for joining. Can you hear me?</v>

3f6b2c-1
00:00:04.500 --> 00:00:06.000
<v Dana Ortiz>Let's start with your <i>first</i> visit.</v>

3f6b2c-2
00:00:06.200 --> 00:01:02.250 align:start position:10%
<v.loud Sam Lee>It was in March &amp; it
was cold.</v>

00:01:03.000 --> 01:00:00.000
<v Dana Ortiz>OK.</v>
"""

ZOOM_VTT = """WEBVTT

1
00:00:00.500 --> 00:00:02.000
Interviewer: Shall we begin?

2
00:00:02.000 --> 00:00:05.000
Jo Smith: Yes. Note: I may need to leave early.

3
00:00:05.000 --> 00:00:07.000
Jo Smith: Around ten.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
<i>Hello</i> and welcome.

2
00:00:03,500 --> 00:00:06,000
{\\an8}Today we talk
about housing.

3
00:00:06,000 --> 00:00:08,000

"""


def lines_and_turns(
    doc: ParsedDocument,
) -> list[tuple[str | None, str, float | None, float | None]]:
    return [(t.speaker, doc.text[t.start : t.end], t.time_start, t.time_end) for t in doc.turns]


def test_teams_vtt_voice_tags_merged(write_bytes: Callable[[str, bytes], Path]) -> None:
    doc = parse_file(write_bytes("teams.vtt", TEAMS_VTT.encode()))[0]
    assert doc.text == (
        "Dana Ortiz: Thanks for joining. Can you hear me? Let's start with your first visit.\n"
        "Sam Lee: It was in March & it was cold.\n"
        "Dana Ortiz: OK."
    )
    assert lines_and_turns(doc) == [
        (
            "Dana Ortiz",
            "Dana Ortiz: Thanks for joining. Can you hear me? Let's start with your first visit.",
            1.0,
            6.0,
        ),
        ("Sam Lee", "Sam Lee: It was in March & it was cold.", 6.2, 62.25),
        ("Dana Ortiz", "Dana Ortiz: OK.", 63.0, 3600.0),
    ]
    assert (doc.source_format, doc.encoding) == ("vtt", "utf-8")


def test_zoom_vtt_name_prefixes(write_bytes: Callable[[str, bytes], Path]) -> None:
    doc = parse_file(write_bytes("zoom.vtt", ZOOM_VTT.encode()))[0]
    assert lines_and_turns(doc) == [
        ("Interviewer", "Interviewer: Shall we begin?", 0.5, 2.0),
        (
            "Jo Smith",
            "Jo Smith: Yes. Note: I may need to leave early. Around ten.",
            2.0,
            7.0,
        ),
    ]


def test_srt_without_speakers_keeps_one_line_per_cue(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    data = SRT.replace("\n", "\r\n").encode("cp1252")
    doc = parse_file(write_bytes("talk.srt", data))[0]
    assert doc.text == "Hello and welcome.\nToday we talk about housing."
    assert lines_and_turns(doc) == [
        (None, "Hello and welcome.", 1.0, 3.0),
        (None, "Today we talk about housing.", 3.5, 6.0),
    ]
    assert doc.source_format == "srt"


def test_prose_colon_in_unlabelled_captions_is_not_a_speaker(
    write_bytes: Callable[[str, bytes], Path],
) -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nWelcome back.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nNote: this is important.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nThanks.\n"
    )
    doc = parse_file(write_bytes("x.srt", srt.encode()))[0]
    assert [t.speaker for t in doc.turns] == [None, None, None]
    assert doc.text.split("\n")[1] == "Note: this is important."


def test_caption_offsets_with_astral_and_nfd(write_bytes: Callable[[str, bytes], Path]) -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Zoë>🙂 cafe\u0301 time</v>\n"
    doc = parse_file(write_bytes("e.vtt", vtt.encode()))[0]
    assert doc.text == "Zoë: 🙂 café time"
    (turn,) = doc.turns
    assert (turn.start, turn.end) == (0, len(doc.text))
    start = doc.text.index("time")
    assert doc.text[start : start + 4] == "time"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.vtt", "WEBVTT\n\nNOTE nothing here\n", "no caption cues found"),
        ("empty.srt", "just some words\n\nand more\n", "no caption cues found"),
        ("nohead.vtt", "00:00:01.000 --> 00:00:02.000\nhi\n", "not a WebVTT file"),
        ("badtime.srt", "1\n00:00:01,000 --> soon\nhi\n", "line 2: cannot read the cue timing"),
    ],
)
def test_bad_captions(
    write_bytes: Callable[[str, bytes], Path], name: str, content: str, reason: str
) -> None:
    with pytest.raises(InputError) as info:
        parse_file(write_bytes(name, content.encode()))
    assert str(info.value).startswith(f"{name}: {reason}")
