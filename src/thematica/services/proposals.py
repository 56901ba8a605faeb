"""``project.proposals``: inductive codes made while coding.

A coder who meets something the codebook has no code for names a new one on the passage. When
the project lets coders add codes (the ``coders_add_codes`` setting, on by default) or the
person is an owner, the code is created (origin ``inductive``) and the passage coded with it in
one step. Otherwise the name and the passage become a *proposal*: an owner accepts it — the
code is created and the passage coded in the proposer's layer — or declines it with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from thematica.core.access import Operation, Role
from thematica.core.codebook import check_fields, check_name
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.tables import Table
from thematica.services.access import requires
from thematica.services.coders import check_coder_name
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.code_index import CodeIndex
    from thematica.services.project import Project

__all__ = ["NewCode", "ProposalRow", "Proposals", "in_vivo_name"]

#: an in-vivo code's name is the coded words, at most this long
IN_VIVO_MAX = 80


def in_vivo_name(words: str) -> str:
    """A code name made of the coded words themselves: white space collapsed, surrounding
    quotes and punctuation trimmed, cut at a word boundary to :data:`IN_VIVO_MAX`."""
    name = " ".join(words.split()).strip(" \"'“”‘’.,;:!?…-—–()[]")
    if len(name) > IN_VIVO_MAX:
        cut = name[:IN_VIVO_MAX]
        name = cut.rsplit(" ", 1)[0] if " " in cut[20:] else cut
    if not name:
        raise InputError("the selected words are empty: select some text to name the code after")
    return name


@dataclass(slots=True)
class ProposalRow:
    id: int
    name: str
    parent: str | None
    definition: str
    document: str | None
    start: int | None
    end: int | None
    #: the proposed passage's words (empty when there is none or the document is gone)
    text: str
    proposed_by: str
    proposed_at: str
    status: str
    decided_by: str | None
    decided_at: str | None
    note: str


@dataclass(slots=True)
class NewCode:
    """What naming a code on a passage did. ``outcome``: ``created`` (a new code, the passage
    coded with it), ``existing`` (a code of that name was already there: the passage was
    coded with it) or ``proposed`` (recorded as ``proposal`` for the owners to decide)."""

    outcome: str
    path: str | None = None
    code_id: int | None = None
    coding: int | None = None
    proposal: int | None = None
    coder: str | None = None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


class Proposals:
    def __init__(self, project: Project) -> None:
        self.project = project

    @property
    def coders_may_add(self) -> bool:
        return bool(self.project.settings.get("coders_add_codes", True))

    def _may_create(self) -> bool:
        return self.project.access.role is Role.OWNER or self.coders_may_add

    def _document(self, conn: Connection, document: str, start: int, end: int) -> Any:
        doc = conn.execute(
            select(t.document.c.id, t.document.c.text, t.document.c.length).where(
                t.document.c.project_id == self.project.id, t.document.c.name == document
            )
        ).first()
        if doc is None:
            raise NotFoundError(f"no document named {document!r}", document=document)
        if not 0 <= start < end <= int(doc.length):
            raise InputError(
                f"span [{start}, {end}) is outside the document (0 to {doc.length}) or empty",
                start=start,
                end=end,
            )
        return doc

    def _place(
        self, conn: Connection, name: str, parent: str | None
    ) -> tuple[CodeIndex, int | None, int | None]:
        """The codebook, the parent's id, and the id of a code already named ``name`` there."""
        self.project.db.serialize(conn, "codebook", self.project.id)  # sibling names
        index = self.project.codebook.index(conn)
        parent_id = index.resolve(parent) if parent else None
        same = [
            c
            for c in index.children.get(parent_id, [])
            if index.rows[c].name.casefold() == name.casefold()
        ]
        return index, parent_id, (same[0] if same else None)

    def _create_code(
        self,
        conn: Connection,
        index: CodeIndex,
        name: str,
        parent_id: int | None,
        definition: str,
        **detail: Any,
    ) -> int:
        values = check_fields(
            {"origin": "inductive", "definition": definition}, self.project.sem_levels
        )
        cid = self.project.codebook._create(conn, index, name, parent_id, values, None)
        self.project.audit(conn, "add_code", path=index.paths[cid], origin="inductive", **detail)
        return cid

    def _code_passage(
        self,
        conn: Connection,
        layer: str,
        doc: Any,
        document: str,
        code_id: int,
        path: str,
        start: int,
        end: int,
    ) -> int | None:
        """Code the passage in ``layer`` and log it (None: that layer already had it)."""
        from thematica.services.project import now

        coder_id = self.project.coding.ensure_coder(conn, layer)
        c = t.coding.c
        found = conn.scalar(
            select(c.id).where(
                c.document_id == doc.id,
                c.code_id == code_id,
                c.coder_id == coder_id,
                c.start == start,
                c.end == end,
            )
        )
        if found is not None:
            return None
        coding = int(
            conn.execute(
                insert(t.coding).values(
                    project_id=self.project.id,
                    document_id=doc.id,
                    code_id=code_id,
                    coder_id=coder_id,
                    start=start,
                    end=end,
                    memo=None,
                    starred=False,
                    created_at=now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self.project.audit(
            conn,
            "code",
            coder=layer,
            applied=1,
            document=document,
            code=path,
            start=start,
            end=end,
            coding=coding,
        )
        return coding

    @requires(Operation.CODE)
    def new_code(
        self,
        document: str,
        start: int,
        end: int,
        name: str | None = None,
        *,
        parent: str | None = None,
        definition: str = "",
        coder: str | None = None,
    ) -> NewCode:
        """Code ``document`` [start, end) with a new code ``name`` (under ``parent``); with
        no name, an *in vivo* code named after the passage's own words.

        Created at once, with the coding in ``coder``'s layer (default: the acting person's),
        when coders may add codes or the person is an owner; otherwise recorded as a proposal
        an owner decides on (the setting is checked here, so every face obeys it). A code of
        that name already under that parent is simply applied.
        """
        from thematica.services.project import now

        layer = check_coder_name(coder or self.project.access.name)
        self.project.access.check_write_layer(layer)
        with self.project.db.write() as conn:
            doc = self._document(conn, document, start, end)
            final = check_name(in_vivo_name(str(doc.text)[start:end]) if name is None else name)
            index, parent_id, existing = self._place(conn, final, parent)
            if existing is not None or self._may_create():
                if existing is None:
                    cid = self._create_code(conn, index, final, parent_id, definition.strip())
                else:
                    cid = existing
                path = index.paths[cid]
                coding = self._code_passage(conn, layer, doc, document, cid, path, start, end)
                if coding is None:
                    raise ConflictError(
                        f"{layer} has already coded {document} [{start}, {end}) with {path!r}"
                    )
                outcome = "existing" if existing is not None else "created"
                return NewCode(outcome, path, cid, coding, coder=layer)
            parent_path = index.paths[parent_id] if parent_id is not None else None
            proposal = int(
                conn.execute(
                    insert(t.code_proposal).values(
                        project_id=self.project.id,
                        name=final,
                        parent_path=parent_path,
                        definition=definition.strip(),
                        origin="inductive",
                        document=document,
                        start=start,
                        end=end,
                        proposed_by=layer,
                        proposed_at=now(),
                        status="open",
                        note="",
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            self.project.audit(
                conn,
                "propose_code",
                proposal=proposal,
                name=final,
                parent=parent_path,
                document=document,
                start=start,
                end=end,
                coder=layer,
            )
        return NewCode("proposed", proposal=proposal, coder=layer)

    @requires(Operation.READ)
    def list(self, status: str | None = "open") -> Table[ProposalRow]:
        """Proposals, newest first (``status`` open, accepted, declined; None: all).

        A proposal carries the proposer's passage, so while coding is blind a coder sees only
        their own and a viewer none; owners see all.
        """
        p = t.code_proposal.c
        stmt = select(t.code_proposal).where(p.project_id == self.project.id)
        if status:
            if status not in {"open", "accepted", "declined"}:
                raise InputError(f"status is open, accepted or declined, not {status!r}")
            stmt = stmt.where(p.status == status)
        access = self.project.access
        if access.blind and access.role is not Role.OWNER:
            stmt = stmt.where(p.proposed_by == access.name)
        with self.project.db.read() as conn:
            found = conn.execute(stmt.order_by(p.id.desc())).all()
            names = {r.document for r in found if r.document}
            texts = (
                dict(
                    conn.execute(
                        select(t.document.c.name, t.document.c.text).where(
                            t.document.c.project_id == self.project.id,
                            t.document.c.name.in_(sorted(names)),
                        )
                    ).all()
                )
                if names
                else {}
            )
        rows = [
            ProposalRow(
                int(r.id),
                r.name,
                r.parent_path,
                r.definition or "",
                r.document,
                r.start,
                r.end,
                str(texts.get(r.document, ""))[r.start : r.end]
                if r.document and r.start is not None
                else "",
                r.proposed_by,
                _iso(r.proposed_at) or "",
                r.status,
                r.decided_by,
                _iso(r.decided_at),
                r.note or "",
            )
            for r in found
        ]
        return Table.of(ProposalRow, rows, title="Code proposals")

    def _open(self, conn: Connection, proposal_id: int) -> Any:
        """The proposal, while still open. Its row stays locked until the transaction ends
        (``FOR UPDATE`` on PostgreSQL; SQLite's writers queue anyway), so of two owners
        deciding it at once the second waits, then finds it decided."""
        row = conn.execute(
            select(t.code_proposal)
            .where(
                t.code_proposal.c.id == proposal_id,
                t.code_proposal.c.project_id == self.project.id,
            )
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError(f"no code proposal with id {proposal_id}", proposal=proposal_id)
        if row.status != "open":
            raise ConflictError(
                f"proposal {proposal_id} was already {row.status} by {row.decided_by}",
                proposal=proposal_id,
                status=row.status,
            )
        return row

    @requires(Operation.CODEBOOK)
    def accept(
        self, proposal_id: int, *, name: str | None = None, parent: str | None = None
    ) -> NewCode:
        """Accept a proposal: create its code (``name``/``parent`` may amend it; a code of
        that name already there is used as it is) and code its passage in the proposer's
        layer, in one transaction."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            row = self._open(conn, proposal_id)
            final = check_name(name or row.name)
            where = parent if parent is not None else row.parent_path
            index, parent_id, existing = self._place(conn, final, where)
            if existing is None:
                cid = self._create_code(
                    conn, index, final, parent_id, row.definition or "", proposal=proposal_id
                )
            else:
                cid = existing
            path = index.paths[cid]
            coding = None
            if row.document and row.start is not None and row.end is not None:
                try:
                    doc = self._document(conn, row.document, row.start, row.end)
                except (NotFoundError, InputError):
                    doc = None  # the document was removed or replaced since: no passage
                if doc is not None:
                    coding = self._code_passage(
                        conn, row.proposed_by, doc, row.document, cid, path, row.start, row.end
                    )
            conn.execute(
                t.code_proposal.update()
                .where(t.code_proposal.c.id == proposal_id)
                .values(status="accepted", decided_by=self.project.access.name, decided_at=now())
            )
            self.project.audit(
                conn,
                "proposal_accept",
                proposal=proposal_id,
                path=path,
                coder=row.proposed_by,
                coding=coding,
            )
        return NewCode(
            "existing" if existing is not None else "created",
            path,
            cid,
            coding,
            proposal=proposal_id,
            coder=row.proposed_by,
        )

    @requires(Operation.CODEBOOK)
    def decline(self, proposal_id: int, note: str = "") -> None:
        """Decline a proposal, with a note to the proposer."""
        from thematica.services.project import now

        with self.project.db.write() as conn:
            row = self._open(conn, proposal_id)
            conn.execute(
                t.code_proposal.update()
                .where(t.code_proposal.c.id == proposal_id)
                .values(
                    status="declined",
                    decided_by=self.project.access.name,
                    decided_at=now(),
                    note=note.strip(),
                )
            )
            self.project.audit(
                conn,
                "proposal_decline",
                proposal=proposal_id,
                name=row.name,
                coder=row.proposed_by,
                note=note.strip(),
            )
