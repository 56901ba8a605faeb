"""``project.transcription`` over batches, with a stand-in engine that says known segments
(the real model is tested elsewhere; here what matters is what is stored): a batch run again
after an interruption skips what it stored, an error names the documents already stored,
other runs of a stored recording lose their words, warnings about the language, cases from
``case=`` or the project's pattern, and several speakers renamed at once. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, synthesize
from sqlalchemy import select

from thematica.core.errors import InputError
from thematica.intake.transcriber import Segment, TranscriptionInfo
from thematica.store import schema as t

#: three numbered words inside the first four seconds of each clip
SAID = [Segment(0.6, 1.4, "One."), Segment(1.8, 2.6, "Two."), Segment(3.0, 3.8, "Three.")]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("batch")
    return (
        synthesize(folder, [(INTERVIEWER, "How long have you worked in outreach?")], name="A"),
        synthesize(folder, [(PARTICIPANT, "About six years now at the exchange.")], name="B"),
    )


Engine = Callable[..., Any]


def engine(
    calls: list[dict[str, Any]],
    *,
    segments: list[Segment] = SAID,
    language: str = "en",
    probability: float = 1.0,
    stop: dict[str, tuple[int, BaseException]] | None = None,
) -> Engine:
    """A stand-in for ``transcriber.transcribe``: says ``segments`` from ``start_at`` on;
    ``stop[file sha prefix]`` = (after n segments, raise this)."""

    def fake(samples: Any, model_name: str, **kw: Any) -> Any:
        calls.append({k: v for k, v in kw.items() if k in ("start_at", "language")})
        total = len(samples) / 16_000
        info = TranscriptionInfo(language, probability, total, "cpu", "int8")
        if kw.get("on_info") is not None:
            kw["on_info"](info)
        said = [s for s in segments if s.start >= kw["start_at"]]
        after, error = (stop or {}).get(str(len(samples)), (len(said) + 1, None))
        for n, segment in enumerate(said):
            if n == after and error is not None:
                raise error
            kw["on_segment"](segment)
        return said, info

    return fake


def _use(monkeypatch: pytest.MonkeyPatch, fake: Engine) -> None:
    from thematica.intake import transcriber

    monkeypatch.setattr(transcriber, "transcribe", fake)


def _runs(p: Any) -> list[Any]:
    with p.db.read() as conn:
        return list(conn.execute(select(t.transcript_run).order_by(t.transcript_run.c.id)))


def _length(clip: Clip) -> str:
    from thematica.intake.audio import decode

    return str(len(decode(clip.path)))


def test_a_batch_run_again_skips_what_it_stored_and_carries_on(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    a, b = clips
    calls: list[dict[str, Any]] = []
    _use(monkeypatch, engine(calls, stop={_length(b): (2, KeyboardInterrupt())}))
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([a.path, b.path], speakers=1)
    run_a, run_b = _runs(p)
    assert (run_a.status, run_b.status) == ("done", "running")
    assert p.transcription.last_run == run_b.id  # the run actually interrupted
    assert p.transcription.stored == ["A"]

    calls.clear()
    _use(monkeypatch, engine(calls))
    report = p.transcription.transcribe([a.path, b.path], speakers=1)
    assert report.skipped == {"A.wav": "already transcribed as 'A'"}
    assert report.already == {"A.wav": "A"}
    assert [r.document for r in report.documents] == ["B"]
    # B resumed: "Two." dropped and heard again from the pause after "One." (1.4 s)
    assert calls == [{"start_at": pytest.approx(1.4), "language": None}]
    assert p.documents.get("B").text == "Speaker 1: One. Two. Three."
    assert [r.id for r in _runs(p)] == [run_a.id, run_b.id]
    assert p.transcription.last_run == run_b.id and p.transcription.stored == ["B"]


def test_an_error_in_a_later_file_names_the_stored_ones_and_keeps_the_run(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    a, b = clips
    calls: list[dict[str, Any]] = []
    broken = InputError("the speech model tiny.en failed at 0:02 of the recording (CUDA)")
    _use(monkeypatch, engine(calls, stop={_length(b): (2, broken)}))
    with pytest.raises(InputError) as caught:
        p.transcription.transcribe([a.path, b.path], speakers=1)
    assert caught.value.detail["stored"] == ["A"]
    _run_a, run_b = _runs(p)
    # a model or setup error leaves the run resumable, with the error noted
    assert (run_b.status, len(run_b.segments)) == ("running", 2)
    assert run_b.result["error"] == str(broken)
    assert run_b.result["language"] == "en"

    _use(monkeypatch, engine(calls))
    report = p.transcription.transcribe([b.path], speakers=1)
    assert report.documents[0].resumed_from == pytest.approx(1.4)
    [_a, again] = _runs(p)
    assert (again.id, again.status) == (run_b.id, "done")
    assert "error" not in again.result


def test_storing_a_document_empties_the_other_runs_of_its_recording(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run left running with other settings, and one superseded by --no-resume, keep no
    words once the recording has its document (de-identifying the document could not reach
    them); their counts stay in the listing."""
    p = project
    _a, b = clips
    calls: list[dict[str, Any]] = []
    _use(monkeypatch, engine(calls, stop={_length(b): (2, KeyboardInterrupt())}))
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([b.path], speakers=2)  # other settings: not resumed below
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([b.path], speakers=1)
    _use(monkeypatch, engine(calls))
    p.transcription.transcribe([b.path], speakers=1, resume=False)
    other, superseded, stored = _runs(p)
    assert (other.status, other.segments) == ("failed", [])
    assert other.result == {
        "segments": 2,
        "warning": "superseded: the recording was stored as 'B'",
        "language": "en",
        "language_probability": 1.0,
    }
    assert (superseded.status, superseded.segments) == ("failed", [])
    assert (stored.status, len(stored.segments)) == ("done", 3)
    listed = {r.id: (r.status, r.segments) for r in p.transcription.runs().rows}
    assert listed == {
        other.id: ("failed", 2),
        superseded.id: ("failed", 2),
        stored.id: ("done", 3),
    }


def test_an_unsure_language_is_warned_about_and_kept_on_resume(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    from thematica.intake import speech_models

    p = project
    a, _b = clips
    monkeypatch.setattr(speech_models, "model_dir", lambda *_a, **_k: Path("."))
    calls: list[dict[str, Any]] = []
    stop = {_length(a): (2, KeyboardInterrupt())}
    _use(monkeypatch, engine(calls, language="es", probability=0.31, stop=stop))
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([a.path], model="base", speakers=1)
    # resumed: the language first detected is passed on, not detected again from the rest
    _use(monkeypatch, engine(calls, language="pt", probability=0.9))
    report = p.transcription.transcribe([a.path], model="base", speakers=1)
    assert [c["language"] for c in calls] == [None, "es"]
    [row] = report.documents
    assert row.language == "es"
    assert row.warnings == [
        "the model was unsure of the language (heard es with probability 0.31); if it is "
        "wrong, transcribe again with the language given"
    ]
    [run] = _runs(p)
    assert run.result["warnings"] == row.warnings


def test_english_heard_with_little_confidence_suggests_base(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    a, b = clips
    unsure = [Segment(s.start, s.end, s.text, avg_logprob=-1.1) for s in SAID]
    _use(monkeypatch, engine([], segments=unsure))
    [row] = p.transcription.transcribe([a.path], speakers=1).documents
    assert row.warnings == [
        "tiny.en heard the words with little confidence (mean log-probability -1.10); if the "
        "recording is not in English, use the multilingual base model"
    ]
    sure = [Segment(s.start, s.end, s.text, avg_logprob=-0.3) for s in SAID]
    _use(monkeypatch, engine([], segments=sure))
    assert p.transcription.transcribe([b.path], speakers=1).documents[0].warnings == []


def test_cases_from_the_option_or_the_projects_pattern(
    project: Any, clips: tuple[Clip, Clip], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    p = project
    a, b = clips
    _use(monkeypatch, engine([]))
    report = p.transcription.transcribe([a.path], speakers=1, case="P01")
    assert report.documents[0].case == "P01"
    assert p.documents.get("A").case == "P01"
    p.configure(case_pattern=r"^(P\d+)")
    named = tmp_path / "P07 second interview.wav"
    named.write_bytes(b.path.read_bytes())
    report = p.transcription.transcribe([named], speakers=1)
    assert p.documents.get("P07 second interview").case == "P07"
    [entry] = p.audit_log(action="transcribe").rows[:1]
    assert entry.detail["case"] == "P07"
    with pytest.raises(InputError, match="case pattern"):
        p.transcription.transcribe([a.path], names=["X"], case_pattern="(P", resume=False)
    with pytest.raises(InputError, match="case name is blank"):
        p.transcription.transcribe([a.path], names=["X"], case="  ", resume=False)


def test_several_speakers_renamed_at_once(project: Any, tmp_path: Path) -> None:
    p = project
    doc = tmp_path / "FG1.txt"
    doc.write_text(
        "Speaker 1: welcome all\nSpeaker 2: thanks\nSpeaker 3: hello\nSpeaker 1: first question\n",
        encoding="utf-8",
    )
    p.documents.import_files([doc])
    p.speakers.map("FG1", {"Speaker 2": "P02", "Speaker 3": "P03"})
    p.codebook.add("Greeting")
    at = p.documents.get("FG1").text.index("hello")
    p.coding.apply("FG1", "Greeting", at, at + 5, coder="alex")
    # a bad new name refuses the whole map: nothing renamed
    with pytest.raises(InputError):
        p.transcription.rename_speakers("FG1", {"Speaker 1": "Moderator", "Speaker 2": "a:b"})
    with pytest.raises(InputError, match="'Speaker 9' is not a speaker"):
        p.transcription.rename_speakers("FG1", {"Speaker 1": "Moderator", "Speaker 9": "X"})
    assert p.documents.get("FG1").text.startswith("Speaker 1: welcome")

    # 2 and 3 swapped, 1 named: all from the text as it was
    n = p.transcription.rename_speakers(
        "FG1", {"Speaker 1": "Moderator", "Speaker 2": "Speaker 3", "Speaker 3": "Speaker 2"}
    )
    assert n == 4
    record = p.documents.get("FG1")
    assert record.text == (
        "Moderator: welcome all\nSpeaker 3: thanks\nSpeaker 2: hello\nModerator: first question\n"
    )
    assert [tr.speaker for tr in record.turns] == ["Moderator", "Speaker 3", "Speaker 2"] * 1 + [
        "Moderator"
    ]
    for turn in record.turns:
        assert record.text[turn.start : turn.end].startswith(f"{turn.speaker}: ")
    [coding] = p.coding.list(coder="alex").rows
    assert coding.text == "hello"
    mapped = {(r.speaker, r.case) for r in p.speakers.list("FG1").rows}
    assert {("Speaker 3", "P02"), ("Speaker 2", "P03")} <= mapped
    entries = {
        (e.detail["old"], e.detail["new"]) for e in p.audit_log(action="rename_speaker").rows
    }
    assert entries == {
        ("Speaker 1", "Moderator"),
        ("Speaker 2", "Speaker 3"),
        ("Speaker 3", "Speaker 2"),
    }
