"""Re-import of a caption-imported transcript corrected as plain text or in Word: speaker
labels that came from voice tags are found again, or the old turns are kept with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transcripts_helpers import import_text, write

#: Labels a speaker pattern does not know ("Maria Lopez"), one speaker twice.
VOICES_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v Maria Lopez>I live near the river camp.

00:00:05.000 --> 00:00:07.500
<v Interviewer>How long have you been there?

00:00:08.000 --> 00:00:12.000
<v Maria Lopez>About four years now.
"""
VOICES_TEXT = (
    "Maria Lopez: I live near the river camp.\n"
    "Interviewer: How long have you been there?\n"
    "Maria Lopez: About four years now."
)
FIXED_TEXT = VOICES_TEXT.replace("four", "five")
#: (speaker, start, end) of every turn, as imported and after any good correction
TURNS = [("Maria Lopez", 1.0, 4.0), ("Interviewer", 5.0, 7.5), ("Maria Lopez", 8.0, 12.0)]


def _voices(project: Any, folder: Path) -> None:
    import_text(project, folder, "voices.vtt", VOICES_VTT)
    assert project.documents.get("voices").text == VOICES_TEXT


def _turns(project: Any) -> list[tuple[str | None, float | None, float | None]]:
    return [
        (tr.speaker, tr.time_start, tr.time_end) for tr in project.documents.get("voices").turns
    ]


def _spans(project: Any) -> list[str]:
    doc = project.documents.get("voices")
    return [doc.text[tr.start : tr.end] for tr in doc.turns]


def test_a_txt_correction_finds_the_voice_tag_labels(project: Any, tmp_path: Path) -> None:
    _voices(project, tmp_path)
    report = project.documents.reimport(
        "voices", write(tmp_path / "fix" / "voices.txt", FIXED_TEXT)
    )
    assert report.turns == 3 and report.times_kept == 3 and report.warnings == []
    assert _turns(project) == TURNS
    assert _spans(project) == FIXED_TEXT.split("\n")


def test_a_crlf_bom_txt_correction(project: Any, tmp_path: Path) -> None:
    _voices(project, tmp_path)
    path = tmp_path / "fix" / "voices.txt"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + (FIXED_TEXT + "\n").replace("\n", "\r\n").encode("utf-8"))
    report = project.documents.reimport("voices", path)
    assert project.documents.get("voices").text == FIXED_TEXT + "\n"
    assert report.edits == 2  # "four" -> "five" and the final line break
    assert report.times_kept == 3 and report.warnings == []
    assert _turns(project) == TURNS


def test_a_docx_correction(project: Any, tmp_path: Path) -> None:
    import docx

    _voices(project, tmp_path)
    document = docx.Document()
    for line in FIXED_TEXT.split("\n"):
        document.add_paragraph(line)
    path = tmp_path / "fix" / "voices.docx"
    path.parent.mkdir()
    document.save(str(path))
    report = project.documents.reimport("voices", path)
    record = project.documents.get("voices")
    assert "About five years now." in record.text and record.source_format == "docx"
    assert report.times_kept == 3 and report.warnings == []
    assert _turns(project) == TURNS
    assert [s.rstrip() for s in _spans(project)] == FIXED_TEXT.split("\n")


def test_a_lost_label_keeps_the_old_turns_and_says_so(project: Any, tmp_path: Path) -> None:
    _voices(project, tmp_path)
    lost = FIXED_TEXT.replace("Interviewer: ", "")  # the label deleted by mistake
    report = project.documents.reimport("voices", write(tmp_path / "fix" / "voices.txt", lost))
    assert report.warnings == [
        "the speaker labels in voices.txt give 2 turn(s) (Maria Lopez) where the document had "
        "3 (Maria Lopez, Interviewer): the old turns and their times were kept; check them"
    ]
    assert report.turns == 3 and report.times_kept == 3
    assert _turns(project) == TURNS  # Maria's second turn keeps 8.0, not the interviewer's 5.0
    assert _spans(project) == [
        "Maria Lopez: I live near the river camp.",
        "How long have you been there?",
        "Maria Lopez: About five years now.",
    ]
    detail = project.audit_log(1, action="document_reimport").rows[0].detail
    assert detail["turns_carried"] is True


def test_a_changed_speaker_keeps_the_old_turns_too(project: Any, tmp_path: Path) -> None:
    _voices(project, tmp_path)
    renamed = FIXED_TEXT.replace("Interviewer:", "Participant 4:")
    report = project.documents.reimport("voices", write(tmp_path / "fix" / "voices.txt", renamed))
    assert len(report.warnings) == 1 and "(Maria Lopez, Participant 4)" in report.warnings[0]
    assert _turns(project) == TURNS
