"""The ``transcript_run`` row of one recording: created before the model runs, fed segment by
segment in short transactions, so an interrupted transcription keeps what it heard and a later
call carries on from there instead of starting the hour-long file again. Also what comes before
a row exists (:func:`check_recordings`: every refusal, so a bad file or setup changes nothing)
and what keeps the rows in step with their documents (other runs' words dropped when a
document is stored, speaker labels renamed with the document's).

Nothing here is a public operation: it runs inside ``project.transcription.transcribe``, which
has checked the permission.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from thematica.core.errors import ConflictError, InputError
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.intake.audio import AudioInfo
    from thematica.services.project import Project

__all__ = [
    "FLUSH_SECONDS",
    "FLUSH_SEGMENTS",
    "Job",
    "RunLog",
    "Settings",
    "StoredRun",
    "blank_others",
    "check_recordings",
    "find_transcribed",
    "find_unfinished",
    "relabel_runs",
    "supersede",
]

#: segments are written to the run row after this many new ones, or this many seconds
FLUSH_SEGMENTS = 10
FLUSH_SECONDS = 5.0

#: one segment as stored: [start, end, text, speaker-or-None]
Seg = list[Any]
#: a resumed run starts listening up to this many seconds before the segment it hears again
RESUME_LEAD = 1.0
#: the longest document name a recording may get
NAME_LIMIT = 500


@dataclass(slots=True)
class Job:
    """One checked recording, ready to transcribe (or already transcribed as ``already``)."""

    path: Path
    name: str
    sha256: str
    info: AudioInfo
    already: str | None = None


@dataclass(slots=True)
class Settings:
    """What the caller asked for, the same for every file of one call."""

    model: str
    language: str | None
    speakers: int | None
    device: str
    resume: bool
    case: str | None
    pattern: re.Pattern[str] | None

    @property
    def parameters(self) -> dict[str, Any]:
        """What a resumed run must repeat (kept in the run row)."""
        return {
            "model": self.model,
            "language": self.language,
            "speakers": self.speakers,
            "device": self.device,
        }


def check_recordings(
    project: Project,
    paths: Sequence[str | Path],
    names: Sequence[str] | None,
    *,
    model: str,
    language: str | None,
    speakers: int | None,
    device: str,
    max_hours: float | None,
    resume: bool,
    case: str | None,
    case_pattern: str | None,
) -> tuple[Settings, list[Job]]:
    """Everything that can be refused, before any run row or model: the speech extra,
    device, model, language, case pattern, and each file (readable, not too long)."""
    from thematica.ai.model_files import joined_sha256
    from thematica.intake import audio, speech_models, transcriber
    from thematica.services.documents import compile_case_pattern

    speech_models.require_speech()
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
    transcriber.choose_device(device)
    limit = audio.MAX_HOURS_DEFAULT if max_hours is None else max_hours
    if not limit > 0:
        raise InputError(f"the length limit must be more than 0 hours, not {limit:g}")
    speech_models.check_language(model, language)
    if case is not None and not case.strip():
        raise InputError("the case name is blank", hint="case")
    pattern = (
        None if case else compile_case_pattern(case_pattern or project.settings.get("case_pattern"))
    )
    settings = Settings(
        model,
        language,
        speakers,
        device,
        resume,
        " ".join((case or "").split()) or None,
        pattern,
    )
    jobs: list[Job] = []
    taken: dict[str, Path] = {}
    for i, given in enumerate(paths):
        path = Path(given)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_file():
            raise InputError(f"{path}: not a file; give audio files")
        audio.check_suffix(path)
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
        if len(name) > NAME_LIMIT:
            raise InputError(
                f"{path.name}: the document name is over {NAME_LIMIT} characters", hint="name"
            )
        if name in taken:
            raise InputError(
                f"{taken[name].name} and {path.name} would both become document {name!r}; "
                "give each its own name",
                hint="name",
            )
        taken[name] = path
        jobs.append(Job(path, name, joined_sha256([path])[0], info))
    d = t.document.c
    with project.db.read() as conn:
        existing = set(
            conn.scalars(select(d.name).where(d.project_id == project.id, d.name.in_(list(taken))))
        )
        for job in jobs:
            if resume:
                job.already = find_transcribed(conn, project.id, job.sha256, model, language)
    for job in jobs:
        if job.already is None and job.name in existing:
            raise ConflictError(
                f"{job.path.name}: a document named {job.name!r} is already in the project; "
                "choose another name or remove the old document",
                hint="name",
                document=job.name,
            )
    if any(job.already is None for job in jobs):
        speech_models.model_dir(model)  # a missing package or a failed join: before any run
    return settings, jobs


@dataclass(slots=True)
class StoredRun:
    """An unfinished run found for a recording: what it heard so far."""

    id: int
    done_seconds: float
    segments: list[Seg] = field(default_factory=list)
    #: what the run noted while it went: the detected language, an error that stopped it
    result: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def complete(self) -> bool:
        """The model heard the whole file (the run stopped while storing the document)."""
        return self.duration > 0 and self.done_seconds >= self.duration - 0.01


def find_unfinished(
    conn: Connection, project_id: int, sha256: str, parameters: dict[str, Any]
) -> StoredRun | None:
    """The newest unfinished run of this recording with the same parameters (a resumed run
    must repeat them, or its two halves would not belong together)."""
    r = t.transcript_run.c
    rows = conn.execute(
        select(r.id, r.parameters, r.done_seconds, r.segments, r.result, r.duration)
        .where(r.project_id == project_id, r.source_sha256 == sha256, r.status == "running")
        .order_by(r.id.desc())
    ).all()
    for row in rows:
        if dict(row.parameters or {}) == parameters:
            return StoredRun(
                int(row.id),
                float(row.done_seconds or 0.0),
                [list(s) for s in (row.segments or [])],
                dict(row.result or {}),
                float(row.duration or 0.0),
            )
    return None


def find_transcribed(
    conn: Connection, project_id: int, sha256: str, model: str, language: str | None
) -> str | None:
    """The document a finished run of this recording (same model and language) made, while
    that document is still in the project: a batch run again skips the file."""
    r, d = t.transcript_run.c, t.document.c
    return conn.scalar(
        select(d.name)
        .select_from(t.transcript_run.join(t.document, d.id == r.document_id))
        .where(
            r.project_id == project_id,
            r.source_sha256 == sha256,
            r.status == "done",
            r.model == model,
            r.language.is_(None) if language is None else r.language == language,
        )
        .order_by(r.id.desc())
        .limit(1)
    )


def blank_others(conn: Connection, project_id: int, sha256: str, keep: int, why: str) -> int:
    """Empty the segments of every other run of this recording that made no document (failed,
    superseded, left running, skipped): the verbatim words would otherwise outlive the
    document's de-identification. Their segment count stays in ``result``; a run left running
    is closed as failed, since the recording now has its document. Returns how many."""
    r = t.transcript_run.c
    rows = conn.execute(
        select(r.id, r.status, r.segments, r.result).where(
            r.project_id == project_id,
            r.source_sha256 == sha256,
            r.id != keep,
            r.document_id.is_(None),
        )
    ).all()
    n = 0
    for row in rows:
        if not row.segments and row.status != "running":
            continue
        result = dict(row.result or {})
        result.setdefault("segments", len(row.segments or []))
        values: dict[str, Any] = {"segments": [], "result": result}
        if row.status == "running":
            values["status"] = "failed"
            result["warning"] = why
        conn.execute(update(t.transcript_run).where(r.id == row.id).values(**values))
        n += 1
    return n


def resume_point(segments: Sequence[Seg]) -> float:
    """Where a resumed run listens again when it drops its last segment: up to
    :data:`RESUME_LEAD` seconds before that segment's start, in the pause after the segment
    before it. Whisper hears a sentence that begins abruptly much worse (tiny.en, started at
    the first word of "About six years at the needle exchange", heard "I'm out six years and
    I'm gonna need a left change"), and the pause holds no kept words."""
    start = float(segments[-1][0])
    before = float(segments[-2][1]) if len(segments) > 1 else 0.0
    return max(min(before, start), start - RESUME_LEAD, 0.0)


class RunLog:
    """Writes one run's progress: each flush is a transaction of its own."""

    def __init__(
        self,
        project: Project,
        run_id: int,
        segments: Sequence[Seg],
        *,
        done_seconds: float | None = None,
        noted: dict[str, Any] | None = None,
    ) -> None:
        self.project = project
        self.id = run_id
        self.segments: list[Seg] = [list(s) for s in segments]
        self.done_seconds = (
            float(done_seconds)
            if done_seconds is not None
            else (float(self.segments[-1][1]) if self.segments else 0.0)
        )
        #: what the run has noted so far (the first language detected), kept in ``result``
        self.noted: dict[str, Any] = dict(noted or {})
        self._stored = len(self.segments)
        self._dirty = False
        self._flushed_at = time.monotonic()

    @classmethod
    def start(
        cls,
        project: Project,
        *,
        source: str,
        source_path: str,
        sha256: str,
        document: str,
        model: str,
        language: str | None,
        parameters: dict[str, Any],
        duration: float,
        resume: StoredRun | None,
    ) -> RunLog:
        """A new run row, or the unfinished ``resume`` carried on (under the name now given).

        A resumed run drops its last segment and listens again from that segment's start:
        Whisper's segment ends are only good to about half a second, so carrying on from an
        end could cut a word in two or hear it twice. A run that had heard the whole file
        keeps everything (there is nothing left to listen to)."""
        from thematica.services.project import now

        r = t.transcript_run
        with project.db.write() as conn:
            if resume is not None:
                segments, done = resume.segments, resume.done_seconds
                if segments and not resume.complete:
                    segments, done = segments[:-1], resume_point(segments)
                elif not segments:
                    done = 0.0
                kept = {k: v for k, v in resume.result.items() if k != "error"}
                conn.execute(
                    update(r)
                    .where(r.c.id == resume.id)
                    .values(
                        document_name=document,
                        source_name=source,
                        source_path=source_path,
                        segments=segments,
                        done_seconds=done,
                        result=kept,
                    )
                )
                return cls(project, resume.id, segments, done_seconds=done, noted=kept)
            run_id = conn.execute(
                insert(r).values(
                    project_id=project.id,
                    source_name=source,
                    source_sha256=sha256,
                    source_path=source_path,
                    document_name=document,
                    model=model,
                    language=language,
                    parameters=parameters,
                    status="running",
                    duration=duration,
                    done_seconds=0.0,
                    segments=[],
                    actor=project.access.name,
                    started_at=now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        return cls(project, int(run_id), [])

    def add(self, start: float, end: float, text: str) -> None:
        """One more segment heard; written when enough have gathered."""
        self.segments.append([round(start, 3), round(end, 3), text, None])
        self.done_seconds = max(self.done_seconds, float(end))
        waited = time.monotonic() - self._flushed_at
        if len(self.segments) - self._stored >= FLUSH_SEGMENTS or waited >= FLUSH_SECONDS:
            self.flush()

    def note(self, **facts: Any) -> None:
        """Keep facts about the run in its ``result`` (written with the next flush)."""
        self.noted.update(facts)
        self._dirty = True

    def heard_all(self, duration: float) -> None:
        """The model reached the end of the file: a later resume listens to nothing again."""
        self.done_seconds = max(self.done_seconds, float(duration))
        self._dirty = True
        self.flush()

    def keep_error(self, message: str) -> None:
        """The run stopped on an error: it stays ``running`` (resumable), the error noted."""
        self.note(error=message)
        self.flush()

    def flush(self) -> None:
        """Store every segment heard so far (a short write transaction)."""
        if len(self.segments) == self._stored and not self._dirty:
            return
        r = t.transcript_run
        with self.project.db.write() as conn:
            conn.execute(
                update(r)
                .where(r.c.id == self.id)
                .values(
                    segments=self.segments,
                    done_seconds=self.done_seconds,
                    result=dict(self.noted),
                )
            )
        self._stored = len(self.segments)
        self._dirty = False
        self._flushed_at = time.monotonic()

    def close(self, status: str, result: dict[str, Any]) -> None:
        """Mark the run done or failed in a transaction of its own (no document made)."""
        with self.project.db.write() as conn:
            self.finish(conn, status, result)

    def finish(
        self,
        conn: Connection,
        status: str,
        result: dict[str, Any],
        *,
        document_id: int | None = None,
        speakers: Sequence[str | None] | None = None,
    ) -> None:
        """Mark the run finished inside the caller's transaction; ``speakers`` fills the
        fourth slot of each segment with the label the diarizer gave it."""
        from thematica.services.project import now

        if speakers is not None:
            for seg, label in zip(self.segments, speakers, strict=False):
                seg[3] = label
        r = t.transcript_run
        conn.execute(
            update(r)
            .where(r.c.id == self.id)
            .values(
                status=status,
                result=result,
                segments=self.segments,
                done_seconds=self.done_seconds,
                document_id=document_id,
                finished_at=now(),
            )
        )
        self._stored = len(self.segments)


def supersede(conn: Connection, project_id: int, sha256: str, parameters: dict[str, Any]) -> None:
    """``--no-resume``: an older unfinished run of the same recording and parameters will
    never be carried on, so it is marked failed (the listing stops calling it running) and
    its words are dropped (their count stays)."""
    r = t.transcript_run.c
    for row in conn.execute(
        select(r.id, r.parameters, r.segments).where(
            r.project_id == project_id, r.source_sha256 == sha256, r.status == "running"
        )
    ).all():
        if dict(row.parameters or {}) != parameters:
            continue
        conn.execute(
            update(t.transcript_run)
            .where(r.id == row.id)
            .values(
                status="failed",
                segments=[],
                result={
                    "warning": "started again without resuming",
                    "segments": len(row.segments or []),
                },
            )
        )


def relabel_runs(conn: Any, doc_id: int, changes: Mapping[str, str]) -> None:
    """The speaker slot of the segments kept in the document's run rows follows a rename."""
    r = t.transcript_run.c
    for row in conn.execute(select(r.id, r.segments).where(r.document_id == doc_id)).all():
        segments = [list(s) for s in (row.segments or [])]
        touched = False
        for seg in segments:
            if len(seg) > 3 and seg[3] in changes:
                seg[3] = changes[seg[3]]
                touched = True
        if touched:
            conn.execute(update(t.transcript_run).where(r.id == row.id).values(segments=segments))


def _length(seconds: float) -> str:
    """A recording's length in the unit a person would say it in."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"
