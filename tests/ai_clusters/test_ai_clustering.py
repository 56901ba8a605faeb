"""The numerical part of clustering (thematica.ai.clustering): the average-linkage tree against
scipy's, groups found in vectors whose groups are known by construction, and class-based
TF-IDF keywords worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thematica.ai import clustering


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    """The groups as sets of rows (numbering ignored), unclustered rows left out."""
    groups: dict[int, set[int]] = {}
    for row, label in enumerate(labels.tolist()):
        if label >= 0:
            groups.setdefault(label, set()).add(row)
    return {frozenset(g) for g in groups.values()}


def _three_groups_and_noise(seed: int = 7) -> tuple[np.ndarray, list[set[int]], set[int]]:
    """Three groups of 12 around three orthogonal axes (each member: its axis + small noise on
    every dimension), and 6 passages each about something of its own (an axis of its own, away
    from the groups and from each other)."""
    rng = np.random.default_rng(seed)
    dims = 32
    rows: list[np.ndarray] = []
    truth: list[set[int]] = []
    for axis in range(3):
        start = len(rows)
        rows += [_axis(dims, axis) + 0.1 * rng.normal(size=dims) for _ in range(12)]
        truth.append(set(range(start, start + 12)))
    noise = set(range(len(rows), len(rows) + 6))
    rows += [_axis(dims, 10 + k) for k in range(6)]
    return np.array(rows), truth, noise


def _axis(dims: int, axis: int) -> np.ndarray:
    v = np.zeros(dims)
    v[axis] = 1.0
    return v


def test_three_groups_are_found_and_noise_is_left_out() -> None:
    vectors, truth, noise = _three_groups_and_noise()
    found = clustering.cluster(vectors, min_size=3)
    assert found.k == 3
    assert _partition(found.labels) == {frozenset(g) for g in truth}
    assert {int(i) for i in np.flatnonzero(found.labels < 0)} == noise
    # the default minimum size (max(3, round(sqrt(42) / 2)) = 3) finds the same
    assert _partition(clustering.cluster(vectors).labels) == {frozenset(g) for g in truth}


def test_same_input_same_groups_and_row_order_does_not_matter() -> None:
    vectors, truth, _noise = _three_groups_and_noise(seed=11)
    first = clustering.cluster(vectors, min_size=3)
    again = clustering.cluster(vectors.copy(), min_size=3)
    assert np.array_equal(first.labels, again.labels)
    assert first.members == again.members and first.centrality == again.centrality
    order = np.random.default_rng(3).permutation(len(vectors))
    shuffled = clustering.cluster(vectors[order], min_size=3)
    back = {frozenset(int(order[i]) for i in g) for g in _partition(shuffled.labels)}
    assert back == {frozenset(g) for g in truth}


def test_members_come_most_central_first() -> None:
    """Row 0 sits exactly on the axis, so it is the most central of its group; the others
    follow by falling cosine similarity to the group's centroid."""
    vectors, _truth, _noise = _three_groups_and_noise()
    vectors[0] = 0.0
    vectors[0, 0] = 1.0
    found = clustering.cluster(vectors, min_size=3)
    group = next(g for g, rows in enumerate(found.members) if 0 in rows)
    rows = found.members[group]
    centre = vectors[rows] / np.linalg.norm(vectors[rows], axis=1, keepdims=True)
    centroid = centre.sum(axis=0) / np.linalg.norm(centre.sum(axis=0))
    sims = centre @ centroid
    assert rows[0] == 0
    assert list(sims) == sorted(sims, reverse=True)
    assert found.centrality[group] == pytest.approx(list(sims), abs=1e-6)


def test_blank_rows_and_too_few_rows_stay_unclustered() -> None:
    vectors, truth, _noise = _three_groups_and_noise()
    vectors[5] = 0.0  # a blank passage: an all-zero row
    found = clustering.cluster(vectors, min_size=3)
    assert found.labels[5] == -1
    assert _partition(found.labels) == {frozenset(g - {5}) for g in truth}
    few = clustering.cluster(vectors[:5], min_size=3)  # fewer than two groups' worth
    assert few.k == 0 and set(few.labels.tolist()) == {-1}


def test_max_clusters_raises_the_minimum_size() -> None:
    """Groups of 12, 12 and 5: at most two groups leaves the group of five out."""
    vectors, truth, _noise = _three_groups_and_noise()
    keep = sorted(truth[0] | truth[1] | set(sorted(truth[2])[:5]))
    found = clustering.cluster(vectors[keep], min_size=3, max_clusters=2)
    assert found.k == 2
    assert sorted(len(m) for m in found.members) == [12, 12]
    assert found.min_size > 5


def test_average_linkage_is_scipys_tree() -> None:
    """The merge heights and every cut equal scipy's average linkage on cosine distance
    (an independent implementation)."""
    hierarchy = pytest.importorskip("scipy.cluster.hierarchy")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(120, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    merges = clustering.average_linkage(x)
    reference = hierarchy.linkage(x, method="average", metric="cosine")
    assert [d for _a, _b, d in merges] == pytest.approx(list(reference[:, 2]), abs=1e-9)
    for k in (2, 7, 30):
        ours = clustering.cut(merges, len(x), k)
        theirs = hierarchy.fcluster(reference, k, criterion="maxclust")
        assert _partition(ours) == _partition(theirs)


def test_a_large_run_clusters_a_sample_and_assigns_the_rest() -> None:
    """Above the exact limit a fixed-seed sample is clustered and every other row joins its
    group: four groups of 60 with an exact limit of 100 are still four groups of 60."""
    rng = np.random.default_rng(2)
    rows: list[np.ndarray] = []
    truth: list[set[int]] = []
    for axis in range(4):
        centre = np.zeros(24)
        centre[axis] = 1.0
        truth.append(set(range(len(rows), len(rows) + 60)))
        rows += [centre + 0.1 * rng.normal(size=24) for _ in range(60)]
    found = clustering.cluster(np.array(rows), min_size=5, exact_limit=100)
    assert _partition(found.labels) == {frozenset(g) for g in truth}
    assert found.parameters["sample"] == 100
    again = clustering.cluster(np.array(rows), min_size=5, exact_limit=100)
    assert np.array_equal(found.labels, again.labels)


def test_default_min_size_grows_with_the_number_of_passages() -> None:
    assert [clustering.default_min_size(n) for n in (10, 100, 1000, 3000)] == [3, 5, 16, 27]


def test_keyword_tokens_drop_stop_words_fillers_and_numbers() -> None:
    assert clustering.keyword_tokens("Yeah, I don't know: the landlord's 2 flats ARE damp") == [
        "landlord",
        "flats",
        "damp",
    ]


def test_ctfidf_by_hand() -> None:
    """Class 0 has rent x2, landlord x1 (3 words); class 1 rent x3, police x1 (4 words); class 2
    (the unclustered) rent x2, weather x1 (3 words). A = 10 / 3; f(rent) = 7, f(other) = 1.

    class 0: rent     2/3 * ln(1 + (10/3)/7) = 0.6667 * 0.38946 = 0.25964
             landlord 1/3 * ln(1 + 10/3)     = 0.3333 * 1.46634 = 0.48878  <- first
    class 1: police   1/4 * 1.46634 = 0.36659 ; rent 3/4 * 0.38946 = 0.29210
    A word frequent everywhere sinks below the class's own word.
    """
    classes = [["rent rent", "landlord"], ["rent rent rent police"], ["rent weather rent"]]
    keywords = clustering.ctfidf(classes, top=5)
    assert [w for w, _s in keywords[0]] == ["landlord", "rent"]
    assert dict(keywords[0]) == pytest.approx(
        {"landlord": 1 / 3 * math.log(1 + 10 / 3), "rent": 2 / 3 * math.log(1 + (10 / 3) / 7)}
    )
    assert dict(keywords[0])["landlord"] == pytest.approx(0.48878, abs=1e-5)
    assert [w for w, _s in keywords[1]] == ["police", "rent"]
    assert dict(keywords[1])["police"] == pytest.approx(0.36659, abs=1e-5)
    assert dict(keywords[1])["rent"] == pytest.approx(0.29210, abs=1e-5)


def test_ctfidf_ties_go_alphabetically_and_top_cuts() -> None:
    keywords = clustering.ctfidf([["zebra apple mango"], ["other words here"]], top=2)
    assert [w for w, _s in keywords[0]] == ["apple", "mango"]


def test_model_label_answers_are_checked() -> None:
    assert clustering.parse_label({"name": "  Housing   costs ", "definition": "Rent."}) == (
        "Housing costs",
        "Rent.",
    )
    assert clustering.parse_label({"name": "Rent"}) == ("Rent", "")
    for bad in (["Rent"], {"definition": "x"}, {"name": "  "}, "Rent"):
        with pytest.raises(ValueError):
            clustering.parse_label(bad)
    messages = clustering.label_messages(["rent", "landlord"], ["The rent went up."] * 20)
    assert "rent, landlord" in messages[1]["content"]
    assert messages[1]["content"].count("The rent went up.") == clustering.LABEL_EXCERPTS
