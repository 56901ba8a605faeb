"""The ``transcript_run`` row of one recording: created before the model runs, fed segment by
segment in short transactions, so an interrupted transcription keeps what it heard and a later
call carries on from there instead of starting the hour-long file again.

Nothing here is a public operation: it runs inside ``project.transcription.transcribe``, which
has checked the permission.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["FLUSH_SECONDS", "FLUSH_SEGMENTS", "RunLog", "StoredRun", "find_unfinished"]

#: segments are written to the run row after this many new ones, or this many seconds
FLUSH_SEGMENTS = 10
FLUSH_SECONDS = 5.0

#: one segment as stored: [start, end, text, speaker-or-None]
Seg = list[Any]


@dataclass(slots=True)
class StoredRun:
    """An unfinished run found for a recording: what it heard so far."""

    id: int
    done_seconds: float
    segments: list[Seg] = field(default_factory=list)


def find_unfinished(
    conn: Connection, project_id: int, sha256: str, parameters: dict[str, Any]
) -> StoredRun | None:
    """The newest unfinished run of this recording with the same parameters (a resumed run
    must repeat them, or its two halves would not belong together)."""
    r = t.transcript_run.c
    rows = conn.execute(
        select(r.id, r.parameters, r.done_seconds, r.segments)
        .where(r.project_id == project_id, r.source_sha256 == sha256, r.status == "running")
        .order_by(r.id.desc())
    ).all()
    for row in rows:
        if dict(row.parameters or {}) == parameters:
            segments = [list(s) for s in (row.segments or [])]
            return StoredRun(int(row.id), float(row.done_seconds or 0.0), segments)
    return None


class RunLog:
    """Writes one run's progress: each flush is a transaction of its own."""

    def __init__(self, project: Project, run_id: int, segments: Sequence[Seg]) -> None:
        self.project = project
        self.id = run_id
        self.segments: list[Seg] = [list(s) for s in segments]
        self.done_seconds = float(self.segments[-1][1]) if self.segments else 0.0
        self._stored = len(self.segments)
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
        """A new run row, or the unfinished ``resume`` carried on (under the name now given)."""
        from thematica.services.project import now

        r = t.transcript_run
        with project.db.write() as conn:
            if resume is not None:
                conn.execute(
                    update(r)
                    .where(r.c.id == resume.id)
                    .values(document_name=document, source_name=source, source_path=source_path)
                )
                return cls(project, resume.id, resume.segments)
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

    def flush(self) -> None:
        """Store every segment heard so far (a short write transaction)."""
        if len(self.segments) == self._stored:
            return
        r = t.transcript_run
        with self.project.db.write() as conn:
            conn.execute(
                update(r)
                .where(r.c.id == self.id)
                .values(segments=self.segments, done_seconds=self.done_seconds)
            )
        self._stored = len(self.segments)
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
    never be carried on, so it is marked failed (the listing stops calling it running)."""
    r = t.transcript_run.c
    stale = [
        row.id
        for row in conn.execute(
            select(r.id, r.parameters).where(
                r.project_id == project_id, r.source_sha256 == sha256, r.status == "running"
            )
        )
        if dict(row.parameters or {}) == parameters
    ]
    if stale:
        conn.execute(
            update(t.transcript_run)
            .where(r.id.in_(stale))
            .values(status="failed", result={"warning": "started again without resuming"})
        )
