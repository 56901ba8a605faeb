"""Local transcription (``thematica transcribe``): recordings in, speaker-turn documents out.

Everything that can be refused (the speech extra, device, model, language, case pattern, each
file's audio and length) is checked before any run row or model, so a bad file or setup in a
list changes nothing. A file already transcribed is skipped, so an interrupted batch is simply
run again. Each recording then gets a ``transcript_run`` row that collects segments as the
model hears them (``services/transcription_runs.py``): an interrupted or failed run keeps them,
and the next call on the same file with the same settings carries on from where it stopped.
The finished transcript is stored the way a caption import is — one line ``Speaker 1: words``
per turn, each turn with its times — together with the run's status and the audit entry, in
one transaction; the other runs of that recording lose their words then.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError, ThematicaError
from thematica.core.models import ParsedDocument, Turn
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    import numpy as np

    from thematica.intake.transcriber import Segment, TranscriptionInfo
    from thematica.services.project import Project
    from thematica.services.transcription_runs import Job, RunLog, Settings

__all__ = [
    "MIN_SPEECH_SECONDS",
    "TURN_PAUSE",
    "Progress",
    "TranscribeReport",
    "TranscribedRow",
    "TranscriptRunRow",
    "Transcription",
]

#: (seconds of audio done, seconds in all, file name) — over every file of the call
Progress = Callable[[float, float, str], None]

#: less speech than this in a recording: nothing worth a document (a silent or empty file)
MIN_SPEECH_SECONDS = 1.0
#: a pause this long (seconds) within one speaker's speech starts a new turn
TURN_PAUSE = 1.5
#: a multilingual model less sure of the language than this gets a warning
MIN_LANGUAGE_PROBABILITY = 0.5
#: an English-only model hearing words less surely than this (mean log-probability) gets a
#: warning: measured -0.2 on English speech, -1.1 on Spanish, -2.1 on German (tiny.en)
MIN_ENGLISH_LOGPROB = -0.8


@dataclass(slots=True)
class TranscribedRow:
    document: str
    source: str
    duration: float
    segments: int
    turns: int
    speakers: int
    language: str
    model: str
    #: audio seconds per second of work (higher is faster)
    speed: float
    resumed_from: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: where the model ran (cpu, cuda) and how (int8, float16)
    device: str = ""
    run: int = 0
    #: the case the document was linked to (``case=`` or the project's case pattern)
    case: str | None = None
    #: True when the number of speakers was estimated, not given
    speakers_estimated: bool = True


@dataclass(slots=True)
class TranscribeReport:
    documents: list[TranscribedRow] = field(default_factory=list)
    #: file name -> why nothing was stored (silence, already transcribed, ...)
    skipped: dict[str, str] = field(default_factory=dict)
    #: file name -> the document an earlier call made of it (also listed in ``skipped``)
    already: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TranscriptRunRow:
    id: int
    source: str
    document: str
    model: str
    status: str
    duration: float | None
    done_seconds: float
    segments: int
    started_at: str


class Transcription:
    """Recordings in, timestamped speaker-turn documents out, on this machine."""

    def __init__(self, project: Project) -> None:
        self.project = project
        #: the run the latest call was working on (an interrupted call names it)
        self.last_run: int | None = None
        #: documents the latest call stored (an error in a later file names them)
        self.stored: list[str] = []

    @requires(Operation.IMPORT)
    def transcribe(
        self,
        paths: Sequence[str | Path],
        *,
        model: str = "tiny.en",
        language: str | None = None,
        speakers: int | None = None,
        names: Sequence[str] | None = None,
        resume: bool = True,
        device: str = "auto",
        progress: Progress | None = None,
        max_hours: float | None = None,
        case: str | None = None,
        case_pattern: str | None = None,
    ) -> TranscribeReport:
        """Transcribe each recording into a document named after the file (or ``names[i]``).

        ``speakers``: how many voices to tell apart (None: the diarizer decides);
        ``max_hours``: refuse longer recordings (default ``intake.audio.MAX_HOURS_DEFAULT``);
        ``resume``: carry on an unfinished run of the same file with the same settings, and
        skip a file already transcribed (same model and language) whose document is still
        here, so a batch is simply run again after an interruption; ``case`` links every
        document to that case, else ``case_pattern`` (default: the project's setting) finds
        the case in the file name, as ``documents.import_files`` does.
        Each document lands in a transaction of its own, with its audit entry; an error in a
        later file carries the stored documents' names in its ``detail["stored"]``.
        """
        self.last_run, self.stored = None, []
        from thematica.services.transcription_runs import check_recordings

        settings, jobs = check_recordings(
            self.project,
            paths,
            names,
            model=model,
            language=language,
            speakers=speakers,
            device=device,
            max_hours=max_hours,
            resume=resume,
            case=case,
            case_pattern=case_pattern,
        )
        report = TranscribeReport()
        for job in jobs:
            if job.already is not None:
                report.skipped[job.path.name] = f"already transcribed as {job.already!r}"
                report.already[job.path.name] = job.already
        todo = [job for job in jobs if job.already is None]
        total = sum(job.info.duration for job in todo)
        before = 0.0
        try:
            for job in todo:
                self._one(job, settings, report, progress, before, total)
                before += job.info.duration
        except ThematicaError as exc:
            if self.stored:
                exc.detail.setdefault("stored", list(self.stored))
            raise
        if progress is not None:
            progress(total, total, "")
        return report

    # -- one recording -----------------------------------------------------------------
    def _one(
        self,
        job: Job,
        settings: Settings,
        report: TranscribeReport,
        progress: Progress | None,
        before: float,
        total: float,
    ) -> None:
        from thematica.intake import audio, speech_models
        from thematica.services.transcription_runs import RunLog, find_unfinished, supersede

        began = time.perf_counter()
        samples = audio.decode(job.path)
        duration = len(samples) / 16_000 or job.info.duration
        if audio.speech_seconds(samples) < MIN_SPEECH_SECONDS:  # no run row for silence
            report.skipped[job.path.name] = "no speech found (silence)"
            return
        parameters = settings.parameters
        found = None
        with self.project.db.write() as conn:
            if settings.resume:
                found = find_unfinished(conn, self.project.id, job.sha256, parameters)
            else:
                supersede(conn, self.project.id, job.sha256, parameters)
        log = RunLog.start(
            self.project,
            source=job.path.name,
            source_path=str(job.path),
            sha256=job.sha256,
            document=job.name,
            model=settings.model,
            language=settings.language,
            parameters=parameters,
            duration=duration,
            resume=found,
        )
        self.last_run = log.id
        resumed_from = log.done_seconds if found is not None else 0.0
        # a resumed run keeps the language the model first detected: the part after the
        # resume point alone might be heard as another
        language = settings.language
        if language is None and speech_models.model_info(settings.model).languages is None:
            language = log.noted.get("language") or None
        heard: Heard = Heard(None, [])
        if found is None or not found.complete:
            heard = self._listen(log, samples, job, settings, language, progress, before, total)
        if not log.segments:
            log.close("done", {"warning": "the model heard no words"})
            report.skipped[job.path.name] = "the model heard no words"
            return
        self._store(log, job, samples, heard, settings, resumed_from, began, duration, report)

    def _listen(
        self,
        log: RunLog,
        samples: np.ndarray,
        job: Job,
        settings: Settings,
        language: str | None,
        progress: Progress | None,
        before: float,
        total: float,
    ) -> Heard:
        """Run the model from where the run stopped; every segment goes to the run row."""
        from thematica.intake import transcriber

        confidence: list[float] = []

        def heard(segment: Segment) -> bool:
            text = " ".join(segment.text.split())
            if text:
                log.add(float(segment.start), float(segment.end), text)
                confidence.append(float(segment.avg_logprob))
            return True

        def detected(info: TranscriptionInfo) -> None:
            if "language" not in log.noted:  # the first detection (a resumed run keeps it)
                log.note(
                    language=info.language,
                    language_probability=round(info.language_probability, 3),
                )
                log.flush()

        def moved(done: float, _total: float) -> None:
            if progress is not None:
                progress(before + min(done, job.info.duration), total, job.path.name)

        try:
            _segments, info = transcriber.transcribe(
                samples,
                settings.model,
                language=language,
                start_at=log.done_seconds,
                device=settings.device,
                on_segment=heard,
                progress=moved,
                on_info=detected,
            )
        except ThematicaError as exc:
            # a setup or model error: what was heard stays, and the run stays resumable
            log.flush()
            log.keep_error(str(exc))
            raise
        except BaseException:
            log.flush()  # what was heard stays: the next call carries on from there
            raise
        log.heard_all(len(samples) / 16_000)
        return Heard(info, confidence)

    def _store(
        self,
        log: RunLog,
        job: Job,
        samples: np.ndarray,
        heard: Heard,
        settings: Settings,
        resumed_from: float,
        began: float,
        duration: float,
        report: TranscribeReport,
    ) -> None:
        from thematica.intake import diarize, transcriber
        from thematica.services.cases import CaseWriter
        from thematica.services.documents import _insert_document, _insert_turns, case_from_pattern
        from thematica.services.project import now
        from thematica.services.transcription_runs import blank_others

        segments = [transcriber.Segment(float(s[0]), float(s[1]), str(s[2])) for s in log.segments]
        labels = diarize.label_speakers(samples, segments, settings.speakers)
        drafts = diarize.build_turns(segments, labels, pause=TURN_PAUSE)
        text, turns = transcript_text(drafts)
        info = heard.info
        if info is not None and info.device:
            used, compute = info.device, info.compute_type
        else:
            used, compute = transcriber.choose_device(settings.device)
        lang = str(log.noted.get("language") or getattr(info, "language", "") or "")
        probability = log.noted.get(
            "language_probability", getattr(info, "language_probability", None)
        )
        warnings = _warnings(settings, info, lang, probability, heard.confidence)
        wall = time.perf_counter() - began
        speed = round(max(duration - resumed_from, 0.0) / wall, 2) if wall > 0 else 0.0
        voices = sorted({turn.speaker for turn in turns if turn.speaker})
        case = settings.case or (
            case_from_pattern(settings.pattern, job.path.name) if settings.pattern else None
        )
        doc = ParsedDocument(
            name=job.name,
            text=text,
            turns=turns,
            source_format="audio",
            source_path=str(job.path),
            metadata={
                "audio": {  # type: ignore[dict-item]
                    "file": job.path.name,
                    "sha256": job.sha256,
                    "duration": round(duration, 3),
                    "model": settings.model,
                    "language": lang,
                    "language_probability": probability,
                    "device": used,
                    "speakers_asked": settings.speakers,
                }
            },
        )
        result = {
            "speed": speed,
            "wall_seconds": round(wall, 3),
            "language": lang,
            "language_probability": probability,
            "device": used,
            "compute_type": compute,
            "turns": len(turns),
            "speakers": len(voices),
            "speakers_asked": settings.speakers,
            "resumed_from": resumed_from,
            "warnings": warnings,
        }
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.project.db.write() as conn:
            taken = conn.scalar(
                select(t.document.c.id).where(
                    t.document.c.project_id == self.project.id, t.document.c.name == job.name
                )
            )
            if taken is not None:  # stored meanwhile by someone else: the run stays resumable
                raise ConflictError(
                    f"{job.path.name}: a document named {job.name!r} was stored meanwhile; "
                    "transcribe again with another name (what was heard is kept)",
                    hint="name",
                    document=job.name,
                )
            case_id = CaseWriter(self.project, conn).ensure(case, []) if case else None
            doc_id = _insert_document(conn, self.project.id, doc, digest, case_id, now())
            _insert_turns(conn, doc_id, turns)
            log.finish(conn, "done", result, document_id=doc_id, speakers=labels)
            blank_others(
                conn,
                self.project.id,
                job.sha256,
                log.id,
                f"superseded: the recording was stored as {job.name!r}",
            )
            self.project.audit(
                conn,
                "transcribe",
                document=job.name,
                source=job.path.name,
                model=settings.model,
                language=lang,
                duration=round(duration, 1),
                segments=len(segments),
                speakers=len(voices),
                resumed_from=round(resumed_from, 1),
                case=case,
            )
        self.stored.append(job.name)
        report.documents.append(
            TranscribedRow(
                document=job.name,
                source=job.path.name,
                duration=round(duration, 1),
                segments=len(segments),
                turns=len(turns),
                speakers=len(voices),
                language=lang,
                model=settings.model,
                speed=speed,
                resumed_from=round(resumed_from, 1),
                warnings=warnings,
                device=f"{used} {compute}".strip(),
                run=log.id,
                case=case,
                speakers_estimated=settings.speakers is None,
            )
        )

    # -- reading runs ------------------------------------------------------------------
    @requires(Operation.IMPORT)
    def check(
        self,
        paths: Sequence[str | Path],
        *,
        model: str = "tiny.en",
        language: str | None = None,
        speakers: int | None = None,
        names: Sequence[str] | None = None,
        device: str = "auto",
        max_hours: float | None = None,
    ) -> None:
        """Refuse now what :meth:`transcribe` would refuse before it starts (the speech
        extra, device, model, language, speaker count, names, unreadable or too long files),
        so a face that runs transcription in the background can answer at once. Writes
        nothing and loads no model."""
        from thematica.services.transcription_runs import check_recordings

        check_recordings(
            self.project,
            paths,
            names,
            model=model,
            language=language,
            speakers=speakers,
            device=device,
            max_hours=max_hours,
            resume=True,
            case=None,
            case_pattern=None,
        )

    @requires(Operation.READ)
    def runs(self) -> Table[TranscriptRunRow]:
        """Every transcription run of the project, newest first."""
        r = t.transcript_run.c
        with self.project.db.read() as conn:
            rows = [
                TranscriptRunRow(
                    id=row.id,
                    source=row.source_name,
                    document=row.document_name,
                    model=row.model,
                    status=row.status,
                    duration=None if row.duration is None else round(row.duration, 1),
                    done_seconds=round(float(row.done_seconds or 0.0), 1),
                    segments=len(row.segments or []) or int((row.result or {}).get("segments", 0)),
                    started_at=row.started_at.isoformat(timespec="seconds"),
                )
                for row in conn.execute(
                    select(t.transcript_run)
                    .where(r.project_id == self.project.id)
                    .order_by(r.id.desc())
                )
            ]
        return Table.of(TranscriptRunRow, rows, title="Transcription runs")

    # -- speakers ----------------------------------------------------------------------
    @requires(Operation.IMPORT)
    def rename_speaker(self, document: str, old: str, new: str) -> int:
        """Rename one speaker of a document ("Speaker 1" -> "Interviewer"); see
        :meth:`rename_speakers`. Returns how many turns changed."""
        return self._rename(document, {old: new})

    @requires(Operation.IMPORT)
    def rename_speakers(self, document: str, mapping: Mapping[str, str]) -> int:
        """Rename several speakers of a document at once (``{"Speaker 1": "Interviewer",
        "Speaker 2": "Participant 11"}``) in one rewrite and one transaction: the turns'
        speaker and the ``Speaker 1:`` label opening each of their lines, with codings carried
        along the text, a speaker's case mapping, and the labels in the document's run rows.
        Names are swapped correctly (1 -> 2 and 2 -> 1); renaming into a name the document
        already has merges the two speakers. Returns how many turns changed."""
        return self._rename(document, mapping)

    def _rename(self, document: str, mapping: Mapping[str, str]) -> int:
        from thematica.core.text_edits import Edit, apply_edits
        from thematica.services.text_rewrite import rewrite_document
        from thematica.services.transcription_runs import relabel_runs

        if not mapping:
            raise InputError("no speakers to rename: give OLD=NEW pairs")
        wanted = {old: _speaker_label(new) for old, new in mapping.items()}
        d, tr = t.document.c, t.turn.c
        with self.project.db.write() as conn:
            row = conn.execute(
                select(d.id, d.text).where(d.project_id == self.project.id, d.name == document)
            ).one_or_none()
            if row is None:
                raise NotFoundError(
                    f"no document named {document!r} in project {self.project.name!r}"
                )
            doc_id, text = int(row.id), str(row.text)
            turns = conn.execute(
                select(tr.id, tr.speaker, tr.start).where(tr.document_id == doc_id)
            ).all()
            have = {str(turn.speaker) for turn in turns if turn.speaker}
            missing = [old for old in wanted if old not in have]
            if missing:
                raise InputError(
                    f"{missing[0]!r} is not a speaker of {document!r} (its speakers: "
                    f"{', '.join(sorted(have)) or 'none'})"
                )
            changes = {old: new for old, new in wanted.items() if new != old}
            if not changes:
                return 0
            mine = [turn for turn in turns if turn.speaker in changes]
            edits = [
                Edit(turn.start, turn.start + len(turn.speaker), changes[turn.speaker])
                for turn in mine
                if text.startswith(f"{turn.speaker}:", turn.start)
            ]
            report = rewrite_document(conn, doc_id, apply_edits(text, edits))
            for old, new in changes.items():
                ids = [turn.id for turn in mine if turn.speaker == old]
                conn.execute(update(t.turn).where(tr.id.in_(ids)).values(speaker=new))
            _carry_speaker_cases(conn, doc_id, changes)
            relabel_runs(conn, doc_id, changes)
            for old, new in changes.items():
                self.project.audit(
                    conn,
                    "rename_speaker",
                    document=document,
                    old=old,
                    new=new,
                    turns=sum(1 for turn in mine if turn.speaker == old),
                    codings_moved=report.codings_moved,
                )
        return len(mine)


def transcript_text(drafts: Sequence[Any]) -> tuple[str, list[Turn]]:
    """The document text, one ``Speaker: words`` line per turn, and its turns with times
    (laid out as a caption import lays out its paragraphs)."""
    from thematica.core.text import normalise

    lines: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for draft in drafts:
        words = " ".join(str(draft.text).split())
        if not words:
            continue
        speaker = " ".join(str(draft.speaker or "").split()) or None
        line = normalise(f"{speaker}: {words}" if speaker else words)
        turns.append(
            Turn(offset, offset + len(line), speaker, float(draft.start), float(draft.end))
        )
        lines.append(line)
        offset += len(line) + 1
    return "\n".join(lines), turns


def _speaker_label(new: str) -> str:
    """A new speaker name as stored; InputError for one a label line cannot carry."""
    label = " ".join(new.split())
    if not label:
        raise InputError("the new speaker name is blank")
    if ":" in new or "\n" in new or "\r" in new:
        raise InputError(f"a speaker name may not contain ':' or a line break: {new!r}")
    if len(label) > 200:
        raise InputError("the new speaker name is over 200 characters")
    return label


def _carry_speaker_cases(conn: Any, doc_id: int, changes: Mapping[str, str]) -> None:
    """A case mapped to an old label goes with the new one (unless the new name keeps a case
    of its own); computed on the whole map at once so that swapped names swap cases."""
    m = t.speaker_case.c
    mapped = dict(conn.execute(select(m.speaker, m.case_id).where(m.document_id == doc_id)).all())
    if not any(old in mapped for old in changes):
        return
    after = {speaker: case for speaker, case in mapped.items() if speaker not in changes}
    for speaker, case in mapped.items():
        if speaker in changes:
            after.setdefault(changes[speaker], case)
    conn.execute(t.speaker_case.delete().where(m.document_id == doc_id))
    conn.execute(
        t.speaker_case.insert(),
        [{"document_id": doc_id, "speaker": k, "case_id": v} for k, v in after.items()],
    )


@dataclass(slots=True)
class Heard:
    """What one listening pass learnt: the model's info (None when a resumed run had already
    heard the whole file) and the confidence of each new segment."""

    info: TranscriptionInfo | None
    confidence: list[float]


def _warnings(
    settings: Settings,
    info: TranscriptionInfo | None,
    language: str,
    probability: float | None,
    confidence: Sequence[float],
) -> list[str]:
    """One-line notes for the person: a GPU that fell back to the CPU, a language the model
    was unsure of, English-only words heard with little confidence (another language?)."""
    from thematica.intake.speech_models import model_info

    out = list(info.warnings) if info is not None else []
    multilingual = model_info(settings.model).languages is None
    if (
        multilingual
        and settings.language is None
        and probability is not None
        and probability < MIN_LANGUAGE_PROBABILITY
    ):
        out.append(
            f"the model was unsure of the language (heard {language or '?'} with probability "
            f"{probability:.2f}); if it is wrong, transcribe again with the language given"
        )
    if not multilingual and confidence:
        mean = sum(confidence) / len(confidence)
        if mean < MIN_ENGLISH_LOGPROB:
            out.append(
                f"{settings.model} heard the words with little confidence (mean log-probability "
                f"{mean:.2f}); if the recording is not in English, use the multilingual base model"
            )
    return out
