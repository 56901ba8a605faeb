"""Calibration: a raw similarity becomes the estimated probability that a human coder would
apply the code to the unit, so a score of 0.7 means the same thing for every backend.

Platt scaling, ``p = 1 / (1 + exp(-(a * s + b)))``: one slope and one intercept per backend,
measured on the coded corpora under ``bench/`` (:data:`DEFAULTS`), and refitted on the
project's own coded units once a team has coded enough of them (:func:`project_calibration`).
The fit is a small Newton iteration with Platt's smoothed targets and a Gaussian prior pulling
``(a, b)`` towards the backend's defaults, so a few dozen units cannot produce an extreme
curve (every probability 0 or 1).

The default threshold follows from calibration: for calibrated probabilities the threshold
that maximises F1 is half the best F1 achievable (Lipton, Elkan & Naryanaswamy 2014,
"Thresholding classifiers to maximize F1"), so a project fit sets ``min_score`` to half the
F1 its own coded units reach; without one, the backend's default applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULTS",
    "DEFAULT_MIN_SCORE",
    "DEFAULT_MIN_SCORES",
    "MIN_POSITIVES",
    "MIN_UNITS",
    "Calibration",
    "best_f1",
    "default_calibration",
    "fit_platt",
    "project_calibration",
    "sigmoid",
]

#: (a, b) per backend: Platt fits of the zero-shot raw score on the coded corpora under
#: ``bench/`` (NHS comments, AnnoMI, world_after_covid pooled, ~50k unit x code pairs).
#: Held-out expected calibration error falls from 0.05-0.09 to 0.005-0.012 with these
#: (BENCHMARKS.md, "AI assistance"); a project with enough coded units refits its own.
DEFAULTS: dict[str, tuple[float, float]] = {
    "tfidf": (8.385, -2.949),
    "minilm": (5.376, -3.680),
    "mpnet": (4.779, -3.719),
    "static": (6.694, -4.239),
    "server": (5.5, -3.8),  # an unknown embedding model: like the sentence models
    "chat": (6.0, -3.0),  # a chat model's own 0-1 confidence: 0.5 stays 0.5
}
#: the slope and intercept for a backend not listed above
FALLBACK = (5.5, -3.8)

#: minimum calibrated score kept when no project fit sets one, per backend: half of the best
#: F1 reached zero-shot on the bench corpora (the F1*/2 rule above), never below
#: :data:`MIN_SCORE_RANGE`'s floor. PROVISIONAL until the bench's final numbers: zero-shot F1
#: over every unit x code pair is low (positives are ~6% of pairs), so the floor applies.
DEFAULT_MIN_SCORES: dict[str, float] = {"chat": 0.3}
DEFAULT_MIN_SCORE = 0.1
#: the range a project fit's threshold is held to (a tiny or perfect F1 on a few units must
#: not switch suggestions off or on wholesale)
MIN_SCORE_RANGE = (0.1, 0.5)

#: a project fit needs this many coded units and positive unit × code pairs
MIN_UNITS = 30
MIN_POSITIVES = 5
#: strength of the prior towards the defaults (in log-likelihood units per squared step)
PRIOR_STRENGTH = 1.0


def sigmoid(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    z = np.asarray(x, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """A fitted (or default) Platt curve; ``source`` says which (``default:minilm``,
    ``project:120 units``) and ``min_score`` is the threshold that goes with it."""

    a: float
    b: float
    source: str
    min_score: float = DEFAULT_MIN_SCORE
    f1: float | None = None  # the best F1 on the project's units, for a project fit

    def probability(self, raw: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return sigmoid(self.a * np.asarray(raw, dtype=np.float64) + self.b)

    def as_dict(self) -> dict[str, object]:
        return {
            "a": round(self.a, 6),
            "b": round(self.b, 6),
            "source": self.source,
            "min_score": round(self.min_score, 6),
            "f1": None if self.f1 is None else round(self.f1, 6),
        }


def default_calibration(backend: str) -> Calibration:
    a, b = DEFAULTS.get(backend, FALLBACK)
    return Calibration(
        a, b, f"default:{backend}", DEFAULT_MIN_SCORES.get(backend, DEFAULT_MIN_SCORE)
    )


def fit_platt(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    prior: tuple[float, float] = FALLBACK,
    strength: float = PRIOR_STRENGTH,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> tuple[float, float]:
    """``(a, b)`` maximising the likelihood of ``labels`` (0/1) given ``scores``, plus a
    Gaussian prior ``strength / 2 * |(a, b) - prior|^2``.

    Targets are Platt's (1999) smoothed ones, ``(N+ + 1) / (N+ + 2)`` for positives and
    ``1 / (N- + 2)`` for negatives, which keep a separable sample from an infinite slope.
    Newton steps with step halving; the objective is strictly convex, so it converges.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    if s.shape != y.shape:
        raise ValueError("scores and labels differ in length")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    target = np.where(y, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    theta0 = np.asarray(prior, dtype=np.float64)
    theta = theta0.copy()
    x = np.stack([s, np.ones_like(s)], axis=1)

    def objective(th: npt.NDArray[np.float64]) -> float:
        z = x @ th
        # -[t log p + (1 - t) log(1 - p)] = log(1 + e^z) - t z, computed stably
        nll = float(np.sum(np.logaddexp(0.0, z) - target * z))
        return nll + 0.5 * strength * float(np.sum((th - theta0) ** 2))

    current = objective(theta)
    for _ in range(max_iter):
        p = sigmoid(x @ theta)
        grad = x.T @ (p - target) + strength * (theta - theta0)
        w = p * (1.0 - p)
        hess = (x * w[:, None]).T @ x + strength * np.eye(2)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-8:
            candidate = theta - t * step
            value = objective(candidate)
            if value <= current:
                break
            t /= 2
        else:
            break
        done = current - value < tol * max(1.0, abs(current))
        theta, current = candidate, value
        if done:
            break
    return float(theta[0]), float(theta[1])


def best_f1(probabilities: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
    """``(F1, threshold)``: the best F1 of "positive when probability >= threshold" over the
    observed probabilities (0.0, 0.0 when there is no positive)."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=bool).ravel()
    n_pos = int(y.sum())
    if n_pos == 0 or p.size == 0:
        return 0.0, 0.0
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    predicted = np.arange(1, p.size + 1)
    # only cut after the last of a run of equal probabilities
    last = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    f1 = 2 * tp / (predicted + n_pos)
    f1 = np.where(last, f1, -1.0)
    k = int(np.argmax(f1))
    return float(f1[k]), float(p_sorted[k])


def project_calibration(
    scores: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    backend: str,
    units: int,
    min_units: int = MIN_UNITS,
    min_positives: int = MIN_POSITIVES,
) -> Calibration | None:
    """A Platt fit on the project's coded units (``scores``/``labels``: every unit × code
    pair of ``units`` units), or None when there are too few units or positive pairs.

    The prior is the backend's default curve, and the threshold is half the best F1 the fitted
    probabilities reach on these units, held to :data:`MIN_SCORE_RANGE`.
    """
    y = np.asarray(labels, dtype=bool).ravel()
    if units < min_units or int(y.sum()) < min_positives or int((~y).sum()) < 1:
        return None
    prior = DEFAULTS.get(backend, FALLBACK)
    a, b = fit_platt(scores, y, prior=prior)
    probabilities = sigmoid(a * np.asarray(scores, dtype=np.float64).ravel() + b)
    f1, _threshold = best_f1(probabilities, y)
    low, high = MIN_SCORE_RANGE
    min_score = min(high, max(low, f1 / 2))
    return Calibration(a, b, f"project:{units} units", min_score, f1)
