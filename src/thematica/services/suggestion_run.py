"""Writing one suggestion run: the AI layer, the ``ai_run`` row, and each document's
suggestions in a transaction of their own, so a run that stops keeps what it finished.

Kept apart from ``services/suggestions.py`` (which decides what a run covers and how it is
calibrated) because the writing is long; nothing here is a public operation — it runs inside
``project.suggestions.suggest``, which has made the permission checks.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from thematica.core.models import Turn
from thematica.core.speaker_scope import SpeakerScope
from thematica.core.tables import Table
from thematica.services._progress import Progress
from thematica.services.suggestion_review import TEXT_WIDTH, SuggestionRow
from thematica.store import insert_ignoring_duplicates
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.ai.calibration import Calibration
    from thematica.ai.scoring import CodeText, UnitScores
    from thematica.ai.unit_scoring import DocUnits, UnitScorer
    from thematica.services.project import Project

__all__ = ["Plan", "RunWriter", "SuggestRun", "read_texts", "read_turns", "read_units"]

_CHUNK = 500
#: the review side's row may carry the stored evidence (the web reader's "why")
_ROW_HAS_EVIDENCE = "evidence" in {f.name for f in dataclasses.fields(SuggestionRow)}
#: characters of a label kept in a suggestion's evidence
_LABEL_WIDTH = 200


@dataclass(slots=True)
class SuggestRun:
    """What one ``suggest`` call did. ``documents``/``units``: scored by this call;
    ``suggestions``: stored by it (``skipped``: proposals already in the layer, open,
    accepted or rejected); ``calibration``: ``default:<backend>`` or ``project:<n> units``;
    ``speakers``: the speaker patterns read (None: all but the interviewer) and
    ``speaker_skipped`` the units this call left out for it (sentences, for the document
    unit)."""

    run_id: int
    layer: str
    backend: str
    model: str
    unit: str
    documents: int
    units: int
    suggestions: int
    calibration: str
    min_score: float
    rows: Table[SuggestionRow]
    skipped: int = 0
    resumed: bool = False
    learned_from: list[str] = field(default_factory=list)
    batch_id: int | None = None
    speakers: list[str] | None = None
    speaker_skipped: int = 0


@dataclass(slots=True)
class Plan:
    """What a run covers, resolved and checked before anything is loaded or written."""

    unit: str
    top: int
    min_score: float | None  # as asked (None: the calibration's threshold)
    backend: str
    code_ids: list[int]
    codes: list[CodeText]
    paths: list[str]
    docs: list[tuple[int, str]]
    learn: list[tuple[int, str, str]] = field(default_factory=list)  # coder id, name, kind
    asked_codes: list[str] | None = None
    asked_documents: list[str] | None = None
    example_ids: list[int] = field(default_factory=list)  # coding ids of the examples
    speakers: SpeakerScope = field(default_factory=SpeakerScope)

    def parameters(self) -> dict[str, Any]:
        """What was asked for, as stored with the run (and compared on resume)."""
        return {
            "unit": self.unit,
            "top": self.top,
            "min_score": self.min_score,
            "codes": self.asked_codes,
            "documents": self.asked_documents,
            "learn_from": [name for _id, name, _kind in self.learn],
            "speakers": self.speakers.parameter(),
        }


def read_texts(conn: Connection, doc_ids: Sequence[int]) -> dict[int, str]:
    d = t.document.c
    out: dict[int, str] = {}
    ids = sorted(set(doc_ids))
    for i in range(0, len(ids), 50):
        out.update(
            (int(r[0]), str(r[1]))
            for r in conn.execute(select(d.id, d.text).where(d.id.in_(ids[i : i + 50])))
        )
    return out


def read_turns(conn: Connection, doc_ids: Sequence[int]) -> dict[int, list[Turn]]:
    """Each document's stored speaker turns, in order (documents without turns left out)."""
    tr = t.turn.c
    out: dict[int, list[Turn]] = {}
    ids = sorted(set(doc_ids))
    for i in range(0, len(ids), _CHUNK):
        for doc_id, start, end, speaker in conn.execute(
            select(tr.document_id, tr.start, tr.end, tr.speaker)
            .where(tr.document_id.in_(ids[i : i + _CHUNK]))
            .order_by(tr.document_id, tr.position)
        ):
            out.setdefault(int(doc_id), []).append(Turn(int(start), int(end), speaker))
    return out


def read_units(
    conn: Connection,
    unit: str,
    doc_ids: Sequence[int],
    speakers: SpeakerScope | None = None,
) -> dict[int, tuple[str, DocUnits]]:
    """Each document's text and its ``unit`` units (turns as stored at import), only those
    of the ``speakers`` read (None: everyone)."""
    from thematica.ai.unit_scoring import cut_units

    ids = sorted(set(doc_ids))
    needed = unit == "turn" or (speakers is not None and not speakers.everyone)
    turns = read_turns(conn, ids) if needed else {}
    texts = read_texts(conn, ids)
    out: dict[int, tuple[str, DocUnits]] = {}
    for i in ids:
        if i not in texts:
            continue
        mine = turns.get(i, [])
        keep = speakers.keeper(mine) if speakers is not None else None
        spans = [(turn.start, turn.end) for turn in mine]
        out[i] = (texts[i], cut_units(texts[i], unit, spans, keep))
    return out


def _short(text: str, width: int = TEXT_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


class RunWriter:
    """Writes one run: :meth:`run` starts (or restarts) it, stores each document, and marks
    it done — or interrupted/failed, keeping the finished documents, when anything raises."""

    def __init__(
        self,
        project: Project,
        plan: Plan,
        scorer: UnitScorer,
        layer: str,
        calibration: Calibration,
        threshold: float,
        progress: Progress,
    ) -> None:
        from thematica.ai.scoring import ancestors

        self.project = project
        self.plan = plan
        self.scorer = scorer
        self.layer = layer
        self.calibration = calibration
        self.threshold = threshold
        self.progress = progress
        self.above = ancestors(plan.codes)
        self.path_of = {cid: plan.paths[n] for n, cid in enumerate(plan.code_ids)}
        self.coder_id = 0
        self.run_id = 0
        self.batch_id: int | None = None
        #: documents this run has finished and codings its batch holds, kept as the run goes
        #: (read once on resume) rather than counted again after every document
        self.finished = 0
        self.in_batch = 0
        self.stored = 0
        self.skipped = 0
        self.units = 0
        self.speaker_skipped = 0
        self.documents = 0
        self.rows: list[SuggestionRow] = []

    # -- the layer and the run row -------------------------------------------------------------
    def _meta(self, conn: Connection) -> dict[str, Any]:
        """The AI layer's meta: who made it and how; ``learned_from`` accumulates over runs
        (access follows every layer any run learned from)."""
        k = t.coder.c
        old = conn.scalar(
            select(k.meta).where(k.project_id == self.project.id, k.name == self.layer)
        )
        learned = [dict(x) for x in ((old or {}).get("learned_from") or [])]
        for _id, name, kind in self.plan.learn:
            if not any(x.get("layer") == name for x in learned):
                learned.append({"layer": name, "kind": kind})
        scoring = getattr(self.scorer, "params", None)
        parameters = {
            **self.scorer.parameters,
            "unit": self.plan.unit,
            "top": self.plan.top,
            "min_score": self.threshold,
            "calibration": self.calibration.as_dict(),
            "scoring": scoring.as_dict() if scoring is not None else None,
        }
        meta: dict[str, Any] = {
            "backend": self.scorer.backend,
            "model": self.scorer.model,
            "version": self.scorer.version,
            "parameters": parameters,
            "learned_from": learned,
            "provenance": self.scorer.provenance,
        }
        sha = self.scorer.parameters.get("sha256")
        if sha:
            meta["sha256"] = sha
        return meta

    def _layer(self, conn: Connection) -> int:
        """The AI layer's id, created (kind ``ai``) or its meta updated. Written here rather
        than through ``coding.ensure_coder``: a coder runs suggestions into the model's layer,
        which is not their own."""
        from thematica.core.errors import ConflictError
        from thematica.services.project import now

        k = t.coder.c
        meta = self._meta(conn)
        find = select(k.id, k.kind).where(k.project_id == self.project.id, k.name == self.layer)
        row = conn.execute(find).first()
        if row is None:
            conn.execute(
                insert_ignoring_duplicates(conn, t.coder).values(
                    project_id=self.project.id,
                    name=self.layer,
                    kind="ai",
                    meta=meta,
                    created_at=now(),
                )
            )
            row = conn.execute(find).one()
        if row.kind != "ai":
            raise ConflictError(
                f"coder {self.layer!r} is a {row.kind} layer, not an AI layer: rename it or "
                "change its kind"
            )
        conn.execute(update(t.coder).where(k.id == row.id).values(meta=meta))
        return int(row.id)

    def _start(self) -> None:
        from thematica.services.project import now

        params = {
            **self.plan.parameters(),
            "backend": self.plan.backend,
            "scoring": self._meta_scoring(),
        }
        with self.project.db.write() as conn:
            self.coder_id = self._layer(conn)
            self.batch_id = self.project.batches.open(conn, "suggest", self.layer, params)
            self.run_id = int(
                conn.execute(
                    insert(t.ai_run).values(
                        project_id=self.project.id,
                        kind="suggest",
                        coder_id=self.coder_id,
                        backend=self.plan.backend,
                        model=self.scorer.model,
                        parameters=params,
                        actor=self.project.access.name,
                        status="running",
                        done=0,
                        total=len(self.plan.docs),
                        result=self._result(),
                        started_at=now(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        self.project.access.forget_layers()

    def _meta_scoring(self) -> dict[str, Any] | None:
        scoring = getattr(self.scorer, "params", None)
        return scoring.as_dict() if scoring is not None else None

    def _result(self, **extra: Any) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "batch": self.batch_id,
            "calibration": self.calibration.as_dict(),
            "min_score": self.threshold,
            **extra,
        }

    def _finished(self, previous: Any) -> set[int]:
        """The documents an unfinished run already finished."""
        rd = t.ai_run_document.c
        with self.project.db.read() as conn:
            return {
                int(i) for i in conn.scalars(select(rd.document_id).where(rd.run_id == previous.id))
            }

    def _restart(self, previous: Any) -> None:
        """Pick up an unfinished run: the same row and batch (a new batch if that one was
        undone meanwhile)."""
        self.run_id = int(previous.id)
        old = dict(previous.result or {})
        b = t.coding_batch.c
        with self.project.db.write() as conn:
            self.coder_id = self._layer(conn)
            batch = old.get("batch")
            live = (
                batch is not None
                and conn.execute(select(b.id).where(b.id == batch, b.undone_at.is_(None))).first()
            )
            self.finished = int(
                conn.scalar(select(func.count()).where(t.ai_run_document.c.run_id == self.run_id))
                or 0
            )
            if live and batch is not None:
                self.batch_id = int(batch)
                self.in_batch = int(
                    conn.scalar(select(func.count()).where(t.coding.c.batch_id == self.batch_id))
                    or 0
                )
            else:
                self.batch_id = self.project.batches.open(
                    conn, "suggest", self.layer, dict(previous.parameters or {})
                )
            conn.execute(
                update(t.ai_run)
                .where(t.ai_run.c.id == self.run_id)
                .values(
                    status="running",
                    finished_at=None,
                    total=len(self.plan.docs),
                    result=self._result(),
                )
            )
        self.project.access.forget_layers()

    # -- the run -------------------------------------------------------------------------------
    def _begin(self, previous: Any) -> None:
        if previous is None:
            self._start()
        else:
            self._restart(previous)

    def run(self, previous: Any = None) -> SuggestRun:
        """Score and store each document not yet done. The run's rows are written with the
        first document's suggestions, so a run refused before that (a server that does not
        answer, a model's invalid answer) leaves nothing behind; after it, a run that stops
        is marked interrupted (Ctrl-C) or failed, keeping the documents it finished."""
        done = self._finished(previous) if previous is not None else set()
        total = len(self.plan.docs)
        finished = len([d for d, _n in self.plan.docs if d in done])
        self.progress(finished, total, "documents")
        started = False
        try:
            for doc_id, name in self.plan.docs:
                if doc_id in done:
                    continue
                with self.project.db.read() as conn:
                    found = read_units(conn, self.plan.unit, [doc_id], self.plan.speakers)
                text, units = found[doc_id]
                picks = self._choose(units, doc_id)
                if not started:
                    self._begin(previous)
                    started = True
                self._store(doc_id, name, text, units, picks)
                finished += 1
                self.progress(finished, total, name)
        except BaseException as exc:
            if started:
                status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
                with contextlib.suppress(Exception):  # the original error is what matters
                    self._finish(status, f"{type(exc).__name__}: {exc}".strip(": "))
            raise
        if not started:  # nothing was left to do
            self._begin(previous)
        self._finish("done", None)
        return SuggestRun(
            run_id=self.run_id,
            layer=self.layer,
            backend=self.plan.backend,
            model=self.scorer.model,
            unit=self.plan.unit,
            documents=self.documents,
            units=self.units,
            suggestions=self.stored,
            calibration=self.calibration.source,
            min_score=self.threshold,
            rows=Table.of(SuggestionRow, self.rows, title=f"Suggestions ({self.layer})"),
            skipped=self.skipped,
            resumed=previous is not None,
            learned_from=[name for _i, name, _k in self.plan.learn],
            batch_id=self.batch_id,
            speakers=self.plan.speakers.parameter(),
            speaker_skipped=self.speaker_skipped,
        )

    def _choose(
        self, units: DocUnits, doc_id: int
    ) -> list[tuple[int, int, int, float, dict[str, Any]]]:
        """(unit, code index, rank, probability, evidence) of each unit's kept codes."""
        from thematica.ai.scoring import top_codes

        self.units += len(units)
        self.speaker_skipped += units.skipped
        self.documents += 1
        if not len(units):
            return []
        scored = self.scorer.score(units, doc_id)
        probability = self.calibration.probability(scored.scores)
        picks = top_codes(
            probability, top=self.plan.top, min_score=self.threshold, above=self.above
        )
        out = []
        for u, chosen in enumerate(picks):
            for rank, (code, p) in enumerate(chosen, 1):
                out.append((u, code, rank, p, self._evidence(scored, u, code)))
        return out

    def _evidence(self, scored: UnitScores, u: int, code: int) -> dict[str, Any]:
        """Why: the nearest label (its code, kind and text) and the nearest team example."""
        labels = self.scorer.labels
        out: dict[str, Any] = {"raw": round(float(scored.scores[u, code]), 4)}
        j = int(scored.nearest_label[u, code])
        if j >= 0:
            out["label"] = {
                "code": self.plan.paths[labels.owner[j]],
                "kind": labels.kind[j],
                "text": _short(labels.texts[j], _LABEL_WIDTH),
                "similarity": round(float(scored.label_similarity[u, code]), 4),
            }
        e = int(scored.nearest_example[u, code]) if scored.nearest_example.size else -1
        if e >= 0 and e < len(self.plan.example_ids):
            out["example"] = {
                "coding": self.plan.example_ids[e],
                "similarity": round(float(scored.example_similarity[u, code]), 4),
            }
            out["weight"] = round(float(scored.weights[u, code]), 4)
        return out

    def _store(
        self,
        doc_id: int,
        name: str,
        text: str,
        units: DocUnits,
        picks: list[tuple[int, int, int, float, dict[str, Any]]],
    ) -> None:
        """One document in one transaction: its new codings in the AI layer, their
        suggestion rows, the ``ai_run_document`` row and the run's progress."""
        from thematica.services.project import now

        c, s = t.coding.c, t.suggestion.c
        stamp = now()
        with self.project.db.write() as conn:
            existing = {
                (int(r[0]), int(r[1]), int(r[2]))
                for r in conn.execute(
                    select(c.code_id, c.start, c.end).where(
                        c.coder_id == self.coder_id, c.document_id == doc_id
                    )
                )
            }
            pending: dict[tuple[int, int, int], tuple[int, float, dict[str, Any]]] = {}
            for u, code, rank, p, evidence in picks:
                start, end = units.spans[u]
                key = (self.plan.code_ids[code], start, end)
                if key in existing or key in pending:
                    self.skipped += 1
                    continue
                pending[key] = (rank, p, evidence)
            added: dict[tuple[int, int, int], int] = {}
            if pending:
                values = [
                    {
                        "project_id": self.project.id,
                        "document_id": doc_id,
                        "code_id": code_id,
                        "coder_id": self.coder_id,
                        "start": start,
                        "end": end,
                        "memo": None,
                        "starred": False,
                        "created_at": stamp,
                        "batch_id": self.batch_id,
                    }
                    for code_id, start, end in pending
                ]
                stmt = insert_ignoring_duplicates(conn, t.coding).returning(
                    c.id, c.code_id, c.start, c.end
                )
                for r in conn.execute(stmt, values):
                    added[(int(r.code_id), int(r.start), int(r.end))] = int(r.id)
                self.skipped += len(pending) - len(added)
            suggestion_rows = []
            for key, coding_id in added.items():
                rank, p, evidence = pending[key]
                suggestion_rows.append(
                    {
                        "project_id": self.project.id,
                        "run_id": self.run_id,
                        "coding_id": coding_id,
                        "score": round(p, 6),
                        "rank": rank,
                        "evidence": evidence,
                        "status": "open",
                    }
                )
            ids: dict[int, int] = {}
            if suggestion_rows:
                for r in conn.execute(
                    insert(t.suggestion).returning(s.id, s.coding_id), suggestion_rows
                ):
                    ids[int(r.coding_id)] = int(r.id)
            inserted = conn.execute(
                insert_ignoring_duplicates(conn, t.ai_run_document).values(
                    run_id=self.run_id, document_id=doc_id, suggestions=len(added), done_at=stamp
                )
            ).rowcount
            finished = self.finished + (1 if inserted else 0)
            conn.execute(update(t.ai_run).where(t.ai_run.c.id == self.run_id).values(done=finished))
            if self.batch_id is not None:
                self.project.batches.finish(conn, self.batch_id, self.in_batch + len(added))
        self.finished = finished  # the transaction is in: only now do the counts move on
        self.in_batch += len(added)
        self.stored += len(added)
        for key in sorted(added, key=lambda k: (k[1], k[2], pending[k][0])):
            code_id, start, end = key
            rank, p, evidence = pending[key]
            extra = {"evidence": evidence} if _ROW_HAS_EVIDENCE else {}
            self.rows.append(
                SuggestionRow(
                    id=ids[added[key]],
                    document=name,
                    start=start,
                    end=end,
                    code=self.path_of[code_id],
                    score=round(p, 6),
                    rank=rank,
                    status="open",
                    layer=self.layer,
                    model=self.scorer.model,
                    text=_short(text[start:end]),
                    **extra,
                )
            )

    def _finish(self, status: str, error: str | None) -> None:
        """Mark the run and write its one audit entry; a batch that added nothing is removed
        (a rerun that found everything already suggested leaves no empty batch behind)."""
        from thematica.services.project import now

        b, c = t.coding_batch.c, t.coding.c
        with self.project.db.write() as conn:
            if self.batch_id is not None:
                used = conn.scalar(select(func.count()).where(c.batch_id == self.batch_id)) or 0
                if not used:
                    conn.execute(delete(t.coding_batch).where(b.id == self.batch_id))
                    self.batch_id = None
            extra: dict[str, Any] = {"error": error} if error else {}
            conn.execute(
                update(t.ai_run)
                .where(t.ai_run.c.id == self.run_id)
                .values(status=status, finished_at=now(), result=self._result(**extra))
            )
            self.project.audit(
                conn,
                "suggest",
                run=self.run_id,
                status=status,
                layer=self.layer,
                backend=self.plan.backend,
                model=self.scorer.model,
                unit=self.plan.unit,
                documents=self.documents,
                suggestions=self.stored,
                calibration=self.calibration.source,
                learned_from=[name for _i, name, _k in self.plan.learn],
                batch=self.batch_id,
                speakers=self.plan.speakers.parameter(),
                speaker_skipped=self.speaker_skipped,
            )
