"""De-identification with a review step (``thematica deid``): ``project.deid``.

Detection (:mod:`thematica.intake.deid.engine`) stores *proposals*; nothing in the text changes
until a reviewer has accepted, rejected, edited or added them and commits. A commit replaces each
accepted identifier by its placeholder from the project's key (``deid_term``: the same term of
the same type is the same ``[person N]`` in every document), one document per transaction,
through :func:`thematica.services.text_rewrite.rewrite_document`, so codings and turns follow
the text. The key stays apart from the text, may be encrypted with a passphrase and is never
exported; audit entries carry counts, never identifiers.

Overlaps: two accepted proposals of one document may not overlap. Accepting, editing or adding
one that would overlap another accepted one is refused (naming both); accepting every open
proposal at once (``all_open``) keeps, of overlapping ones, the one that starts first (the
longer on a tie) and leaves the others open.

One person, one placeholder: a name written for the first time shares the placeholder of the
one person it is part of ("Maria" after "Maria Lopez", "Maria Lopez" after "Lopez"); see
:mod:`thematica.services.deid_key` for the rule and what counts as ambiguous.

Placeholders: an occurrence's own placeholder (set with ``edit``/``add``) is written for that
occurrence; it also becomes the term's placeholder everywhere when the term has never been
written before (no number, no placeholder of its own), otherwise it stays a one-off. A term's
number is given the first time a numbered placeholder is written for it and never changes;
changing a type's template changes what later commits write, not what is already written.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.deid_commit import commit_documents
from thematica.services.deid_key import (
    ENTITY_TYPES,
    KEY_SETTING,
    TEMPLATES_SETTING,
    KeyLock,
    Resolver,
    check_term_placeholder,
    check_type,
    key_lock,
    known_names,
    load_terms,
    stored_settings,
    templates,
    write_settings,
)
from thematica.services.deid_review import (
    CONTEXT,
    ReviewBase,
    check_span,
    occurrences,
    placeholder_pattern,
    refuse_committed,
    statuses,
    texts,
)
from thematica.services.project import now
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.project import Project

Progress = Callable[[int, int, str], None]  # (done, total, document name)


@dataclass(slots=True)
class ProposalRow:
    id: int
    document: str
    start: int
    end: int
    #: the identifier as found ("" once committed)
    text: str
    entity_type: str
    #: what the passage will read after commit (the key's placeholder or the reviewer's own)
    placeholder: str
    score: float
    recogniser: str
    #: proposed | accepted | rejected | committed
    status: str
    #: up to ~40 characters either side, for reviewing without opening the document
    before: str = ""
    after: str = ""


@dataclass(slots=True)
class DetectReport:
    documents: int
    #: new proposals stored by this run
    proposed: int
    #: entity type -> new proposals
    by_type: dict[str, int] = field(default_factory=dict)
    #: found again where a proposal (any status) already covers the same span
    already: int = 0


@dataclass(slots=True)
class CommitReport:
    documents: int
    #: proposals applied to the text
    replaced: int
    #: codings moved / touched (their passage held an identifier) / removed (wholly redacted)
    codings_moved: int = 0
    codings_touched: int = 0
    codings_lost: int = 0
    #: placeholder -> how many times it was written
    placeholders: dict[str, int] = field(default_factory=dict)
    #: notes worth telling (memos that still mention an identifier, ...)
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class KeyRow:
    entity_type: str
    #: the identifier, or "(encrypted)" without the passphrase
    term: str
    placeholder: str
    known: bool
    #: occurrences replaced so far
    uses: int = 0


@dataclass(slots=True)
class PlaceholderRow:
    entity_type: str
    template: str
    default: bool


#: the shortest passphrase ``encrypt_key`` takes
MIN_PASSPHRASE = 8


def _detector(known: Sequence[tuple[str, str]]) -> Any:
    """The detection engine for this project's known names (a seam tests may replace)."""
    from thematica.intake.deid.engine import Detector, engine_available

    reason = engine_available()
    if reason:
        raise InputError(reason)
    return Detector(known=tuple(known))


class Deid(ReviewBase):
    """Find identifiers, review them, then replace them with consistent placeholders."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- detection ------------------------------------------------------------------------
    @requires(Operation.IMPORT)
    def check(
        self, documents: Sequence[str] | None = None, *, passphrase: str | None = None
    ) -> None:
        """Refuse now what :meth:`detect` would refuse (an unknown document, a wrong
        passphrase, none where an encrypted key holds known names to look for), so a face
        that detects in the background can answer at once. Reads only."""
        with self.project.db.read() as conn:
            self._documents(conn, documents)
            lock = key_lock(conn, self.project.id, passphrase)
            known_names(lock, load_terms(conn, self.project.id).values())

    @requires(Operation.IMPORT)
    def detect(
        self,
        documents: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
        passphrase: str | None = None,
    ) -> DetectReport:
        """Store a proposal for every identifier found that no proposal covers yet (a span
        already proposed, accepted or rejected is not proposed again; text that is already a
        placeholder is left alone). An encrypted key with known names needs ``passphrase``."""
        pid = self.project.id
        with self.project.db.read() as conn:
            docs = self._documents(conn, documents)
            lock = key_lock(conn, pid, passphrase)
            terms = load_terms(conn, pid)
            known = known_names(lock, terms.values())
            shapes = placeholder_pattern(
                templates(stored_settings(conn, pid)), [x.placeholder for x in terms.values()]
            )
        detector = _detector(known)
        found: dict[int, builtins.list[Any]] = {}
        for i, (doc_id, name) in enumerate(docs):
            if progress is not None:
                progress(i, len(docs), name)
            with self.project.db.read() as conn:
                text = conn.scalar(select(t.document.c.text).where(t.document.c.id == doc_id))
            found[doc_id] = [(f, text) for f in detector.find(text or "")]
        if progress is not None:
            progress(len(docs), len(docs), "")
        report = DetectReport(documents=len(docs), proposed=0)
        with self._write() as conn:
            for doc_id, _name in docs:
                self._store_findings(conn, doc_id, found[doc_id], shapes, report)
            self.project.audit(
                conn,
                "deid_detect",
                documents=report.documents,
                proposed=report.proposed,
                by_type=dict(sorted(report.by_type.items())),
                already=report.already,
            )
        return report

    # -- the review queue -----------------------------------------------------------------
    @requires(Operation.IMPORT)
    def list(
        self,
        *,
        document: str | None = None,
        status: str | Sequence[str] | None = None,
        entity_type: str | None = None,
        passphrase: str | None = None,
    ) -> Table[ProposalRow]:
        """Proposals by document and position, each with its context and the placeholder a
        commit would write (numbers a commit would give are shown without giving them; for an
        encrypted key without ``passphrase`` they show as ``?``)."""
        wanted = statuses(status)
        wanted_type = check_type(entity_type) if entity_type else None
        pid = self.project.id
        p, d = t.deid_proposal.c, t.document.c
        with self.project.db.read() as conn:
            doc_id = self.project.documents.id_of(conn, document) if document else None
            lock = key_lock(conn, pid, passphrase)
            plates = templates(stored_settings(conn, pid))
            rows = conn.execute(
                select(t.deid_proposal, d.name.label("document"))
                .join(t.document, d.id == p.document_id)
                .where(p.project_id == pid)
                .order_by(d.name, p.start, p.end, p.id)
            ).all()
            resolver = Resolver(lock, load_terms(conn, pid), plates) if lock.readable else None
            shown = [
                r
                for r in rows
                if (doc_id is None or r.document_id == doc_id)
                and (not wanted or r.status in wanted)
                and (wanted_type is None or r.entity_type == wanted_type)
            ]
            bodies = texts(conn, {r.document_id for r in shown})
        # predict in commit order (documents by name, then position), over every open proposal
        predicted: dict[int, str] = {}
        for r in rows:
            if r.status in ("proposed", "accepted"):
                if resolver is not None:
                    predicted[r.id] = resolver.resolve(r.entity_type, r.text, r.placeholder)[0]
                else:
                    predicted[r.id] = r.placeholder or plates[r.entity_type].replace("{n}", "?")
        out = []
        for r in shown:
            text = bodies.get(r.document_id, "")
            placeholder = (r.placeholder or "") if r.status == "committed" else ""
            out.append(
                ProposalRow(
                    id=int(r.id),
                    document=r.document,
                    start=int(r.start),
                    end=int(r.end),
                    text=r.text,
                    entity_type=r.entity_type,
                    placeholder=predicted.get(r.id, placeholder),
                    score=float(r.score),
                    recogniser=r.recogniser,
                    status=r.status,
                    before=text[max(0, r.start - CONTEXT) : r.start],
                    after=text[r.end : r.end + CONTEXT],
                )
            )
        return Table.of(ProposalRow, out, title="De-identification proposals")

    @requires(Operation.IMPORT)
    def accept(
        self, ids: Sequence[int] = (), *, document: str | None = None, all_open: bool = False
    ) -> int:
        """Accept proposals by id, or every open proposal (of one document); returns how many.
        By id, one that would overlap another accepted proposal is refused; ``all_open`` leaves
        such ones open instead (the earlier, then longer, wins)."""
        if not ids and not all_open:
            raise InputError("give the ids of the proposals to accept, or accept all open ones")
        with self._write() as conn:
            if ids:
                rows = self._proposals(conn, ids)
                refuse_committed(rows, "accept")
                self._refuse_overlaps(conn, rows)
                chosen = [int(r.id) for r in rows if r.status != "accepted"]
                skipped = 0
            else:
                doc_id = self.project.documents.id_of(conn, document) if document else None
                chosen, skipped = self._open_without_overlaps(conn, doc_id)
            self._decide(conn, chosen, "accepted")
            self.project.audit(conn, "deid_accept", accepted=len(chosen), left_open=skipped)
        return len(chosen)

    @requires(Operation.IMPORT)
    def reject(self, ids: Sequence[int]) -> int:
        """Reject proposals: their text stays as it is (and a later detection skips them)."""
        if not ids:
            raise InputError("give the ids of the proposals to reject")
        with self._write() as conn:
            rows = self._proposals(conn, ids)
            refuse_committed(rows, "reject")
            chosen = [int(r.id) for r in rows if r.status != "rejected"]
            self._decide(conn, chosen, "rejected")
            self.project.audit(conn, "deid_reject", rejected=len(chosen))
        return len(chosen)

    @requires(Operation.IMPORT)
    def edit(
        self,
        proposal_id: int,
        *,
        start: int | None = None,
        end: int | None = None,
        entity_type: str | None = None,
        placeholder: str | None = None,
    ) -> ProposalRow:
        """Change a proposal's span, type or placeholder (``""`` clears its own placeholder);
        it becomes accepted."""
        new_type = check_type(entity_type) if entity_type is not None else None
        own = check_term_placeholder(placeholder) if placeholder else None
        with self._write() as conn:
            (row,) = self._proposals(conn, [proposal_id])
            refuse_committed([row], "edit")
            text = texts(conn, {row.document_id})[row.document_id]
            s = row.start if start is None else start
            e = row.end if end is None else end
            check_span(text, s, e)
            self._refuse_overlap(conn, row.document_id, s, e, exclude=(row.id,))
            values: dict[str, Any] = {"start": s, "end": e, "text": text[s:e]}
            if new_type is not None:
                values["entity_type"] = new_type
            if placeholder is not None:
                values["placeholder"] = own
            values.update(status="accepted", decided_by=self.project.access.name, decided_at=now())
            conn.execute(
                update(t.deid_proposal).where(t.deid_proposal.c.id == row.id).values(**values)
            )
            self.project.audit(
                conn,
                "deid_edit",
                proposal=int(row.id),
                entity_type=values.get("entity_type", row.entity_type),
                span_changed=(s, e) != (row.start, row.end),
                placeholder_set=own is not None,
            )
        return self._row(int(row.id))

    @requires(Operation.IMPORT)
    def add(
        self,
        document: str,
        *,
        start: int | None = None,
        end: int | None = None,
        text: str | None = None,
        entity_type: str = "PERSON",
        placeholder: str | None = None,
    ) -> builtins.list[ProposalRow]:
        """A reviewer's own redaction (accepted at once): a span, or every whole-word
        occurrence of ``text`` in the document (case ignored) not already accepted. A span an
        open or rejected proposal already has becomes that proposal, accepted."""
        kind = check_type(entity_type)
        own = check_term_placeholder(placeholder) if placeholder else None
        if (text is None) == (start is None and end is None):
            raise InputError("give either a span (start and end) or the text to redact")
        with self._write() as conn:
            doc_id = self.project.documents.id_of(conn, document)
            body = texts(conn, {doc_id})[doc_id]
            if text is not None:
                spans = occurrences(body, text, document)
            else:
                if start is None or end is None:
                    raise InputError("a span needs both start and end")
                check_span(body, start, end)
                self._refuse_overlap(conn, doc_id, start, end)
                spans = [(start, end)]
            ids = self._add_spans(conn, doc_id, body, spans, kind, own)
            self.project.audit(
                conn,
                "deid_add",
                document=document,
                added=len(ids),
                entity_type=kind,
                placeholder_set=own is not None,
            )
        return [self._row(i) for i in ids]

    # -- committing -----------------------------------------------------------------------
    @requires(Operation.IMPORT)
    def commit(
        self, documents: Sequence[str] | None = None, *, passphrase: str | None = None
    ) -> CommitReport:
        """Apply accepted proposals to the text, one document per transaction; codings and
        turns move with it, open proposals that overlapped a redaction are dropped. Every
        machine-made copy of a committed identifier (decisions, speaker labels, transcription
        runs, audit log, AI drafts, evidence and runs, job messages) gets the placeholder too
        and downloads made before are discarded; text the researchers wrote (memos, matrix
        summaries, case names, ...) is counted in ``warnings``, not edited. An encrypted key
        needs its ``passphrase``."""
        pid = self.project.id
        started = now()
        with self.project.db.read() as conn:
            key_lock(conn, pid, passphrase, required=True)  # refuse a wrong one up front
            p = t.deid_proposal.c
            pending = set(
                conn.scalars(
                    select(p.document_id).where(p.project_id == pid, p.status == "accepted")
                )
            )
            docs = [d for d in self._documents(conn, documents) if d[0] in pending]
        return commit_documents(self.project, self._write, docs, passphrase, started)

    @requires(Operation.IMPORT)
    def run(
        self,
        documents: Sequence[str] | None = None,
        *,
        accept_all: bool = False,
        passphrase: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[DetectReport, CommitReport | None]:
        """``thematica deid``: detect; with ``accept_all`` accept every open proposal of these
        documents (overlaps resolved as in :meth:`accept`) and commit them."""
        if accept_all:  # refuse a missing or wrong passphrase before detecting
            with self.project.db.read() as conn:
                key_lock(conn, self.project.id, passphrase, required=True)
        detected = self.detect(documents, progress=progress, passphrase=passphrase)
        if not accept_all:
            return detected, None
        with self._write() as conn:
            ids = [d for d, _ in self._documents(conn, documents)]
            chosen, skipped = self._open_without_overlaps(conn, None, only=set(ids))
            self._decide(conn, chosen, "accepted")
            self.project.audit(conn, "deid_accept", accepted=len(chosen), left_open=skipped)
        return detected, self.commit(documents, passphrase=passphrase)

    # -- the key --------------------------------------------------------------------------
    @requires(Operation.IMPORT)
    def names(self, *, passphrase: str | None = None) -> Table[KeyRow]:
        """The project's list of known names (searched for in every document); without the
        passphrase of an encrypted key the terms show as ``(encrypted)``."""
        return self._key_rows(passphrase, known_only=True, title="Known names")

    @requires(Operation.IMPORT)
    def add_name(
        self,
        term: str,
        *,
        entity_type: str = "PERSON",
        placeholder: str | None = None,
        passphrase: str | None = None,
    ) -> KeyRow:
        """Add a name every detection looks for; ``placeholder`` (``[my doctor]``) is then
        written for it instead of the type's numbered one. A term already written keeps the
        placeholder it was written with."""
        kind = check_type(entity_type)
        word = " ".join(term.split())
        from thematica.intake.deid.placeholders import normalise_term

        if not normalise_term(word):
            raise InputError(f"the name {term!r} is empty once punctuation is removed")
        own = check_term_placeholder(placeholder) if placeholder else None
        pid = self.project.id
        with self._write() as conn:
            self.project.db.serialize(conn, "deid", pid)
            lock = key_lock(conn, pid, passphrase, required=True)
            resolver = Resolver(lock, load_terms(conn, pid), {}, conn=conn, project_id=pid)
            found = resolver.find(kind, word)
            entry = found or resolver._new_term(kind, word)
            values: dict[str, Any] = {"known": True}
            if own is not None and own != entry.placeholder:
                if entry.number or (entry.placeholder and self._uses(conn).get(entry.id)):
                    raise InputError(
                        f"{word!r} is already written with its own placeholder in committed "
                        "text; its placeholder cannot change now"
                    )
                values["placeholder"] = own
            conn.execute(update(t.deid_term).where(t.deid_term.c.id == entry.id).values(**values))
            self.project.audit(
                conn,
                "deid_name_add",
                entity_type=kind,
                new=found is None,
                placeholder_set=own is not None,
            )
        return KeyRow(kind, word, values.get("placeholder", entry.placeholder) or "", True)

    @requires(Operation.IMPORT)
    def remove_name(self, term: str, *, passphrase: str | None = None) -> int:
        """Take a name off the known list (of every type it is listed as). A term already
        written stays in the key, so its placeholder keeps meaning the same person."""
        word = " ".join(term.split())
        pid = self.project.id
        with self._write() as conn:
            self.project.db.serialize(conn, "deid", pid)
            lock = key_lock(conn, pid, passphrase, required=True)
            term_hash = lock.hash(word)
            entries = [
                x for x in load_terms(conn, pid).values() if x.term_hash == term_hash and x.known
            ]
            if not entries:
                raise NotFoundError(f"{word!r} is not on the project's list of known names")
            uses = self._uses(conn)
            for entry in entries:
                c = t.deid_term.c
                if entry.number == 0 and not uses.get(entry.id):
                    conn.execute(delete(t.deid_term).where(c.id == entry.id))
                else:
                    conn.execute(update(t.deid_term).where(c.id == entry.id).values(known=False))
            self.project.audit(conn, "deid_name_remove", removed=len(entries))
        return len(entries)

    @requires(Operation.IMPORT)
    def placeholders(self) -> Table[PlaceholderRow]:
        """Each entity type's placeholder template, and whether it is the default."""
        from thematica.intake.deid.placeholders import DEFAULT_TEMPLATES

        with self.project.db.read() as conn:
            plates = templates(stored_settings(conn, self.project.id))
        rows = [
            PlaceholderRow(kind, plates[kind], plates[kind] == DEFAULT_TEMPLATES.get(kind))
            for kind in ENTITY_TYPES
        ]
        return Table.of(PlaceholderRow, rows, title="Placeholder templates")

    @requires(Operation.SETTINGS)
    def set_placeholder(self, entity_type: str, template: str | None) -> PlaceholderRow:
        """``[person {n}]``-style template for a type; None restores the default. Later
        commits write it; text already committed keeps what it was written with."""
        from thematica.intake.deid.placeholders import DEFAULT_TEMPLATES, validate_template

        kind = check_type(entity_type)
        value = validate_template(template) if template is not None else None
        with self._write() as conn:
            own = dict(stored_settings(conn, self.project.id).get(TEMPLATES_SETTING) or {})
            if value is None or value == DEFAULT_TEMPLATES.get(kind):
                own.pop(kind, None)
            else:
                own[kind] = value
            settings = write_settings(
                self.project, conn, **{TEMPLATES_SETTING: dict(sorted(own.items())) or None}
            )
            self.project.audit(conn, "deid_placeholder", entity_type=kind, template=value)
        self.project.settings = settings
        plate = templates(settings)[kind]
        return PlaceholderRow(kind, plate, plate == DEFAULT_TEMPLATES.get(kind))

    @requires(Operation.SETTINGS)
    def key(self, *, passphrase: str | None = None) -> Table[KeyRow]:
        """The key: every identifier and its placeholder (owners only; never exported). A
        term not yet written has an empty placeholder."""
        return self._key_rows(passphrase, known_only=False, title="De-identification key")

    @requires(Operation.SETTINGS)
    def encrypt_key(self, passphrase: str) -> int:
        """Encrypt the key with a passphrase from now on; returns the terms re-encrypted. The
        passphrase is not stored (a salt and a verifier are): lose it and the key is lost."""
        from thematica.intake.deid.keycrypt import KeyCipher, new_salt

        if len(passphrase or "") < MIN_PASSPHRASE:
            raise InputError(f"the passphrase must be at least {MIN_PASSPHRASE} characters long")
        pid = self.project.id
        with self._write() as conn:
            self.project.db.serialize(conn, "deid", pid)
            if key_lock(conn, pid, None).encrypted:
                raise ConflictError("the de-identification key is already encrypted")
            salt = new_salt()
            lock = KeyLock(True, KeyCipher(passphrase, salt))
            terms = load_terms(conn, pid)
            for term in terms.values():
                conn.execute(
                    update(t.deid_term)
                    .where(t.deid_term.c.id == term.id)
                    .values(term_hash=lock.hash(term.stored), term=lock.seal(term.stored))
                    .values(encrypted=True)
                )
            assert lock.cipher is not None
            settings = write_settings(
                self.project,
                conn,
                **{KEY_SETTING: {"salt": salt, "verifier": lock.cipher.verifier()}},
            )
            self.project.audit(conn, "deid_encrypt", terms=len(terms))
        self.project.settings = settings
        return len(terms)
