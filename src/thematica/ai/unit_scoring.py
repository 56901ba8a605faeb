"""From a document's text to raw unit × code scores: cutting it into units and sentences,
embedding them (or asking a chat model), and scoring them with :mod:`thematica.ai.scoring`.

No database here: the suggestions service reads texts and codings and hands them in, so the
same path is what the benchmark can run on a corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from thematica.ai.scoring import (
    CodeText,
    Labels,
    ScoringParams,
    UnitScores,
    _nearest,
    build_labels,
    descendants,
    membership,
    score_units,
)
from thematica.core.units import split_paragraphs, split_sentences, units_hit

if TYPE_CHECKING:
    from thematica.ai.embedders import Embedder
    from thematica.ai.server import ServerClient

__all__ = [
    "UNITS",
    "ChatScorer",
    "DocUnits",
    "EmbeddingScorer",
    "UnitScorer",
    "cut_units",
    "positives",
]

#: what a suggestion codes whole
UNITS = ("sentence", "turn", "paragraph", "document")
#: sentences of one example (an accepted coding) that are embedded and averaged
EXAMPLE_SENTENCES = 8


@dataclass(slots=True)
class DocUnits:
    """One document cut into units: ``spans[u]`` is unit ``u`` in the document, and each of
    its sentences is one of ``sentences`` with ``unit_of`` naming its unit."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    unit_of: list[int] = field(default_factory=list)
    #: units left out by speaker (for the ``document`` unit: its sentences left out)
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.spans)

    def subset(self, keep: Sequence[int]) -> DocUnits:
        """Only the units ``keep`` (indexes), renumbered in that order."""
        where: dict[int, int] = {u: n for n, u in enumerate(keep)}
        out = DocUnits([self.spans[u] for u in keep])
        for text, u in zip(self.sentences, self.unit_of, strict=True):
            if u in where:
                out.sentences.append(text)
                out.unit_of.append(where[u])
        return out


def cut_units(
    text: str,
    unit: str,
    turns: Sequence[tuple[int, int]] = (),
    keep: Callable[[int], bool] | None = None,
) -> DocUnits:
    """The document's units (``sentence``, ``turn`` — the stored speaker turns; a document
    without turns has no turn units, as in agreement — ``paragraph`` or ``document``) and
    each unit's sentences (:func:`thematica.core.units.split_sentences` inside the unit).

    ``keep(offset)`` says whose words are read (see :mod:`thematica.core.speaker_scope`): a
    unit whose first character it refuses is left out, and counted in ``skipped``; the
    ``document`` unit keeps the sentences it accepts (and is left out with none)."""
    if unit == "sentence":
        spans = split_sentences(text)
    elif unit == "paragraph":
        spans = split_paragraphs(text)
    elif unit == "turn":
        spans = [(s, e) for s, e in turns if e > s and text[s:e].strip()]
    elif unit == "document":
        spans = [(0, len(text))] if text.strip() else []
    else:
        raise ValueError(f"unit must be one of {UNITS}")
    skipped = 0
    if keep is not None and unit != "document":
        kept = [(s, e) for s, e in spans if keep(s)]
        skipped = len(spans) - len(kept)
        spans = kept
    out = DocUnits(list(spans))
    for u, (start, end) in enumerate(spans):
        if unit == "sentence":
            parts = [(start, end)]
        else:
            parts = [(start + s, start + e) for s, e in split_sentences(text[start:end])]
            parts = parts or [(start, end)]
        if keep is not None and unit == "document":
            heard = [(s, e) for s, e in parts if keep(s)]
            skipped = len(parts) - len(heard)
            if not heard:
                out.spans = []
                break
            parts = heard
        for s, e in parts:
            out.sentences.append(text[s:e])
            out.unit_of.append(u)
    out.skipped = skipped
    return out


def positives(
    units: DocUnits,
    codings: Sequence[tuple[int, int, int]],
    codes: Sequence[CodeText],
) -> npt.NDArray[np.bool_]:
    """``(n_units, n_codes)``: whether a coding ``(code index, start, end)`` of the code or one
    of its descendants overlaps the unit (the same rule as the agreement units)."""
    out = np.zeros((len(units), len(codes)), dtype=bool)
    if not codings or not len(units):
        return out
    under = descendants(codes)
    counts_for: dict[int, list[int]] = {}
    for i, group in enumerate(under):
        for j in group:
            counts_for.setdefault(j, []).append(i)
    for code, start, end in codings:
        for u in units_hit(units.spans, [(start, end)]):
            out[u, counts_for.get(code, [])] = True
    return out


class UnitScorer(Protocol):
    """What the service needs from a backend: who it is, and raw scores of units."""

    backend: str
    model: str
    version: str
    provenance: str
    labels: Labels
    #: keep the vectors of sentences scored from now on (calibration, then the run)
    remember: bool

    @property
    def parameters(self) -> dict[str, Any]:
        """What changes results (the embedder's parameters, the server's model, ...)."""
        ...

    def prepare(self, corpus: Callable[[], Sequence[str]]) -> None: ...

    def set_examples(
        self, texts: Sequence[str], owner: Sequence[int], group: Sequence[int]
    ) -> None: ...

    def score(self, units: DocUnits, group: int) -> UnitScores: ...


class EmbeddingScorer:
    """Scores from an :class:`~thematica.ai.embedders.Embedder` (labels, sentences and
    examples embedded by the same model). Sentences embedded while ``remember`` is on are
    kept, so a document scored for calibration is not embedded twice."""

    def __init__(
        self,
        embedder: Embedder,
        codes: Sequence[CodeText],
        params: ScoringParams,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.embedder = embedder
        info = embedder.info
        self.backend, self.model, self.version = info.backend, info.model, info.version
        self.provenance = info.provenance
        self.codes = list(codes)
        self.params = params
        self.labels = build_labels(self.codes, params.label_variant)
        self.progress = progress
        self.remember = False
        self._cache: dict[str, npt.NDArray[np.float32]] = {}
        self._label_vectors: npt.NDArray[np.float32] | None = None
        self._examples: npt.NDArray[np.float32] | None = None
        self._example_owner: list[int] = []
        self._example_group: list[int] = []

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.embedder.info.parameters)

    def prepare(self, corpus: Callable[[], Sequence[str]]) -> None:
        """Fit what needs fitting (TF-IDF learns its vocabulary from ``corpus()`` plus the
        labels; the models need nothing) and embed the labels."""
        if self.backend == "tfidf":
            self.embedder.fit([*corpus(), *self.labels.texts])
        self._label_vectors = self._embed(self.labels.texts, cache=False)

    def _embed(self, texts: Sequence[str], *, cache: bool = True) -> npt.NDArray[np.float32]:
        dims = self.embedder.info.dims
        if not texts:
            return np.zeros((0, dims), dtype=np.float32)
        if not cache:
            return np.asarray(self.embedder.embed(list(texts)), dtype=np.float32)
        missing = sorted({t for t in texts if t not in self._cache})
        found: dict[str, npt.NDArray[np.float32]] = {}
        if missing:
            vectors = np.asarray(
                self.embedder.embed(missing, progress=self.progress), dtype=np.float32
            )
            found = dict(zip(missing, vectors, strict=True))
            if self.remember:
                self._cache.update(found)
        rows = [self._cache[t] if t in self._cache else found[t] for t in texts]
        return np.stack(rows).astype(np.float32)

    def set_examples(
        self, texts: Sequence[str], owner: Sequence[int], group: Sequence[int]
    ) -> None:
        """The team's accepted codings: each embedded as the normalised mean of its first
        sentences' vectors, the way units are seen sentence by sentence."""
        pieces: list[str] = []
        piece_of: list[int] = []
        for n, text in enumerate(texts):
            spans = split_sentences(text)[:EXAMPLE_SENTENCES] or [(0, len(text))]
            for s, e in spans:
                pieces.append(text[s:e])
                piece_of.append(n)
        if not texts:
            self._examples = None
            return
        vectors = self._embed(pieces, cache=False)
        summed = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
        np.add.at(summed, np.asarray(piece_of, dtype=np.int64), vectors)
        norms = np.linalg.norm(summed, axis=1, keepdims=True)
        self._examples = np.divide(
            summed, norms, out=np.zeros_like(summed), where=norms > 0
        ).astype(np.float32)
        self._example_owner = list(owner)
        self._example_group = list(group)

    def score(self, units: DocUnits, group: int) -> UnitScores:
        assert self._label_vectors is not None, "prepare() first"
        sentences = self._embed(units.sentences)
        return score_units(
            sentences,
            units.unit_of,
            len(units),
            self.codes,
            self._label_vectors,
            self.labels.owner,
            examples=self._examples,
            example_owner=self._example_owner,
            sentence_group=np.full(len(units.sentences), group, dtype=np.int64),
            example_group=np.asarray(self._example_group, dtype=np.int64),
            params=self.params,
        )


class ChatScorer:
    """Scores from a chat model on the team's server
    (:func:`thematica.ai.chat_coding.score_units`): each unit is sent whole with the
    numbered ``"name: definition"`` labels, and a code scores the best confidence among its
    own and its descendants' labels. Examples are not used (the prompt holds the codebook)."""

    backend = "chat"
    version = ""
    provenance = "the team's server (chat completions)"
    remember = False

    def __init__(self, client: ServerClient, codes: Sequence[CodeText]) -> None:
        self.client = client
        self.model = client.model
        self.codes = list(codes)
        self.labels = build_labels(self.codes, "definition")
        self._parameters: dict[str, Any] = {"url": client.url, "chat_model": client.model}
        self._member = membership(self.codes, self.labels.owner)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._parameters)

    def prepare(self, corpus: Callable[[], Sequence[str]]) -> None:
        return None

    def set_examples(
        self, texts: Sequence[str], owner: Sequence[int], group: Sequence[int]
    ) -> None:
        return None

    def score(self, units: DocUnits, group: int) -> UnitScores:
        from thematica.ai.chat_coding import score_units as chat_scores

        parts: list[list[str]] = [[] for _ in range(len(units))]
        for text, u in zip(units.sentences, units.unit_of, strict=True):
            parts[u].append(text)
        texts = [" ".join(p) for p in parts]
        per_label = np.asarray(chat_scores(self.client, self.labels.texts, texts), np.float32)
        nearest, scores = _nearest(per_label, self._member)
        zeros = np.zeros_like(scores)
        return UnitScores(
            scores,
            scores,
            zeros,
            zeros,
            nearest,
            scores.copy(),
            np.full(scores.shape, -1, dtype=np.int64),
            zeros.copy(),
        )
