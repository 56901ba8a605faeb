"""What the consensus service hands out: disagreements, decisions, summaries and requests.

Plain dataclasses (and the column orders their tables show), no database access, so the CLI and
a future web face can import them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: What a meeting can decide about one disagreement (``decide``, the walk, decisions files).
ACTIONS = ("keep_a", "keep_b", "keep_both", "merge", "edit", "drop")
#: Every action the decision log can hold: the meeting's, an overturned agreement, a coding
#: neither coder made, and the automatic ``agreed``.
LOG_ACTIONS = (*ACTIONS, "overturn", "add", "agreed")
KINDS = ("boundary", "only_a", "only_b", "different_code")
AGREED_REASON = "identical spans: both coders applied this code to exactly this text"
DEFAULT_LAYER = "consensus"
FILE_COLUMNS = ("id", "action", "reason", "start", "end", "code", "decided_by", "revise")


@dataclass(frozen=True, slots=True)
class Side:
    """One coder's coding in a disagreement."""

    id: int
    coder: str
    code: str
    code_id: int
    start: int
    end: int
    text: str

    def ref(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "coder": self.coder,
            "code": self.code,
            "start": self.start,
            "end": self.end,
        }


@dataclass(slots=True)
class Disagreement:
    """One line of the meeting's agenda: what A coded, what B coded, and where."""

    id: str
    document: str
    kind: str
    code: str
    coder_a: str
    code_a: str | None
    start_a: int | None
    end_a: int | None
    text_a: str | None
    coder_b: str
    code_b: str | None
    start_b: int | None
    end_b: int | None
    text_b: str | None
    overlap: float
    document_id: int = 0
    a: Side | None = None
    b: Side | None = None
    #: for a coding the team added (kind ``added``): (code_id, start, end) it wrote
    added: tuple[int, int, int] | None = None

    @property
    def start(self) -> int:
        return min((s.start for s in self.sides), default=self.added[1] if self.added else 0)

    @property
    def end(self) -> int:
        return max((s.end for s in self.sides), default=self.added[2] if self.added else 0)

    @property
    def sides(self) -> list[Side]:
        return [s for s in (self.a, self.b) if s is not None]

    @classmethod
    def of(
        cls,
        document_id: int,
        document: str,
        kind: str,
        coders: tuple[str, str],
        a: Side | None,
        b: Side | None,
        overlap: float,
    ) -> Disagreement:
        codes = [s.code for s in (a, b) if s is not None]
        ids = ([f"a{a.id}"] if a else []) + ([f"b{b.id}"] if b else [])
        return cls(
            id="-".join(ids),
            document=document,
            kind=kind,
            code=" | ".join(dict.fromkeys(codes)),
            coder_a=coders[0],
            code_a=a.code if a else None,
            start_a=a.start if a else None,
            end_a=a.end if a else None,
            text_a=a.text if a else None,
            coder_b=coders[1],
            code_b=b.code if b else None,
            start_b=b.start if b else None,
            end_b=b.end if b else None,
            text_b=b.text if b else None,
            overlap=round(overlap, 3),
            document_id=document_id,
            a=a,
            b=b,
        )

    def snapshot(self) -> dict[str, Any]:
        """The disagreement as the meeting saw it, for the decision log."""

        def side(s: Side | None) -> dict[str, Any] | None:
            return None if s is None else {**s.ref(), "code_id": s.code_id, "text": s.text}

        return {
            "id": self.id,
            "kind": self.kind,
            "document": self.document,
            "coders": [self.coder_a, self.coder_b],
            "overlap": self.overlap,
            "a": side(self.a),
            "b": side(self.b),
        }

    @classmethod
    def from_snapshot(cls, document_id: int, snap: dict[str, Any]) -> Disagreement:
        def side(d: dict[str, Any] | None) -> Side | None:
            if d is None:
                return None
            return Side(
                d["id"], d["coder"], d["code"], d["code_id"], d["start"], d["end"], d["text"]
            )

        coders = (snap["coders"][0], snap["coders"][1])
        a, b = side(snap.get("a")), side(snap.get("b"))
        item = cls.of(document_id, snap["document"], snap["kind"], coders, a, b, snap["overlap"])
        item.id = str(snap["id"])
        added = snap.get("added")
        if added:
            item.added = (int(added["code_id"]), int(added["start"]), int(added["end"]))
            item.code = str(added["code"])
        return item


DISAGREEMENT_COLUMNS = (
    "id",
    "document",
    "kind",
    "code",
    "coder_a",
    "code_a",
    "start_a",
    "end_a",
    "text_a",
    "coder_b",
    "code_b",
    "start_b",
    "end_b",
    "text_b",
    "overlap",
)


@dataclass(slots=True)
class StartSummary:
    layer: str
    coders: list[str]
    added: int
    agreed: int
    decided: int
    open: int


@dataclass(slots=True)
class StatusRow:
    """One layer's counts; the action columns count the decisions in force."""

    layer: str
    coders: list[str]
    min_overlap: float
    compared: int
    agreed: int
    decided: int
    open: int
    keep_a: int
    keep_b: int
    keep_both: int
    merge: int
    edit: int
    drop: int
    added: int
    overturned: int
    revised: int
    consensus_codings: int


@dataclass(slots=True)
class DecisionRow:
    decision: int
    decided_at: str
    decided_by: str | None
    action: str
    reason: str
    document: str
    disagreement: str
    kind: str
    code: str
    source: str
    result: str
    superseded_by: int | None
    supersedes: int | None
    source_codings: list[dict[str, Any]] = field(default_factory=list)
    result_codings: list[dict[str, Any]] = field(default_factory=list)


DECISION_COLUMNS = (
    "decision",
    "decided_at",
    "decided_by",
    "action",
    "reason",
    "document",
    "disagreement",
    "kind",
    "code",
    "source",
    "result",
    "superseded_by",
)


@dataclass(slots=True)
class FinalSummary:
    """What applying a final (reconciled) coding table recorded, by kind of decision.

    Counted per unit and code: ``agreed`` both coders had it and the table keeps it;
    ``kept_a`` / ``kept_b`` only that coder had it and the table keeps it; ``added`` neither had
    it; ``overturned`` both had it and the table leaves it out; ``dropped_a`` / ``dropped_b``
    only that coder had it and the table leaves it out. ``outside`` counts coders' codings that
    touch no unit at all (text outside every turn), dropped too.
    """

    layer: str
    coders: list[str]
    source: str
    unit: str
    batch: int | None
    agreed: int
    kept_a: int
    kept_b: int
    added: int
    overturned: int
    dropped_a: int
    dropped_b: int
    outside: int
    decisions: int
    consensus_codings: int
    inserted: int
    removed: int


@dataclass(frozen=True, slots=True)
class Request:
    """One decision asked for (from the API, a file row or the walk)."""

    id: str
    action: str
    reason: str = ""
    decided_by: str | None = None
    start: int | None = None
    end: int | None = None
    code: str | None = None
    revise: bool = False
    row: int | None = None  # the file row it came from
