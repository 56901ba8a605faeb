"""Scoring units of text against a codebook: how close each sentence, turn, paragraph or
document is to each code, from the code's label texts and, once the team has coded, from the
team's own codings of it.

Pure numpy over vectors any embedder produced (rows L2-normalised, so a dot product is the
cosine); nothing here reads the database, so the benchmark under ``bench/`` measures exactly
what the suggestions service runs. The recipe, measured for issue 11:

* **labels** — every code gets a label text ``"name: definition"`` (:func:`build_labels`;
  other variants for the benchmark: the name alone, or the inclusion criteria and example as
  extra labels). Names alone score far worse than names with definitions.
* **a code counts its subcodes** — a code's similarity to a sentence is the maximum over its
  own label and its descendants' labels (``"max"``), or the cosine to their normalised mean
  (``"centroid"``), so a theme is found through any of its subthemes.
* **units average their sentences** — a unit's score for a code is the mean over the unit's
  sentences of the per-sentence similarity (``"max"`` pools by the best sentence instead):
  a long turn is about a code when its sentences are, not when one embedding of the whole
  turn happens to land near the label.
* **few-shot evidence** — with accepted codings (examples) a code's kNN score is the mean
  of the ``k`` highest cosines between the sentence and the code's examples, pooled over the
  unit's sentences like the label score. The two are mixed as ``(1 - w) * label + w * knn``
  with ``w = n / (n + prior)``, ``n`` the examples available to that code: with no examples
  the label decides alone, with ``prior`` examples they weigh the same, and with many the
  team's own coding dominates. Under ``max`` each code is first scored from its own label
  and examples and a theme then takes its best subtheme's score (so a theme is not favoured
  merely for pooling its subthemes' examples); under ``centroid`` a theme's examples are
  its subthemes' together. Examples from the unit's own group (its document) are left out,
  so a passage never finds itself.
* **choosing** — :func:`top_codes` keeps a unit's best codes above a threshold, a subcode
  rather than its theme when both say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CODE_AGGREGATES",
    "DEFAULT_LABEL_VARIANT",
    "LABEL_VARIANTS",
    "SENTENCE_POOLS",
    "CodeText",
    "Labels",
    "ScoringParams",
    "UnitScores",
    "ancestors",
    "build_labels",
    "code_scores",
    "combine",
    "descendants",
    "has_definitions",
    "knn_scores",
    "membership",
    "pool_units",
    "ranked",
    "score_units",
    "top_codes",
]

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: how a code's label text is made: the name alone; ``"name: definition"`` (the default, the
#: best measured); that plus inclusion criteria and example in one text; or the definition
#: label plus the inclusion criteria and the example each as a label of their own
LABEL_VARIANTS = ("name", "definition", "combined", "separate")
DEFAULT_LABEL_VARIANT = "definition"
#: a code's similarity from its own and its descendants' labels: the best one, or their centroid
CODE_AGGREGATES = ("max", "centroid")
#: a unit's score from its sentences' scores: their mean, or the best sentence
SENTENCE_POOLS = ("mean", "max")


@dataclass(frozen=True, slots=True)
class CodeText:
    """What the codebook says about one code; ``parent`` is the index of its parent code in
    the same list (None for a top-level code, or a parent outside the list)."""

    name: str
    definition: str = ""
    inclusion: str = ""
    example: str = ""
    parent: int | None = None


@dataclass(frozen=True, slots=True)
class Labels:
    """Label texts to embed: ``owner[i]`` is the code (index) text ``i`` describes and
    ``kind[i]`` what it is made of (``name``, ``definition``, ``inclusion``, ``example``)."""

    texts: list[str]
    owner: list[int]
    kind: list[str]


@dataclass(frozen=True, slots=True)
class ScoringParams:
    """The choices that change scores; recorded with every suggestion run."""

    label_variant: str = DEFAULT_LABEL_VARIANT
    code_aggregate: str = "max"  # CODE_AGGREGATES
    sentence_pool: str = "mean"  # SENTENCE_POOLS
    knn_k: int = 5  # examples averaged for the few-shot score
    knn_prior: float = 5.0  # examples at which labels and examples weigh the same

    def __post_init__(self) -> None:
        if self.label_variant not in LABEL_VARIANTS:
            raise ValueError(f"label_variant must be one of {LABEL_VARIANTS}")
        if self.code_aggregate not in CODE_AGGREGATES:
            raise ValueError(f"code_aggregate must be one of {CODE_AGGREGATES}")
        if self.sentence_pool not in SENTENCE_POOLS:
            raise ValueError(f"sentence_pool must be one of {SENTENCE_POOLS}")
        if self.knn_k < 1 or self.knn_prior <= 0:
            raise ValueError("knn_k must be at least 1 and knn_prior positive")

    def as_dict(self) -> dict[str, Any]:
        return {
            "label_variant": self.label_variant,
            "code_aggregate": self.code_aggregate,
            "sentence_pool": self.sentence_pool,
            "knn_k": self.knn_k,
            "knn_prior": self.knn_prior,
        }


# -- labels ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (so joined parts read as sentences)."""
    text = _clean(text)
    return text if not text or text[-1] in ".?!" else text + "."


def has_definitions(codes: Sequence[CodeText]) -> bool:
    """Whether any code has a definition: without one, labels are names alone, which score
    little better than chance (issue 11), so the service refuses such a codebook."""
    return any(_clean(c.definition) for c in codes)


def build_labels(codes: Sequence[CodeText], variant: str = DEFAULT_LABEL_VARIANT) -> Labels:
    """One or more label texts per code.

    ``definition``: ``"name: definition"`` (the name alone when there is no definition);
    ``name``: the name; ``combined``: the definition label followed by ``"Includes: …"`` and
    ``"Example: …"`` when present; ``separate``: the definition label, and the inclusion
    criteria and the example each as a further label of the code. Exclusion criteria are
    never embedded: their words describe what the code is *not*, and a similarity cannot
    tell the difference.
    """
    if variant not in LABEL_VARIANTS:
        raise ValueError(f"label variant must be one of {LABEL_VARIANTS}")
    texts: list[str] = []
    owner: list[int] = []
    kind: list[str] = []

    def add(i: int, text: str, what: str) -> None:
        texts.append(text)
        owner.append(i)
        kind.append(what)

    for i, code in enumerate(codes):
        name, definition = _clean(code.name), _clean(code.definition)
        inclusion, example = _clean(code.inclusion), _clean(code.example)
        if variant == "name" or not definition:
            main, what = name, "name"
        else:
            main, what = f"{name}: {definition}", "definition"
        if variant == "combined":
            parts = [_sentence(main)]
            if inclusion:
                parts.append(f"Includes: {_sentence(inclusion)}")
            if example:
                parts.append(f"Example: {_sentence(example)}")
            add(i, " ".join(parts), what)
            continue
        add(i, main, what)
        if variant == "separate":
            if inclusion:
                add(i, inclusion, "inclusion")
            if example:
                add(i, example, "example")
    return Labels(texts, owner, kind)


# -- the code tree -----------------------------------------------------------------------------


def descendants(codes: Sequence[CodeText]) -> list[list[int]]:
    """For each code, itself and every code below it (indexes, the code first)."""
    children: dict[int, list[int]] = {}
    for i, code in enumerate(codes):
        if code.parent is not None:
            children.setdefault(code.parent, []).append(i)
    out: list[list[int]] = []
    for i in range(len(codes)):
        found, stack = [i], list(children.get(i, []))
        while stack:
            j = stack.pop()
            if j not in found:  # a cycle cannot come from a codebook; guard all the same
                found.append(j)
                stack.extend(children.get(j, []))
        out.append(found)
    return out


def ancestors(codes: Sequence[CodeText]) -> list[set[int]]:
    """For each code, the codes above it (indexes)."""
    out: list[set[int]] = []
    for code in codes:
        seen: set[int] = set()
        parent = code.parent
        while parent is not None and parent not in seen:
            seen.add(parent)
            parent = codes[parent].parent
        out.append(seen)
    return out


def membership(codes: Sequence[CodeText], owner: Sequence[int]) -> Bools:
    """``(n_codes, n_items)``: item ``j`` (a label or an example of code ``owner[j]``) counts
    for code ``i`` when ``owner[j]`` is ``i`` or one of its descendants."""
    under = descendants(codes)
    member = np.zeros((len(codes), len(owner)), dtype=bool)
    position: dict[int, list[int]] = {}
    for j, o in enumerate(owner):
        position.setdefault(int(o), []).append(j)
    for i, group in enumerate(under):
        for code in group:
            member[i, position.get(code, [])] = True
    return member


# -- similarities ------------------------------------------------------------------------------


def _as_floats(a: npt.ArrayLike) -> Floats:
    return np.asarray(a, dtype=np.float32)


def code_scores(
    sentences: npt.ArrayLike,
    labels: npt.ArrayLike,
    member: npt.ArrayLike,
    *,
    aggregate: str = "max",
) -> Floats:
    """``(n_sentences, n_codes)``: each sentence's cosine to each code.

    ``member`` is :func:`membership` of the labels. ``max``: the best of the code's labels
    (its own and its descendants'); ``centroid``: the cosine to the normalised mean of those
    label vectors. A code with no label scores 0.
    """
    s, lab = _as_floats(sentences), _as_floats(labels)
    m = np.asarray(member, dtype=bool)
    n_codes = m.shape[0]
    out = np.zeros((s.shape[0], n_codes), dtype=np.float32)
    if s.shape[0] == 0 or lab.shape[0] == 0:
        return out
    if aggregate == "centroid":
        centroids = m.astype(np.float32) @ lab
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids = np.divide(centroids, norms, out=np.zeros_like(centroids), where=norms > 0)
        result: Floats = (s @ centroids.T).astype(np.float32)
        return result
    if aggregate != "max":
        raise ValueError(f"aggregate must be one of {CODE_AGGREGATES}")
    sims = s @ lab.T
    for i in range(n_codes):
        cols = np.flatnonzero(m[i])
        if cols.size:
            out[:, i] = sims[:, cols].max(axis=1)
    return out


def pool_units(
    per_sentence: npt.ArrayLike, unit_of: npt.ArrayLike, n_units: int, *, how: str = "mean"
) -> Floats:
    """``(n_units, …)`` from ``(n_sentences, …)``: each unit's ``mean`` (or ``max``) over the
    sentences ``unit_of`` assigns to it; a unit with no sentence gets 0."""
    x = _as_floats(per_sentence)
    idx = np.asarray(unit_of, dtype=np.int64)
    shape = (n_units, *x.shape[1:])
    if how == "mean":
        total = np.zeros(shape, dtype=np.float64)
        np.add.at(total, idx, x)
        count = np.bincount(idx, minlength=n_units).astype(np.float64)
        count = count.reshape((n_units,) + (1,) * (x.ndim - 1))
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(np.float32)
    if how == "max":
        best = np.full(shape, -np.inf, dtype=np.float32)
        np.maximum.at(best, idx, x)
        best[np.isneginf(best)] = 0.0
        return best
    raise ValueError(f"how must be one of {SENTENCE_POOLS}")


def knn_scores(
    sentences: npt.ArrayLike,
    examples: npt.ArrayLike,
    member: npt.ArrayLike,
    *,
    k: int = 5,
    sentence_group: npt.ArrayLike | None = None,
    example_group: npt.ArrayLike | None = None,
) -> tuple[Floats, Floats]:
    """Few-shot evidence: ``(scores, counts)``, both ``(n_sentences, n_codes)``.

    ``scores[s, c]`` is the mean of the ``k`` highest cosines between sentence ``s`` and the
    examples counting for code ``c`` (``member``: :func:`membership` of the examples' codes),
    over fewer when fewer are available; ``counts[s, c]`` how many were available. An example
    in the sentence's own group (``sentence_group[s] == example_group[e]``, its document) is
    not available, so a coded passage is never its own evidence.
    """
    s, ex = _as_floats(sentences), _as_floats(examples)
    m = np.asarray(member, dtype=bool)
    n_s, n_codes = s.shape[0], m.shape[0]
    scores = np.zeros((n_s, n_codes), dtype=np.float32)
    counts = np.zeros((n_s, n_codes), dtype=np.float32)
    if n_s == 0 or ex.shape[0] == 0:
        return scores, counts
    sims = (s @ ex.T).astype(np.float32)
    if sentence_group is not None and example_group is not None:
        same = np.asarray(sentence_group)[:, None] == np.asarray(example_group)[None, :]
        sims[same] = -np.inf
    for i in range(n_codes):
        cols = np.flatnonzero(m[i])
        if not cols.size:
            continue
        sub = sims[:, cols]
        available = np.isfinite(sub).sum(axis=1)
        kk = min(k, cols.size)
        top = np.partition(sub, cols.size - kk, axis=1)[:, cols.size - kk :]
        top = np.where(np.isfinite(top), top, 0.0)
        used = np.minimum(available, k)
        scores[:, i] = np.divide(
            top.sum(axis=1), used, out=np.zeros(n_s, dtype=np.float64), where=used > 0
        )
        counts[:, i] = available
    return scores, counts


def combine(
    label: npt.ArrayLike, knn: npt.ArrayLike, counts: npt.ArrayLike, *, prior: float = 5.0
) -> tuple[Floats, Floats]:
    """``(scores, weights)``: ``(1 - w) * label + w * knn`` with ``w = n / (n + prior)``."""
    n = _as_floats(counts)
    w = n / (n + np.float32(prior))
    return ((1 - w) * _as_floats(label) + w * _as_floats(knn)).astype(np.float32), w


# -- units -------------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitScores:
    """Raw scores of units × codes and what they came from (for the evidence of a
    suggestion): the nearest label (index into the labels) and nearest example (index into
    the examples, -1 when none) of each unit × code, with their unit-mean cosines."""

    scores: Floats
    label_scores: Floats
    knn: Floats
    weights: Floats
    nearest_label: Ints
    label_similarity: Floats
    nearest_example: Ints = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    example_similarity: Floats = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def _nearest(pooled: Floats, member: Bools) -> tuple[Ints, Floats]:
    """Per unit × code, the member column with the highest pooled similarity."""
    n_units, n_codes = pooled.shape[0], member.shape[0]
    index = np.full((n_units, n_codes), -1, dtype=np.int64)
    value = np.zeros((n_units, n_codes), dtype=np.float32)
    for i in range(n_codes):
        cols = np.flatnonzero(member[i])
        if cols.size and n_units:
            best = pooled[:, cols].argmax(axis=1)
            index[:, i] = cols[best]
            value[:, i] = pooled[np.arange(n_units), cols[best]]
    return index, value


def _own(n_codes: int, owner: Sequence[int]) -> Bools:
    """``(n_codes, n_items)``: item ``j`` counts for its own code only."""
    member = np.zeros((n_codes, len(owner)), dtype=bool)
    if len(owner):
        member[np.asarray(owner, dtype=np.int64), np.arange(len(owner))] = True
    return member


def _best_in_subtree(
    codes: Sequence[CodeText], mixed: Floats, knn: Floats, weight: Floats
) -> tuple[Floats, Floats, Floats]:
    """Per sentence, each code's score as the best own score in its subtree, with the kNN
    score and weight of the code that gave it."""
    out_mixed, out_knn, out_weight = mixed.copy(), knn.copy(), weight.copy()
    rows = np.arange(mixed.shape[0])
    for i, group in enumerate(descendants(codes)):
        if len(group) == 1:
            continue
        cols = np.asarray(group, dtype=np.int64)
        best = cols[mixed[:, cols].argmax(axis=1)]
        out_mixed[:, i] = mixed[rows, best]
        out_knn[:, i] = knn[rows, best]
        out_weight[:, i] = weight[rows, best]
    return out_mixed, out_knn, out_weight


def score_units(
    sentences: npt.ArrayLike,
    unit_of: npt.ArrayLike,
    n_units: int,
    codes: Sequence[CodeText],
    label_vectors: npt.ArrayLike,
    label_owner: Sequence[int],
    *,
    examples: npt.ArrayLike | None = None,
    example_owner: Sequence[int] = (),
    sentence_group: npt.ArrayLike | None = None,
    example_group: npt.ArrayLike | None = None,
    params: ScoringParams | None = None,
) -> UnitScores:
    """Raw scores ``(n_units, n_codes)`` of units (their sentences' vectors, ``unit_of``
    naming each sentence's unit) against codes, as the module docstring describes.

    ``label_vectors`` are the embedded :func:`build_labels` texts (``label_owner``: their
    codes); ``examples`` the embedded accepted codings (``example_owner``: their codes,
    ``example_group`` their documents, matched against ``sentence_group``).
    """
    p = params or ScoringParams()
    s = _as_floats(sentences)
    lab = _as_floats(label_vectors)
    unit_idx = np.asarray(unit_of, dtype=np.int64)
    label_member = membership(codes, label_owner)
    per_sentence = code_scores(s, lab, label_member, aggregate=p.code_aggregate)
    label = pool_units(per_sentence, unit_idx, n_units, how=p.sentence_pool)
    pooled_labels = pool_units(s @ lab.T, unit_idx, n_units, how="mean") if lab.size else None
    if pooled_labels is None:
        nearest_label = np.full((n_units, len(codes)), -1, dtype=np.int64)
        label_sim = np.zeros((n_units, len(codes)), dtype=np.float32)
    else:
        nearest_label, label_sim = _nearest(pooled_labels, label_member)
    zeros = np.zeros_like(label)
    result = UnitScores(label, label, zeros, zeros, nearest_label, label_sim)
    ex = None if examples is None else _as_floats(examples)
    if ex is None or ex.shape[0] == 0:
        result.nearest_example = np.full(label.shape, -1, dtype=np.int64)
        result.example_similarity = zeros.copy()
        return result
    ex_member = membership(codes, example_owner)
    groups = {"sentence_group": sentence_group, "example_group": example_group}
    if p.code_aggregate == "max":
        # each code's own score (its own labels and examples), then the best over its subtree
        # sentence by sentence: a theme with many examples spread over its subthemes does not
        # outweigh the one subtheme whose examples fit
        own_labels = _own(len(codes), label_owner)
        own_examples = _own(len(codes), example_owner)
        label_own = code_scores(s, lab, own_labels, aggregate="max")
        knn_own, counts_own = knn_scores(s, ex, own_examples, k=p.knn_k, **groups)
        mixed_own, weight_own = combine(label_own, knn_own, counts_own, prior=p.knn_prior)
        mixed, knn, weight = _best_in_subtree(codes, mixed_own, knn_own, weight_own)
    else:
        knn, counts = knn_scores(s, ex, ex_member, k=p.knn_k, **groups)
        mixed, weight = combine(per_sentence, knn, counts, prior=p.knn_prior)
    result.scores = pool_units(mixed, unit_idx, n_units, how=p.sentence_pool)
    result.knn = pool_units(knn, unit_idx, n_units, how=p.sentence_pool)
    result.weights = pool_units(weight, unit_idx, n_units, how="mean")
    available = pool_units(
        knn_scores(s, ex, ex_member, k=1, **groups)[1], unit_idx, n_units, how="mean"
    )
    sims = (s @ ex.T).astype(np.float32)
    if sentence_group is not None and example_group is not None:
        same = np.asarray(sentence_group)[:, None] == np.asarray(example_group)[None, :]
        sims[same] = -1.0  # below any real cosine: never the nearest
    nearest, value = _nearest(pool_units(sims, unit_idx, n_units, how="mean"), ex_member)
    nearest[available <= 0] = -1
    value[available <= 0] = 0.0
    result.nearest_example, result.example_similarity = nearest, value
    return result


# -- choosing ----------------------------------------------------------------------------------


def ranked(scores: npt.ArrayLike) -> Ints:
    """Code indexes of each row, best first (ties: the lower index first)."""
    x = np.asarray(scores, dtype=np.float64)
    return np.argsort(-x, axis=1, kind="stable").astype(np.int64)


def top_codes(
    scores: npt.ArrayLike,
    *,
    top: int = 3,
    min_score: float = 0.0,
    above: Sequence[set[int]] | None = None,
    margin: float = 0.05,
) -> list[list[tuple[int, float]]]:
    """Per unit, at most ``top`` ``(code index, score)`` pairs with ``score >= min_score``,
    best first (rank = position + 1; ties: the lower index first).

    With ``above`` (:func:`ancestors` of each code) a code is dropped when one of its
    descendants also qualifies in the unit scoring within ``margin`` of it: under ``max``
    aggregation a theme scores what its best subtheme scores, and the subtheme says the same
    more precisely. A theme that scores clearly higher than every subtheme (its own
    definition fits, or the unit's sentences touch several subthemes) is kept.
    """
    x = np.asarray(scores, dtype=np.float64)
    order = ranked(x)
    out: list[list[tuple[int, float]]] = []
    for row, idx in zip(x, order, strict=True):
        keep = [int(i) for i in idx if row[i] >= min_score]
        if above is not None and keep:
            covered = {a for i in keep for a in above[i] if row[i] >= row[a] - margin}
            keep = [i for i in keep if i not in covered]
        out.append([(i, float(row[i])) for i in keep[: max(top, 0)]])
    return out
