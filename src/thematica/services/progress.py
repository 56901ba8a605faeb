"""``project.progress``: how far each coder is with each document, the way a team lead checks
a coding sheet — and the statuses coders set ("done", "in progress").

Counts are not content (``core/access.py``): how many codings each coder layer holds in a
document, and whether its coder marked the document done, are visible to every member. Which
passages a layer coded is content: the share of turns a layer touched is given only for the
layers the acting person may read (while coding is blind, a coder's own layer and consensus
layers; an owner reads every layer).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update

from thematica.core.access import Operation, Role, may_write_layer
from thematica.core.errors import InputError, NotFoundError
from thematica.services.access import requires
from thematica.services.coders import check_coder_name
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from thematica.services.project import Project

__all__ = [
    "STATUSES",
    "AttributeColumn",
    "AuditFacets",
    "CoderColumn",
    "CoderProgress",
    "DocumentProgress",
    "Overview",
    "Progress",
    "count_words",
]

#: what a coder may say about a document, as given -> as stored (None: nothing stored)
_STATUS_IN: dict[str, str | None] = {
    "done": "done",
    "in progress": "started",
    "started": "started",
    "not started": None,
    "none": None,
    "": None,
}
#: as stored -> as shown
_STATUS_OUT = {"done": "done", "started": "in progress"}
#: the statuses a coder chooses from
STATUSES = ("in progress", "done")

#: a word: a run of non-space characters with at least one letter or digit in it
_WORD = re.compile(r"[^\s]*[^\W_][^\s]*")
#: document text hash -> word count (texts do not change once imported)
_WORDS: dict[str, int] = {}
_WORDS_MAX = 20_000


def count_words(text: str) -> int:
    """Words as a word processor counts them: whitespace-separated, punctuation alone is not
    a word."""
    return sum(1 for _ in _WORD.finditer(text))


def _shown(stored: str | None) -> str | None:
    return None if stored is None else _STATUS_OUT.get(stored, stored)


@dataclass(slots=True)
class CoderProgress:
    """One coder layer in one document. ``coded_turns``/``coverage`` (share of the document's
    turns with at least one coding of this layer) are None where the layer may not be read."""

    coder: str
    codings: int
    status: str | None
    coded_turns: int | None = None
    coverage: float | None = None


@dataclass(slots=True)
class DocumentProgress:
    document: str
    case: str | None
    attributes: dict[str, str | None]
    format: str
    characters: int
    words: int
    turns: int
    speakers: list[str]
    imported_at: str
    coders: list[CoderProgress] = field(default_factory=list)


@dataclass(slots=True)
class CoderColumn:
    """A coder layer as a column of the overview: whether the acting person may read it
    (then coverage is given), whether it is theirs, and its totals."""

    name: str
    kind: str
    readable: bool
    mine: bool
    codings: int
    documents_done: int


@dataclass(slots=True)
class AttributeColumn:
    name: str
    type: str
    #: the values' order for an ordinal attribute (None: sort as text or numbers)
    order: list[str] | None


@dataclass(slots=True)
class Overview:
    documents: list[DocumentProgress]
    coders: list[CoderColumn]
    attributes: list[AttributeColumn]
    #: the statuses a coder may set
    statuses: list[str] = field(default_factory=lambda: list(STATUSES))


@dataclass(slots=True)
class AuditFacets:
    """What the audit log holds: its kinds of change and the people who made them."""

    actions: list[str]
    actors: list[str]


def _merged_length(spans: list[tuple[int, int]]) -> int:
    """How many integers the inclusive ranges cover together."""
    total, last = 0, -1
    for lo, hi in sorted(spans):
        lo = max(lo, last + 1)
        if hi >= lo:
            total += hi - lo + 1
            last = hi
    return total


class Progress:
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- reading ------------------------------------------------------------------------
    @requires(Operation.READ)
    def overview(self, documents: Sequence[str] | None = None) -> Overview:
        """Every document (or those named) with its case and attributes, its size, and each
        coder layer's codings, coverage of turns (readable layers only) and status."""
        pid = self.project.id
        d = t.document.c
        with self.project.db.read() as conn:
            stmt = select(d.id, d.name, d.source_format, d.length, d.sha256, d.imported_at).where(
                d.project_id == pid
            )
            if documents is not None:
                stmt = stmt.where(d.name.in_(list(documents)))
            docs = conn.execute(stmt.order_by(d.name)).all()
            if documents is not None:
                missing = sorted(set(documents) - {r.name for r in docs})
                if missing:
                    raise NotFoundError(
                        f"no document named {', '.join(map(repr, missing))} "
                        f"in project {self.project.name!r}"
                    )
            ids = [int(r.id) for r in docs]
            cases = self.project.documents.case_names(conn)
            infos = self.project.cases.attribute_info(conn)
            values = self.project.cases.values(conn) if infos else {}
            words = self._words(conn, [(int(r.id), str(r.sha256)) for r in docs])
            turns = self._turns(conn, ids)
            speakers = self._speakers(conn, ids)
            columns, layer_ids = self._coders(conn)
            counts: dict[tuple[int, int], int] = {}
            spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
            readable = {
                layer_ids[col.name] for col in columns if col.readable and col.name in layer_ids
            }
            c = t.coding.c
            if ids and layer_ids:
                for doc_id, coder_id, n in conn.execute(
                    select(c.document_id, c.coder_id, func.count())
                    .where(c.project_id == pid, c.document_id.in_(ids))
                    .group_by(c.document_id, c.coder_id)
                ):
                    counts[(int(doc_id), int(coder_id))] = int(n)
                if readable:
                    for doc_id, coder_id, start, end in conn.execute(
                        select(c.document_id, c.coder_id, c.start, c.end).where(
                            c.project_id == pid,
                            c.document_id.in_(ids),
                            c.coder_id.in_(sorted(readable)),
                        )
                    ):
                        spans.setdefault((int(doc_id), int(coder_id)), []).append(
                            (int(start), int(end))
                        )
            statuses: dict[tuple[int, str], str] = {}
            if ids:
                p = t.document_progress.c
                for doc_id, coder, status in conn.execute(
                    select(p.document_id, p.coder, p.status).where(p.document_id.in_(ids))
                ):
                    statuses[(int(doc_id), str(coder))] = str(status)
        from thematica.services.project import _utc

        rows: list[DocumentProgress] = []
        for r in docs:
            doc_id = int(r.id)
            starts, ends = turns.get(doc_id, ([], []))
            case = cases.get(doc_id)
            row = DocumentProgress(
                document=r.name,
                case=case,
                attributes=dict(values.get(case, {})) if case else {a.name: None for a in infos},
                format=r.source_format,
                characters=int(r.length),
                words=words[doc_id],
                turns=len(starts),
                speakers=speakers.get(doc_id, []),
                imported_at=_utc(r.imported_at).isoformat(timespec="seconds"),
            )
            for col in columns:
                layer = layer_ids.get(col.name)
                n = counts.get((doc_id, layer), 0) if layer is not None else 0
                progress = CoderProgress(col.name, n, _shown(statuses.get((doc_id, col.name))))
                if col.readable:
                    coded = 0
                    if layer is not None:
                        coded = self._coded_turns(spans.get((doc_id, layer), []), starts, ends)
                    progress.coded_turns = coded
                    progress.coverage = coded / len(starts) if starts else None
                row.coders.append(progress)
            rows.append(row)
        for col in columns:
            col.documents_done = sum(
                1
                for row in rows
                for cp in row.coders
                if cp.coder == col.name and cp.status == "done"
            )
        attributes = [
            AttributeColumn(a.name, a.type.value, list(a.order) if a.order else None) for a in infos
        ]
        return Overview(rows, columns, attributes)

    @staticmethod
    def _coded_turns(spans: list[tuple[int, int]], starts: list[int], ends: list[int]) -> int:
        """How many turns (sorted, non-overlapping) share at least one character with a span."""
        ranges = []
        for start, end in spans:
            first = bisect_right(ends, start)  # the first turn ending after the span starts
            last = bisect_left(starts, end) - 1  # the last turn starting before it ends
            if first <= last:
                ranges.append((first, last))
        return _merged_length(ranges)

    def _words(self, conn: Connection, docs: list[tuple[int, str]]) -> dict[int, int]:
        """Word counts by document id; texts are read only for documents not counted yet."""
        out = {doc_id: _WORDS[sha] for doc_id, sha in docs if sha in _WORDS}
        todo = {doc_id: sha for doc_id, sha in docs if doc_id not in out}
        if todo:
            d = t.document.c
            for doc_id, text in conn.execute(select(d.id, d.text).where(d.id.in_(list(todo)))):
                n = count_words(text)
                out[int(doc_id)] = n
                if len(_WORDS) >= _WORDS_MAX:
                    _WORDS.clear()
                _WORDS[todo[int(doc_id)]] = n
        return out

    @staticmethod
    def _turns(conn: Connection, ids: list[int]) -> dict[int, tuple[list[int], list[int]]]:
        out: dict[int, tuple[list[int], list[int]]] = {}
        if not ids:
            return out
        u = t.turn.c
        for doc_id, start, end in conn.execute(
            select(u.document_id, u.start, u.end)
            .where(u.document_id.in_(ids))
            .order_by(u.document_id, u.start)
        ):
            starts, ends = out.setdefault(int(doc_id), ([], []))
            starts.append(int(start))
            ends.append(int(end))
        return out

    @staticmethod
    def _speakers(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
        """Each document's distinct speakers, in order of first appearance."""
        out: dict[int, list[str]] = {}
        if not ids:
            return out
        u = t.turn.c
        first = (
            select(u.document_id, u.speaker, func.min(u.position).label("at"))
            .where(u.document_id.in_(ids), u.speaker.is_not(None))
            .group_by(u.document_id, u.speaker)
            .order_by(u.document_id, "at")
        )
        for doc_id, speaker, _at in conn.execute(first):
            out.setdefault(int(doc_id), []).append(str(speaker))
        return out

    def _coders(self, conn: Connection) -> tuple[list[CoderColumn], dict[str, int]]:
        """The overview's coder columns: every coder layer, every member with the coder role
        (before they code), and anyone who set a status; with totals. Human coders first."""
        pid = self.project.id
        k, c = t.coder.c, t.coding.c
        layers = conn.execute(select(k.id, k.name, k.kind).where(k.project_id == pid)).all()
        totals: dict[int, int] = {
            int(coder_id): int(n)
            for coder_id, n in conn.execute(
                select(c.coder_id, func.count()).where(c.project_id == pid).group_by(c.coder_id)
            )
        }
        kinds = {str(r.name): str(r.kind) for r in layers}
        ids = {str(r.name): int(r.id) for r in layers}
        m, u = t.project_member.c, t.user_account.c
        for name in conn.scalars(
            select(u.name)
            .join(t.project_member, m.user_id == u.id)
            .where(m.project_id == pid, m.role == Role.CODER.value)
        ):
            kinds.setdefault(str(name), "human")
        p, d = t.document_progress.c, t.document.c
        for name in conn.scalars(
            select(p.coder)
            .distinct()
            .join(t.document, d.id == p.document_id)
            .where(d.project_id == pid)
        ):
            kinds.setdefault(str(name), "human")
        order = {"human": 0, "imported": 1, "ai": 2, "consensus": 3}
        me = self.project.access.name.casefold()
        columns = [
            CoderColumn(
                name,
                kind,
                self.project.access.may_read_layer(name, kind),
                name.casefold() == me,
                int(totals.get(ids[name], 0)) if name in ids else 0,
                0,
            )
            for name, kind in sorted(
                kinds.items(), key=lambda nk: (order.get(nk[1], 9), nk[0].casefold())
            )
        ]
        return columns, ids

    @requires(Operation.READ)
    def audit_facets(self) -> AuditFacets:
        """The kinds of change in the project's audit log and who made them (for a filter)."""
        a = t.audit_log.c
        with self.project.db.read() as conn:
            actions = conn.scalars(
                select(a.action).distinct().where(a.project_id == self.project.id)
            ).all()
            actors = conn.scalars(
                select(a.actor)
                .distinct()
                .where(a.project_id == self.project.id, a.actor.is_not(None))
            ).all()
        return AuditFacets(sorted(map(str, actions)), sorted(map(str, actors), key=str.casefold))

    # -- writing ------------------------------------------------------------------------
    @requires(Operation.CODE)
    def set_status(
        self, document: str, status: str | None, *, coder: str | None = None
    ) -> str | None:
        """Say how far coder layer ``coder`` (default: the acting person's own) is with
        ``document``: ``"done"``, ``"in progress"``, or ``"not started"`` (clears it).
        A coder sets only their own layer's status; returns the status as now stored."""
        from thematica.services.project import now

        layer = check_coder_name(coder or self.project.access.name)
        if not may_write_layer(self.project.access.actor, layer):
            raise self.project.access.refuse(
                f"set the status of coder layer {layer!r}", operation="write_layer", layer=layer
            )
        key = " ".join((status or "").strip().lower().replace("_", " ").split())
        if key not in _STATUS_IN:
            raise InputError(
                f"unknown status {status!r}; choose one of: {', '.join(STATUSES)}, not started",
                status=status,
            )
        stored = _STATUS_IN[key]
        p = t.document_progress.c
        with self.project.db.write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            self._check_layer(conn, layer)
            where = (p.document_id == doc_id, p.coder == layer)
            old = conn.scalar(select(p.status).where(*where))
            if stored is None:
                conn.execute(delete(t.document_progress).where(*where))
            elif old is None:
                conn.execute(
                    insert_ignoring_duplicates(conn, t.document_progress).values(
                        document_id=doc_id, coder=layer, status=stored, updated_at=now()
                    )
                )
            elif old != stored:
                conn.execute(
                    update(t.document_progress)
                    .where(*where)
                    .values(status=stored, updated_at=now())
                )
            if old != stored:
                self.project.audit(
                    conn,
                    "document_status",
                    coder=layer,
                    document=document,
                    old=_shown(old),
                    new=_shown(stored),
                )
        return _shown(stored)

    def _check_layer(self, conn: Connection, layer: str) -> None:
        """A status belongs to a human coder: an existing non-consensus layer, or a member."""
        k = t.coder.c
        kind = conn.scalar(select(k.kind).where(k.project_id == self.project.id, k.name == layer))
        if kind == "consensus":
            raise InputError(
                f"{layer!r} is a consensus layer; its progress is the consensus workflow's",
                layer=layer,
            )
        if kind is not None or layer == self.project.access.name:
            return
        m, u = t.project_member.c, t.user_account.c
        member = conn.scalar(
            select(func.count())
            .select_from(t.project_member)
            .join(t.user_account, u.id == m.user_id)
            .where(m.project_id == self.project.id, u.name == layer)
        )
        if not member:
            raise NotFoundError(f"no coder or member named {layer!r}", coder=layer)
