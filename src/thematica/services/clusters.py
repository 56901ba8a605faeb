"""``project.clusters``: inductive coding helped by a model — the passages no code covers yet,
grouped by meaning, each group proposed as a candidate code to accept into the codebook.

A run embeds the *uncoded* units (sentences, paragraphs or speaker turns that no coding in the
layers considered touches, at least :data:`MIN_WORDS` words long), groups them
(:mod:`thematica.ai.clustering`), names each group by its keywords (class-based TF-IDF) and,
when the project has a chat model on its team server (``ai_url`` and ``ai_model``), by a name
the model writes. The run is stored (``ai_run``, kind ``clusters``) with each group's members
in order of centrality, so it can be read again and accepted group by group: accepting creates
a code (origin ``inductive``) and, if asked, codes the members in the acting person's layer as
one undoable batch. Nothing is coded or added to the codebook without that step.

Which layers count as coding: by default every human, imported and consensus layer the acting
person may read (an ``ai`` layer holds suggestions, not coding). A run records them, and only
someone who may read all of them may read the run: its passages show what those layers leave
uncoded, which a blind coder must not learn about a colleague's layer.

Whose words count: by default every speaker but the interviewer (a turn whose label looks like
the interviewer's, :mod:`thematica.core.speaker_scope`), since the questions are not what the
team codes; ``speakers`` names others (``Participant*``, ``*`` for everyone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select

from thematica.core.access import Operation
from thematica.core.errors import InputError, NotFoundError
from thematica.core.speaker_scope import SpeakerScope
from thematica.core.tables import Table
from thematica.services._progress import Progress, silent
from thematica.services.access import requires
from thematica.services.cluster_runs import (
    AcceptedCluster,
    ClusterMember,
    ClusterRow,
    ClusterRunRow,
    ClusterRuns,
)
from thematica.store import schema as t

if TYPE_CHECKING:
    from thematica.ai.clustering import Clustering
    from thematica.services.project import Project

__all__ = [
    "MIN_WORDS",
    "UNITS",
    "AcceptedCluster",
    "ClusterMember",
    "ClusterRow",
    "ClusterRun",
    "ClusterRunRow",
    "Clusters",
]

UNITS = ("sentence", "paragraph", "turn")
#: shorter units ("Yes.", "I see what you mean") say too little to group by meaning
MIN_WORDS = 4
#: the layer kinds that count as coding when no layers are named
CODING_KINDS = ("human", "imported", "consensus")
#: keywords stored per group; the label is made of the first :data:`LABEL_WORDS`
KEYWORDS = 8
LABEL_WORDS = 3


@dataclass(slots=True)
class ClusterRun:
    """What :meth:`Clusters.propose` did: the stored run's id, the embedding backend and model,
    the unit, how many uncoded passages were grouped and how many fit a group, and the groups."""

    run_id: int
    backend: str
    model: str
    unit: str
    passages: int
    clustered: int
    unclustered: int
    min_size: int
    #: the chat model that named the groups (None: keywords only)
    label_model: str | None
    layers: list[str]
    rows: Table[ClusterRow]
    #: the speaker patterns read (None: all but the interviewer)
    speakers: list[str] | None = None
    #: uncoded passages left out as another speaker's (by default: the interviewer's)
    speaker_skipped: int = 0


@dataclass(slots=True)
class _Passage:
    document_id: int
    start: int
    end: int
    text: str


class Clusters(ClusterRuns):
    def __init__(self, project: Project) -> None:
        self.project = project

    # -- proposing -------------------------------------------------------------------------
    @requires(Operation.CODE)
    def propose(
        self,
        *,
        backend: str | None = None,
        unit: str = "sentence",
        documents: Sequence[str] | None = None,
        layers: Sequence[str] | None = None,
        min_size: int | None = None,
        max_clusters: int | None = None,
        model_labels: bool = True,
        speakers: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> ClusterRun:
        """Group the uncoded passages by meaning and store the groups as a run.

        ``unit``: sentence, paragraph or turn. ``documents``: names (default all).
        ``layers``: the coder layers whose codings make a passage "coded" (default: every
        human, imported and consensus layer the acting person may read). ``min_size``: the
        fewest passages a group may have (default grows with the number of passages, see
        :func:`thematica.ai.clustering.default_min_size`); ``max_clusters``: the most groups.
        ``model_labels`` False keeps the team server's chat model out of it even when one is
        configured. ``speakers``: shell-style patterns over the speaker labels of the turns
        whose passages are read (``Participant*``; ``*``: everyone; default: all but turns
        whose label looks like the interviewer's); a passage is its first character's
        speaker's. Nothing is stored unless the whole run succeeds.
        """
        from thematica.ai import clustering, embedders
        from thematica.services.project import now

        report = progress or silent
        if unit not in UNITS:
            raise InputError(f"unknown unit {unit!r}: choose one of {', '.join(UNITS)}")
        if min_size is not None and min_size < 2:
            raise InputError(f"the minimum group size must be at least 2, not {min_size}")
        if max_clusters is not None and max_clusters < 1:
            raise InputError(f"the most groups must be at least 1, not {max_clusters}")
        scope = SpeakerScope.of(speakers)
        started = now()
        with self.project.db.read() as conn:
            considered = self._layers(conn, layers)
            passages, skipped = self._uncoded(conn, unit, documents, considered, scope)
        needed = 2 * (min_size or 3)
        if len(passages) < needed:
            whose = ""
            if skipped:
                whose = (
                    " outside the interviewer's turns"
                    if scope.skips_interviewer
                    else " of the speakers chosen"
                )
            raise InputError(
                f"only {len(passages)} uncoded {unit}(s) of {MIN_WORDS} words or more{whose}: "
                f"too few to group (at least {needed} are needed)"
            )
        embedder = embedders.load(
            backend, settings=self.project.settings, progress=lambda m: report(0, 0, m)
        )
        texts = [p.text for p in passages]
        report(0, len(texts), "embedding")
        embedder.fit(texts)
        vectors = embedder.embed(texts, progress=lambda d, n: report(d, n, "embedding"))
        report(0, 0, "grouping")
        found = clustering.cluster(vectors, min_size=min_size, max_clusters=max_clusters)
        background = [texts[i] for i in range(len(texts)) if found.labels[i] < 0]
        keywords = clustering.ctfidf(
            [[texts[i] for i in rows] for rows in found.members] + [background], top=KEYWORDS
        )
        label_model, named = self._model_names(found, keywords, texts, model_labels, report)
        info = embedder.info
        groups = []
        for g, rows in enumerate(found.members):
            words = [w for w, _score in keywords[g]]
            groups.append(
                {
                    "number": g + 1,
                    "keywords": words,
                    "label": ", ".join(words[:LABEL_WORDS]) or f"group {g + 1}",
                    "model_label": named[g][0] if named else None,
                    "model_definition": named[g][1] if named else None,
                    "size": len(rows),
                    "stability": found.stability[g],
                    "cohesion": found.cohesion[g],
                    "members": [
                        [passages[i].document_id, passages[i].start, passages[i].end, c]
                        for i, c in zip(rows, found.centrality[g], strict=True)
                    ],
                    "accepted": None,
                }
            )
        clustered = sum(len(rows) for rows in found.members)
        result = {
            "unit": unit,
            "passages": len(passages),
            "clustered": clustered,
            "unclustered": len(passages) - clustered,
            "speaker_skipped": skipped,
            "method": found.method,
            "clusters": groups,
        }
        parameters = {
            "unit": unit,
            "documents": list(documents) if documents else None,
            "layers": [{"layer": name, "kind": kind} for _id, name, kind in considered],
            "min_size": min_size,
            "max_clusters": max_clusters,
            "min_words": MIN_WORDS,
            "speakers": scope.parameter(),
            "clustering": found.parameters,
            "embedding": {
                "version": info.version,
                "dims": info.dims,
                "parameters": info.parameters,
                "provenance": info.provenance,
            },
            "label_model": label_model,
        }
        layer_names = [name for _id, name, _kind in considered]
        with self.project.db.write() as conn:
            run_id = int(
                conn.execute(
                    insert(t.ai_run).values(
                        project_id=self.project.id,
                        kind="clusters",
                        coder_id=None,
                        backend=info.backend,
                        model=info.model,
                        parameters=parameters,
                        actor=self.project.access.name,
                        status="done",
                        done=len(passages),
                        total=len(passages),
                        result=result,
                        started_at=started,
                        finished_at=now(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            self.project.audit(
                conn,
                "propose_clusters",
                run=run_id,
                backend=info.backend,
                model=info.model,
                unit=unit,
                passages=len(passages),
                clusters=len(groups),
                label_model=label_model,
                layer=layer_names,
                speakers=scope.parameter(),
                speaker_skipped=skipped,
            )
        shown = [self._row(g, texts[m[0]]) for g, m in zip(groups, found.members, strict=True)]
        return ClusterRun(
            run_id=run_id,
            backend=info.backend,
            model=info.model,
            unit=unit,
            passages=len(passages),
            clustered=clustered,
            unclustered=len(passages) - clustered,
            min_size=found.min_size,
            label_model=label_model,
            layers=layer_names,
            rows=Table.of(ClusterRow, shown, title=f"Clusters of run {run_id}"),
            speakers=scope.parameter(),
            speaker_skipped=skipped,
        )

    def _model_names(
        self,
        found: Clustering,
        keywords: list[list[tuple[str, float]]],
        texts: list[str],
        wanted: bool,
        report: Progress,
    ) -> tuple[str | None, list[tuple[str, str]]]:
        """Each group's name and definition from the team server's chat model, when the
        project has one (``ai_url`` and ``ai_model``) and ``wanted``; else (None, [])."""
        if not wanted or not found.members or not self.project.settings.get("ai_model"):
            return None, []
        from thematica.ai import clustering
        from thematica.ai.server import client_from_settings

        client = client_from_settings(self.project.settings)
        if client is None:
            return None, []
        named = []
        with client:
            for g, rows in enumerate(found.members):
                report(g, len(found.members), "naming groups")
                messages = clustering.label_messages(
                    [w for w, _s in keywords[g]], [texts[i] for i in rows]
                )
                named.append(
                    client.chat_json(
                        messages,
                        schema_hint='{"name": "...", "definition": "..."}',
                        check=clustering.parse_label,
                    )
                )
        report(len(found.members), len(found.members), "naming groups")
        return client.model, named

    def _layers(self, conn: Connection, names: Sequence[str] | None) -> list[tuple[int, str, str]]:
        """(id, name, kind) of the layers whose codings count, each readable by the actor."""
        k = t.coder.c
        rows = conn.execute(
            select(k.id, k.name, k.kind).where(k.project_id == self.project.id).order_by(k.id)
        ).all()
        access = self.project.access
        if names is None:
            return [
                (int(r.id), r.name, r.kind)
                for r in rows
                if r.kind in CODING_KINDS and access.may_read_layer(r.name, r.kind)
            ]
        by_name = {r.name.casefold(): r for r in rows}
        out = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            row = by_name.get(name.casefold())
            if row is None:
                known = ", ".join(r.name for r in rows) or "none yet"
                raise NotFoundError(f"no coder layer named {name!r} (layers: {known})")
            access.check_read_layer(row.name, row.kind)
            out.append((int(row.id), row.name, row.kind))
        return out

    def _uncoded(
        self,
        conn: Connection,
        unit: str,
        documents: Sequence[str] | None,
        layers: list[tuple[int, str, str]],
        scope: SpeakerScope,
    ) -> tuple[list[_Passage], int]:
        """The units of the chosen documents that no coding of ``layers`` overlaps, with at
        least :data:`MIN_WORDS` words, in turns of the speakers ``scope`` reads; and how many
        such units were left out as another speaker's."""
        from thematica.core.units import split_paragraphs, split_sentences, units_hit
        from thematica.services.suggestion_run import read_turns

        d = t.document.c
        stmt = select(d.id, d.name).where(d.project_id == self.project.id)
        names = {int(r.id): str(r.name) for r in conn.execute(stmt)}
        if documents:
            wanted = list(dict.fromkeys(documents))
            ids = {n: i for i, n in names.items()}
            missing = [n for n in wanted if n not in ids]
            if missing:
                raise NotFoundError(f"no document named {', '.join(map(repr, missing))}")
            chosen = sorted(ids[n] for n in wanted)
        else:
            chosen = sorted(names)
        if not chosen:
            raise NotFoundError("this project has no documents yet")
        layer_ids = [i for i, _n, _k in layers]
        passages: list[_Passage] = []
        skipped = 0
        turns_seen = False
        for start in range(0, len(chosen), 200):
            chunk = chosen[start : start + 200]
            coded: dict[int, list[tuple[int, int]]] = {}
            if layer_ids:
                c = t.coding.c
                for doc_id, s, e in conn.execute(
                    select(c.document_id, c.start, c.end).where(
                        c.document_id.in_(chunk), c.coder_id.in_(layer_ids)
                    )
                ):
                    coded.setdefault(int(doc_id), []).append((int(s), int(e)))
            turns = read_turns(conn, chunk) if unit == "turn" or not scope.everyone else {}
            for doc_id, body in conn.execute(select(d.id, d.text).where(d.id.in_(chunk))):
                text = str(body)
                mine = turns.get(int(doc_id), [])
                if unit == "sentence":
                    units = split_sentences(text)
                elif unit == "paragraph":
                    units = split_paragraphs(text)
                else:
                    units = [(turn.start, turn.end) for turn in mine]
                    turns_seen = turns_seen or bool(mine)
                keep = scope.keeper(mine)
                hit = set(units_hit(units, sorted(coded.get(int(doc_id), []))))
                for j, (s, e) in enumerate(units):
                    if j in hit or len(text[s:e].split()) < MIN_WORDS:
                        continue
                    if keep is not None and not keep(s):
                        skipped += 1
                        continue
                    passages.append(_Passage(int(doc_id), s, e, text[s:e]))
        if unit == "turn" and not turns_seen:
            raise InputError(
                "the documents chosen have no speaker turns: group by sentence or paragraph"
            )
        passages.sort(key=lambda p: (names[p.document_id], p.start))
        return passages, skipped

    # -- reading -----------------------------------------------------------------------------
