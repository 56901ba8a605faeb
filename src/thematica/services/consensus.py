"""Consensus: two coders' disagreements reconciled, one by one, into a consensus coder layer.

``start`` pairs coder A's and coder B's codings per document and code
(:func:`thematica.core.segments.match_segments`). Identical spans go into the consensus layer at
once, each logged as an ``agreed`` decision. Everything else is a disagreement the team decides
in its meeting: ``keep_a``, ``keep_b``, ``keep_both``, ``merge`` (the union of the spans),
``edit`` (an explicit span and code) or ``drop``, with a free-text reason.

A disagreement is one of

* ``boundary``: both coders applied the same code to overlapping but different spans;
* ``only_a`` / ``only_b``: one coder applied a code the other did not apply there;
* ``different_code``: an ``only_a`` and an ``only_b`` of different codes over the same text,
  shown together so the meeting sees "alex said X, sam said Y".

Its id is made of the source coding ids (``a12-b40``, ``a12``, ``b40``), so it stays the same
between runs. Every decision writes its consensus codings and one row of the decision log
(``consensus_decision``: the disagreement as shown, the source codings, the result codings,
who, when, why) in one transaction. The two coders' own codings are never changed. Decisions
are never deleted: ``revise=True`` logs a new decision that supersedes the old one and replaces
the consensus codings the old one wrote.

The layer is a coder of kind ``consensus``; once it exists, reads that name no coder use it.
Which coders a layer compares (and its ``min_overlap``) is recorded in the audit log by
``start`` (action ``consensus_start``), which is append-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.segments import Segment, SegmentPair, match_segments, overlap_share
from thematica.core.tables import Table
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.services.codebook import CodeIndex
    from thematica.services.project import Project

ACTIONS = ("keep_a", "keep_b", "keep_both", "merge", "edit", "drop")
KINDS = ("boundary", "only_a", "only_b", "different_code")
AGREED_REASON = "identical spans: both coders applied this code to exactly this text"
DEFAULT_LAYER = "consensus"
FILE_COLUMNS = ("id", "action", "reason", "start", "end", "code", "decided_by", "revise")


# -- rows ---------------------------------------------------------------------------------


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

    @property
    def start(self) -> int:
        return min(s.start for s in (self.a, self.b) if s is not None)

    @property
    def end(self) -> int:
        return max(s.end for s in (self.a, self.b) if s is not None)

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
        return cls.of(document_id, snap["document"], snap["kind"], coders, a, b, snap["overlap"])


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


# -- internals ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layer:
    name: str
    coder_id: int
    coders: tuple[str, str]
    coder_ids: tuple[int, int]
    min_overlap: float


@dataclass(slots=True)
class _Logged:
    id: int
    disagreement_id: str
    action: str
    result_ids: set[int]


@dataclass(slots=True)
class _Plan:
    item: Disagreement
    action: str
    reason: str
    decided_by: str
    results: list[tuple[int, int, int]]  # (code_id, start, end)
    supersedes: _Logged | None


def _describe(refs: Iterable[dict[str, Any]]) -> str:
    return "; ".join(
        f"{r['coder']} #{r['id']} {r['code']} [{r['start']}, {r['end']})" for r in refs
    )


def _fmt_time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


class Consensus:
    """The consensus workflow of one project: ``project.consensus``."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- layers -----------------------------------------------------------------------------
    def layers(self) -> list[str]:
        """Names of the project's consensus layers."""
        with self.project.db.read() as conn:
            return list(self._layer_names(conn))

    def _layer_names(self, conn: Connection) -> dict[str, int]:
        c = t.coder.c
        return {
            r.name: int(r.id)
            for r in conn.execute(
                select(c.id, c.name)
                .where(c.project_id == self.project.id, c.kind == "consensus")
                .order_by(c.id)
            )
        }

    def _starts(self, conn: Connection) -> dict[str, dict[str, Any]]:
        """The latest ``consensus_start`` record per layer name."""
        a = t.audit_log.c
        out: dict[str, dict[str, Any]] = {}
        for detail in conn.scalars(
            select(a.detail)
            .where(a.project_id == self.project.id, a.action == "consensus_start")
            .order_by(a.id)
        ):
            if isinstance(detail, dict) and detail.get("layer"):
                out[str(detail["layer"])] = detail
        return out

    def _layer(self, conn: Connection, name: str | None) -> _Layer:
        names = self._layer_names(conn)
        if name is None:
            if not names:
                raise NotFoundError(
                    "no consensus layer yet; run 'thematica consensus start --coders A,B'"
                )
            if len(names) > 1:
                raise InputError(
                    f"this project has {len(names)} consensus layers ({', '.join(names)}); "
                    "choose one with --name"
                )
            name = next(iter(names))
        if name not in names:
            raise NotFoundError(
                f"no consensus layer named {name!r}"
                + (f"; layers: {', '.join(names)}" if names else "")
            )
        record = self._starts(conn).get(name)
        if record is None:
            raise NotFoundError(
                f"consensus layer {name!r} has no recorded coders; "
                f"run 'thematica consensus start --coders A,B --name {name}'"
            )
        coders = (str(record["coders"][0]), str(record["coders"][1]))
        ids = self._human_coder_ids(conn, coders)
        return _Layer(name, names[name], coders, ids, float(record.get("min_overlap") or 0.0))

    def _human_coder_ids(self, conn: Connection, coders: Sequence[str]) -> tuple[int, int]:
        c = t.coder.c
        rows = {
            r.name: (int(r.id), r.kind)
            for r in conn.execute(
                select(c.id, c.name, c.kind).where(c.project_id == self.project.id)
            )
        }
        for name in coders:
            if name not in rows:
                known = ", ".join(n for n, v in rows.items() if v[1] != "consensus")
                raise NotFoundError(f"no coder named {name!r}; coders: {known or 'none yet'}")
            if rows[name][1] == "consensus":
                raise InputError(f"{name!r} is a consensus layer, not a coder to compare")
        return rows[coders[0]][0], rows[coders[1]][0]

    # -- comparison ---------------------------------------------------------------------------
    def _compare(self, conn: Connection, layer: _Layer, index: CodeIndex) -> list[Disagreement]:
        """Every pairing of A's and B's codings, agreed ones included, in document order."""
        c = t.coding.c
        id_a, id_b = layer.coder_ids
        segs: dict[int, list[Segment]] = {id_a: [], id_b: []}
        for r in conn.execute(
            select(c.id, c.document_id, c.code_id, c.coder_id, c.start, c.end).where(
                c.project_id == self.project.id, c.coder_id.in_([id_a, id_b])
            )
        ):
            segs[r.coder_id].append(Segment(r.id, r.document_id, r.code_id, r.start, r.end))
        pairs = match_segments(segs[id_a], segs[id_b], min_overlap=layer.min_overlap)
        grouped = _group_different_codes(pairs)
        doc_ids = sorted({p[0].document_id for p in grouped})
        docs: dict[int, tuple[str, str]] = {}
        d = t.document.c
        for i in range(0, len(doc_ids), 500):
            for doc in conn.execute(
                select(d.id, d.name, d.text).where(d.id.in_(doc_ids[i : i + 500]))
            ):
                docs[int(doc.id)] = (doc.name, doc.text)

        def side(seg: Segment | None, coder: str) -> Side | None:
            if seg is None:
                return None
            text = docs[seg.document_id][1]
            return Side(
                seg.id,
                coder,
                index.paths.get(seg.code_id, f"#{seg.code_id}"),
                seg.code_id,
                seg.start,
                seg.end,
                text[seg.start : seg.end],
            )

        items = []
        for pair, kind in grouped:
            doc_name = docs[pair.document_id][0]
            items.append(
                Disagreement.of(
                    pair.document_id,
                    doc_name,
                    kind,
                    layer.coders,
                    side(pair.a, layer.coders[0]),
                    side(pair.b, layer.coders[1]),
                    pair.overlap,
                )
            )
        items.sort(key=lambda x: (x.document, x.start, x.end, x.id))
        return items

    def _logged(self, conn: Connection, layer: _Layer) -> list[Any]:
        """All decision rows of a layer, oldest first."""
        cd = t.consensus_decision.c
        rows = conn.execute(
            select(t.consensus_decision, t.document.c.name.label("document_name"))
            .join(t.document, t.document.c.id == cd.document_id)
            .where(cd.project_id == self.project.id)
            .order_by(cd.id)
        ).all()
        return [r for r in rows if (r.disagreement or {}).get("layer") == layer.name]

    @staticmethod
    def _active(rows: Sequence[Any]) -> dict[str, _Logged]:
        """The decision in force for each decided disagreement (the newest one)."""
        active: dict[str, _Logged] = {}
        for r in rows:
            did = str(r.disagreement["id"])
            active[did] = _Logged(
                int(r.id), did, r.action, {int(x["id"]) for x in r.result_codings or []}
            )
        return active

    # -- the public API ----------------------------------------------------------------------
    def start(
        self,
        coders: Sequence[str] | str = ("alex", "sam"),
        name: str = DEFAULT_LAYER,
        min_overlap: float = 0.0,
        decided_by: str | None = None,
    ) -> StartSummary:
        """Create (or bring up to date) a consensus layer comparing two coders.

        Identical spans go into the layer, each logged as an ``agreed`` decision; running it
        again adds only what is new. Returns how many were added, agreed, decided and open.
        """
        from thematica.services.coding import check_coder_name
        from thematica.services.project import now

        if isinstance(coders, str):
            coders = [x.strip() for x in coders.split(",") if x.strip()]
        pair = [check_coder_name(x) for x in coders]
        if len(pair) != 2 or pair[0] == pair[1]:
            raise InputError("consensus compares exactly two different coders, e.g. --coders A,B")
        name = check_coder_name(name)
        if name in pair:
            raise InputError(f"the consensus layer cannot be named after a coder ({name!r})")
        if not 0.0 <= min_overlap <= 1.0:
            raise InputError("min_overlap must be between 0 and 1")
        with self.project.db.write() as conn:
            ids = self._human_coder_ids(conn, pair)
            c = t.coder.c
            existing = conn.execute(
                select(c.id, c.kind).where(c.project_id == self.project.id, c.name == name)
            ).first()
            record = self._starts(conn).get(name)
            if existing is not None and existing.kind != "consensus":
                raise ConflictError(
                    f"{name!r} is a coder of this project; name the consensus layer otherwise"
                )
            if existing is not None and record is not None:
                if list(record["coders"]) != pair:
                    raise ConflictError(
                        f"consensus layer {name!r} compares {', '.join(record['coders'])}; "
                        "start another one with --name"
                    )
                if float(record.get("min_overlap") or 0.0) != float(min_overlap):
                    raise ConflictError(
                        f"consensus layer {name!r} was started with min_overlap "
                        f"{record.get('min_overlap')}; start another one with --name"
                    )
            if existing is None:
                layer_id = int(
                    conn.execute(
                        insert(t.coder).values(
                            project_id=self.project.id,
                            name=name,
                            kind="consensus",
                            created_at=now(),
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                )
            else:
                layer_id = int(existing.id)
            if record is None or existing is None:
                self.project.audit(
                    conn,
                    "consensus_start",
                    decided_by,
                    layer=name,
                    coders=pair,
                    min_overlap=float(min_overlap),
                )
            layer = _Layer(name, layer_id, (pair[0], pair[1]), ids, float(min_overlap))
            index = self.project.codebook.index(conn)
            items = self._compare(conn, layer, index)
            rows = self._logged(conn, layer)
            active = self._active(rows)
            decided_ids = {str(r.disagreement["id"]) for r in rows}
            who = decided_by or "+".join(pair)
            plans = [
                _Plan(item, "agreed", AGREED_REASON, who, _results(item, "keep_a"), None)
                for item in items
                if item.kind == "agreed" and item.id not in decided_ids
            ]
            self._write(conn, layer, plans, active)
            agreed = sum(1 for x in active.values() if x.action == "agreed")
            decided = len(active) - agreed
            open_ = sum(1 for i in items if i.kind != "agreed" and i.id not in decided_ids)
        return StartSummary(name, pair, len(plans), agreed, decided, open_)

    def disagreements(
        self,
        *,
        name: str | None = None,
        document: str | None = None,
        code: str | None = None,
        kind: str | None = None,
    ) -> Table[Disagreement]:
        """The open disagreements (not yet decided), in document order."""
        if kind is not None and kind not in KINDS:
            raise InputError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        with self.project.db.read() as conn:
            layer = self._layer(conn, name)
            index = self.project.codebook.index(conn)
            decided = {str(r.disagreement["id"]) for r in self._logged(conn, layer)}
            items = [i for i in self._compare(conn, layer, index) if i.kind != "agreed"]
            items = [i for i in items if i.id not in decided]
            if document is not None:
                doc_id = self.project.documents.id_of(conn, document)
                items = [i for i in items if i.document_id == doc_id]
            if code is not None:
                wanted = set(index.subtree(index.resolve(code)))
                items = [i for i in items if any(s.code_id in wanted for s in i.sides)]
        if kind is not None:
            items = [i for i in items if i.kind == kind]
        return Table(
            items, columns=DISAGREEMENT_COLUMNS, title=f"Open disagreements ({layer.name})"
        )

    def decide(
        self,
        disagreement_id: str,
        action: str,
        reason: str = "",
        decided_by: str | None = None,
        start: int | None = None,
        end: int | None = None,
        code: str | None = None,
        *,
        revise: bool = False,
        name: str | None = None,
    ) -> DecisionRow:
        """Decide one disagreement: write its consensus codings and one decision-log row.

        ``action`` is keep_a | keep_b | keep_both | merge | edit | drop. ``edit`` needs
        ``start`` and ``end`` (and ``code`` when the coders used different codes); ``merge``
        takes ``code`` when they did. A decided disagreement is refused unless ``revise`` is
        true: then a new decision supersedes the old one (which stays in the log).
        """
        request = Request(
            str(disagreement_id).strip(),
            action,
            reason,
            decided_by,
            start,
            end,
            code,
            revise,
        )
        ids = self._decide_many([request], name=name, source=None)
        return self._log_rows(ids, name)[0]

    def apply_file(self, path: str | Path, *, name: str | None = None) -> int:
        """Apply decisions from a CSV/XLSX file, all or nothing; returns how many.

        Columns: ``id`` (or ``disagreement``), ``action``, and optionally ``reason``, ``start``,
        ``end``, ``code``, ``decided_by``, ``revise`` (yes/no).
        """
        from thematica.services.tabular import read_table

        path = Path(path)
        header, rows = read_table(path)
        cols: dict[str, int] = {}
        for i, h in enumerate(header):
            key = h.strip().lower().replace(" ", "_")
            key = {"disagreement": "id", "disagreement_id": "id", "by": "decided_by"}.get(key, key)
            if key not in FILE_COLUMNS:
                raise InputError(
                    f"{path.name}: unknown column {h!r}; columns: {', '.join(FILE_COLUMNS)}"
                )
            cols[key] = i
        for need in ("id", "action"):
            if need not in cols:
                raise InputError(f"{path.name}: needs an {need!r} column")
        requests: list[Request] = []
        for n, row in enumerate(rows, 2):

            def cell(key: str, row: Sequence[str] = row) -> str:
                i = cols.get(key)
                return row[i].strip() if i is not None and i < len(row) else ""

            if not any(x.strip() for x in row):
                continue
            where = f"{path.name}: row {n}"
            if not cell("id") or not cell("action"):
                raise InputError(f"{where}: id and action must not be empty")
            try:
                start = int(cell("start")) if cell("start") else None
                end = int(cell("end")) if cell("end") else None
            except ValueError as exc:
                raise InputError(f"{where}: start and end must be whole numbers") from exc
            revise = cell("revise").lower()
            if revise not in ("", "yes", "no", "true", "false", "1", "0", "y", "n"):
                raise InputError(f"{where}: revise must be yes or no")
            requests.append(
                Request(
                    cell("id"),
                    cell("action"),
                    cell("reason"),
                    cell("decided_by") or None,
                    start,
                    end,
                    cell("code") or None,
                    revise in ("yes", "true", "1", "y"),
                    row=n,
                )
            )
        if not requests:
            raise InputError(f"{path.name}: no decisions in the file")
        return len(self._decide_many(requests, name=name, source=path.name))

    def log(
        self,
        *,
        name: str | None = None,
        document: str | None = None,
        include_agreed: bool = True,
    ) -> Table[DecisionRow]:
        """Every decision, oldest first: who, when, what, why, the codings it was about and
        the consensus codings it wrote; superseded decisions stay, marked ``superseded_by``."""
        with self.project.db.read() as conn:
            layer = self._layer(conn, name)
            rows = self._logged(conn, layer)
            if document is not None:
                doc_id = self.project.documents.id_of(conn, document)
                rows = [r for r in rows if r.document_id == doc_id]
        out = _decision_rows(rows)
        if not include_agreed:
            out = [r for r in out if r.action != "agreed"]
        return Table(out, columns=DECISION_COLUMNS, title=f"Consensus decisions ({layer.name})")

    def status(self, *, name: str | None = None) -> Table[StatusRow]:
        """Counts: pairings compared, agreed, decided (by action), open, consensus codings."""
        with self.project.db.read() as conn:
            layer = self._layer(conn, name)
            index = self.project.codebook.index(conn)
            items = self._compare(conn, layer, index)
            rows = self._logged(conn, layer)
            n_codings = int(
                conn.scalar(
                    select(func.count()).where(
                        t.coding.c.project_id == self.project.id,
                        t.coding.c.coder_id == layer.coder_id,
                    )
                )
                or 0
            )
        active = self._active(rows)
        decided_ids = {str(r.disagreement["id"]) for r in rows}
        actions = [x.action for x in active.values()]
        row = StatusRow(
            layer=layer.name,
            coders=list(layer.coders),
            min_overlap=layer.min_overlap,
            compared=len(items),
            agreed=actions.count("agreed"),
            decided=len(actions) - actions.count("agreed"),
            open=sum(1 for i in items if i.kind != "agreed" and i.id not in decided_ids),
            keep_a=actions.count("keep_a"),
            keep_b=actions.count("keep_b"),
            keep_both=actions.count("keep_both"),
            merge=actions.count("merge"),
            edit=actions.count("edit"),
            drop=actions.count("drop"),
            revised=len(rows) - len(active),
            consensus_codings=n_codings,
        )
        return Table([row], title=f"Consensus ({layer.name})")

    # -- deciding ----------------------------------------------------------------------------
    def _decide_many(
        self, requests: Sequence[Request], *, name: str | None, source: str | None
    ) -> list[int]:
        """Validate every request, then write them all in one transaction."""
        with self.project.db.write() as conn:
            layer = self._layer(conn, name)
            index = self.project.codebook.index(conn)
            items = {i.id: i for i in self._compare(conn, layer, index)}
            rows = self._logged(conn, layer)
            active = self._active(rows)
            snapshots = {str(r.disagreement["id"]): r for r in rows}
            lengths: dict[int, int] = {}
            seen: set[str] = set()
            plans: list[_Plan] = []
            for n, req in enumerate(requests, 1):
                if source:
                    where = f"{source}: row {req.row or n + 1}: "
                else:
                    where = f"decision {n}: " if len(requests) > 1 else ""
                try:
                    plans.append(
                        self._plan(conn, layer, index, req, items, active, snapshots, lengths, seen)
                    )
                except (InputError, NotFoundError, ConflictError) as exc:
                    raise type(exc)(f"{where}{exc}") from exc
            return self._write(conn, layer, plans, active)

    def _plan(
        self,
        conn: Connection,
        layer: _Layer,
        index: CodeIndex,
        req: Request,
        items: dict[str, Disagreement],
        active: dict[str, _Logged],
        snapshots: dict[str, Any],
        lengths: dict[int, int],
        seen: set[str],
    ) -> _Plan:
        action = req.action.strip().lower()
        if action not in ACTIONS:
            raise InputError(f"unknown action {req.action!r}; one of {', '.join(ACTIONS)}")
        did = req.id.strip()
        if did in seen:
            raise InputError(f"disagreement {did} is decided twice")
        seen.add(did)
        old = active.get(did)
        if old is not None and not req.revise:
            raise ConflictError(
                f"disagreement {did} is already decided ({old.action}, decision {old.id}); "
                "revise it to replace that decision"
            )
        if old is None and req.revise:
            raise InputError(f"disagreement {did} has not been decided yet; nothing to revise")
        if did in items:
            item = items[did]
        elif old is not None:
            snap = snapshots[did]
            item = Disagreement.from_snapshot(int(snap.document_id), snap.disagreement)
        else:
            raise NotFoundError(
                f"no open disagreement {did!r} in consensus layer {layer.name!r} "
                "(see 'thematica consensus list')"
            )
        if action != "edit" and (req.start is not None or req.end is not None):
            raise InputError(f"start and end are only for edit, not {action}")
        if action not in ("edit", "merge") and req.code:
            raise InputError(f"a code is only for edit or merge, not {action}")
        codes = {s.code_id for s in item.sides}
        code_id: int | None = None
        if req.code:
            code_id = index.resolve(req.code)
        if action == "merge":
            if item.a is None or item.b is None:
                raise InputError(
                    f"merge needs both coders' spans; {did} is {item.kind} (use keep_a, keep_b, "
                    "edit or drop)"
                )
            if code_id is None and len(codes) > 1:
                raise InputError(
                    f"the coders used different codes ({item.code}); merge needs a code"
                )
        results: list[tuple[int, int, int]]
        if action == "edit":
            if req.start is None or req.end is None:
                raise InputError("edit needs a start and an end")
            if code_id is None:
                if len(codes) > 1:
                    raise InputError(
                        f"the coders used different codes ({item.code}); edit needs a code"
                    )
                code_id = next(iter(codes))
            if item.document_id not in lengths:
                lengths[item.document_id] = int(
                    conn.scalar(
                        select(t.document.c.length).where(t.document.c.id == item.document_id)
                    )
                    or 0
                )
            length = lengths[item.document_id]
            if not 0 <= req.start < req.end <= length:
                raise InputError(
                    f"span [{req.start}, {req.end}) is outside {item.document} "
                    f"(0 to {length}) or empty"
                )
            results = [(code_id, req.start, req.end)]
        else:
            results = _results(item, action, code_id)
        for cid, _s, _e in results:
            if cid not in index.rows:
                raise NotFoundError(f"code #{cid} of {did} is no longer in the codebook")
        reason = " ".join((req.reason or "").split())
        who = (req.decided_by or "").strip() or "+".join(layer.coders)
        return _Plan(item, action, reason, who, results, old)

    def _write(
        self, conn: Connection, layer: _Layer, plans: Sequence[_Plan], active: dict[str, _Logged]
    ) -> list[int]:
        from thematica.services.project import now

        if not plans:
            return []
        index = self.project.codebook.index(conn)
        c = t.coding.c
        stamp = now()
        written: list[int] = []
        for plan in plans:
            if plan.supersedes is not None:
                old = plan.supersedes
                still_used: set[int] = set()
                for did, logged in active.items():
                    if did != old.disagreement_id:
                        still_used |= logged.result_ids
                orphans = sorted(old.result_ids - still_used)
                if orphans:
                    conn.execute(
                        delete(t.coding).where(c.id.in_(orphans), c.coder_id == layer.coder_id)
                    )
            result_refs: list[dict[str, Any]] = []
            for code_id, start, end in dict.fromkeys(plan.results):
                cid = conn.scalar(
                    select(c.id).where(
                        c.document_id == plan.item.document_id,
                        c.code_id == code_id,
                        c.coder_id == layer.coder_id,
                        c.start == start,
                        c.end == end,
                    )
                )
                if cid is None:
                    cid = conn.execute(
                        insert(t.coding).values(
                            project_id=self.project.id,
                            document_id=plan.item.document_id,
                            code_id=code_id,
                            coder_id=layer.coder_id,
                            start=start,
                            end=end,
                            memo=None,
                            starred=False,
                            created_at=stamp,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                result_refs.append(
                    {
                        "id": int(cid),
                        "coder": layer.name,
                        "code": index.paths[code_id],
                        "start": start,
                        "end": end,
                    }
                )
            snapshot = {
                **plan.item.snapshot(),
                "layer": layer.name,
                "min_overlap": layer.min_overlap,
                "supersedes": plan.supersedes.id if plan.supersedes else None,
            }
            decision_id = int(
                conn.execute(
                    insert(t.consensus_decision).values(
                        project_id=self.project.id,
                        document_id=plan.item.document_id,
                        disagreement=snapshot,
                        action=plan.action,
                        reason=plan.reason,
                        decided_by=plan.decided_by,
                        decided_at=stamp,
                        source_codings=[s.ref() for s in plan.item.sides],
                        result_codings=result_refs,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            active[plan.item.id] = _Logged(
                decision_id, plan.item.id, plan.action, {r["id"] for r in result_refs}
            )
            written.append(decision_id)
        agreed = sum(1 for p in plans if p.action == "agreed")
        self.project.audit(
            conn,
            "consensus_decide",
            plans[0].decided_by,
            layer=layer.name,
            decisions=len(plans),
            agreed=agreed,
            revised=sum(1 for p in plans if p.supersedes is not None),
            first=written[0],
            last=written[-1],
        )
        return written

    def _log_rows(self, ids: Sequence[int], name: str | None) -> list[DecisionRow]:
        wanted = set(ids)
        with self.project.db.read() as conn:
            layer = self._layer(conn, name)
            rows = self._logged(conn, layer)
        return [r for r in _decision_rows(rows) if r.decision in wanted]


def _results(
    item: Disagreement, action: str, code_id: int | None = None
) -> list[tuple[int, int, int]]:
    """The consensus codings an action makes of a disagreement (edit is handled apart)."""
    if action == "keep_a":
        sides = [item.a]
    elif action == "keep_b":
        sides = [item.b]
    elif action == "keep_both":
        sides = [item.a, item.b]
    elif action == "merge":
        assert item.a is not None and item.b is not None
        code = code_id if code_id is not None else item.a.code_id
        return [(code, min(item.a.start, item.b.start), max(item.a.end, item.b.end))]
    else:  # drop
        return []
    out = [(s.code_id, s.start, s.end) for s in sides if s is not None]
    return list(dict.fromkeys(out))


def _group_different_codes(pairs: Sequence[SegmentPair]) -> list[tuple[SegmentPair, str]]:
    """Pairs with their kind; an only_a and an only_b of different codes that overlap become
    one ``different_code`` disagreement (best overlap first, one-to-one, per document)."""
    out: list[tuple[SegmentPair, str]] = []
    lone_a: dict[int, list[Segment]] = {}
    lone_b: dict[int, list[Segment]] = {}
    for p in pairs:
        if p.kind == "only_a" and p.a is not None:
            lone_a.setdefault(p.document_id, []).append(p.a)
        elif p.kind == "only_b" and p.b is not None:
            lone_b.setdefault(p.document_id, []).append(p.b)
        else:
            out.append((p, p.kind))
    for doc_id in sorted(set(lone_a) | set(lone_b)):
        xs = lone_a.get(doc_id, [])
        ys = lone_b.get(doc_id, [])
        candidates = sorted(
            (
                (-overlap_share(x, y), x.start, x.id, y.id, i, j)
                for i, x in enumerate(xs)
                for j, y in enumerate(ys)
                if x.code_id != y.code_id and overlap_share(x, y) > 0
            ),
        )
        used_x: set[int] = set()
        used_y: set[int] = set()
        for neg, *_rest, i, j in candidates:
            if i in used_x or j in used_y:
                continue
            used_x.add(i)
            used_y.add(j)
            out.append((SegmentPair(xs[i], ys[j], -neg), "different_code"))
        out.extend(
            (SegmentPair(x, None, 0.0), "only_a") for i, x in enumerate(xs) if i not in used_x
        )
        out.extend(
            (SegmentPair(None, y, 0.0), "only_b") for j, y in enumerate(ys) if j not in used_y
        )
    return out


def _decision_rows(rows: Sequence[Any]) -> list[DecisionRow]:
    superseded_by: dict[int, int] = {}
    for r in rows:
        old = (r.disagreement or {}).get("supersedes")
        if old is not None:
            superseded_by[int(old)] = int(r.id)
    out = []
    for r in rows:
        snap = r.disagreement or {}
        source = list(r.source_codings or [])
        result = list(r.result_codings or [])
        codes = [x["code"] for x in source] + [x["code"] for x in result]
        out.append(
            DecisionRow(
                decision=int(r.id),
                decided_at=_fmt_time(r.decided_at),
                decided_by=r.decided_by,
                action=r.action,
                reason=r.reason or "",
                document=r.document_name,
                disagreement=str(snap.get("id", "")),
                kind=str(snap.get("kind", "")),
                code=" | ".join(dict.fromkeys(codes)),
                source=_describe(source),
                result=_describe(result) if result else "(nothing coded)",
                superseded_by=superseded_by.get(int(r.id)),
                supersedes=snap.get("supersedes"),
                source_codings=source,
                result_codings=result,
            )
        )
    return out
