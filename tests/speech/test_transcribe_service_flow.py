"""``project.transcription``: a two-voice interview clip spoken by espeak-ng from a known script
becomes a document of speaker turns with times; an interrupted run carries on; mp3 and m4a
work; renaming a speaker keeps codings on their words. SQLite and PostgreSQL.

The clips are made once per module and the model is loaded once per process (the engine caches
it). What the engine hears in a clip is kept per module (:func:`engine_once`) and replayed,
callbacks and all, when the other backend asks for the same audio: the second backend tests the
storing, not Whisper again. Expected values come from the script and the times at which
``synthesize`` placed each turn, never from the service's own output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, synthesize
from sqlalchemy import select

from thematica.intake.wer import normalise_words, word_error_rate
from thematica.store import schema as t

#: tiny.en on espeak-ng's voices; measured 0.05-0.09 here, bounded with room to spare
WER_BOUND = 0.25
#: how far a turn's start or end may lie from where the clip placed it: starts are moved to
#: the first speech the voice detector hears in a segment (100 ms padding; they fell up to
#: 1.06 s early in the pause before without that), ends land within 0.2 s
TIME_SLACK = 0.5
#: an interview excerpt, four short turns (half the length of speech_clips.SCRIPT: the test
#: transcribes it three times per backend)
INTERVIEW = [
    (INTERVIEWER, "How long have you worked in outreach?"),
    (PARTICIPANT, "About six years at the needle exchange."),
    (INTERVIEWER, "What makes the work hard?"),
    (PARTICIPANT, "Losing people is the hardest part."),
]
#: two turns for the containers (tiny.en hears a lone sentence in espeak's voice badly: the
#: first turn gives it context)
SHORT = [
    (INTERVIEWER, "How long have you worked in outreach?"),
    (PARTICIPANT, "About six years now at the needle exchange."),
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return synthesize(tmp_path_factory.mktemp("clip"), INTERVIEW, name="interview")


@pytest.fixture(scope="module")
def short_clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clip, Clip]:
    folder = tmp_path_factory.mktemp("formats")
    return (
        synthesize(folder, SHORT, name="short", fmt="mp3"),
        synthesize(folder, SHORT, name="short", fmt="m4a"),
    )


@pytest.fixture(scope="module", autouse=True)
def engine_once() -> Iterator[None]:
    """The engine's answer per (audio, model, language, start) kept for this module and
    replayed through the same callbacks (stopping where ``on_segment`` returns False)."""
    from thematica.intake import transcriber

    real = transcriber.transcribe
    heard: dict[tuple[Any, ...], tuple[list[Any], Any]] = {}

    def once(samples: Any, model_name: str = "tiny.en", **kw: Any) -> Any:
        key = (
            hashlib.sha1(samples.tobytes()).hexdigest(),
            model_name,
            kw.get("language"),
            kw.get("start_at", 0.0),
        )
        if key not in heard:
            heard[key] = real(samples, model_name, **kw)  # its callbacks run as it goes
            return heard[key]
        segments, info = heard[key]
        on_segment, progress = kw.get("on_segment"), kw.get("progress")
        if kw.get("on_info") is not None:
            kw["on_info"](info)
        for n, segment in enumerate(segments):
            if progress is not None:
                progress(segment.end, info.duration)
            if on_segment is not None and on_segment(segment) is False:
                return segments[: n + 1], info
        if progress is not None:
            progress(info.duration, info.duration)
        return segments, info

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transcriber, "transcribe", once)
        yield


def _words_only(text: str) -> str:
    """The transcript without its ``Speaker N:`` labels."""
    return "\n".join(line.split(": ", 1)[1] for line in text.splitlines())


def _runs(p: Any) -> list[Any]:
    with p.db.read() as conn:
        return list(conn.execute(select(t.transcript_run).order_by(t.transcript_run.c.id)))


def test_interview_becomes_turns_with_times_and_is_audited(project: Any, clip: Clip) -> None:
    p = project
    seen: list[tuple[float, float, str]] = []
    report = p.transcription.transcribe(
        [clip.path], speakers=2, progress=lambda d, n, f: seen.append((d, n, f))
    )
    assert report.skipped == {}
    [row] = report.documents
    assert (row.document, row.source, row.model) == ("interview", "interview.wav", "tiny.en")
    assert (row.turns, row.speakers, row.language) == (4, 2, "en")
    assert row.duration == pytest.approx(clip.duration + 1.2, abs=0.2)  # trailing pause kept
    assert row.speed > 0 and row.resumed_from == 0.0

    record = p.documents.get("interview")
    assert word_error_rate(clip.text, _words_only(record.text)) <= WER_BOUND
    lines = record.text.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "Speaker 1",
        "Speaker 2",
        "Speaker 1",
        "Speaker 2",
    ]
    assert [tr.speaker for tr in record.turns] == ["Speaker 1", "Speaker 2"] * 2
    for turn, line in zip(record.turns, lines, strict=True):
        assert record.text[turn.start : turn.end] == line
    for turn, (_voice, _text, start, end) in zip(record.turns, clip.turns, strict=True):
        assert turn.time_start == pytest.approx(start, abs=TIME_SLACK)
        assert turn.time_end == pytest.approx(end, abs=TIME_SLACK)
    assert record.source_format == "audio"

    with p.db.read() as conn:
        meta = conn.scalar(select(t.document.c.meta).where(t.document.c.name == "interview"))
    audio = meta["audio"]
    assert (audio["file"], audio["model"], audio["language"]) == ("interview.wav", "tiny.en", "en")
    assert len(audio["sha256"]) == 64 and audio["device"] in ("cpu", "cuda")
    assert audio["duration"] == pytest.approx(row.duration, abs=0.1)

    [entry] = p.audit_log(action="transcribe").rows
    assert entry.detail["document"] == "interview"
    assert entry.detail["source"] == "interview.wav"
    assert (entry.detail["model"], entry.detail["speakers"]) == ("tiny.en", 2)
    assert entry.detail["segments"] == row.segments >= 4

    [run] = _runs(p)
    assert (run.status, run.document_name, run.document_id) == ("done", "interview", record.id)
    assert run.parameters == {"model": "tiny.en", "language": None, "speakers": 2, "device": "auto"}
    assert run.segments[0][3] == "Speaker 1" and len(run.segments) == row.segments
    [listed] = p.transcription.runs().rows
    assert (listed.status, listed.segments, listed.source) == (
        "done",
        row.segments,
        "interview.wav",
    )

    # progress: seconds of audio, never backwards, ending at the whole length
    done = [d for d, _n, _f in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] == pytest.approx(row.duration, 0.05)

    # speakers renamed: the labels and turns change, a participant coding stays on its word
    label, words = lines[1].split(": ", 1)
    word = max(words.replace(".", " ").replace(",", " ").split(), key=len)
    at = record.text.index(word, len(lines[0]) + 1 + len(label))
    p.codebook.add("Tenure")
    p.coding.apply("interview", "Tenure", at, at + len(word), coder="alex")
    assert p.transcription.rename_speaker("interview", "Speaker 1", "Interviewer") == 2
    assert p.transcription.rename_speaker("interview", "Speaker 2", "Participant 11") == 2
    renamed = p.documents.get("interview")
    assert [line.split(": ", 1)[0] for line in renamed.text.splitlines()] == [
        "Interviewer",
        "Participant 11",
    ] * 2
    assert [tr.speaker for tr in renamed.turns] == ["Interviewer", "Participant 11"] * 2
    for turn in renamed.turns:
        assert renamed.text[turn.start : turn.end].startswith(f"{turn.speaker}: ")
    [coding] = p.coding.list(coder="alex").rows
    assert coding.text == word
    # two labels stand before it: "Speaker 1" (+2 characters) and its own "Speaker 2" (+5)
    assert coding.start == at + 2 + 5
    [first, _second] = p.audit_log(action="rename_speaker").rows[::-1]
    assert (first.detail["old"], first.detail["new"], first.detail["turns"]) == (
        "Speaker 1",
        "Interviewer",
        2,
    )
    # the run row's segments carry the new names too
    [run] = _runs(p)
    assert run.segments[0][3] == "Interviewer"
    assert {s[3] for s in run.segments} == {"Interviewer", "Participant 11"}


def test_an_interrupted_run_carries_on_where_it_stopped(
    project: Any, clip: Clip, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thematica.intake import transcriber

    p = project
    real = transcriber.transcribe
    asked: list[float] = []

    def stops_after_two(samples: Any, model_name: str, **kw: Any) -> Any:
        passed = kw["on_segment"]
        heard = 0

        def on_segment(segment: Any) -> Any:
            nonlocal heard
            heard += 1
            if heard > 2:
                raise KeyboardInterrupt
            return passed(segment)

        return real(samples, model_name, **{**kw, "on_segment": on_segment})

    monkeypatch.setattr(transcriber, "transcribe", stops_after_two)
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([clip.path], speakers=2)
    [run] = _runs(p)
    assert (run.status, len(run.segments), run.document_id) == ("running", 2, None)
    assert run.done_seconds == run.segments[1][1] > 0
    assert p.documents.list().rows == []

    def records_start(samples: Any, model_name: str, **kw: Any) -> Any:
        asked.append(kw["start_at"])
        return real(samples, model_name, **kw)

    monkeypatch.setattr(transcriber, "transcribe", records_start)
    report = p.transcription.transcribe([clip.path], speakers=2)
    # the last kept segment is dropped and heard again from up to a second before its start
    # (in the pause after the first): its end is only good to about half a second, so
    # resuming there could cut a word or hear it twice
    (_s1, end1, *_), (start2, end2, *_) = run.segments
    point = max(min(end1, start2), start2 - 1.0)
    assert asked == [pytest.approx(point)] and end1 <= point <= start2 < end2
    assert report.documents[0].resumed_from == pytest.approx(point, abs=0.1)
    [again] = _runs(p)  # the same run, finished
    assert (again.id, again.status) == (run.id, "done")
    assert again.segments[0][:3] == run.segments[0][:3]
    assert again.segments[1][0] >= run.segments[1][0]
    for before, after in zip(again.segments, again.segments[1:], strict=False):
        assert after[0] >= before[1] - 0.01, "a segment heard twice"
    text = _words_only(p.documents.get("interview").text)
    assert word_error_rate(clip.text, text) <= WER_BOUND
    # the words before, in and after the re-heard segment (turn 2), each said once in the
    # script, are in the transcript exactly once
    words = normalise_words(text)
    for word in ("outreach", "six", "years", "needle", "exchange", "hard", "losing"):
        assert words.count(word) == 1, (word, text)
    assert [r.name for r in p.documents.list().rows] == ["interview"]


def test_a_run_that_heard_everything_is_not_heard_again(
    project: Any, clip: Clip, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted while storing (after the model reached the end): the next call stores what
    the run holds without listening again, so the trailing pause cannot invent words."""
    from thematica.intake import diarize, transcriber

    p = project
    real_label = diarize.label_speakers

    def interrupted(*_a: Any, **_k: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(diarize, "label_speakers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([clip.path], speakers=2)
    [run] = _runs(p)
    assert run.status == "running" and len(run.segments) >= 4
    assert run.done_seconds == pytest.approx(run.duration)  # the whole file was heard

    asked: list[Any] = []

    def must_not_listen(*a: Any, **kw: Any) -> Any:
        asked.append(kw)
        raise AssertionError("listened again")

    monkeypatch.setattr(diarize, "label_speakers", real_label)
    monkeypatch.setattr(transcriber, "transcribe", must_not_listen)
    report = p.transcription.transcribe([clip.path], speakers=2)
    assert asked == []
    [row] = report.documents
    assert (row.segments, row.turns, row.language) == (len(run.segments), 4, "en")
    [again] = _runs(p)
    assert (again.id, again.status) == (run.id, "done")
    assert [s[:3] for s in again.segments] == [s[:3] for s in run.segments]


def test_mp3_and_m4a_are_transcribed(project: Any, short_clips: tuple[Clip, Clip]) -> None:
    mp3, m4a = short_clips
    report = project.transcription.transcribe(
        [mp3.path, m4a.path], names=["P1 (mp3)", "P1 (m4a)"], speakers=2
    )
    assert [(r.document, r.source) for r in report.documents] == [
        ("P1 (mp3)", "short.mp3"),
        ("P1 (m4a)", "short.m4a"),
    ]
    for name, audio in (("P1 (mp3)", mp3), ("P1 (m4a)", m4a)):
        record = project.documents.get(name)
        assert word_error_rate(audio.text, _words_only(record.text)) <= WER_BOUND
        assert [tr.speaker for tr in record.turns] == ["Speaker 1", "Speaker 2"]
    assert {r.status for r in project.transcription.runs().rows} == {"done"}


def test_segments_are_stored_as_they_come_and_no_resume_starts_again(
    project: Any, clip: Clip, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an engine that says twelve numbered words a second apart: the run row holds the
    first ten before the eleventh arrives; ``resume=False`` starts a new run from 0 s."""
    from thematica.intake import transcriber

    p = project
    words = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
    ]
    segments = [
        transcriber.Segment(0.5 + i, 1.4 + i, word.capitalize() + ".")
        for i, word in enumerate(words)
    ]
    starts: list[float] = []
    stored_at_eleven: list[int] = []

    def stops_at_twelve(samples: Any, model_name: str, **kw: Any) -> Any:
        starts.append(kw["start_at"])
        for n, segment in enumerate(segments):
            if n == 10:
                stored_at_eleven.append(len(_runs(p)[-1].segments))
            if n == 11:
                raise KeyboardInterrupt
            kw["on_segment"](segment)
        raise AssertionError("not reached")

    monkeypatch.setattr(transcriber, "transcribe", stops_at_twelve)
    with pytest.raises(KeyboardInterrupt):
        p.transcription.transcribe([clip.path], speakers=1)
    assert stored_at_eleven == [10]
    [first] = _runs(p)
    assert (first.status, len(first.segments), first.done_seconds) == ("running", 11, 11.4)

    def says_all(samples: Any, model_name: str, **kw: Any) -> Any:
        starts.append(kw["start_at"])
        for segment in segments:
            kw["on_segment"](segment)
        return segments, transcriber.TranscriptionInfo("en", 1.0, len(samples) / 16_000)

    monkeypatch.setattr(transcriber, "transcribe", says_all)
    report = p.transcription.transcribe([clip.path], speakers=1, resume=False)
    assert starts == [0.0, 0.0] and report.documents[0].resumed_from == 0.0
    old, new = _runs(p)
    assert (old.id, old.status, new.status) == (first.id, "failed", "done")
    # the superseded run's words are gone (they would outlive de-identification); its count
    # of segments stays for the listing
    assert old.segments == [] and old.result["segments"] == 11
    listed = p.transcription.runs().rows
    assert [(r.status, r.segments) for r in listed] == [("done", 12), ("failed", 11)]
    text = p.documents.get("interview").text
    assert text == "Speaker 1: " + " ".join(w.capitalize() + "." for w in words)
