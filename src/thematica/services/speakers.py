"""Focus groups: which case each speaker of a document stands for, and the one rule that says
which case a coding belongs to.

A focus-group transcript holds several participants, so "the document's case" cannot say who
said something. A **speaker map** (table ``speaker_case``) names, per document, the case each
speaker label stands for; the moderator or interviewer maps to no case. The document keeps its
own case, which for a focus group is the **group** (a group-level case with group attributes).

The attribution rule (:meth:`Attributor.owners`; everything that counts or quotes by case uses
it: Table 1, prevalence, saturation, framework matrices, ``--where`` filters, quotes):

* A document **without a speaker map** is what it always was: each coding belongs to the
  document's case, and a document without a case is a unit of its own (``document:NAME``).
  Projects without speaker maps therefore count exactly as before.
* In a document **with a speaker map** each coding belongs to the speaker of every turn it
  shares at least one character with. Nearly always that is one turn; a coding spanning several
  turns belongs to each of those speakers (each counts it once), as a coding across two
  speakers' words in NVivo codes both speakers' cases.
* A speaker mapped to **no case** (the moderator) owns nothing: a coding only in moderator
  turns counts for no participant and does not make the group "raise" a code either.
* A speaker **left out of the map** is never silently dropped and never given the document's
  case (that is the group, not a participant): it is a unit of its own named
  ``DOCUMENT / SPEAKER`` with no case, like an unlinked document, and ``thematica documents
  speakers DOC`` lists it as ``unmapped``. Text without a speaker (a header line, text outside
  every turn) is ``DOCUMENT / (no speaker)``, a unit only once something in it is coded.
* The **group** of a coding is the document's case (``document:NAME`` when it has none), for
  mapped and unmapped documents alike: an individual interview is a group of one. Counting
  groups (prevalence ``unit="groups"``, saturation by group) is the document-level count of old.
* A case that is only ever a mapped document's own case is a **group case**, not a participant:
  Table 1 and framework-matrix rows describe participants and leave group cases out.

Loading is one query for documents, one for maps and one for the turns of mapped documents
(none when the project has no maps); each lookup after that is a binary search.
"""

from __future__ import annotations

import builtins
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, func, insert, select

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.attribution import attribution, group_label, participant_label
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

NO_SPEAKER = "(no speaker)"

#: ``documents speakers`` status of a speaker label
MAPPED, NO_CASE, UNMAPPED = "mapped", "no case", "unmapped"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a coding belongs to: a counting unit, and its case when it has one."""

    unit: str  # participant case name, "document:NAME" or "DOCUMENT / SPEAKER"
    case: str | None
    speaker: str | None  # the turn's speaker label (None in a document without a map)


@dataclass(slots=True)
class _Doc:
    name: str
    case: str | None  # the document's own case (the group, for a focus group)
    speakers: dict[str, str | None] = field(default_factory=dict)  # label -> case (None: no case)
    starts: list[int] = field(default_factory=list)
    turns: list[tuple[int, int, str | None]] = field(default_factory=list)

    @property
    def mapped(self) -> bool:
        return bool(self.speakers)


def _unmapped_unit(doc: str, speaker: str | None) -> str:
    return f"{doc} / {speaker or NO_SPEAKER}"


class Attributor:
    """Answers "whose is this coding?" for many codings, from data loaded once."""

    def __init__(self, docs: dict[int, _Doc]) -> None:
        self.docs = docs
        self.has_maps = any(d.mapped for d in docs.values())

    # -- per coding -------------------------------------------------------------------------
    def mapped(self, doc_id: int) -> bool:
        return self.docs[doc_id].mapped

    def owners(self, doc_id: int, start: int, end: int) -> list[Owner]:
        """The units a coding ``[start, end)`` belongs to (see the module docstring)."""
        doc = self.docs[doc_id]
        if not doc.mapped:
            return [Owner(doc.case or f"document:{doc.name}", doc.case, None)]
        out: list[Owner] = []
        seen: set[str] = set()
        for label in self.speakers(doc_id, start, end):
            owner = self._owner(doc, label)
            if owner is not None and owner.unit not in seen:
                seen.add(owner.unit)
                out.append(owner)
        return out

    def speakers(self, doc_id: int, start: int, end: int) -> list[str | None]:
        """Speaker labels of the turns a span overlaps, in order (None: outside every turn)."""
        doc = self.docs[doc_id]
        i = max(bisect_right(doc.starts, start) - 1, 0)
        labels: list[str | None] = []
        while i < len(doc.turns) and doc.turns[i][0] < max(end, start + 1):
            _t_start, t_end, label = doc.turns[i]
            if t_end > start and label not in labels:
                labels.append(label)
            i += 1
        return labels or [None]

    def speaker_owners(self, doc_id: int) -> list[Owner | None]:
        """The owner of each speaker label with turns in a document (None: a no-case speaker).

        Turns without a label (a title or header line) are nobody until something in them is
        coded, so they do not swell the count of participants."""
        doc = self.docs[doc_id]
        labels = dict.fromkeys(tr[2] for tr in doc.turns if tr[2] is not None)
        return [self._owner(doc, label) for label in labels]

    def _owner(self, doc: _Doc, label: str | None) -> Owner | None:
        if label is not None and label in doc.speakers:
            case = doc.speakers[label]
            return None if case is None else Owner(case, case, label)
        return Owner(_unmapped_unit(doc.name, label), None, label)

    def group(self, doc_id: int) -> str:
        """The group unit of a document: its own case, or ``document:NAME``."""
        doc = self.docs[doc_id]
        return doc.case or f"document:{doc.name}"

    def group_units(self, doc_id: int, start: int, end: int) -> list[str]:
        """The group a coding counts for: none when only the moderator said it."""
        if self.docs[doc_id].mapped and not self.owners(doc_id, start, end):
            return []
        return [self.group(doc_id)]

    def case_of(self, doc_id: int, start: int, end: int) -> str | None:
        """The participant case(s) of a span as one text ("P1; P2"); None when it has none."""
        cases = [o.case for o in self.owners(doc_id, start, end) if o.case is not None]
        return "; ".join(cases) if cases else None

    def group_of(self, doc_id: int) -> str | None:
        """The focus group of a mapped document (its own case); None for other documents."""
        doc = self.docs[doc_id]
        return doc.case if doc.mapped else None

    def attribution(self, doc_id: int, start: int, end: int) -> str:
        """The quote's attribution: "– Participant 3, focus group 2" in a mapped document."""
        doc = self.docs[doc_id]
        if not doc.mapped:
            return attribution(doc.case, doc.name)
        labels: list[str] = []
        said = self.speakers(doc_id, start, end)
        # a moderator's words inside a participant's quote are not theirs to be credited with
        voiced = [x for x in said if x is None or doc.speakers.get(x, x) is not None] or said
        for label in voiced:
            case = doc.speakers.get(label) if label is not None else None
            text = participant_label(case) if case is not None else (label or doc.name)
            if text not in labels:
                labels.append(text)
        return f"\u2013 {' and '.join(labels)}, {group_label(doc.case or doc.name)}"

    # -- per project --------------------------------------------------------------------------
    def participant_units(self) -> dict[str, str | None]:
        """Every participant unit that can be coded -> its case: the denominator of counts.

        Unmapped documents give their case (or ``document:NAME``); mapped documents give each
        speaker with turns: its case, nothing for a no-case speaker, its own unit if unmapped.
        """
        out: dict[str, str | None] = {}
        for doc_id, doc in self.docs.items():
            if not doc.mapped:
                out.setdefault(doc.case or f"document:{doc.name}", doc.case)
                continue
            for owner in self.speaker_owners(doc_id):
                if owner is not None:
                    out.setdefault(owner.unit, owner.case)
        return out

    def group_units_all(self) -> dict[str, str | None]:
        """Every group unit -> its case (None for ``document:NAME``)."""
        return {self.group(i): d.case for i, d in self.docs.items()}

    def group_cases(self) -> set[str]:
        """Cases that are only a focus group's own case: groups, not participants."""
        groups = {d.case for d in self.docs.values() if d.mapped and d.case is not None}
        people = {c for d in self.docs.values() for c in d.speakers.values() if c is not None}
        people |= {d.case for d in self.docs.values() if not d.mapped and d.case is not None}
        return groups - people


def load_attributor(
    project: Project, conn: Connection, doc_ids: Iterable[int] | None = None
) -> Attributor:
    """Documents, speaker maps and the turns of mapped documents of a project, in 4 queries."""
    d = t.document.c
    case_of = project.documents.case_names(conn)
    stmt = select(d.id, d.name).where(d.project_id == project.id)
    wanted = None if doc_ids is None else set(doc_ids)
    return attributor_for(
        project,
        conn,
        {
            doc_id: (name, case_of.get(doc_id))
            for doc_id, name in conn.execute(stmt)
            if wanted is None or doc_id in wanted
        },
    )


def attributor_for(
    project: Project, conn: Connection, documents: Mapping[int, tuple[str, str | None]]
) -> Attributor:
    """An :class:`Attributor` for documents already read (id -> (name, own case))."""
    d, m, c = t.document.c, t.speaker_case.c, t.case.c
    docs = {doc_id: _Doc(name, case) for doc_id, (name, case) in documents.items()}
    maps = conn.execute(
        select(m.document_id, m.speaker, c.name)
        .select_from(t.speaker_case)
        .join(t.document, d.id == m.document_id)
        .outerjoin(t.case, c.id == m.case_id)
        .where(d.project_id == project.id)
    )
    for doc_id, speaker, case in maps:
        if doc_id in docs:
            docs[doc_id].speakers[speaker] = case
    mapped = sorted(i for i, doc in docs.items() if doc.mapped)
    for chunk in range(0, len(mapped), 500):
        ids = mapped[chunk : chunk + 500]
        tr = t.turn.c
        for doc_id, start, end, speaker in conn.execute(
            select(tr.document_id, tr.start, tr.end, tr.speaker)
            .where(tr.document_id.in_(ids))
            .order_by(tr.document_id, tr.start)
        ):
            doc = docs[doc_id]
            doc.starts.append(start)
            doc.turns.append((start, end, speaker))
    return Attributor(docs)


# -- the service --------------------------------------------------------------------------


@dataclass(slots=True)
class SpeakerRow:
    document: str
    speaker: str | None
    turns: int
    case: str | None
    status: str  # mapped | no case | unmapped


@dataclass(slots=True)
class SpeakerMapReport:
    mapped: int = 0
    cases_created: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


_SPEC = re.compile(r"^\s*(?P<speaker>[^=]*?)\s*=\s*(?P<case>.*?)\s*$", re.S)


def parse_mapping(spec: str) -> tuple[str, str | None]:
    """``"P3=Participant 3"`` -> ("P3", "Participant 3"); ``"Moderator="`` -> no case (None)."""
    match = _SPEC.match(spec)
    if match is None or not match.group("speaker"):
        raise InputError(f"{spec!r} is not SPEAKER=CASE (use 'SPEAKER=' for no case)")
    case = " ".join(match.group("case").split())
    return match.group("speaker"), case or None


class Speakers:
    """Speaker-to-case maps of documents (focus groups): list, map, import, unmap."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def attributor(self, conn: Connection, doc_ids: Iterable[int] | None = None) -> Attributor:
        return load_attributor(self.project, conn, doc_ids)

    @requires(Operation.READ)
    def list(self, document: str | None = None) -> Table[SpeakerRow]:
        """Each document's speakers (first appearance order) with turns and mapped case."""
        tr, d = t.turn.c, t.document.c
        with self.project.db.read() as conn:
            names: dict[int, str]
            if document is not None:
                doc_id = self.project.documents.id_of(conn, document)
                names = {doc_id: document}
            else:
                ids = select(t.speaker_case.c.document_id).distinct()
                names = dict(
                    conn.execute(
                        select(d.id, d.name).where(d.project_id == self.project.id, d.id.in_(ids))
                    ).all()
                )
            attr = load_attributor(self.project, conn, names)
            counts = conn.execute(
                select(tr.document_id, tr.speaker, func.count(), func.min(tr.position))
                .where(tr.document_id.in_(list(names)))
                .group_by(tr.document_id, tr.speaker)
            ).all()
        rows: list[SpeakerRow] = []
        for doc_id, speaker, n, _first in sorted(
            counts, key=lambda r: (names[r[0]], r[3] if r[3] is not None else 0)
        ):
            doc = attr.docs[doc_id]
            if speaker is not None and speaker in doc.speakers:
                case = doc.speakers[speaker]
                rows.append(
                    SpeakerRow(names[doc_id], speaker, int(n), case, MAPPED if case else NO_CASE)
                )
            else:
                rows.append(SpeakerRow(names[doc_id], speaker, int(n), None, UNMAPPED))
        title = f"Speakers of {document}" if document else "Speaker maps"
        return Table.of(SpeakerRow, rows, title=title)

    @requires(Operation.READ)
    def labels(self) -> builtins.list[tuple[str, int]]:
        """Every speaker label in the project's documents with its number of turns, most
        turns first: what a speaker filter offers."""
        tr, d = t.turn.c, t.document.c
        with self.project.db.read() as conn:
            rows = conn.execute(
                select(tr.speaker, func.count())
                .join(t.document, d.id == tr.document_id)
                .where(d.project_id == self.project.id, tr.speaker.is_not(None))
                .group_by(tr.speaker)
            ).all()
        return sorted(((str(r[0]), int(r[1])) for r in rows), key=lambda r: (-r[1], r[0]))

    @requires(Operation.IMPORT)
    def map(
        self,
        document: str,
        mapping: Mapping[str, str | None] | Sequence[tuple[str, str | None]],
        *,
        actor: str | None = None,
    ) -> SpeakerMapReport:
        """Map speaker labels of one document to cases (None: no case); cases are created."""
        pairs = list(mapping.items()) if isinstance(mapping, Mapping) else list(mapping)
        if not pairs:
            raise InputError("nothing to map: give at least one SPEAKER=CASE")
        return self._write([(document, s, c, None) for s, c in pairs], actor, None)

    @requires(Operation.IMPORT)
    def import_table(
        self, path: str | Path, *, encoding: str | None = None, actor: str | None = None
    ) -> SpeakerMapReport:
        """Maps for many documents from a CSV/XLSX with columns document, speaker, case.

        An empty ``case`` maps the speaker to no case. All rows are checked first: one bad row
        and nothing is written.
        """
        from thematica.services.tabular import read_table

        path = Path(path)
        header, rows = read_table(path, encoding=encoding)
        lower = [h.lower() for h in header]
        for column in ("document", "speaker", "case"):
            if column not in lower:
                raise InputError(
                    f"{path.name}: no column {column!r}; the columns are: {', '.join(header)}"
                )
        di, si, ci = (lower.index(c) for c in ("document", "speaker", "case"))
        entries: list[tuple[str, str, str | None, str]] = []
        for n, row in enumerate(rows, 2):
            document, speaker = row[di].strip(), row[si].strip()
            if not document:
                raise InputError(f"{path.name}: row {n}, column 'document': empty")
            if not speaker:
                raise InputError(f"{path.name}: row {n}, column 'speaker': empty")
            case = " ".join(row[ci].split()) or None
            entries.append((document, speaker, case, f"{path.name}: row {n}"))
        if not entries:
            raise InputError(f"{path.name}: no rows to import")
        return self._write(entries, actor, str(path))

    def _write(
        self,
        entries: Sequence[tuple[str, str, str | None, str | None]],
        actor: str | None,
        source: str | None,
    ) -> SpeakerMapReport:
        """Check every (document, speaker, case, where) entry, then write them all."""
        from thematica.services.cases import CaseWriter

        d, tr, m = t.document.c, t.turn.c, t.speaker_case.c
        report = SpeakerMapReport()
        with self.project.db.write() as conn:
            doc_ids = dict(
                conn.execute(select(d.name, d.id).where(d.project_id == self.project.id)).all()
            )
            labels: dict[int, set[str]] = {}
            seen: dict[tuple[int, str], tuple[str | None, str | None]] = {}
            for document, speaker, case, where in entries:
                prefix = f"{where}, column " if where else ""
                if document not in doc_ids:
                    raise NotFoundError(f"{prefix}'document': no document named {document!r}")
                doc_id = doc_ids[document]
                if doc_id not in labels:
                    labels[doc_id] = {
                        s
                        for s in conn.scalars(
                            select(tr.speaker).distinct().where(tr.document_id == doc_id)
                        )
                        if s is not None
                    }
                if speaker not in labels[doc_id]:
                    known = ", ".join(sorted(labels[doc_id])) or "none: it has no speaker turns"
                    raise NotFoundError(
                        f"{prefix}'speaker': document {document!r} has no speaker {speaker!r} "
                        f"(speakers: {known})"
                    )
                earlier = seen.get((doc_id, speaker))
                if earlier is not None and earlier[0] != case:
                    raise InputError(
                        f"{prefix}'case': speaker {speaker!r} of {document!r} is mapped to "
                        f"{earlier[0]!r} {('in ' + earlier[1]) if earlier[1] else 'already'}"
                    )
                seen[(doc_id, speaker)] = (case, where)
            writer = CaseWriter(self.project, conn)
            names = {v: k for k, v in doc_ids.items()}
            replaced: list[list[str | None]] = []  # [document, speaker, old case] remapped
            for (doc_id, speaker), (case, _where) in seen.items():
                old = conn.execute(
                    select(t.case.c.name)
                    .select_from(t.speaker_case)
                    .outerjoin(t.case, t.case.c.id == m.case_id)
                    .where(m.document_id == doc_id, m.speaker == speaker)
                ).first()
                if old is not None and old[0] != case:
                    replaced.append([names[doc_id], speaker, old[0]])
                case_id = writer.ensure(case, report.cases_created) if case else None
                conn.execute(
                    delete(t.speaker_case).where(m.document_id == doc_id, m.speaker == speaker)
                )
                conn.execute(
                    insert(t.speaker_case).values(
                        document_id=doc_id, speaker=speaker, case_id=case_id
                    )
                )
                if names[doc_id] not in report.documents:
                    report.documents.append(names[doc_id])
            report.mapped = len(seen)
            self.project.audit(
                conn,
                "speakers.map",
                on_behalf_of=actor,
                source=source,
                mappings=[
                    [names[doc_id], speaker, case] for (doc_id, speaker), (case, _w) in seen.items()
                ],
                cases_created=report.cases_created,
                replaced=replaced,
            )
        return report

    @requires(Operation.IMPORT)
    def unmap(
        self, document: str, speakers: Sequence[str] = (), *, actor: str | None = None
    ) -> int:
        """Remove a document's maps (only ``speakers`` when given); returns how many went."""
        m = t.speaker_case.c
        with self.project.db.write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            current = set(conn.scalars(select(m.speaker).where(m.document_id == doc_id)))
            missing = [s for s in speakers if s not in current]
            if missing:
                raise NotFoundError(
                    f"speaker {', '.join(map(repr, missing))} of {document!r} is not mapped"
                )
            stmt = delete(t.speaker_case).where(m.document_id == doc_id)
            if speakers:
                stmt = stmt.where(m.speaker.in_(list(speakers)))
            gone = len(set(speakers)) if speakers else len(current)
            conn.execute(stmt)
            self.project.audit(
                conn,
                "speakers.unmap",
                on_behalf_of=actor,
                document=document,
                speakers=list(speakers) or None,
            )
        return gone
