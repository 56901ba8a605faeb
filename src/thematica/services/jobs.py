"""``project.jobs``: long work (imports, reports, exports) run in the background with its
progress stored, so a page can show a progress bar without waiting on one request.

The job's row lives in the database, not in the process, so any worker of a multi-process
server answers "how far is it?" and serves the finished file. The work itself runs in a thread
of the process that started it, as the person who started it (every service call inside it
makes its own permission check); a user error ends the job as ``failed`` with the error's
one-line message, never a traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from thematica.core.access import Operation, Role
from thematica.core.errors import NotFoundError, ThematicaError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["JobResult", "JobRow", "Jobs", "Work"]

log = logging.getLogger("thematica.jobs")

#: progress is written at most this often (each write is a transaction)
PROGRESS_EVERY = 0.25


@dataclass(slots=True)
class JobResult:
    """What a finished job hands back: a file to download (``name``, ``data``) and/or a
    short message (how many documents were imported, say)."""

    message: str = ""
    name: str | None = None
    data: bytes | None = None


#: the work: called with a progress function (done, total, what) -> its result
Work = Callable[[Callable[[int, int, str], None]], JobResult]


@dataclass(slots=True)
class JobRow:
    id: int
    kind: str
    actor: str
    status: str
    done: int
    total: int | None
    message: str
    result_name: str | None
    created_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def _row(r: Any) -> JobRow:
    from thematica.services.project import _utc

    return JobRow(
        int(r.id),
        r.kind,
        r.actor,
        r.status,
        int(r.done or 0),
        None if r.total is None else int(r.total),
        r.message or "",
        r.result_name,
        _utc(r.created_at).isoformat(timespec="seconds"),
        _utc(r.finished_at).isoformat(timespec="seconds") if r.finished_at else None,
    )


class Jobs:
    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.READ)
    def start(self, kind: str, work: Work, *, wait: bool = False) -> int:
        """Record a job and run ``work`` in a background thread (``wait``: in this thread,
        for tests and the command line); returns the job's id. The caller has already made
        the permission check for what ``work`` does; the services it calls check again."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            job_id = int(
                conn.execute(
                    insert(t.job).values(
                        project_id=self.project.id,
                        kind=kind[:50],
                        actor=self.project.access.name,
                        status="running",
                        done=0,
                        message="",
                        created_at=now(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        if wait:
            self._run(job_id, work)
        else:
            threading.Thread(
                target=self._run, args=(job_id, work), name=f"thematica-job-{job_id}", daemon=True
            ).start()
        return job_id

    def _run(self, job_id: int, work: Work) -> None:
        from thematica.services.project import now

        last = [0.0]

        def progress(done: int, total: int, what: str) -> None:
            stamp = time.monotonic()
            if stamp - last[0] < PROGRESS_EVERY and done < total:
                return
            last[0] = stamp
            with self.project.db.write() as conn:
                conn.execute(
                    update(t.job)
                    .where(t.job.c.id == job_id)
                    .values(done=int(done), total=int(total), message=str(what)[:500])
                )

        values: dict[str, Any]
        try:
            result = work(progress)
            values = {
                "status": "done",
                "message": result.message[:2000],
                "result_name": result.name,
                "result": result.data,
            }
        except ThematicaError as exc:
            values = {"status": "failed", "message": (str(exc).splitlines() or [""])[0][:2000]}
        except Exception:  # a bug: logged in full for the operator, one line for the user
            log.exception("job %s failed", job_id)
            values = {"status": "failed", "message": "internal error (see the server's log)"}
        with self.project.db.write() as conn:
            conn.execute(
                update(t.job).where(t.job.c.id == job_id).values(finished_at=now(), **values)
            )

    def _visible(self, r: Any) -> bool:
        return r.actor == self.project.access.name or self.project.access.role is Role.OWNER

    @requires(Operation.READ)
    def get(self, job_id: int) -> JobRow:
        """A job of this project that the acting person started (owners see every job)."""
        j = t.job.c
        with self.project.db.read() as conn:
            r = conn.execute(
                select(*(c for c in t.job.c if c.name != "result")).where(
                    j.id == job_id, j.project_id == self.project.id
                )
            ).first()
        if r is None or not self._visible(r):
            raise NotFoundError(f"no job {job_id}", job=job_id)
        return _row(r)

    @requires(Operation.READ)
    def list(self, limit: int = 20) -> Table[JobRow]:
        j = t.job.c
        with self.project.db.read() as conn:
            rows = conn.execute(
                select(*(c for c in t.job.c if c.name != "result"))
                .where(j.project_id == self.project.id)
                .order_by(j.id.desc())
                .limit(max(1, limit) * 5)
            ).all()
        return Table.of(
            JobRow, [_row(r) for r in rows if self._visible(r)][: max(1, limit)], title="Jobs"
        )

    @requires(Operation.READ)
    def result(self, job_id: int) -> tuple[str, bytes]:
        """The finished job's file name and content."""
        job = self.get(job_id)
        with self.project.db.read() as conn:
            data = conn.scalar(select(t.job.c.result).where(t.job.c.id == job_id))
        if job.status != "done" or job.result_name is None or data is None:
            raise NotFoundError(f"job {job_id} has no file to download", job=job_id)
        return job.result_name, bytes(data)
