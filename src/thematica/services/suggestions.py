"""AI suggestions: a model proposes codes from the codebook for units of text, stored as an
``ai`` coder layer (``ai:<model>``) that people review; nothing reaches a person's layer
without that review (``services/suggestion_review.py``).

A run scores every unit (sentence, turn, paragraph or whole document) against each code's
"name: definition" label — and, once the team has coded, against the team's own codings
(:mod:`thematica.ai.scoring`) — turns the raw score into a calibrated probability
(:mod:`thematica.ai.calibration`) and keeps each unit's best codes above a threshold. Each
document is written in one transaction with its ``ai_run_document`` row, so a run that stops
(Ctrl-C, a lost server) keeps what it finished and ``resume`` carries on from there; the
whole run is one coding batch that ``batches undo`` takes back.
"""

from __future__ import annotations

import builtins
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from thematica.core.access import Operation
from thematica.core.errors import ConflictError, InputError, NotFoundError
from thematica.core.speaker_scope import EVERYONE, SpeakerScope
from thematica.core.tables import Table
from thematica.services._progress import Progress, silent
from thematica.services.access import requires
from thematica.services.coders import check_coder_name
from thematica.services.suggestion_review import SuggestionReview
from thematica.services.suggestion_run import Plan, SuggestRun, read_texts, read_units
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.ai.calibration import Calibration
    from thematica.ai.embedders import BackendStatus
    from thematica.ai.unit_scoring import UnitScorer
    from thematica.services.project import Project

__all__ = ["RunRow", "SuggestRun", "Suggestions", "backend_label"]

UNITS = ("sentence", "turn", "paragraph", "document")
DEFAULT_TOP = 3
#: the team's codings per code used as few-shot examples (the most recent)
EXAMPLES_PER_CODE = 50
#: coded units (at most) scored to fit the project's own calibration
CALIBRATION_UNITS = 600
#: the same for a chat model, where every unit is a request's worth of the server's time
CHAT_CALIBRATION_UNITS = 120


@dataclass(slots=True)
class RunRow:
    id: int
    status: str
    layer: str | None
    backend: str
    model: str
    unit: str | None
    done: int
    total: int | None
    suggestions: int
    actor: str | None
    started: str
    finished: str | None


def _check_arguments(unit: str, top: int, min_score: float | None) -> None:
    if unit not in UNITS:
        raise InputError(f"unknown unit {unit!r}; choose one of {', '.join(UNITS)}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a whole number of at least 1, not {top!r}")
    if min_score is not None and not (0.0 <= min_score <= 1.0 and not math.isnan(min_score)):
        raise InputError(f"min_score must be between 0 and 1, not {min_score}")


def _backend_name(backend: str | None) -> str:
    """The backend asked for, resolved (``auto`` -> the best installed); ``chat`` is the team
    server's chat model."""
    if backend is not None and backend.strip().lower() == "chat":
        return "chat"
    from thematica.ai.embedders import BACKEND_NAMES, resolve

    try:
        return resolve(backend)
    except InputError as exc:
        raise InputError(
            f"unknown AI backend {backend!r}: choose one of {', '.join(BACKEND_NAMES)}, chat "
            "(or auto)",
            backend=backend,
        ) from exc


def backend_label(backend: str | None, settings: dict[str, Any]) -> tuple[str, str]:
    """``(backend, model)`` a run would use, named without loading anything (so a front end
    can say what runs before the model loads): the model is the one in the AI layer's name."""
    name = _backend_name(backend)
    if name == "chat":
        return name, str(settings.get("ai_model") or "(no chat model configured)")
    if name == "server":
        return name, str(settings.get("ai_embedding_model") or settings.get("ai_model") or "?")
    from thematica.ai.embedders import backends

    models = {b.name: b.model for b in backends()}
    return name, models.get(name, name)


def _names(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(v).strip() for v in items if str(v).strip()]


class Suggestions(SuggestionReview):
    """``project.suggestions``: running suggestions (here) and reviewing them (the mixin)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    # -- running -------------------------------------------------------------------------------
    @requires(Operation.CODE)
    def suggest(
        self,
        *,
        backend: str | None = None,
        unit: str = "sentence",
        codes: Sequence[str] | None = None,
        documents: Sequence[str] | None = None,
        top: int = DEFAULT_TOP,
        min_score: float | None = None,
        learn_from: str | Sequence[str] | None = None,
        speakers: Sequence[str] | None = None,
        resume: bool = False,
        progress: Progress | None = None,
    ) -> SuggestRun:
        """Propose codes for units of text into the AI layer ``ai:<model>``.

        ``codes``: paths or names (each with its subcodes; default every code); ``documents``:
        names (default all); ``top``: codes kept per unit; ``min_score``: the lowest
        calibrated probability kept (default: the calibration's threshold, see
        :mod:`thematica.ai.calibration`); ``learn_from``: layers whose codings are few-shot
        examples and calibration data (default: the consensus layer(s) holding codings, else
        none — zero-shot). ``speakers``: shell-style patterns over the speaker labels of
        the turns whose units are read (``Participant*``; ``*``: everyone; default: all but
        turns whose label looks like the interviewer's, see
        :mod:`thematica.core.speaker_scope`). ``resume`` carries on the latest unfinished run
        with its own parameters, skipping the documents it finished.
        """
        report = progress or silent
        previous: Any = None
        if resume:
            previous = self._unfinished()
            stored = dict(previous.parameters or {})
            backend, unit, codes, documents, top, min_score, learn_from, speakers = self._resumed(
                previous,
                stored,
                backend,
                unit,
                codes,
                documents,
                top,
                min_score,
                learn_from,
                speakers,
            )
        _check_arguments(unit, top, min_score)
        scope = SpeakerScope.of(speakers)
        asked = _backend_name(backend)
        plan = self._plan(asked, unit, _names(codes), _names(documents), top, min_score)
        plan.speakers = scope
        plan.learn = self._learn_layers(learn_from)
        scorer = self._scorer(plan)
        layer = check_coder_name(f"ai:{scorer.model}")
        with self.project.db.read() as conn:
            self._check_layer_kind(conn, layer)
            learned = self._learned_codings(conn, plan)
        report(0, len(plan.docs), "preparing")
        scorer.prepare(lambda: self._corpus(plan))
        self._examples(plan, scorer, learned)
        if previous is not None:
            calibration = _stored_calibration(previous.result)
        else:
            calibration = self._calibrate(plan, scorer, learned)
        threshold = plan.min_score if plan.min_score is not None else calibration.min_score
        from thematica.services.suggestion_run import RunWriter

        writer = RunWriter(self.project, plan, scorer, layer, calibration, threshold, report)
        return writer.run(previous)

    def _resumed(
        self,
        previous: Any,
        stored: dict[str, Any],
        backend: str | None,
        unit: str,
        codes: Sequence[str] | None,
        documents: Sequence[str] | None,
        top: int,
        min_score: float | None,
        learn_from: str | Sequence[str] | None,
        speakers: Sequence[str] | None,
    ) -> tuple[Any, ...]:
        """The stored parameters of the run resumed; an argument given that differs is
        refused (a resumed run keeps its parameters, or its documents would not agree). A run
        stored before speakers were recorded read everyone."""
        differ: list[str] = []
        if backend is not None and _backend_name(backend) != previous.backend:
            differ.append(f"backend {previous.backend}")
        if unit not in ("sentence", stored.get("unit")):
            differ.append(f"unit {stored.get('unit')}")
        if top not in (DEFAULT_TOP, stored.get("top")):
            differ.append(f"top {stored.get('top')}")
        for name, given, kept in (
            ("codes", _names(codes), stored.get("codes")),
            ("documents", _names(documents), stored.get("documents")),
            ("learn_from", _names(learn_from), stored.get("learn_from")),
        ):
            if given is not None and given != kept:
                differ.append(f"{name} {', '.join(kept or []) or 'default'}")
        if min_score is not None and min_score != stored.get("min_score"):
            differ.append(f"min_score {stored.get('min_score')}")
        kept_speakers = stored.get("speakers") if "speakers" in stored else [EVERYONE]
        if speakers is not None and SpeakerScope.of(speakers).parameter() != kept_speakers:
            differ.append(f"speakers {', '.join(kept_speakers) if kept_speakers else 'default'}")
        if differ:
            raise InputError(
                f"resume carries on run {previous.id} with its own parameters "
                f"({'; '.join(differ)}): leave the others out"
            )
        return (
            previous.backend,
            str(stored.get("unit") or "sentence"),
            stored.get("codes"),
            stored.get("documents"),
            int(stored.get("top") or DEFAULT_TOP),
            stored.get("min_score"),
            list(stored.get("learn_from") or []),
            kept_speakers,
        )

    def _unfinished(self) -> Any:
        r = t.ai_run.c
        with self.project.db.read() as conn:
            row = conn.execute(
                select(t.ai_run)
                .where(r.project_id == self.project.id, r.kind == "suggest", r.status != "done")
                .order_by(r.id.desc())
                .limit(1)
            ).first()
        if row is None:
            raise NotFoundError("no unfinished suggestion run to resume")
        return row

    # -- what the run covers -------------------------------------------------------------------
    def _plan(
        self,
        backend: str,
        unit: str,
        codes: list[str] | None,
        documents: list[str] | None,
        top: int,
        min_score: float | None,
    ) -> Plan:
        """Codes and documents in scope, checked before anything is loaded or written."""
        from thematica.ai.scoring import CodeText, has_definitions

        with self.project.db.read() as conn:
            index = self.project.codebook.index(conn)
            if codes:
                ids: list[int] = []
                for term in codes:
                    for cid in index.subtree(index.resolve(term)):
                        if cid not in ids:
                            ids.append(cid)
            else:
                ids = index.depth_first()
            if not ids:
                raise InputError("the codebook has no codes: suggestions need a codebook")
            position = {cid: n for n, cid in enumerate(ids)}
            texts = [
                CodeText(
                    name=index.rows[cid].name,
                    definition=index.rows[cid].definition or "",
                    inclusion=index.rows[cid].inclusion or "",
                    example=index.rows[cid].example or "",
                    parent=position.get(index.rows[cid].parent_id),
                )
                for cid in ids
            ]
            if not has_definitions(texts):
                what = "the codes chosen have" if codes else "the codebook has"
                raise InputError(
                    f"{what} no definitions: suggestions need a definition for at least one "
                    "code (names alone are too little to go on)"
                )
            d = t.document.c
            rows = conn.execute(
                select(d.id, d.name).where(d.project_id == self.project.id).order_by(d.id)
            ).all()
        by_name = {str(r.name): int(r.id) for r in rows}
        if documents:
            missing = [n for n in documents if n not in by_name]
            if missing:
                raise NotFoundError(f"no document named {', '.join(map(repr, missing))}")
            chosen = list(dict.fromkeys(documents))
            docs = sorted(((by_name[n], n) for n in chosen), key=lambda x: x[0])
        else:
            docs = [(int(r.id), str(r.name)) for r in rows]
        if not docs:
            raise InputError("the project has no documents to suggest codes for")
        return Plan(
            unit=unit,
            top=top,
            min_score=min_score,
            backend=backend,
            code_ids=ids,
            codes=texts,
            paths=[index.paths[cid] for cid in ids],
            docs=docs,
            learn=[],
            asked_codes=[index.paths[index.resolve(c)] for c in codes] if codes else None,
            asked_documents=[n for _i, n in docs] if documents else None,
        )

    def _learn_layers(self, learn_from: str | Sequence[str] | None) -> list[tuple[int, str, str]]:
        """The layers the model learns from: named ones (each readable by the actor, none an
        AI layer), or by default the consensus layer(s) that hold codings."""
        k, c = t.coder.c, t.coding.c
        with self.project.db.read() as conn:
            rows = conn.execute(
                select(k.id, k.name, k.kind).where(k.project_id == self.project.id)
            ).all()
            coded = set(
                conn.scalars(
                    select(c.coder_id).where(c.project_id == self.project.id).group_by(c.coder_id)
                )
            )
        layers = {str(r.name): (int(r.id), str(r.kind)) for r in rows}
        names = _names(learn_from)
        if names is None:
            return [
                (i, n, kind)
                for n, (i, kind) in layers.items()
                if kind == "consensus" and i in coded
            ]
        unknown = [n for n in names if n not in layers]
        if unknown:
            raise NotFoundError(
                f"no coder layer named {', '.join(map(repr, unknown))} to learn from"
            )
        out: list[tuple[int, str, str]] = []
        for n in dict.fromkeys(names):
            i, kind = layers[n]
            if kind == "ai":
                raise InputError(
                    f"{n!r} is an AI layer: learn from human, imported or consensus layers"
                )
            self.project.access.check_read_layer(n, kind)
            out.append((i, n, kind))
        return out

    def _scorer(self, plan: Plan) -> UnitScorer:
        from thematica.ai.scoring import ScoringParams
        from thematica.ai.unit_scoring import ChatScorer, EmbeddingScorer

        if plan.backend == "chat":
            from thematica.ai.server import client_from_settings

            client = client_from_settings(self.project.settings)
            if client is None:
                raise InputError(
                    "no AI server configured: the chat backend needs the project's ai_url "
                    "and ai_model",
                    hint="ai_server",
                )
            return ChatScorer(client, plan.codes)
        from thematica.ai.embedders import load

        return EmbeddingScorer(
            load(plan.backend, settings=self.project.settings), plan.codes, ScoringParams()
        )

    def _check_layer_kind(self, conn: Connection, layer: str) -> None:
        kind = conn.scalar(
            select(t.coder.c.kind).where(
                t.coder.c.project_id == self.project.id, t.coder.c.name == layer
            )
        )
        if kind is not None and kind != "ai":
            raise ConflictError(
                f"coder {layer!r} is a {kind} layer, not an AI layer: rename it or change its kind"
            )

    def _corpus(self, plan: Plan) -> list[str]:
        """Every sentence the run reads in its documents (TF-IDF's vocabulary; the same on
        resume, which keeps the run's speakers)."""
        out: list[str] = []
        ids = [i for i, _n in plan.docs]
        with self.project.db.read() as conn:
            for i in range(0, len(ids), 50):
                found = read_units(conn, plan.unit, ids[i : i + 50], plan.speakers)
                for _text, units in found.values():
                    out.extend(units.sentences)
        return out

    # -- learning from the team ----------------------------------------------------------------
    def _learned_codings(
        self, conn: Connection, plan: Plan
    ) -> list[tuple[int, int, int, int, int]]:
        """(coding id, document id, code index, start, end) of the learn-from layers' codings
        of the codes in scope, oldest first."""
        if not plan.learn:
            return []
        c = t.coding.c
        position = {cid: n for n, cid in enumerate(plan.code_ids)}
        out: list[tuple[int, int, int, int, int]] = []
        for r in conn.execute(
            select(c.id, c.document_id, c.code_id, c.start, c.end)
            .where(
                c.project_id == self.project.id,
                c.coder_id.in_([i for i, _n, _k in plan.learn]),
            )
            .order_by(c.id)
        ):
            if int(r.code_id) in position:
                out.append(
                    (
                        int(r.id),
                        int(r.document_id),
                        position[int(r.code_id)],
                        int(r.start),
                        int(r.end),
                    )
                )
        return out

    def _examples(
        self, plan: Plan, scorer: UnitScorer, codings: list[tuple[int, int, int, int, int]]
    ) -> None:
        """The most recent codings of each code (at most :data:`EXAMPLES_PER_CODE`) become the
        scorer's few-shot examples; ``plan`` keeps their coding ids for the evidence."""
        per_code: dict[int, list[tuple[int, int, int, int, int]]] = {}
        for row in reversed(codings):
            kept = per_code.setdefault(row[2], [])
            if len(kept) < EXAMPLES_PER_CODE:
                kept.append(row)
        chosen = sorted((r for rows in per_code.values() for r in rows), key=lambda r: r[0])
        with self.project.db.read() as conn:
            texts = read_texts(conn, [r[1] for r in chosen])
        plan.example_ids = [r[0] for r in chosen]
        scorer.set_examples(
            [texts[r[1]][r[3] : r[4]] for r in chosen],
            [r[2] for r in chosen],
            [r[1] for r in chosen],
        )

    def _calibrate(
        self, plan: Plan, scorer: UnitScorer, codings: list[tuple[int, int, int, int, int]]
    ) -> Calibration:
        """The project's own Platt fit on up to :data:`CALIBRATION_UNITS` units of the
        documents the learn-from layers coded (spread evenly over them), when there are
        enough units and positives; else the backend's default. A unit's few-shot evidence
        never comes from its own document, so the fit sees scores as an uncoded document
        would get them."""
        import numpy as np

        from thematica.ai.calibration import default_calibration, project_calibration
        from thematica.ai.unit_scoring import positives

        fallback = default_calibration(scorer.backend)
        by_doc: dict[int, list[tuple[int, int, int]]] = {}
        for _id, doc_id, code, start, end in codings:
            by_doc.setdefault(doc_id, []).append((code, start, end))
        if not by_doc:
            return fallback
        cap = CHAT_CALIBRATION_UNITS if scorer.backend == "chat" else CALIBRATION_UNITS
        per_doc = max(5, cap // len(by_doc))
        scores: list[Any] = []
        labels: list[Any] = []
        n_units = 0
        doc_ids = sorted(by_doc)
        scorer.remember = True  # these sentences are scored again if the run covers them
        try:
            for i in range(0, len(doc_ids), 50):
                if n_units >= cap:
                    break
                with self.project.db.read() as conn:
                    found = read_units(conn, plan.unit, doc_ids[i : i + 50], plan.speakers)
                for doc_id, (_text, units) in found.items():
                    if n_units >= cap or not len(units):
                        continue
                    take = min(per_doc, cap - n_units, len(units))
                    keep = sorted({int(x) for x in np.linspace(0, len(units) - 1, take).round()})
                    sample = units.subset(keep)
                    scores.append(scorer.score(sample, doc_id).scores.ravel())
                    labels.append(positives(sample, by_doc[doc_id], plan.codes).ravel())
                    n_units += len(sample)
        finally:
            scorer.remember = False
        if not scores:
            return fallback
        fitted = project_calibration(
            np.concatenate(scores), np.concatenate(labels), backend=scorer.backend, units=n_units
        )
        return fitted or fallback

    # -- listing -------------------------------------------------------------------------------
    @requires(Operation.CODE)
    def check(
        self,
        *,
        backend: str | None = None,
        unit: str = "sentence",
        codes: Sequence[str] | None = None,
        documents: Sequence[str] | None = None,
        top: int = DEFAULT_TOP,
        min_score: float | None = None,
        speakers: Sequence[str] | None = None,
    ) -> None:
        """Refuse now what :meth:`suggest` would refuse before it loads a model (the arguments,
        the backend's name, unknown codes or documents, a codebook without definitions),
        writing nothing: for a face that runs the suggestion later, as a job."""
        _check_arguments(unit, top, min_score)
        SpeakerScope.of(speakers)
        self._plan(_backend_name(backend), unit, _names(codes), _names(documents), top, min_score)

    @requires(Operation.READ)
    def backends(self) -> builtins.list[BackendStatus]:
        """The backends this project can suggest with, best first: each offline one (installed
        or not, with how to install it), the team server's embedding model where an owner
        configured one, and its chat model as ``chat``. The server's URL is not in them."""
        from thematica.ai.embedders import BackendStatus, backends

        settings = self.project.settings
        configured = bool(settings.get("ai_url"))
        out: builtins.list[BackendStatus] = []
        for b in backends():
            if b.name == "server":
                model = settings.get("ai_embedding_model")
                b = dataclasses.replace(
                    b, installed=configured and bool(model), model=str(model or b.model)
                )
            out.append(b)
        if configured and settings.get("ai_model"):
            out.append(
                BackendStatus(
                    name="chat",
                    model=str(settings["ai_model"]),
                    installed=True,
                    default=False,
                    speed="as fast as the team's server",
                    quality="depends on the server's model",
                    detail="the team's AI server's chat model reads each passage",
                )
            )
        return out

    @requires(Operation.READ)
    def runs(self) -> Table[RunRow]:
        """Every suggestion run of the project whose layer this person may read, newest
        first, with how far it got."""
        r, k, rd = t.ai_run.c, t.coder.c, t.ai_run_document.c
        with self.project.db.read() as conn:
            names = dict(
                conn.execute(select(k.id, k.name).where(k.project_id == self.project.id)).all()
            )
            counts = dict(
                conn.execute(
                    select(rd.run_id, func.sum(rd.suggestions))
                    .join(t.ai_run, r.id == rd.run_id)
                    .where(r.project_id == self.project.id, r.kind == "suggest")
                    .group_by(rd.run_id)
                ).all()
            )
            rows = [
                RunRow(
                    id=int(row.id),
                    status=str(row.status),
                    layer=names.get(row.coder_id),
                    backend=str(row.backend),
                    model=str(row.model),
                    unit=(row.parameters or {}).get("unit"),
                    done=int(row.done),
                    total=None if row.total is None else int(row.total),
                    suggestions=int(counts.get(row.id) or 0),
                    actor=row.actor,
                    started=row.started_at.isoformat(timespec="seconds"),
                    finished=(
                        row.finished_at.isoformat(timespec="seconds") if row.finished_at else None
                    ),
                )
                for row in conn.execute(
                    select(t.ai_run)
                    .where(r.project_id == self.project.id, r.kind == "suggest")
                    .order_by(r.id.desc())
                )
                # a run whose AI layer this person may not read (it learned from a blind
                # colleague's layer) is left out, as the layer itself is
                if row.coder_id is None
                or self.project.access.may_read_layer(str(names.get(row.coder_id)), "ai")
            ]
        return Table.of(RunRow, rows, title="Suggestion runs")


def _stored_calibration(result: Any) -> Calibration:
    from thematica.ai.calibration import Calibration

    data = dict((result or {}).get("calibration") or {})
    return Calibration(
        float(data["a"]),
        float(data["b"]),
        str(data["source"]),
        float(data["min_score"]),
        None if data.get("f1") is None else float(data["f1"]),
    )
