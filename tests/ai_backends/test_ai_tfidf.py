"""TF-IDF worked out by hand on a three-document corpus, and against scikit-learn's
TfidfVectorizer (an independent implementation of the same recipe) on a larger one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thematica.ai.tfidf import STOP_WORDS, TfidfEmbedder, terms

CORPUS = ["apple banana", "the apple and a cherry", "Banana banana cherry!"]


def test_terms_drop_stop_words_before_bigrams() -> None:
    assert terms("The apple and a cherry") == ["apple", "cherry", "apple cherry"]


def test_vectors_and_cosine_by_hand() -> None:
    e = TfidfEmbedder()
    e.fit(CORPUS)
    # terms: apple, banana, cherry (df 2 each); four bigrams (df 1 each)
    assert e.info.dims == 7
    assert e.info.parameters["fitted_on"] == 3
    idf2 = math.log(4 / 3) + 1  # smoothed idf: ln((1 + n) / (1 + df)) + 1, n = 3
    idf1 = math.log(4 / 2) + 1
    x = e.embed(CORPUS)
    assert x.dtype == np.float32 and x.shape == (3, 7)
    # document 1: apple, banana, "apple banana" -> (idf2, idf2, idf1) / norm
    n1 = math.sqrt(2 * idf2**2 + idf1**2)
    col = e.vocabulary
    assert x[0, col["apple"]] == pytest.approx(idf2 / n1, rel=1e-6)
    assert x[0, col["apple banana"]] == pytest.approx(idf1 / n1, rel=1e-6)
    # document 3: banana twice (sublinear: 1 + ln 2), cherry, "banana banana", "banana cherry"
    banana = (1 + math.log(2)) * idf2
    n3 = math.sqrt(banana**2 + idf2**2 + 2 * idf1**2)
    assert x[2, col["banana"]] == pytest.approx(banana / n3, rel=1e-6)
    # the only shared term of documents 1 and 3 is banana
    assert float(x[0] @ x[2]) == pytest.approx(idf2 * banana / (n1 * n3), rel=1e-5)
    assert float(x[0] @ x[2]) == pytest.approx(0.32398, abs=1e-4)
    assert np.linalg.norm(x, axis=1) == pytest.approx([1, 1, 1], abs=1e-6)


def test_blank_and_unknown_texts_are_zero_rows() -> None:
    e = TfidfEmbedder()
    e.fit(CORPUS)
    x = e.embed(["", "   ", "zebra", "the and"])
    assert x.shape == (4, 7)
    assert not x.any()


def test_vocabulary_keeps_the_most_frequent_terms() -> None:
    e = TfidfEmbedder(max_features=2)
    e.fit(CORPUS)
    # apple, banana and cherry all have df 2: ties go alphabetically
    assert sorted(e.vocabulary) == ["apple", "banana"]
    assert e.embed(["cherry"]).shape == (1, 2)


def test_unfitted_embed_fits_on_its_input() -> None:
    e = TfidfEmbedder()
    x = e.embed(CORPUS)
    assert e.fitted and x.shape == (3, 7)


def test_progress_reaches_the_total() -> None:
    seen: list[tuple[int, int]] = []
    TfidfEmbedder().embed(
        [f"text {i}" for i in range(45)], progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (45, 45)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_same_numbers_as_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = [
        "The nurses were kind and caring, the food was cold.",
        "Waiting times in A&E were far too long; nobody told us anything.",
        "Parking was impossible and the car park charges are too high.",
        "Staff listened to my concerns and explained my treatment clearly.",
        "The ward was clean but noisy at night, I could not sleep.",
        "Kind staff, clean ward, good food.",
        "I waited three hours to see a doctor and the doctor was rude.",
        "",
    ]
    ours = TfidfEmbedder()
    ours.fit(corpus)
    x = ours.embed(corpus)
    sk = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words=sorted(STOP_WORDS), lowercase=True
    )
    y = sk.fit_transform(corpus).toarray()
    assert sorted(ours.vocabulary) == sorted(sk.vocabulary_)
    order = [ours.vocabulary[t] for t in sk.get_feature_names_out()]
    np.testing.assert_allclose(x[:, order], y, rtol=1e-5, atol=1e-6)
