"""Who spoke which segment: a small offline diarization in numpy, and speaker turns.

No diarization model ships on PyPI in a form that runs offline without a hub login, so this is
deliberately simple and meant to be corrected by the user (the per-document speaker mapping):

1. Each Whisper segment gets a voice fingerprint from its loud frames: the mean and spread of
   12 MFCCs (the timbre of the voice) and the median pitch in semitones, found by
   autocorrelation (voices differ most in pitch: the espeak test voices by about an octave).
2. Columns are standardised across the segments; the pitch column weighs as much as the 24
   MFCC columns together.
3. Average-linkage agglomerative clustering (deterministic) into the asked number of speakers.
   With no number given, each cut from 2 to ``max_speakers`` clusters is scored by its mean
   silhouette; the best cut wins if its silhouette reaches :data:`MIN_SILHOUETTE`, else everyone
   is one speaker (so is anyone in a recording of fewer than three segments). Measured on the
   espeak test voices: two voices score 0.61-0.63, one voice 0.31-0.34 at its best cut; real
   voices of one sex and age lie closer, so the estimate is a first guess for the user to check.
4. Labels are "Speaker 1", "Speaker 2", ... in order of first appearance.

Limitation: a segment is labelled as a whole, so a VAD chunk in which the speaker changes
without a pause goes to one speaker (Whisper usually ends a segment at a turn, not always).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from thematica.intake.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from thematica.intake.transcriber import Segment

#: an estimated split into several speakers must be at least this clean (silhouette, -1..1)
MIN_SILHOUETTE = 0.5
_FRAME = 400  # 25 ms analysis window
_HOP = 160  # 10 ms step
_PITCH_FRAME = 640  # 40 ms: two periods of a 50 Hz voice
_N_FFT = 512
_N_MELS = 26
_N_MFCC = 12
_F0_MIN, _F0_MAX = 60.0, 400.0
#: frames quieter than the segment's loudest by more than this (dB) are not voice
_QUIET_DB = 30.0
#: autocorrelation peak needed to call a frame voiced
_VOICED = 0.45


@dataclass(frozen=True, slots=True)
class TurnDraft:
    speaker: str
    start: float
    end: float
    text: str


def label_speakers(
    samples: npt.NDArray[np.float32],
    segments: Sequence[Segment],
    speakers: int | None = None,
    *,
    max_speakers: int = 6,
) -> list[str]:
    """One speaker label per segment ("Speaker 1", ... by first appearance)."""
    if not segments:
        return []
    if speakers is not None and speakers < 1:
        from thematica.core.errors import InputError

        raise InputError(f"the number of speakers must be 1 or more, not {speakers}")
    if speakers == 1 or len(segments) == 1:
        return ["Speaker 1"] * len(segments)
    features = segment_features(samples, segments)
    if speakers is not None:
        clusters = cluster(features, min(speakers, len(segments)))
    else:
        clusters = estimate_clusters(features, max_speakers)
    return _name_by_appearance(clusters)


def _name_by_appearance(clusters: Sequence[int]) -> list[str]:
    names: dict[int, str] = {}
    for c in clusters:
        names.setdefault(c, f"Speaker {len(names) + 1}")
    return [names[c] for c in clusters]


# -- features ---------------------------------------------------------------------------------


def _mel_filters() -> npt.NDArray[np.float64]:
    """Triangular mel filters over the rfft bins (Slaney-style spacing, unit height)."""
    import numpy as np

    def mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(2595.0 * np.log10(1.0 + hz / 700.0))

    def hz(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(700.0 * (10.0 ** (m / 2595.0) - 1.0))

    edges = hz(np.linspace(mel(np.array(60.0)), mel(np.array(7600.0)), _N_MELS + 2))
    bins = np.fft.rfftfreq(_N_FFT, 1.0 / SAMPLE_RATE)
    filters = np.zeros((_N_MELS, bins.size))
    for i in range(_N_MELS):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        filters[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


def _frames(audio: npt.NDArray[np.float32], size: int) -> npt.NDArray[np.float32]:
    import numpy as np

    if audio.size < size:
        audio = np.pad(audio, (0, size - audio.size))
    count = 1 + (audio.size - size) // _HOP
    index = np.arange(size)[None, :] + _HOP * np.arange(count)[:, None]
    return np.asarray(audio[index])


def _one_segment(
    audio: npt.NDArray[np.float32], filters: npt.NDArray[np.float64], dct: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """[median pitch in semitones (nan if unvoiced), 12 MFCC means, 12 MFCC spreads]."""
    import numpy as np

    frames = _frames(audio, _FRAME)
    energy_db = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = energy_db >= energy_db.max() - _QUIET_DB
    spectrum = np.abs(np.fft.rfft(frames[loud] * np.hanning(_FRAME), _N_FFT)) ** 2
    log_mel = np.log(spectrum @ filters.T + 1e-10)
    mfcc = log_mel @ dct.T
    # pitch: normalised autocorrelation of longer frames, strongest lag in the voice range
    long = _frames(audio, _PITCH_FRAME)[: loud.size]
    long = long[loud[: long.shape[0]]]
    long = long - long.mean(axis=1, keepdims=True)
    # 1024 points: the circular wrap only reaches lags above 1024 - 640 = 384, past the
    # longest period searched (267 samples at 60 Hz)
    power = np.abs(np.fft.rfft(long, 1024)) ** 2
    auto = np.fft.irfft(power)[:, : _PITCH_FRAME // 2]
    auto = auto / (auto[:, :1] + 1e-12)
    lo, hi = int(SAMPLE_RATE / _F0_MAX), int(SAMPLE_RATE / _F0_MIN)
    lags = lo + np.argmax(auto[:, lo:hi], axis=1)
    peaks = auto[np.arange(auto.shape[0]), lags]
    voiced = lags[peaks >= _VOICED]
    if voiced.size:
        f0 = SAMPLE_RATE / np.median(voiced)
        pitch = 12.0 * np.log2(f0 / 100.0)
    else:
        pitch = np.nan
    return np.concatenate([[pitch], mfcc.mean(axis=0), mfcc.std(axis=0)])


def segment_features(
    samples: npt.NDArray[np.float32], segments: Sequence[Segment]
) -> npt.NDArray[np.float64]:
    """Weighted, standardised voice fingerprints: one row per segment."""
    import numpy as np

    filters = _mel_filters()
    k = np.arange(_N_MELS)
    dct = np.cos(np.pi / _N_MELS * (k[None, :] + 0.5) * np.arange(1, _N_MFCC + 1)[:, None])
    audio = np.asarray(samples, dtype=np.float32)
    rows = []
    for seg in segments:
        a = int(max(0.0, seg.start) * SAMPLE_RATE)
        b = max(a + _PITCH_FRAME, int(seg.end * SAMPLE_RATE))
        rows.append(_one_segment(audio[a:b], filters, dct))
    table = np.vstack(rows)
    pitch = table[:, 0]
    if np.isnan(pitch).all():
        table[:, 0] = 0.0
    else:
        table[np.isnan(pitch), 0] = np.nanmedian(pitch)
    spread = table.std(axis=0)
    spread[spread < 1e-9] = 1.0
    z = (table - table.mean(axis=0)) / spread
    z[:, 1:] /= np.sqrt(table.shape[1] - 1)
    return np.asarray(z)


# -- clustering -------------------------------------------------------------------------------


def _distances(features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Euclidean distances between rows (by the Gram matrix: no n x n x d temporary)."""
    import numpy as np

    squares = (features**2).sum(axis=1)
    gram = squares[:, None] + squares[None, :] - 2.0 * features @ features.T
    out = np.sqrt(np.clip(gram, 0.0, None))
    np.fill_diagonal(out, 0.0)
    return np.asarray(out)


def linkage(distances: npt.NDArray[np.float64], k_max: int) -> dict[int, list[int]]:
    """Average-linkage agglomeration (UPGMA, by the Lance-Williams update, so an hour's ~1,000
    segments take a second, not minutes): the cluster index of each row for every number of
    clusters from ``min(k_max, n)`` down to 1. Clusters are numbered by their first row; ties
    go to the lowest pair of indices, so the result is deterministic."""
    import numpy as np

    n = distances.shape[0]
    d = np.array(distances, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    sizes = np.ones(n)
    owner = np.arange(n)
    out: dict[int, list[int]] = {}
    if n <= k_max:
        out[n] = _numbered(owner)
    # each row's nearest other cluster, kept up to date so a merge costs O(n), not O(n^2)
    nearest = d.argmin(axis=1)
    nearest_d = d[np.arange(n), nearest]
    for remaining in range(n - 1, 0, -1):
        first = int(np.argmin(nearest_d))
        i, j = sorted((first, int(nearest[first])))
        merged = (sizes[i] * d[i] + sizes[j] * d[j]) / (sizes[i] + sizes[j])
        d[i, :] = merged
        d[:, i] = merged
        d[i, i] = np.inf
        d[j, :] = np.inf
        d[:, j] = np.inf
        sizes[i] += sizes[j]
        owner[owner == j] = i
        nearest_d[j] = np.inf
        stale = np.flatnonzero((nearest == i) | (nearest == j))
        closer = np.flatnonzero(d[:, i] < nearest_d)
        nearest[closer], nearest_d[closer] = i, d[closer, i]
        for row in {i, *stale.tolist()} - {j}:
            nearest[row] = int(np.argmin(d[row]))
            nearest_d[row] = d[row, nearest[row]]
        if remaining <= k_max:
            out[remaining] = _numbered(owner)
    return out


def _numbered(owner: npt.NDArray[np.int_]) -> list[int]:
    """Cluster representatives renumbered 0, 1, ... in order of first row."""
    names: dict[int, int] = {}
    return [names.setdefault(int(o), len(names)) for o in owner]


def cluster(features: npt.NDArray[np.float64], k: int) -> list[int]:
    """Cluster index per row, cutting the average-linkage tree at ``k`` clusters."""
    n = features.shape[0]
    k = max(1, min(k, n))
    return linkage(_distances(features), k)[k]


def silhouette(distances: npt.NDArray[np.float64], assignment: Sequence[int]) -> float:
    """Mean silhouette (Rousseeuw 1987); members of a one-row cluster score 0."""
    import numpy as np

    labels = np.asarray(assignment)
    clusters = np.unique(labels)
    if clusters.size < 2:
        return 0.0
    members = labels[None, :] == clusters[:, None]  # cluster x row
    counts = members.sum(axis=1)
    sums = distances @ members.T.astype(np.float64)  # row x cluster
    own = np.searchsorted(clusters, labels)
    rows = np.arange(labels.size)
    own_count = counts[own]
    a = np.where(own_count > 1, sums[rows, own] / np.maximum(own_count - 1, 1), 0.0)
    means = sums / counts[None, :]
    means[rows, own] = np.inf
    b = means.min(axis=1)
    spread = np.maximum(a, b)
    score = np.where((own_count > 1) & (spread > 0), (b - a) / np.where(spread > 0, spread, 1), 0)
    return float(score.mean())


def estimate_clusters(features: npt.NDArray[np.float64], max_speakers: int = 6) -> list[int]:
    """Cluster index per row with the number of speakers chosen by silhouette (see module)."""
    n = features.shape[0]
    if n < 3:
        # two segments cannot show whether they differ by speaker or by chance
        return [0] * n
    distances = _distances(features)
    k_max = max(1, min(max_speakers, n - 1))
    cuts = linkage(distances, k_max)
    best_k, best_score = 1, MIN_SILHOUETTE
    for k in range(2, k_max + 1):
        score = silhouette(distances, cuts[k])
        if score > best_score + 1e-9 or (best_k == 1 and score >= best_score):
            best_k, best_score = k, score
    return cuts[best_k]


# -- turns ------------------------------------------------------------------------------------


def build_turns(
    segments: Sequence[Segment], labels: Sequence[str], *, pause: float = 1.5
) -> list[TurnDraft]:
    """Consecutive segments of one speaker become one turn, unless more than ``pause`` seconds
    of silence separate them (then a new turn of the same speaker starts)."""
    if len(segments) != len(labels):
        raise ValueError(f"{len(segments)} segments but {len(labels)} speaker labels")
    turns: list[TurnDraft] = []
    for seg, speaker in zip(segments, labels, strict=True):
        last = turns[-1] if turns else None
        if last is not None and last.speaker == speaker and seg.start - last.end <= pause:
            text = f"{last.text} {seg.text}".strip()
            turns[-1] = TurnDraft(speaker, last.start, max(last.end, seg.end), text)
        else:
            turns.append(TurnDraft(speaker, seg.start, seg.end, seg.text))
    return turns
