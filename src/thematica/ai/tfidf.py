"""TF-IDF similarity: the baseline every model must beat, and the backend that works with the
core install alone (numpy; no torch, no model files).

Word unigrams and bigrams, lower-cased, English stop words removed (bigrams are formed after
removal, as scikit-learn does), sublinear term frequency ``1 + ln(tf)``, smoothed IDF
``ln((1 + n) / (1 + df)) + 1`` and L2-normalised rows. The vocabulary is capped at the
``max_features`` terms with the highest document frequency, so a dense float32 matrix stays
small (9,000 sentences x 4,096 terms = 147 MB at most).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from thematica.ai.embedders import EmbedderInfo

if TYPE_CHECKING:
    import numpy

#: bumped whenever tokenising or weighting changes, so an AI layer says which recipe made it
TFIDF_VERSION = "1"
MAX_FEATURES = 4096

_TOKEN = re.compile(r"\b\w\w+\b")

#: a short English stop-word list: function words that carry no theme on their own
_STOP_TEXT = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also get got im ive thats theres dont didnt doesnt isnt wasnt don didn doesn isn
    wasn couldn wouldn shouldn won aren weren haven hasn ll ve re
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def terms(text: str) -> list[str]:
    """The unigrams and bigrams of one text, in order (stop words removed first)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


class TfidfEmbedder:
    """TF-IDF vectors as an :class:`~thematica.ai.embedders.Embedder`.

    ``fit`` learns the vocabulary and IDF from a corpus (the units to score plus the code
    labels); ``embed`` on an unfitted embedder fits on the texts it is given first.
    """

    def __init__(self, *, max_features: int = MAX_FEATURES) -> None:
        self.max_features = max_features
        self.vocabulary: dict[str, int] = {}
        self.idf: list[float] = []
        self.fitted = False
        self._fitted_on = 0
        self.info = self._info()

    def _info(self) -> EmbedderInfo:
        return EmbedderInfo(
            backend="tfidf",
            model="tfidf",
            version=TFIDF_VERSION,
            dims=len(self.vocabulary),
            parameters={
                "ngram_range": [1, 2],
                "max_features": self.max_features,
                "min_df": 1,
                "sublinear_tf": True,
                "idf": "smooth",
                "stop_words": "thematica-english",
                "fitted_on": self._fitted_on,
            },
            provenance="computed from the project's own texts (no model files)",
        )

    def fit(self, corpus: Sequence[str]) -> None:
        """Learn the vocabulary (most frequent terms by document frequency) and their IDF."""
        df: Counter[str] = Counter()
        for text in corpus:
            df.update(set(terms(text)))
        # highest document frequency first, ties alphabetically: the same corpus always gives
        # the same vocabulary
        kept = sorted(df.items(), key=lambda item: (-item[1], item[0]))[: self.max_features]
        n = len(corpus)
        ordered = sorted(term for term, _ in kept)
        self.vocabulary = {term: i for i, term in enumerate(ordered)}
        self.idf = [math.log((1 + n) / (1 + df[term])) + 1.0 for term in ordered]
        self.fitted = True
        self._fitted_on = n
        self.info = self._info()

    def embed(
        self,
        texts: Sequence[str],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> numpy.ndarray:
        """Dense float32 rows, L2-normalised; all zeros for a text with no known term."""
        import numpy as np

        if not self.fitted:
            self.fit(texts)
        out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        total = len(texts)
        step = max(1, min(1000, total // 20 or 1))
        for row, text in enumerate(texts):
            self._fill(out[row], terms(text))
            if progress is not None and ((row + 1) % step == 0 or row + 1 == total):
                progress(row + 1, total)
        return out

    def _fill(self, row: numpy.ndarray, text_terms: Iterable[str]) -> None:
        counts = Counter(t for t in text_terms if t in self.vocabulary)
        if not counts:
            return
        norm = 0.0
        for term, tf in counts.items():
            weight = (1.0 + math.log(tf)) * self.idf[self.vocabulary[term]]
            row[self.vocabulary[term]] = weight
            norm += weight * weight
        row /= math.sqrt(norm)
