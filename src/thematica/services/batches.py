"""Coding batches: every bulk operation is one undoable unit with an id.

A bulk operation (a coding table, auto-coding, a codings CSV, applying a consensus table) opens
a ``coding_batch`` row inside its own transaction and stamps ``coding.batch_id`` on each coding
it *adds*. Codings it found already present are skipped and keep their own (or no) batch id, so
undoing the batch removes exactly what it added and never a coding that existed before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

__all__ = ["BatchRow", "Batches", "UndoReport"]

_SUMMARY_WIDTH = 80


@dataclass(slots=True)
class BatchRow:
    id: int
    at: str
    operation: str
    coder: str | None
    added: int
    parameters: str
    undone: str | None


@dataclass(slots=True)
class UndoReport:
    batch: int
    operation: str
    coder: str | None
    added: int  # what the batch added
    removed: int  # what undo removed: the batch's codings that still existed


def summarise(parameters: dict[str, Any]) -> str:
    """One short line of ``key=value`` pairs for the listing (the log keeps the whole)."""
    parts = []
    for key, value in parameters.items():
        if value is None or value == [] or value is False:
            continue
        shown = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    text = "; ".join(parts)
    return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 3] + "..."


class Batches:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- used by bulk operations, inside their own transaction -----------------------------
    def open(
        self,
        conn: Connection,
        operation: str,
        coder: str | None,
        parameters: dict[str, Any],
        actor: str | None = None,
    ) -> int:
        """Start a batch inside the caller's transaction; stamp its id on every added coding
        (``coding.batch_id``) and call :meth:`finish` with the count before committing."""
        from thematica.services.project import now

        batch_id = conn.execute(
            insert(t.coding_batch).values(
                project_id=self.project.id,
                operation=operation,
                coder=coder,
                actor=self.project.access.name,  # who ran it; ``actor`` only goes to the log
                parameters=parameters,
                added=0,
                created_at=now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        return int(batch_id)

    def finish(self, conn: Connection, batch_id: int, added: int) -> None:
        conn.execute(
            update(t.coding_batch).where(t.coding_batch.c.id == batch_id).values(added=added)
        )

    # -- reading -----------------------------------------------------------------------------
    @requires(Operation.READ)
    def list(self) -> Table[BatchRow]:
        """Every batch of the project, oldest first."""
        b = t.coding_batch.c
        with self.project.db.read() as conn:
            rows = [
                BatchRow(
                    r.id,
                    r.created_at.isoformat(timespec="seconds"),
                    r.operation,
                    r.coder,
                    r.added,
                    summarise(r.parameters or {}),
                    r.undone_at.isoformat(timespec="seconds") if r.undone_at else None,
                )
                for r in conn.execute(
                    select(t.coding_batch).where(b.project_id == self.project.id).order_by(b.id)
                )
            ]
        return Table.of(BatchRow, rows, title="Coding batches")

    # -- undo --------------------------------------------------------------------------------
    @requires(Operation.DELETE)
    def undo(self, batch_id: int, *, actor: str | None = None) -> UndoReport:
        """Remove the codings a batch added that still exist, in one logged transaction.

        Codings the batch skipped as already present were never stamped with its id, so they
        stay. A batch can be undone once; consensus decisions the batch recorded are handed to
        the consensus service (``undo_batch``) when it offers that, in the same transaction.
        """
        from thematica.services.project import now

        b = t.coding_batch.c
        with self.project.db.write() as conn:
            row = conn.execute(
                select(t.coding_batch).where(b.id == batch_id, b.project_id == self.project.id)
            ).first()
            if row is None:
                raise NotFoundError(f"no coding batch with id {batch_id}")
            if row.undone_at is not None:
                by = f" by {row.undone_by}" if row.undone_by else ""
                raise ConflictError(
                    f"batch {batch_id} ({row.operation}) was already undone "
                    f"{row.undone_at.isoformat(timespec='seconds')}{by}"
                )
            c = t.coding.c
            removed = int(
                conn.scalar(
                    select(func.count()).where(
                        c.project_id == self.project.id, c.batch_id == batch_id
                    )
                )
                or 0
            )
            conn.execute(
                delete(t.coding).where(c.project_id == self.project.id, c.batch_id == batch_id)
            )
            hook = getattr(self.project.consensus, "undo_batch", None)
            if row.operation.startswith("consensus") and callable(hook):
                hook(conn, batch_id)
            conn.execute(
                update(t.coding_batch)
                .where(b.id == batch_id)
                .values(undone_at=now(), undone_by=self.project.access.name)
            )
            self.project.audit(
                conn,
                "undo_batch",
                on_behalf_of=actor,
                batch=batch_id,
                operation=row.operation,
                coder=row.coder,
                added=row.added,
                removed=removed,
            )
        return UndoReport(batch_id, row.operation, row.coder, int(row.added), removed)
