"""The scoring and calibration functions on small vectors whose results are worked out by hand
(2-d unit vectors, cosines read off as dot products), and Platt scaling on synthetic data drawn
from a known curve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thematica.ai.calibration import (
    DEFAULTS,
    best_f1,
    default_calibration,
    fit_platt,
    project_calibration,
    sigmoid,
)
from thematica.ai.scoring import (
    CodeText,
    ScoringParams,
    ancestors,
    build_labels,
    code_scores,
    combine,
    descendants,
    has_definitions,
    knn_scores,
    membership,
    pool_units,
    score_units,
    top_codes,
)
from thematica.ai.unit_scoring import DocUnits, cut_units, positives

# A theme with two subthemes and a second theme: 0 Care, 1 Care/Pain, 2 Care/Dignity, 3 Food
TREE = [
    CodeText("Care", "the care patients received"),
    CodeText("Pain", "pain relief", example="It hurt and nobody came.", parent=0),
    CodeText("Dignity", "", inclusion="privacy; respect", parent=0),
    CodeText("Food", "meals and drinks"),
]


def approx(expected: object, abs: float = 1e-6) -> object:
    """pytest.approx over a nested list, compared as a numpy array."""
    return pytest.approx(np.array(expected, dtype=float), abs=abs)


def unit(x: float, y: float) -> list[float]:
    n = math.hypot(x, y)
    return [x / n, y / n]


# -- labels ------------------------------------------------------------------------------------


def test_definition_labels_are_name_colon_definition_or_the_name_alone() -> None:
    labels = build_labels(TREE)
    assert labels.texts == [
        "Care: the care patients received",
        "Pain: pain relief",
        "Dignity",
        "Food: meals and drinks",
    ]
    assert labels.owner == [0, 1, 2, 3]
    assert labels.kind == ["definition", "definition", "name", "definition"]


def test_label_variants() -> None:
    assert build_labels(TREE, "name").texts == ["Care", "Pain", "Dignity", "Food"]
    combined = build_labels(TREE, "combined").texts
    assert combined[1] == "Pain: pain relief. Example: It hurt and nobody came."
    assert combined[2] == "Dignity. Includes: privacy; respect."
    separate = build_labels(TREE, "separate")
    assert separate.texts == [
        "Care: the care patients received",
        "Pain: pain relief",
        "It hurt and nobody came.",
        "Dignity",
        "privacy; respect",
        "Food: meals and drinks",
    ]
    assert separate.owner == [0, 1, 1, 2, 2, 3]
    assert separate.kind[2] == "example" and separate.kind[4] == "inclusion"
    with pytest.raises(ValueError):
        build_labels(TREE, "nonsense")


def test_has_definitions() -> None:
    assert has_definitions(TREE)
    assert not has_definitions([CodeText("A"), CodeText("B", "  ")])


def test_tree_helpers() -> None:
    under = descendants(TREE)
    assert [g[0] for g in under] == [0, 1, 2, 3]  # each code first, then those below it
    assert [sorted(g) for g in under] == [[0, 1, 2], [1], [2], [3]]
    assert ancestors(TREE) == [set(), {0}, {0}, set()]
    member = membership(TREE, [0, 1, 2, 3, 1])
    assert member.tolist() == [
        [True, True, True, False, True],
        [False, True, False, False, True],
        [False, False, True, False, False],
        [False, False, False, True, False],
    ]


# -- similarities ------------------------------------------------------------------------------


def test_code_scores_max_over_own_and_descendant_labels_and_centroid() -> None:
    # labels: Care along x, Pain along y, Dignity at 45 degrees below x, Food (-1, 0)
    labels = np.array([[1, 0], [0, 1], unit(1, -1), [-1, 0]], dtype=np.float32)
    member = membership(TREE, [0, 1, 2, 3])
    sentences = np.array([[0, 1], unit(1, 1)], dtype=np.float32)
    got = code_scores(sentences, labels, member)
    # sentence (0, 1): Care = max(0, 1, -0.7071) = 1; Pain 1; Dignity -0.7071; Food 0
    # sentence (1, 1)/sqrt2: Care = max(0.7071, 0.7071, 0) ; Pain 0.7071; Dignity 0; Food -0.7071
    r = 1 / math.sqrt(2)
    assert got == approx([[1, 1, -r, 0], [r, r, 0, -r]])
    # centroid of Care's labels: (1, 0) + (0, 1) + (r, -r) = (1 + r, 1 - r), normalised
    c = np.array([1 + r, 1 - r]) / math.hypot(1 + r, 1 - r)
    centroid = code_scores(sentences, labels, member, aggregate="centroid")
    assert centroid[0, 0] == pytest.approx(c[1], abs=1e-6)
    assert centroid[1, 0] == pytest.approx((c[0] + c[1]) * r, abs=1e-6)
    assert centroid[0, 3] == pytest.approx(0.0, abs=1e-6)  # Food's only label: (-1,0).(0,1)


def test_a_blank_sentence_scores_zero() -> None:
    labels = np.array([[1, 0]], dtype=np.float32)
    got = code_scores(np.zeros((1, 2), dtype=np.float32), labels, np.ones((1, 1), dtype=bool))
    assert got.tolist() == [[0.0]]


def test_pool_units_mean_and_max() -> None:
    per_sentence = np.array([[0.2, 0.9], [0.4, 0.1], [0.6, 0.3]], dtype=np.float32)
    unit_of = [0, 0, 2]  # unit 1 has no sentence
    assert pool_units(per_sentence, unit_of, 3) == approx([[0.3, 0.5], [0, 0], [0.6, 0.3]])
    assert pool_units(per_sentence, unit_of, 3, how="max") == approx(
        [[0.4, 0.9], [0, 0], [0.6, 0.3]]
    )


def test_knn_mean_of_top_k_leaving_out_the_own_document() -> None:
    codes = [CodeText("A", "a"), CodeText("B", "b")]
    r = 1 / math.sqrt(2)
    # examples: three of A (cosines to the sentence (1, 0): 1, r, 0), one of B (cosine -1)
    examples = np.array([[1, 0], unit(1, 1), [0, 1], [-1, 0]], dtype=np.float32)
    member = membership(codes, [0, 0, 0, 1])
    sentence = np.array([[1, 0]], dtype=np.float32)
    scores, counts = knn_scores(sentence, examples, member, k=2)
    assert scores == approx([[(1 + r) / 2, -1.0]])
    assert counts.tolist() == [[3, 1]]
    # the best example of A is in the sentence's own document (group 7): left out
    scores, counts = knn_scores(
        sentence, examples, member, k=2, sentence_group=[7], example_group=[7, 8, 8, 8]
    )
    assert scores == approx([[(r + 0) / 2, -1.0]])
    assert counts.tolist() == [[2, 1]]
    # fewer available than k: the mean of what there is (A: cosines 1 and r, the third is in
    # the sentence's document); none available: 0 (B's only example is in it too)
    scores, counts = knn_scores(
        sentence, examples, member, k=5, sentence_group=[8], example_group=[7, 7, 8, 8]
    )
    assert scores == approx([[(1 + r) / 2, 0.0]])
    assert counts.tolist() == [[2, 0]]


def test_combine_weights_examples_by_their_number() -> None:
    scores, weights = combine([[0.2, 0.2, 0.2]], [[0.8, 0.8, 0.8]], [[0, 5, 15]], prior=5)
    # w = 0, 1/2, 3/4
    assert weights == approx([[0, 0.5, 0.75]])
    assert scores == approx([[0.2, 0.5, 0.65]])


def test_score_units_averages_sentences_of_the_max_over_labels() -> None:
    labels = np.array([[1, 0], [0, 1], unit(1, -1), [-1, 0]], dtype=np.float32)
    r = 1 / math.sqrt(2)
    # unit 0: sentences (0, 1) and (1, 0); unit 1: sentence (-1, 0)
    sentences = np.array([[0, 1], [1, 0], [-1, 0]], dtype=np.float32)
    got = score_units(sentences, [0, 0, 1], 2, TREE, labels, [0, 1, 2, 3])
    # unit 0: Care mean(max(0,1,-r), max(1,0,r)) = 1; Pain mean(1, 0) = 0.5;
    #         Dignity mean(-r, r) = 0; Food mean(0, -1) = -0.5
    # unit 1: Care max(-1, 0, -r) = 0; Pain 0; Dignity -r; Food 1
    assert got.scores == approx([[1, 0.5, 0, -0.5], [0, 0, -r, 1]])
    assert got.weights.tolist() == [[0] * 4] * 2  # no examples: labels alone
    # evidence: Care's nearest label in unit 0 by mean cosine: Care's own (0.5) ties Pain's (0.5)
    # and beats Dignity's (0); in unit 1 it is Pain's (0) over Care's (-1) and Dignity's (-r)
    assert got.nearest_label[0, 0] in (0, 1)
    assert got.nearest_label[1, 0] == 1
    assert got.nearest_label[1, 3] == 3
    assert got.nearest_example.tolist() == [[-1] * 4] * 2


def test_score_units_with_examples_mixes_in_the_knn_score() -> None:
    codes = [CodeText("A", "a"), CodeText("B", "b")]
    labels = np.array([[1, 0], [0, 1]], dtype=np.float32)
    examples = np.array([[0, 1]] * 5, dtype=np.float32)  # five examples of B along y
    sentences = np.array([[0, 1]], dtype=np.float32)
    params = ScoringParams(knn_k=3, knn_prior=5.0)
    got = score_units(
        sentences,
        [0],
        1,
        codes,
        labels,
        [0, 1],
        examples=examples,
        example_owner=[1] * 5,
        sentence_group=[1],
        example_group=[2] * 5,
        params=params,
    )
    # A: label 0, no examples -> 0; B: label 1, knn 1, w = 5/10 -> 1
    assert got.scores == approx([[0.0, 1.0]])
    assert got.weights == approx([[0.0, 0.5]])
    assert got.nearest_example[0, 1] in range(5) and got.nearest_example[0, 0] == -1
    # the label differs from the examples: B's label along x, examples along y
    got = score_units(
        np.array([[0, 1]], dtype=np.float32),
        [0],
        1,
        codes,
        np.array([[1, 0], [1, 0]], dtype=np.float32),
        [0, 1],
        examples=examples,
        example_owner=[1] * 5,
        params=params,
    )
    assert got.scores == approx([[0.0, 0.5]])  # 0.5 * 0 + 0.5 * 1


def test_scoring_params_are_checked() -> None:
    with pytest.raises(ValueError):
        ScoringParams(code_aggregate="median")
    with pytest.raises(ValueError):
        ScoringParams(knn_k=0)
    assert ScoringParams().as_dict()["label_variant"] == "definition"


# -- choosing ----------------------------------------------------------------------------------


def test_top_codes_threshold_rank_and_ties() -> None:
    flat = [CodeText("A"), CodeText("B"), CodeText("C")]
    scores = [[0.2, 0.9, 0.5], [0.4, 0.4, 0.1], [0.1, 0.1, 0.1]]
    got = top_codes(scores, top=2, min_score=0.3, above=ancestors(flat))
    assert got == [[(1, 0.9), (2, 0.5)], [(0, 0.4), (1, 0.4)], []]
    assert top_codes(scores, top=1, min_score=0.0)[2] == [(0, 0.1)]


def test_top_codes_prefers_a_subcode_that_scores_like_its_parent() -> None:
    above = ancestors(TREE)  # Care above Pain and Dignity
    # Care's score is Pain's (its best label is Pain's): Pain is suggested, Care is not
    assert top_codes([[0.8, 0.8, 0.1, 0.3]], top=3, min_score=0.25, above=above) == [
        [(1, 0.8), (3, 0.3)]
    ]
    # Care scores clearly above both subcodes (its own definition fits): both kept
    assert top_codes([[0.9, 0.6, 0.1, 0.0]], top=3, min_score=0.5, above=above) == [
        [(0, 0.9), (1, 0.6)]
    ]
    # the subcode within the margin but below the threshold does not remove Care
    assert top_codes([[0.52, 0.49, 0.0, 0.0]], top=3, min_score=0.5, above=above) == [[(0, 0.52)]]


# -- units ---------------------------------------------------------------------------------------


def test_cut_units_and_positives() -> None:
    text = "One two. Three four.\n\nFive six."
    sentences = cut_units(text, "sentence")
    assert sentences.spans == [(0, 8), (9, 20), (22, 31)]
    assert sentences.sentences == ["One two.", "Three four.", "Five six."]
    paragraphs = cut_units(text, "paragraph")
    assert paragraphs.spans == [(0, 20), (22, 31)]
    assert paragraphs.unit_of == [0, 0, 1]
    whole = cut_units(text, "document")
    assert whole.spans == [(0, 31)] and whole.unit_of == [0, 0, 0]
    turns = cut_units(text, "turn", [(0, 20), (22, 31)])
    assert turns.spans == [(0, 20), (22, 31)]
    assert cut_units(text, "turn").spans == []  # no stored turns: no turn units
    # a Pain coding over "Three" (9-14) marks sentence 1 for Pain and for Care above it
    got = positives(sentences, [(1, 9, 14)], TREE)
    assert got.tolist() == [
        [False] * 4,
        [True, True, False, False],
        [False] * 4,
    ]
    sub = sentences.subset([2, 0])
    # units renumbered in the order asked; sentences stay in text order
    assert sub.spans == [(22, 31), (0, 8)]
    assert sub.sentences == ["One two.", "Five six."] and sub.unit_of == [1, 0]
    assert isinstance(sub, DocUnits)


# -- calibration -------------------------------------------------------------------------------


def test_sigmoid_is_stable_at_the_extremes() -> None:
    got = sigmoid([-1000.0, 0.0, 1000.0])
    assert got.tolist() == [0.0, 0.5, 1.0]


def test_platt_fit_recovers_a_known_curve() -> None:
    rng = np.random.default_rng(11)
    a, b = 12.0, -4.0
    scores = rng.uniform(0.0, 0.7, 40_000)
    labels = rng.uniform(size=scores.size) < 1 / (1 + np.exp(-(a * scores + b)))
    fa, fb = fit_platt(scores, labels, prior=(5.0, 0.0))
    assert fa == pytest.approx(a, abs=0.5)
    assert fb == pytest.approx(b, abs=0.25)


def test_platt_prior_holds_a_small_separable_sample() -> None:
    # perfectly separated: maximum likelihood alone would send the slope to infinity
    scores = [0.1] * 20 + [0.5] * 5
    labels = [0] * 20 + [1] * 5
    a, b = fit_platt(scores, labels, prior=(12.0, -3.0))
    assert math.isfinite(a) and 0 < a < 60
    p = sigmoid([a * 0.1 + b, a * 0.5 + b])
    assert p[0] < 0.2 and p[1] > 0.7
    # with no data at all the fit is the prior
    assert fit_platt([], [], prior=(12.0, -3.0)) == pytest.approx((12.0, -3.0))


def test_best_f1_by_hand() -> None:
    # cutting at 0.3 predicts 3 with 2 right: P 2/3, R 1, F1 0.8; at 0.9: P 1, R 1/2, F1 2/3
    assert best_f1([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]) == pytest.approx((0.8, 0.3))
    assert best_f1([0.5, 0.5], [0, 0]) == (0.0, 0.0)
    # equal probabilities are cut together: 0.5 twice with one positive -> F1 2/3
    assert best_f1([0.5, 0.5], [1, 0]) == pytest.approx((2 / 3, 0.5))


def test_project_calibration_needs_enough_units_and_positives() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(0, 0.7, 400)
    labels = scores > 0.45
    assert project_calibration(scores, labels, backend="minilm", units=29) is None
    few = np.zeros(400, dtype=bool)
    few[:4] = True
    assert project_calibration(scores, few, backend="minilm", units=100) is None
    fitted = project_calibration(scores, labels, backend="minilm", units=100)
    assert fitted is not None and fitted.source == "project:100 units"
    # separable: the fitted curve puts the positives above the negatives, and its threshold
    # is half the F1 reached (1.0 here), held to the range 0.1-0.5
    assert fitted.f1 == pytest.approx(1.0)
    assert fitted.min_score == pytest.approx(0.5)
    assert fitted.probability(0.6) > 0.5 > fitted.probability(0.3)


def test_default_calibration_names_its_backend() -> None:
    cal = default_calibration("tfidf")
    assert cal.source == "default:tfidf"
    assert (cal.a, cal.b) == DEFAULTS["tfidf"]
    assert cal.as_dict()["source"] == "default:tfidf"
    assert default_calibration("unknown-backend").source == "default:unknown-backend"


def test_a_theme_takes_its_best_subthemes_score_not_the_sum_of_their_examples() -> None:
    # Care (0) above Pain (1) and Dignity (2); all labels along x, the sentence along y
    codes = TREE[:3]
    labels = np.array([[1, 0], [1, 0], [1, 0]], dtype=np.float32)
    # Pain: 5 examples along y (cosine 1); Dignity: 5 examples along x (cosine 0)
    examples = np.array([[0, 1]] * 5 + [[1, 0]] * 5, dtype=np.float32)
    owner = [1] * 5 + [2] * 5
    got = score_units(
        np.array([[0, 1]], dtype=np.float32),
        [0],
        1,
        codes,
        labels,
        [0, 1, 2],
        examples=examples,
        example_owner=owner,
        params=ScoringParams(knn_k=5, knn_prior=5.0),
    )
    # Pain: label 0, knn 1, w = 5/10 -> 0.5; Dignity: 0.5 * 0 + 0.5 * 0 = 0;
    # Care: no examples of its own -> label 0; as a theme it takes Pain's 0.5 (pooling all ten
    # examples would have given w = 10/15 and knn 1 -> 0.667)
    assert got.scores == approx([[0.5, 0.5, 0.0]])
    assert got.weights == approx([[0.5, 0.5, 0.5]])
    # the centroid recipe pools a theme's examples with its subthemes'
    pooled = score_units(
        np.array([[0, 1]], dtype=np.float32),
        [0],
        1,
        codes,
        labels,
        [0, 1, 2],
        examples=examples,
        example_owner=owner,
        params=ScoringParams(code_aggregate="centroid", knn_k=5, knn_prior=5.0),
    )
    assert pooled.scores[0, 0] == pytest.approx(2 / 3, abs=1e-6)
