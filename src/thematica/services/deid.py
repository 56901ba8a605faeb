"""De-identification with a review step (``thematica deid``): CONTRACT STUB — the deid-service
helper replaces this module's bodies; the signatures and row types below are the contract the
CLI and the web face are written against."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thematica.core.access import Operation
from thematica.core.tables import Table
from thematica.services.access import requires

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


class Deid:
    """Find identifiers, review them, then replace them with consistent placeholders."""

    def __init__(self, project: Project) -> None:
        self.project = project

    @requires(Operation.IMPORT)
    def detect(
        self, documents: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> DetectReport:
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def list(
        self,
        *,
        document: str | None = None,
        status: str | Sequence[str] | None = None,
        entity_type: str | None = None,
    ) -> Table[ProposalRow]:
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def accept(
        self, ids: Sequence[int] = (), *, document: str | None = None, all_open: bool = False
    ) -> int:
        """Accept proposals by id, or every open proposal (of one document); returns how many."""
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def reject(self, ids: Sequence[int]) -> int:
        raise NotImplementedError

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
        """Change a proposal's span, type or placeholder; it becomes accepted."""
        raise NotImplementedError

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
        """A reviewer's own redaction (accepted at once): a span, or every occurrence of
        ``text`` in the document."""
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def commit(
        self, documents: Sequence[str] | None = None, *, passphrase: str | None = None
    ) -> CommitReport:
        """Apply accepted proposals to the text; codings and turns move with it."""
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def run(
        self,
        documents: Sequence[str] | None = None,
        *,
        accept_all: bool = False,
        passphrase: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[DetectReport, CommitReport | None]:
        """``thematica deid``: detect; with ``accept_all`` accept every proposal and commit."""
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def names(self) -> Table[KeyRow]:
        """The project's list of known names (searched for in every document)."""
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def add_name(
        self,
        term: str,
        *,
        entity_type: str = "PERSON",
        placeholder: str | None = None,
        passphrase: str | None = None,
    ) -> KeyRow:
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def remove_name(self, term: str, *, passphrase: str | None = None) -> int:
        raise NotImplementedError

    @requires(Operation.IMPORT)
    def placeholders(self) -> Table[PlaceholderRow]:
        raise NotImplementedError

    @requires(Operation.SETTINGS)
    def set_placeholder(self, entity_type: str, template: str | None) -> PlaceholderRow:
        """``[person {n}]``-style template for a type; None restores the default."""
        raise NotImplementedError

    @requires(Operation.SETTINGS)
    def key(self, *, passphrase: str | None = None) -> Table[KeyRow]:
        """The key: every identifier and its placeholder (owners only; never exported)."""
        raise NotImplementedError

    @requires(Operation.SETTINGS)
    def encrypt_key(self, passphrase: str) -> int:
        """Encrypt the key with a passphrase from now on; returns the terms re-encrypted."""
        raise NotImplementedError
