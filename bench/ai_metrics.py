"""Agreement metrics, Platt scaling and calibration error for the AI-assistance benchmark.

Own numpy code, so the numbers do not depend on the code being measured: per-code
precision / recall / F1 and Cohen's kappa (AI layer against the human codes, each code a
binary "applied or not" over the units it may apply to), micro and macro F1, a two-parameter
Platt fit by Newton's method, and the expected calibration error over equal-width bins.
``cross_check_kappa`` compares every kappa with scikit-learn's ``cohen_kappa_score``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(slots=True)
class CodeScore:
    key: str
    support: int  # human positives among the units scored
    predicted: int
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def kappa(self) -> float:
        """Cohen's kappa of the 2x2 table; NaN when chance agreement is 1 (one class only)."""
        n = self.tp + self.fp + self.fn + self.tn
        if n == 0:
            return math.nan
        po = (self.tp + self.tn) / n
        pe = (
            (self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (self.fp + self.tn)
        ) / (n * n)
        if pe >= 1.0:
            return math.nan
        return (po - pe) / (1 - pe)


@dataclass(slots=True)
class Evaluation:
    codes: list[CodeScore] = field(default_factory=list)

    def _present(self) -> list[CodeScore]:
        return [c for c in self.codes if c.support > 0]

    @property
    def micro_f1(self) -> float:
        tp = sum(c.tp for c in self.codes)
        fp = sum(c.fp for c in self.codes)
        fn = sum(c.fn for c in self.codes)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    @property
    def micro_precision(self) -> float:
        tp = sum(c.tp for c in self.codes)
        return tp / (tp + sum(c.fp for c in self.codes)) if tp else 0.0

    @property
    def micro_recall(self) -> float:
        tp = sum(c.tp for c in self.codes)
        return tp / (tp + sum(c.fn for c in self.codes)) if tp else 0.0

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the codes with at least one human positive among the units."""
        present = self._present()
        return sum(c.f1 for c in present) / len(present) if present else 0.0

    @property
    def mean_kappa(self) -> float:
        """Mean kappa over the codes with a human positive where kappa is defined."""
        values = [c.kappa for c in self._present() if not math.isnan(c.kappa)]
        return sum(values) / len(values) if values else math.nan

    @property
    def codes_evaluated(self) -> int:
        return len(self._present())


def evaluate(
    keys: list[str], gold: np.ndarray, decided: np.ndarray, mask: np.ndarray
) -> Evaluation:
    """Per-code counts over the units where ``mask`` says the code could apply.

    ``gold``, ``decided`` and ``mask`` are boolean ``(units, codes)`` arrays.
    """
    import numpy as np

    out = Evaluation()
    for j, key in enumerate(keys):
        m = mask[:, j]
        g = gold[m, j]
        d = decided[m, j]
        tp = int(np.sum(g & d))
        fp = int(np.sum(~g & d))
        fn = int(np.sum(g & ~d))
        tn = int(np.sum(~g & ~d))
        out.codes.append(CodeScore(key, int(g.sum()), int(d.sum()), tp, fp, fn, tn))
    return out


def cross_check_kappa(
    keys: list[str], gold: np.ndarray, decided: np.ndarray, mask: np.ndarray, ours: Evaluation
) -> float:
    """The largest absolute difference between our kappas and scikit-learn's (NaN pairs
    agree; a NaN on one side only counts as infinite)."""
    import warnings

    from sklearn.metrics import cohen_kappa_score

    worst = 0.0
    for j, _key in enumerate(keys):
        m = mask[:, j]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = float(
                cohen_kappa_score(gold[m, j].astype(int), decided[m, j].astype(int), labels=[0, 1])
            )
        mine = ours.codes[j].kappa
        if math.isnan(mine) and math.isnan(theirs):
            continue
        if math.isnan(mine) or math.isnan(theirs):
            return math.inf
        worst = max(worst, abs(mine - theirs))
    return worst


def multiclass_kappa(gold: list[str], predicted: list[str]) -> float:
    """Cohen's kappa over several categories (one label per unit)."""
    labels = sorted(set(gold) | set(predicted))
    n = len(gold)
    if n == 0:
        return math.nan
    po = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    pe = sum((gold.count(label) / n) * (predicted.count(label) / n) for label in labels)
    return (po - pe) / (1 - pe) if pe < 1 else math.nan


# -- calibration -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Platt:
    """``p = 1 / (1 + exp(-(a * score + b)))``."""

    a: float
    b: float

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        import numpy as np

        z = np.clip(self.a * scores + self.b, -40.0, 40.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def threshold(self, p: float) -> float:
        """The raw score at which the calibrated probability is ``p``."""
        return (math.log(p / (1 - p)) - self.b) / self.a if self.a else math.inf


def fit_logistic(features: np.ndarray, labels: np.ndarray, *, iterations: int = 100) -> np.ndarray:
    """Maximum-likelihood logistic regression (weights for each column, then the intercept)
    by Newton's method with step halving, on Platt's smoothed targets (``(n+ + 1) / (n+ + 2)``
    and ``1 / (n- + 2)``), which keep a separable sample from an infinite slope."""
    import numpy as np

    x = np.asarray(features, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = np.hstack([x, np.ones((x.shape[0], 1))])
    y = np.asarray(labels, dtype=bool).ravel()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    t = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(w: np.ndarray) -> float:
        z = x @ w
        return float(np.sum(np.logaddexp(0.0, z) - t * z))  # -log-likelihood, stably

    w = np.zeros(x.shape[1])
    w[-1] = math.log((n_pos + 1) / (n_neg + 1))
    current = loss(w)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - t)
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hess, grad)
        scale = 1.0  # a full Newton step may overshoot on nearly separable data
        while scale > 1e-8:
            candidate = w - scale * step
            value = loss(candidate)
            if value <= current:
                break
            scale /= 2
        else:
            break
        done = abs(current - value) < 1e-12 * max(1.0, abs(current))
        w, current = candidate, value
        if done or float(np.max(np.abs(scale * step))) < 1e-10:
            break
    return w


def fit_platt(scores: np.ndarray, labels: np.ndarray) -> Platt:
    """The two-parameter Platt curve of one raw score."""
    import numpy as np

    a, b = fit_logistic(np.asarray(scores, dtype=np.float64).ravel(), labels)
    return Platt(float(a), float(b))


def best_f1(probs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``(F1, t)``: the best F1 of "positive when p >= t" over every observed t."""
    import numpy as np

    p = np.asarray(probs, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    n_pos = int(y.sum())
    if n_pos == 0:
        return 0.0, 0.0
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    f1 = 2 * tp / (np.arange(1, len(ps) + 1) + n_pos)
    last = np.r_[ps[1:] != ps[:-1], True]  # cut only between different probabilities
    f1 = np.where(last, f1, -1.0)
    k = int(np.argmax(f1))
    return float(f1[k]), float(ps[k])


@dataclass(frozen=True, slots=True)
class Reliability:
    ece: float  # expected calibration error, equal-width bins, weighted by count
    bins: list[tuple[float, float, float, int]]  # (lower edge, mean predicted, observed, n)
    brier: float
    positives: float  # observed rate


def reliability(probs: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> Reliability:
    import numpy as np

    p = np.clip(np.asarray(probs, dtype=np.float64).ravel(), 0.0, 1.0)
    y = np.asarray(labels, dtype=np.float64).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum(np.digitize(p, edges[1:-1]), bins - 1)
    rows: list[tuple[float, float, float, int]] = []
    ece = 0.0
    for k in range(bins):
        sel = which == k
        n = int(sel.sum())
        if n == 0:
            continue
        mean_p, observed = float(p[sel].mean()), float(y[sel].mean())
        ece += n / len(p) * abs(mean_p - observed)
        rows.append((float(edges[k]), mean_p, observed, n))
    return Reliability(ece, rows, float(np.mean((p - y) ** 2)), float(y.mean()))
