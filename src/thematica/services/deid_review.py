"""The review queue's plumbing for :mod:`thematica.services.deid`: finding documents and
proposals, refusing overlaps, reading the key as rows.

No permission checks here: :class:`thematica.services.deid.Deid` checks and audits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from thematica.core.errors import InputError, NotFoundError
from thematica.services.deid_key import (
    ENTITY_TYPES,
    Resolver,
    key_lock,
    load_terms,
    stored_settings,
    templates,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.core.tables import Table
    from thematica.services.deid import DetectReport, KeyRow, ProposalRow
    from thematica.services.project import Project

STATUSES = ("proposed", "accepted", "rejected", "committed")
#: what a reviewer's own additions record as their recogniser
REVIEWER = "reviewer"
CONTEXT = 40


def texts(conn: Connection, doc_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(doc_ids))
    out: dict[int, str] = {}
    d = t.document.c
    for i in range(0, len(wanted), 500):
        out.update(
            (int(r.id), r.text)
            for r in conn.execute(select(d.id, d.text).where(d.id.in_(wanted[i : i + 500])))
        )
    return out


def check_span(text: str, start: int, end: int) -> None:
    if not 0 <= start < end <= len(text):
        raise InputError(
            f"span {start}-{end} is outside the document (0 to {len(text)}) or empty",
            start=start,
            end=end,
        )
    if not text[start:end].strip():
        raise InputError(f"span {start}-{end} holds only white space")


def occurrences(text: str, words: str, document: str) -> list[tuple[int, int]]:
    """Every whole-word occurrence of ``words`` (case ignored, any run of white space
    between words)."""
    parts = words.split()
    if not parts:
        raise InputError("the text to redact is empty")
    pattern = re.compile(
        r"(?<!\w)" + r"\s+".join(re.escape(p) for p in parts) + r"(?!\w)", re.IGNORECASE
    )
    spans = [m.span() for m in pattern.finditer(text)]
    if not spans:
        raise InputError(f"{' '.join(parts)!r} does not occur as whole words in {document!r}")
    return spans


def statuses(status: str | Sequence[str] | None) -> set[str]:
    if status is None:
        return set()
    names = [status] if isinstance(status, str) else list(status)
    names = [n.strip().lower() for name in names for n in name.split(",") if n.strip()]
    if "all" in names:
        return set()
    names = ["proposed" if n == "open" else n for n in names]
    bad = sorted(set(names) - set(STATUSES))
    if bad:
        raise InputError(
            f"unknown status {bad[0]!r}; choose {', '.join(STATUSES)} or all",
            choices=[*STATUSES, "all"],
        )
    return set(names)


def placeholder_pattern(
    plates: Mapping[str, str], own: Iterable[str | None]
) -> re.Pattern[str] | None:
    """Text that already is a placeholder (a template with any number, or a term's own)."""
    shapes = set()
    for plate in plates.values():
        shapes.add(re.escape(plate).replace(re.escape("{n}"), r"\d+"))
    shapes |= {re.escape(x) for x in own if x}
    if not shapes:
        return None
    return re.compile("|".join(sorted(shapes, key=lambda s: (-len(s), s))))


def refuse_committed(rows: Iterable[Any], verb: str) -> None:
    for row in rows:
        if row.status == "committed":
            raise InputError(
                f"proposal {row.id} is already committed: its text was replaced, "
                f"there is nothing left to {verb}"
            )


class ReviewBase:
    """The private half of :class:`thematica.services.deid.Deid`."""

    project: Project

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction that zeroes what it deletes (SQLite's ``secure_delete``):
        proposals and the key hold identifiers."""
        from thematica.services.deid_scrub import secure_delete

        with self.project.db.write() as conn, secure_delete(conn):
            yield conn

    def _documents(self, conn: Connection, names: Sequence[str] | None) -> list[tuple[int, str]]:
        """(id, name) of the documents named (all of them, by name, when None)."""
        d = t.document.c
        if names is None:
            return [
                (int(r.id), r.name)
                for r in conn.execute(
                    select(d.id, d.name).where(d.project_id == self.project.id).order_by(d.name)
                )
            ]
        out: dict[str, int] = {}
        for name in names:
            out[name] = self.project.documents.id_of(conn, name)
        return sorted(((i, n) for n, i in out.items()), key=lambda x: x[1])

    def _proposals(self, conn: Connection, ids: Iterable[int]) -> list[Any]:
        wanted = sorted({int(i) for i in ids})
        p = t.deid_proposal.c
        rows = conn.execute(
            select(t.deid_proposal)
            .where(p.project_id == self.project.id, p.id.in_(wanted))
            .order_by(p.id)
        ).all()
        missing = sorted(set(wanted) - {int(r.id) for r in rows})
        if missing:
            shown = ", ".join(map(str, missing[:5]))
            raise NotFoundError(f"no de-identification proposal {shown}", ids=missing)
        return list(rows)

    def _accepted(self, conn: Connection, doc_id: int, exclude: Iterable[int] = ()) -> list[Any]:
        p = t.deid_proposal.c
        skip = set(exclude)
        return [
            r
            for r in conn.execute(
                select(p.id, p.start, p.end).where(p.document_id == doc_id, p.status == "accepted")
            )
            if r.id not in skip
        ]

    def _refuse_overlap(
        self, conn: Connection, doc_id: int, start: int, end: int, exclude: Iterable[int] = ()
    ) -> None:
        for r in self._accepted(conn, doc_id, exclude):
            if r.start < end and start < r.end:
                raise InputError(
                    f"span {start}-{end} overlaps accepted proposal {r.id} ({r.start}-{r.end}): "
                    "reject or edit that one first"
                )

    def _refuse_overlaps(self, conn: Connection, rows: Sequence[Any]) -> None:
        """Accepting ``rows`` must leave no two accepted proposals of a document overlapping."""
        by_doc: dict[int, list[Any]] = {}
        for r in rows:
            by_doc.setdefault(int(r.document_id), []).append(r)
        for doc_id, chosen in by_doc.items():
            ids = {r.id for r in chosen}
            spans = sorted(
                [(r.start, r.end, r.id) for r in self._accepted(conn, doc_id, ids)]
                + [(r.start, r.end, r.id) for r in chosen]
            )
            for (s1, e1, i1), (s2, e2, i2) in pairwise(spans):
                if s2 < e1:
                    raise InputError(
                        f"proposals {i1} ({s1}-{e1}) and {i2} ({s2}-{e2}) overlap: "
                        "accept one of them, or edit a span first"
                    )

    def _open_without_overlaps(
        self, conn: Connection, doc_id: int | None, *, only: set[int] | None = None
    ) -> tuple[list[int], int]:
        """Ids of the open proposals to accept (of one document, of ``only``'s documents, or
        all) such that none overlaps an accepted one: the earlier, then longer, wins."""
        p = t.deid_proposal.c
        stmt = select(p.id, p.document_id, p.start, p.end, p.status).where(
            p.project_id == self.project.id, p.status.in_(("proposed", "accepted"))
        )
        if doc_id is not None:
            stmt = stmt.where(p.document_id == doc_id)
        by_doc: dict[int, list[Any]] = {}
        for r in conn.execute(stmt):
            if only is None or r.document_id in only:
                by_doc.setdefault(int(r.document_id), []).append(r)
        chosen: list[int] = []
        skipped = 0
        for rows in by_doc.values():
            taken = [(r.start, r.end) for r in rows if r.status == "accepted"]
            for r in sorted(
                (r for r in rows if r.status == "proposed"),
                key=lambda r: (r.start, -(r.end - r.start), r.id),
            ):
                if any(s < r.end and r.start < e for s, e in taken):
                    skipped += 1
                    continue
                taken.append((r.start, r.end))
                chosen.append(int(r.id))
        return sorted(chosen), skipped

    def _decide(self, conn: Connection, ids: Sequence[int], status: str) -> None:
        from thematica.services.project import now

        p = t.deid_proposal.c
        at = now()
        for i in range(0, len(ids), 500):
            conn.execute(
                update(t.deid_proposal)
                .where(p.id.in_(list(ids[i : i + 500])))
                .values(status=status, decided_by=self.project.access.name, decided_at=at)
            )

    def _add_spans(
        self,
        conn: Connection,
        doc_id: int,
        body: str,
        spans: Sequence[tuple[int, int]],
        kind: str,
        own: str | None,
    ) -> list[int]:
        """Store a reviewer's spans as accepted proposals; a span already proposed (open or
        rejected) becomes that proposal; one covered by an accepted or committed proposal,
        or by a placeholder already in the text, is left out."""
        from thematica.services.project import now

        p = t.deid_proposal.c
        existing = conn.execute(
            select(p.id, p.start, p.end, p.status).where(p.document_id == doc_id)
        ).all()
        taken = [(r.start, r.end) for r in existing if r.status in ("accepted", "committed")]
        same = {(r.start, r.end): int(r.id) for r in existing if r.status != "committed"}
        at, actor = now(), self.project.access.name
        ids: list[int] = []
        for start, end in spans:
            if any(s < end and start < e for s, e in taken):
                continue
            values: dict[str, Any] = dict(
                start=start,
                end=end,
                text=body[start:end],
                entity_type=kind,
                placeholder=own,
                status="accepted",
                decided_by=actor,
                decided_at=at,
            )
            if (start, end) in same:
                pid = same[(start, end)]
                conn.execute(update(t.deid_proposal).where(p.id == pid).values(**values))
            else:
                pid = conn.execute(
                    insert(t.deid_proposal).values(
                        project_id=self.project.id,
                        document_id=doc_id,
                        score=1.0,
                        recogniser=REVIEWER,
                        created_by=actor,
                        created_at=at,
                        **values,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            taken.append((start, end))
            ids.append(int(pid))
        return ids

    def _row(self, proposal_id: int) -> ProposalRow:
        from thematica.services.deid import ProposalRow

        p, d = t.deid_proposal.c, t.document.c
        with self.project.db.read() as conn:
            r = conn.execute(
                select(t.deid_proposal, d.name.label("document"), d.text.label("body"))
                .join(t.document, d.id == p.document_id)
                .where(p.id == proposal_id)
            ).one()
        row = ProposalRow(
            id=int(r.id),
            document=r.document,
            start=int(r.start),
            end=int(r.end),
            text=r.text,
            entity_type=r.entity_type,
            placeholder=r.placeholder or "",
            score=float(r.score),
            recogniser=r.recogniser,
            status=r.status,
            before=r.body[max(0, r.start - CONTEXT) : r.start],
            after=r.body[r.end : r.end + CONTEXT],
        )
        if row.status != "committed":
            # the placeholder commit would write, predicted as the list predicts it (a row
            # fresh from add or edit must not show an empty one)
            listing = getattr(self, "list", None)
            if listing is not None:
                for other in listing(document=row.document).rows:
                    if other.id == row.id:
                        row.placeholder = other.placeholder
                        break
        return row

    def _uses(self, conn: Connection) -> dict[int, int]:
        """Occurrences written per key term: committed proposals carry the placeholder they
        wrote; a placeholder several terms share (``[date]``) counts for each of them."""
        p = t.deid_proposal.c
        written: dict[tuple[str, str], int] = {
            (r.entity_type, r.placeholder): int(r.n)
            for r in conn.execute(
                select(p.entity_type, p.placeholder, func.count().label("n"))
                .where(p.project_id == self.project.id, p.status == "committed")
                .group_by(p.entity_type, p.placeholder)
            )
        }
        plates = templates(stored_settings(conn, self.project.id))
        resolver = Resolver(key_lock(conn, self.project.id, None), {}, plates)
        out = {}
        for term in load_terms(conn, self.project.id).values():
            shown = resolver.term_placeholder(term)
            out[term.id] = written.get((term.entity_type, shown), 0) if shown else 0
        return out

    def _key_rows(self, passphrase: str | None, *, known_only: bool, title: str) -> Table[KeyRow]:
        from thematica.core.tables import Table
        from thematica.services.deid import KeyRow

        pid = self.project.id
        with self.project.db.read() as conn:
            lock = key_lock(conn, pid, passphrase)
            terms = load_terms(conn, pid)
            plates = templates(stored_settings(conn, pid))
            uses = self._uses(conn)
        resolver = Resolver(lock, terms, plates)
        rows: list[KeyRow] = []
        order = ENTITY_TYPES.index
        for term in sorted(
            terms.values(), key=lambda x: (order(x.entity_type), x.number == 0, x.number, x.id)
        ):
            if known_only and not term.known:
                continue
            rows.append(
                KeyRow(
                    term.entity_type,
                    lock.open(term.stored, term.encrypted),
                    resolver.term_placeholder(term) or "",
                    term.known,
                    uses.get(term.id, 0),
                )
            )
        return Table.of(KeyRow, rows, title=title)

    def _store_findings(
        self,
        conn: Connection,
        doc_id: int,
        found: Sequence[tuple[Any, str]],
        shapes: re.Pattern[str] | None,
        report: DetectReport,
    ) -> None:
        """Store one document's findings as open proposals: a span some proposal already has
        (any status) is counted, not stored again; one overlapping a placeholder is left out;
        findings made on a text that has changed since are dropped (the next run sees it)."""
        from thematica.services.project import now

        p = t.deid_proposal.c
        text = conn.scalar(select(t.document.c.text).where(t.document.c.id == doc_id)) or ""
        existing = conn.execute(select(p.start, p.end, p.status).where(p.document_id == doc_id))
        spans: set[tuple[int, int]] = set()
        settled: list[tuple[int, int]] = []
        for r in existing:
            spans.add((r.start, r.end))
            if r.status == "committed":
                settled.append((r.start, r.end))
        settled += [m.span() for m in shapes.finditer(text)] if shapes else []
        at = now()
        for finding, seen_text in found:
            start, end = int(finding.start), int(finding.end)
            if text != seen_text or not 0 <= start < end <= len(text):
                continue
            if (start, end) in spans:
                report.already += 1
                continue
            if any(s < end and start < e for s, e in settled):
                continue
            conn.execute(
                insert(t.deid_proposal).values(
                    project_id=self.project.id,
                    document_id=doc_id,
                    start=start,
                    end=end,
                    text=text[start:end],
                    entity_type=finding.entity_type,
                    placeholder=None,
                    score=float(finding.score),
                    recogniser=str(finding.recogniser)[:100],
                    status="proposed",
                    created_by=self.project.access.name,
                    created_at=at,
                )
            )
            spans.add((start, end))
            report.proposed += 1
            report.by_type[finding.entity_type] = report.by_type.get(finding.entity_type, 0) + 1
