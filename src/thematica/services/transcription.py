"""Local transcription (``thematica transcribe``): recordings in, speaker-turn documents out.

Every file is checked (readable audio, length, model and language) before any model loads, so
a bad file in a list changes nothing. Each recording then gets a ``transcript_run`` row that
collects segments as the model hears them (``services/transcription_runs.py``): an interrupted
run keeps them, and the next call on the same file with the same settings carries on from where
it stopped. The finished transcript is stored the way a caption import is — one line
``Speaker 1: words`` per turn, each turn with its times — together with the run's status and
the audit entry, in one transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
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

    from thematica.intake.audio import AudioInfo
    from thematica.intake.transcriber import Segment
    from thematica.services.project import Project
    from thematica.services.transcription_runs import RunLog

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
_NAME_LIMIT = 500


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


@dataclass(slots=True)
class TranscribeReport:
    documents: list[TranscribedRow] = field(default_factory=list)
    #: file name -> why nothing was stored (silence, ...)
    skipped: dict[str, str] = field(default_factory=dict)


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


@dataclass(slots=True)
class _Job:
    """One checked recording, ready to transcribe."""

    path: Path
    name: str
    sha256: str
    info: AudioInfo


class Transcription:
    """Recordings in, timestamped speaker-turn documents out, on this machine."""

    def __init__(self, project: Project) -> None:
        self.project = project

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
    ) -> TranscribeReport:
        """Transcribe each recording into a document named after the file (or ``names[i]``).

        ``speakers``: how many voices to tell apart (None: the diarizer decides);
        ``max_hours``: refuse longer recordings (default ``intake.audio.MAX_HOURS_DEFAULT``);
        ``resume``: carry on an unfinished run of the same file with the same settings.
        Each document lands in a transaction of its own, with its audit entry.
        """
        jobs = self._check(paths, names, model, language, speakers, device, max_hours)
        report = TranscribeReport()
        total = sum(job.info.duration for job in jobs)
        before = 0.0
        for job in jobs:
            self._one(
                job, model, language, speakers, device, resume, report, progress, before, total
            )
            before += job.info.duration
        if progress is not None:
            progress(total, total, "")
        return report

    # -- checking ----------------------------------------------------------------------
    def _check(
        self,
        paths: Sequence[str | Path],
        names: Sequence[str] | None,
        model: str,
        language: str | None,
        speakers: int | None,
        device: str,
        max_hours: float | None,
    ) -> list[_Job]:
        from thematica.intake import audio, speech_models

        if not paths:
            raise InputError("no audio files given")
        names = list(names or [])
        if len(names) > len(paths):
            raise InputError(
                f"{len(names)} names for {len(paths)} file(s): give at most one name per file",
                hint="name",
            )
        if speakers is not None and not 1 <= speakers <= 20:
            raise InputError(f"speakers must be between 1 and 20, not {speakers}")
        if device not in ("auto", "cpu", "cuda"):
            raise InputError(f"unknown device {device!r}; choose auto, cpu or cuda")
        limit = audio.MAX_HOURS_DEFAULT if max_hours is None else max_hours
        if not limit > 0:
            raise InputError(f"the length limit must be more than 0 hours, not {limit:g}")
        speech_models.check_language(model, language)
        jobs: list[_Job] = []
        taken: dict[str, Path] = {}
        for i, given in enumerate(paths):
            path = Path(given)
            if not path.exists():
                raise InputError(f"{path}: no such file")
            if not path.is_file():
                raise InputError(f"{path}: not a file; give audio files")
            suffix = path.suffix.lower()
            if suffix not in audio.AUDIO_SUFFIXES:
                known = ", ".join(sorted(s.lstrip(".") for s in audio.AUDIO_SUFFIXES))
                raise InputError(
                    f"{path.name}: {suffix or 'no suffix'} is not an audio format thematica "
                    f"transcribes ({known})"
                )
            info = audio.probe(path)
            if info.duration > limit * 3600:
                raise InputError(
                    f"{path.name} is {_length(info.duration)} long; the limit is {limit:g} hours",
                    hint="max_hours",
                    duration=info.duration,
                    limit=limit,
                )
            name = " ".join((names[i] if i < len(names) else path.stem).split())
            if not name:
                raise InputError(f"{path.name}: the document name is blank", hint="name")
            if len(name) > _NAME_LIMIT:
                raise InputError(
                    f"{path.name}: the document name is over {_NAME_LIMIT} characters", hint="name"
                )
            if name in taken:
                raise InputError(
                    f"{taken[name].name} and {path.name} would both become document {name!r}; "
                    "give each its own name",
                    hint="name",
                )
            taken[name] = path
            jobs.append(_Job(path, name, _sha256(path), info))
        d = t.document.c
        with self.project.db.read() as conn:
            existing = set(
                conn.scalars(
                    select(d.name).where(d.project_id == self.project.id, d.name.in_(list(taken)))
                )
            )
        for job in jobs:
            if job.name in existing:
                raise ConflictError(
                    f"{job.path.name}: a document named {job.name!r} is already in the project; "
                    "choose another name or remove the old document",
                    hint="name",
                    document=job.name,
                )
        return jobs

    # -- one recording -----------------------------------------------------------------
    def _one(
        self,
        job: _Job,
        model: str,
        language: str | None,
        speakers: int | None,
        device: str,
        resume: bool,
        report: TranscribeReport,
        progress: Progress | None,
        before: float,
        total: float,
    ) -> None:
        from thematica.intake import audio
        from thematica.services.transcription_runs import (
            RunLog,
            find_unfinished,
            supersede,
        )

        began = time.perf_counter()
        samples = audio.decode(job.path)
        duration = len(samples) / 16_000 or job.info.duration
        parameters: dict[str, Any] = {
            "model": model,
            "language": language,
            "speakers": speakers,
            "device": device,
        }
        found = None
        with self.project.db.write() as conn:
            if resume:
                found = find_unfinished(conn, self.project.id, job.sha256, parameters)
            else:
                supersede(conn, self.project.id, job.sha256, parameters)
        log = RunLog.start(
            self.project,
            source=job.path.name,
            source_path=str(job.path),
            sha256=job.sha256,
            document=job.name,
            model=model,
            language=language,
            parameters=parameters,
            duration=duration,
            resume=found,
        )
        if audio.speech_seconds(samples) < MIN_SPEECH_SECONDS:
            self._skip(log, job, report, "no speech found (silence)")
            return
        resumed_from = log.done_seconds if found is not None else 0.0
        info = self._listen(log, samples, job, model, language, device, progress, before, total)
        if not log.segments:
            self._skip(log, job, report, "the model heard no words")
            return
        self._store(
            log, job, samples, info, model, speakers, device, resumed_from, began, duration, report
        )

    def _listen(
        self,
        log: RunLog,
        samples: np.ndarray,
        job: _Job,
        model: str,
        language: str | None,
        device: str,
        progress: Progress | None,
        before: float,
        total: float,
    ) -> Any:
        """Run the model from where the run stopped; every segment goes to the run row."""
        from thematica.intake import transcriber

        start_at = log.done_seconds

        def heard(segment: Segment) -> bool:
            text = " ".join(segment.text.split())
            if text and segment.end > start_at:  # a resumed run never repeats what it kept
                log.add(float(segment.start), float(segment.end), text)
            return True

        def moved(done: float, _total: float) -> None:
            if progress is not None:
                progress(before + min(done, job.info.duration), total, job.path.name)

        try:
            _segments, info = transcriber.transcribe(
                samples,
                model,
                language=language,
                start_at=start_at,
                device=device,
                on_segment=heard,
                progress=moved,
            )
        except BaseException as exc:
            log.flush()  # what was heard stays: the next call carries on from there
            if isinstance(exc, ThematicaError):
                log.close("failed", {"error": str(exc)})
            raise
        log.flush()
        return info

    def _skip(self, log: RunLog, job: _Job, report: TranscribeReport, why: str) -> None:
        log.close("done", {"warning": why})
        report.skipped[job.path.name] = why

    def _store(
        self,
        log: RunLog,
        job: _Job,
        samples: np.ndarray,
        info: Any,
        model: str,
        speakers: int | None,
        device: str,
        resumed_from: float,
        began: float,
        duration: float,
        report: TranscribeReport,
    ) -> None:
        from thematica.intake import diarize, transcriber
        from thematica.services.documents import _insert_document, _insert_turns
        from thematica.services.project import now

        segments = [transcriber.Segment(float(s[0]), float(s[1]), str(s[2])) for s in log.segments]
        labels = diarize.label_speakers(samples, segments, speakers)
        drafts = diarize.build_turns(segments, labels, pause=TURN_PAUSE)
        text, turns = transcript_text(drafts)
        used, compute = transcriber.choose_device(device)
        lang = str(getattr(info, "language", None) or "")
        probability = getattr(info, "language_probability", None)
        wall = time.perf_counter() - began
        heard = max(duration - resumed_from, 0.0)
        speed = round(heard / wall, 2) if wall > 0 else 0.0
        voices = sorted({turn.speaker for turn in turns if turn.speaker})
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
                    "model": model,
                    "language": lang,
                    "language_probability": probability,
                    "device": used,
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
            "resumed_from": resumed_from,
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
            doc_id = _insert_document(conn, self.project.id, doc, digest, None, now())
            _insert_turns(conn, doc_id, turns)
            log.finish(conn, "done", result, document_id=doc_id, speakers=labels)
            self.project.audit(
                conn,
                "transcribe",
                document=job.name,
                source=job.path.name,
                model=model,
                language=lang,
                duration=round(duration, 1),
                segments=len(segments),
                speakers=len(voices),
                resumed_from=round(resumed_from, 1),
            )
        report.documents.append(
            TranscribedRow(
                document=job.name,
                source=job.path.name,
                duration=round(duration, 1),
                segments=len(segments),
                turns=len(turns),
                speakers=len(voices),
                language=lang,
                model=model,
                speed=speed,
                resumed_from=round(resumed_from, 1),
                device=f"{used} {compute}".strip(),
                run=log.id,
            )
        )

    # -- reading runs ------------------------------------------------------------------
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
                    segments=len(row.segments or []),
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
        """Rename one speaker of a document ("Speaker 1" -> "Interviewer"): the turns' speaker
        and the ``Speaker 1:`` label opening each of their lines, with codings carried along
        the text. Renaming into a name the document already has merges the two speakers.
        Returns how many turns changed."""
        from thematica.core.text_edits import Edit, apply_edits
        from thematica.services.text_rewrite import rewrite_document

        label = " ".join(new.split())
        if not label:
            raise InputError("the new speaker name is blank")
        if ":" in new or "\n" in new or "\r" in new:
            raise InputError(f"a speaker name may not contain ':' or a line break: {new!r}")
        if len(label) > 200:
            raise InputError("the new speaker name is over 200 characters")
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
                select(tr.speaker, tr.start).where(tr.document_id == doc_id).order_by(tr.position)
            ).all()
            mine = [turn for turn in turns if turn.speaker == old]
            if not mine:
                have = sorted({str(turn.speaker) for turn in turns if turn.speaker})
                raise InputError(
                    f"{old!r} is not a speaker of {document!r} (its speakers: "
                    f"{', '.join(have) or 'none'})"
                )
            if label == old:
                return 0
            prefix = f"{old}:"
            edits = [
                Edit(turn.start, turn.start + len(old), label)
                for turn in mine
                if text.startswith(prefix, turn.start)
            ]
            report = rewrite_document(conn, doc_id, apply_edits(text, edits))
            conn.execute(
                update(t.turn)
                .where(tr.document_id == doc_id, tr.speaker == old)
                .values(speaker=label)
            )
            _carry_speaker_case(conn, doc_id, old, label)
            self.project.audit(
                conn,
                "rename_speaker",
                document=document,
                old=old,
                new=label,
                turns=len(mine),
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


def _carry_speaker_case(conn: Any, doc_id: int, old: str, new: str) -> None:
    """A case mapped to the old label goes with the new one (unless the new one has its own)."""
    m = t.speaker_case.c
    mapped = dict(
        conn.execute(
            select(m.speaker, m.case_id).where(m.document_id == doc_id, m.speaker.in_([old, new]))
        ).all()
    )
    if old not in mapped:
        return
    if new in mapped:
        conn.execute(t.speaker_case.delete().where(m.document_id == doc_id, m.speaker == old))
    else:
        conn.execute(
            update(t.speaker_case)
            .where(m.document_id == doc_id, m.speaker == old)
            .values(speaker=new)
        )


def _length(seconds: float) -> str:
    """A recording's length in the unit a person would say it in."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
