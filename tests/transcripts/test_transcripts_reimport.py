"""Re-importing a corrected transcript: codings kept, touched, removed; times carried; refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from transcripts_helpers import STORY_VTT, find, import_text, one_error, run_cli, write

import thematica
from thematica.core.errors import InputError, PermissionDenied
from thematica.services.document_reimport import (
    RemovedCoding,
    TouchedCoding,
    anchored_diff,
    tidy_change,
    words_kept,
)
from thematica.store import schema as t

#: The stored text of STORY_VTT, by hand.
STORY_TEXT = (
    "Interviewer: Tell me about your first week on the van.\n"
    "Participant 3: We drove out to the river camp every morning. The staffing was thin and we "
    "had two people for forty clients. My supervisor called me every night to check in.\n"
    "Interviewer: What did you need most back then?\n"
    "Participant 3: Honestly more training before going out alone. The naloxone kits ran out "
    "twice in that first month."
)

#: The researcher's correction, saved as plain text: "forty" was "fourteen", the supervisor
#: sentence was never said, "the van" was "the bus", a sentence was missed after "morning.".
CORRECTED_TXT = (
    "Interviewer: Tell me about your first week on the bus.\n"
    "Participant 3: We drove out to the river camp every morning. We laughed a lot. "
    "The staffing was thin and we "
    "had two people for fourteen clients.\n"
    "Interviewer: What did you need most back then?\n"
    "Participant 3: Honestly more training before going out alone. The naloxone kits ran out "
    "twice in that first month.\n"
)

UNTOUCHED = {
    ("alex", "Setting"): "We drove out to the river camp every morning.",
    ("alex", "Training"): "Honestly more training before going out alone.",
    ("alex", "Supplies"): "naloxone kits",
    ("sam", "Training"): "more training",
    ("sam", "Question"): "What did you need most back then?",
}


def _story(project: Any, folder: Path) -> None:
    import_text(project, folder, "story.vtt", STORY_VTT)
    text = project.documents.get("story").text
    assert text == STORY_TEXT
    for code in ("Setting", "Staffing", "Supervision", "Training", "Supplies", "Question", "Van"):
        project.codebook.add(code)
    for (coder, code), words in UNTOUCHED.items():
        project.coding.apply("story", code, *find(text, words), coder=coder)
    staffing = "The staffing was thin and we had two people for forty clients."
    project.coding.apply("story", "Staffing", *find(text, staffing), coder="alex")
    supervision = "My supervisor called me every night to check in."
    project.coding.apply("story", "Supervision", *find(text, supervision), coder="sam")
    project.coding.apply("story", "Van", *find(text, "the van"), coder="sam")


def _codings(project: Any) -> dict[tuple[str, str], str]:
    text = project.documents.get("story").text
    out = {}
    for row in project.coding.list(coder=["alex", "sam"]).rows:
        out[(row.coder, row.code)] = text[row.start : row.end]
    return out


def _counts(project: Any) -> tuple[Any, ...]:
    with project.db.read() as conn:
        doc = conn.execute(select(t.document.c.text, t.document.c.source_format)).one()
        codings = conn.execute(
            select(t.coding.c.start, t.coding.c.end).order_by(t.coding.c.id)
        ).all()
        turns = conn.execute(
            select(t.turn.c.start, t.turn.c.end, t.turn.c.time_start).order_by(t.turn.c.id)
        ).all()
        audits = conn.scalar(select(func.count()).select_from(t.audit_log))
    return doc.text, doc.source_format, codings, turns, audits


def test_reimport_a_corrected_txt_keeps_codings_and_times(project: Any, tmp_path: Path) -> None:
    _story(project, tmp_path)
    path = write(tmp_path / "corrected" / "story.txt", CORRECTED_TXT)
    report = project.documents.reimport("story", path)

    record = project.documents.get("story")
    assert record.text == CORRECTED_TXT
    codings = _codings(project)
    for key, words in UNTOUCHED.items():  # every untouched coding keeps exactly its words
        assert codings[key] == words, key
    assert codings[("alex", "Staffing")] == (
        "The staffing was thin and we had two people for fourteen clients."
    )
    assert codings[("sam", "Van")] == "the bus"
    assert ("sam", "Supervision") not in codings
    assert len(codings) == len(UNTOUCHED) + 2

    assert report.document == "story"
    assert report.codings_kept == len(UNTOUCHED)
    assert sorted(report.codings_touched) == [
        TouchedCoding(
            "alex",
            "Staffing",
            "The staffing was thin and we had two people for forty clients.",
            "The staffing was thin and we had two people for fourteen clients.",
        ),
        TouchedCoding("sam", "Van", "the van", "the bus"),
    ]
    assert report.codings_removed == [
        RemovedCoding("sam", "Supervision", "My supervisor called me every night to check in.")
    ]
    # Setting keeps its place (the new sentence after it stays outside it); Staffing and all
    # after it moved: +18 for " We laughed a lot.", +3 for "fourteen", -49 for the sentence
    assert report.codings_moved == 5  # Staffing, Question, Training x2, Supplies
    # turns re-detected in the .txt, times carried from the caption import
    assert report.turns == 4 and report.times_kept == 4 and report.times_from_file == 0
    assert [(tr.speaker, tr.time_start, tr.time_end) for tr in record.turns] == [
        ("Interviewer", 0.0, 6.0),
        ("Participant 3", 6.5, 20.0),
        ("Interviewer", 21.0, 25.0),
        ("Participant 3", 25.5, 40.0),
    ]
    assert record.source_format == "txt"
    with project.db.read() as conn:
        meta = conn.scalar(select(t.document.c.meta))
    assert meta["reimports"][0]["path"] == str(path)
    assert len(meta["reimports"][0]["sha256"]) == 64
    entry = project.audit_log(1, action="document_reimport").rows[0]
    detail = entry.detail
    assert detail["document"] == "story" and detail["file"] == "story.txt"
    assert (detail["codings_kept"], detail["codings_touched"], detail["codings_removed"]) == (
        5,
        2,
        1,
    )
    assert detail["times_kept"] == 4
    assert "forty" not in str(detail) and "fourteen" not in str(detail)  # counts, no text


def test_reimport_a_corrected_vtt_takes_its_times(project: Any, tmp_path: Path) -> None:
    _story(project, tmp_path)
    corrected = STORY_VTT.replace("forty clients", "fourteen clients").replace(
        "00:00:21.000 --> 00:00:25.000", "00:00:21.400 --> 00:00:25.100"
    )
    report = project.documents.reimport("story", write(tmp_path / "fix" / "story.vtt", corrected))
    assert report.times_from_file == 4 and report.times_kept == 0
    assert [len(report.codings_touched), len(report.codings_removed)] == [1, 0]
    turns = project.documents.get("story").turns
    assert (turns[2].time_start, turns[2].time_end) == (21.4, 25.1)


def test_wrong_file_is_refused_with_nothing_changed(project: Any, tmp_path: Path) -> None:
    _story(project, tmp_path)
    before = _counts(project)
    other = write(
        tmp_path / "other.txt",
        "Interviewer: How is the new clinic?\nParticipant 9: Busy, but the nurses are kind.\n",
    )
    with pytest.raises(InputError) as err:
        project.documents.reimport("story", other)
    assert "other.txt keeps only" in str(err.value)
    assert "import it as a new document instead" in str(err.value)
    assert _counts(project) == before


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("story.vtt", "00:00:01.000 --> 00:00:02.000\nhello\n", "not a WebVTT file"),
        ("story.xyz", "hello", "unsupported file type"),
        ("story.txt", "  \n\n", "has no text"),
    ],
)
def test_unreadable_files_are_refused(
    project: Any, tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    _story(project, tmp_path)
    before = _counts(project)
    with pytest.raises(InputError, match=fragment):
        project.documents.reimport("story", write(tmp_path / "bad" / name, content))
    with pytest.raises(InputError, match="no such file"):
        project.documents.reimport("story", tmp_path / "missing.txt")
    assert _counts(project) == before


def test_coders_and_viewers_may_not_reimport(db_url: str, tmp_path: Path) -> None:
    with thematica.init_project(db_url, "team", actor="pi") as p:
        import_text(p, tmp_path, "story.vtt", STORY_VTT)
        p.members.add("sam", "coder")
        p.members.add("kim", "viewer")
    path = write(tmp_path / "fix" / "story.txt", CORRECTED_TXT)
    for user in ("sam", "kim"):
        with thematica.open_project(db_url, "team", actor=user) as q:
            with pytest.raises(PermissionDenied):
                q.documents.reimport("story", path)
            if user == "kim":
                assert q.exports.captions("story").startswith("WEBVTT")  # reading is allowed
    with thematica.open_project(db_url, "team", actor="pi") as p:
        assert p.documents.get("story").text == STORY_TEXT


def test_cli_documents_reimport(
    project: Any, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _story(project, tmp_path)
    path = write(tmp_path / "corrected" / "story.txt", CORRECTED_TXT)
    base = ("documents", "reimport", "--db", db_url, "--project", "study")
    done = run_cli(capsys, *base, "story", path)
    assert done.code == 0, done.err
    err = " ".join(done.err.split())  # rich may wrap long lines
    assert "touched: Staffing (alex): 'The staffing was thin" in err
    assert "'The staffing was thin and we had two people for fourteen clients.'" in err
    assert "removed: Supervision (sam): 'My supervisor called me every night" in err
    assert "codings: 5 kept, 2 touched, 1 removed" in err
    assert "4 turn(s), 4 kept their times" in err
    one_error(run_cli(capsys, *base, "nobody", path), "no document named 'nobody'")
    wrong = write(tmp_path / "wrong.txt", "Something else entirely.\n")
    one_error(run_cli(capsys, *base, "story", wrong), "wrong.txt keeps only")


def test_the_change_found_between_anchors() -> None:
    change = tidy_change(anchored_diff(STORY_TEXT, CORRECTED_TXT))
    assert change.new_text == CORRECTED_TXT
    assert [(STORY_TEXT[e.start : e.end], e.new) for e in change.edits] == [
        ("van", "bus"),
        ("", " We laughed a lot."),
        ("forty", "fourteen"),
        (" My supervisor called me every night to check in.", ""),
        ("", "\n"),
    ]
    assert words_kept(change) == pytest.approx(58 / 69)  # van, forty and 9 words deleted
