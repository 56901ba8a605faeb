"""Helpers for the transcript tests: a hand-written caption file and the CLI run in-process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: Three turns, the second with an ampersand (escaped in WebVTT), the third past one hour.
INTERVIEW_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.500
<v Interviewer>How did you start in outreach?

00:00:05.000 --> 00:00:09.250
<v Participant 11>A friend &amp; I helped at the van.

01:02:03.456 --> 01:02:05.000
<v Interviewer>And what keeps you going?
"""

#: The text the caption importer stores for INTERVIEW_VTT (worked out by hand).
INTERVIEW_TEXT = (
    "Interviewer: How did you start in outreach?\n"
    "Participant 11: A friend & I helped at the van.\n"
    "Interviewer: And what keeps you going?"
)

#: A longer timed interview for re-import: one sentence per cue, two speakers.
STORY_VTT = """WEBVTT

00:00:00.000 --> 00:00:06.000
<v Interviewer>Tell me about your first week on the van.

00:00:06.500 --> 00:00:20.000
<v Participant 3>We drove out to the river camp every morning.
The staffing was thin and we had two people for forty clients.
My supervisor called me every night to check in.

00:00:21.000 --> 00:00:25.000
<v Interviewer>What did you need most back then?

00:00:25.500 --> 00:00:40.000
<v Participant 3>Honestly more training before going out alone.
The naloxone kits ran out twice in that first month.
"""


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> Outcome:
    """``thematica ARGS`` in this process, as ``main`` runs it."""
    from thematica.cli.main import run

    capsys.readouterr()
    code = run([str(a) for a in args])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def one_error(outcome: Outcome, *fragments: str) -> str:
    """Exit 2 with exactly one ``error:`` line on stderr naming every fragment."""
    assert outcome.code == 2, (outcome.code, outcome.err, outcome.out)
    lines = outcome.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def import_text(project: Any, folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name`` and import it; the file's path."""
    path = write(folder / name, text)
    report = project.documents.import_files([path])
    assert report.imported == [Path(name).stem], report
    return path


def find(text: str, fragment: str) -> tuple[int, int]:
    """[start, end) of the only occurrence of ``fragment`` in ``text``."""
    start = text.index(fragment)
    assert text.find(fragment, start + 1) == -1, fragment
    return start, start + len(fragment)
