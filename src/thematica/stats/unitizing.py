"""Agreement on free spans over a continuum: Krippendorff's unitised alpha family.

Input everywhere: per coder a list of ``(start, end, category)`` spans, ``[start, end)`` over a
continuum ``[begin, begin + length)`` (for text: code-point offsets into one document). Several
documents are compared as one continuum by :func:`concatenate_continua`. A coder's overlapping
spans of the same category are merged into one unit first (a coder cannot disagree with
herself); spans that merely touch stay separate units.

Two definitions are implemented:

* :func:`unitized_alpha` — αU of Krippendorff (1995) and (2004): per category on its own layer
  (units of that category against the gaps between them), and overall as
  1 − Σ_c D_o,c / Σ_c D_e,c. This is the coefficient of the published worked examples.
* :func:`u_alpha_family` — the coincidence-of-lengths family of Krippendorff, Mathet, Bouvry &
  Widlöcher (2016) and Krippendorff (2019, Content Analysis 4th ed., §12.6), which ATLAS.ti
  reports: u-alpha, |u-alpha (binary), cu-alpha (coding of the coded stretches) with a
  per-code breakdown; computed over semantic domains instead of codes it is ATLAS.ti's Cu-alpha.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from thematica.core.errors import InputError
from thematica.stats._input import FloatArray, IntArray

Span = tuple[float, float, Hashable]
SpansByCoder = Mapping[Hashable, Sequence[Span]] | Sequence[Sequence[Span]]

__all__ = [
    "UAlphaFamily",
    "UnitizedAlpha",
    "concatenate_continua",
    "u_alpha_family",
    "unitized_alpha",
]


# -- input --------------------------------------------------------------------------------
def _coder_lists(spans: SpansByCoder) -> list[list[Span]]:
    lists = list(spans.values()) if isinstance(spans, Mapping) else list(spans)
    if len(lists) < 2:
        raise InputError(f"need spans from at least 2 coders, got {len(lists)}")
    return [list(coder) for coder in lists]


def _checked(spans: SpansByCoder, begin: float, length: float) -> list[list[Span]]:
    if not length > 0:
        raise InputError("the continuum length must be positive")
    end = begin + length
    coders = _coder_lists(spans)
    for n, coder in enumerate(coders, 1):
        for span in coder:
            try:
                s, e, _category = span
            except (TypeError, ValueError):
                raise InputError(
                    f"coder {n}: a span must be (start, end, category), got {span!r}"
                ) from None
            if not (begin <= s < e <= end):
                raise InputError(
                    f"coder {n}: span {s}–{e} is empty or outside the continuum {begin}–{end}"
                )
    if not any(coders):
        raise InputError("no coder marked any span: nothing to compare")
    return coders


def _merged(units: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Union of strictly overlapping intervals; touching intervals stay separate units."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(units):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _layer(coder: list[Span], category: Hashable) -> list[tuple[float, float]]:
    return _merged([(float(s), float(e)) for s, e, c in coder if c == category])


def _categories(coders: list[list[Span]]) -> list[Hashable]:
    seen: dict[Hashable, None] = {}
    for coder in coders:
        for _s, _e, c in coder:
            seen.setdefault(c, None)
    try:
        return sorted(seen, key=lambda c: (str(type(c)), c))
    except TypeError:
        return list(seen)


def concatenate_continua(
    documents: Sequence[tuple[float, SpansByCoder]],
) -> tuple[float, list[list[Span]]]:
    """Lay documents end to end: ``[(length, spans_by_coder), ...]`` -> ``(length, spans)``.

    Every document must list the same coders in the same order (by mapping keys or position).
    """
    if not documents:
        raise InputError("no documents to compare")
    total = 0.0
    out: list[list[Span]] | None = None
    keys: list[Hashable] | None = None
    for length, spans in documents:
        if isinstance(spans, Mapping):
            these = list(spans)
            if keys is None:
                keys = these
            elif set(these) != set(keys):
                raise InputError("every document must have spans for the same coders")
            coders = [list(spans[k]) for k in keys]
        else:
            coders = [list(c) for c in spans]
        if out is None:
            out = [[] for _ in coders]
        if len(coders) != len(out):
            raise InputError("every document must have spans for the same coders")
        for n, coder in enumerate(coders):
            for s, e, c in coder:
                if not (0 <= s < e <= length):
                    raise InputError(f"span {s}–{e} lies outside its document (length {length})")
                out[n].append((s + total, e + total, c))
        total += float(length)
    assert out is not None
    return total, out


# -- αU (Krippendorff 1995, 2004) ----------------------------------------------------------
@dataclass(frozen=True)
class UnitizedAlpha:
    """αU overall and per category, with each category's D_o and D_e."""

    alpha: float
    observed: float
    expected: float
    per_category: dict[Hashable, tuple[float, float, float]] = field(default_factory=dict)
    n_coders: int = 0
    length: float = 0.0

    def category_alpha(self, category: Hashable) -> float:
        return self.per_category[category][0]


def _sections(
    units: list[tuple[float, float]], begin: float, end: float
) -> tuple[FloatArray, FloatArray, NDBool]:
    """Units and the gaps between them, tiling [begin, end): (starts, ends, is_unit)."""
    starts: list[float] = []
    ends: list[float] = []
    flags: list[bool] = []
    pos = begin
    for s, e in units:
        if s > pos:
            starts.append(pos)
            ends.append(s)
            flags.append(False)
        starts.append(s)
        ends.append(e)
        flags.append(True)
        pos = e
    if pos < end:
        starts.append(pos)
        ends.append(end)
        flags.append(False)
    return np.asarray(starts), np.asarray(ends), np.asarray(flags, dtype=bool)


NDBool = np.ndarray[Any, np.dtype[np.bool_]]


def _overlapping_pairs(
    a_start: FloatArray, b_start: FloatArray, cuts: FloatArray
) -> tuple[IntArray, IntArray]:
    """Index pairs of sections (of two tilings) that share an elementary interval."""
    mids = (cuts[:-1] + cuts[1:]) / 2.0
    ia = np.searchsorted(a_start, mids, side="right") - 1
    ib = np.searchsorted(b_start, mids, side="right") - 1
    pairs = np.unique(np.stack([ia, ib], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _observed_sum(layers: list[list[tuple[float, float]]], begin: float, end: float) -> float:
    """Σ over coder pairs and overlapping sections of δ² (Krippendorff 2004, Q&Q 38: D_o)."""
    tilings = [_sections(units, begin, end) for units in layers]
    total = 0.0
    for i in range(len(tilings)):
        for j in range(i + 1, len(tilings)):
            s1, e1, u1 = tilings[i]
            s2, e2, u2 = tilings[j]
            cuts = np.unique(np.concatenate([s1, e1, s2, e2]))
            a, b = _overlapping_pairs(s1, s2, cuts)
            b1, l1, f1 = s1[a], e1[a] - s1[a], u1[a]
            b2, l2, f2 = s2[b], e2[b] - s2[b], u2[b]
            both = f1 & f2
            d_both = (b1 - b2) ** 2 + ((b1 + l1) - (b2 + l2)) ** 2
            in_gap1 = f1 & ~f2 & (b2 <= b1) & (b1 + l1 <= b2 + l2)
            in_gap2 = ~f1 & f2 & (b1 <= b2) & (b2 + l2 <= b1 + l1)
            total += float(
                np.where(both, d_both, 0.0).sum()
                + (l1[in_gap1] ** 2).sum()
                + (l2[in_gap2] ** 2).sum()
            )
    return total


def _category_disagreements(
    coders: list[list[Span]], category: Hashable, begin: float, length: float
) -> tuple[float, float]:
    end = begin + length
    m = len(coders)
    layers = [_layer(coder, category) for coder in coders]
    observed = 2.0 * _observed_sum(layers, begin, end) / (m * (m - 1) * length * length)
    lengths = np.asarray([e - s for units in layers for s, e in units], dtype=np.float64)
    gaps: list[float] = []
    for units in layers:
        starts, ends, flags = _sections(units, begin, end)
        gaps.extend((ends - starts)[~flags].tolist())
    g = np.sort(np.asarray(gaps, dtype=np.float64))
    suffix = np.concatenate([np.cumsum(g[::-1])[::-1], [0.0]])
    idx = np.searchsorted(g, lengths, side="left")
    count = g.size - idx
    gap_term = suffix[idx] - count * (lengths - 1.0)
    n_c = lengths.size
    within = (n_c - 1.0) * (2 * lengths**3 - 3 * lengths**2 + lengths) / 3.0
    numerator = float((within + lengths**2 * gap_term).sum()) * 2.0 / length
    denominator = m * length * (m * length - 1.0) - float((lengths * (lengths - 1.0)).sum())
    expected = numerator / denominator if denominator > 0 else 0.0
    return observed, expected


def unitized_alpha(
    spans: SpansByCoder,
    length: float,
    *,
    begin: float = 0.0,
    categories: Sequence[Hashable] | None = None,
) -> UnitizedAlpha:
    """Krippendorff's αU for free spans by any number of coders, per category and overall.

    Krippendorff, K. (1995) On the reliability of unitizing continuous data, Sociological
    Methodology 25:47–76; Krippendorff, K. (2004) Measuring the reliability of qualitative text
    analysis data, Quality & Quantity 38:787–800 (and Content Analysis, 2nd ed., §12.4), in the
    discrete form that DKPro Statistics (Meyer et al. 2014) implements. Each category is its own
    layer (units of c vs gaps; units of other categories may overlap them); overall αU =
    1 − Σ_c D_o,c / Σ_c D_e,c. Positions are treated as discrete (characters): D_e carries the
    1995/2004 "+1" terms, so very short continua differ slightly from the continuous limit.
    """
    coders = _checked(spans, begin, length)
    cats = list(categories) if categories is not None else _categories(coders)
    per: dict[Hashable, tuple[float, float, float]] = {}
    total_o = total_e = 0.0
    for category in cats:
        d_o, d_e = _category_disagreements(coders, category, begin, length)
        if d_e <= 0:
            if d_o == 0 and not any(_layer(c, category) for c in coders):
                continue  # nobody used it: no information, no contribution
            raise InputError(
                f"unitized alpha for {category!r} is undefined: no variation to expect "
                "(every coder covers the whole continuum with it)"
            )
        per[category] = (1.0 - d_o / d_e, d_o, d_e)
        total_o += d_o
        total_e += d_e
    if not per:
        raise InputError("no category was used by any coder: unitized alpha is undefined")
    return UnitizedAlpha(
        alpha=1.0 - total_o / total_e,
        observed=total_o,
        expected=total_e,
        per_category=per,
        n_coders=len(coders),
        length=float(length),
    )


# -- the 2016 / 2019 family ------------------------------------------------------------------
@dataclass(frozen=True)
class UAlphaFamily:
    """Krippendorff et al. (2016) / Krippendorff (2019, §12.6) coefficients on one continuum.

    ``u_alpha`` (uα): boundaries and codes jointly, gaps included; ``binary_u_alpha`` (|uα):
    coded vs not coded; ``cu_alpha`` (cuα): which code, within the stretches that coders coded;
    ``per_code`` ((k)cuα): the same for each code; ``coverage``: each code's share of its
    coincidences that fall within stretches coded by other coders too.
    """

    u_alpha: float | None
    binary_u_alpha: float | None
    cu_alpha: float | None
    per_code: dict[Hashable, float | None]
    coverage: dict[Hashable, float]
    n_coders: int
    length: float


def _self_pairing(
    val_at: IntArray,
    seg_idx: IntArray,
    widths: FloatArray,
    tilings: list[tuple[FloatArray, FloatArray, IntArray]],
    m: int,
    v: int,
) -> FloatArray:
    """Per value, Σ over valued segments of the square of the segment's mass in the cu matrix.

    In the coincidences among coded stretches (Krippendorff et al. 2016, the l_ck of eq. 32
    without the gap row and column) a stretch of coder i where k other coders also coded adds
    width · k/(m − 1) to its value's margin. Expected coincidences must not pair a segment
    with itself, so each segment's mass (not its bare length, and not the length merely
    touched by some other coder) is squared and taken off, as n_c(n_c − 1) does in α. For two
    coders mass = shared length; with more, a stretch coded by only some of the others counts
    in proportion, which makes cuα on pre-segmented units equal nominal α whenever every unit
    is coded by the same number of coders (see docs/statistics.md).
    """
    valued = val_at > 0
    others = valued.sum(axis=1, keepdims=True) - valued
    out = np.zeros(v, dtype=np.float64)
    for i, (_s, _e, t_vals) in enumerate(tilings):
        mass = np.bincount(
            seg_idx[:, i],
            weights=widths * np.where(valued[:, i], others[:, i], 0) / (m - 1),
            minlength=t_vals.size,
        )
        np.add.at(out, t_vals, mass**2)
    return out


def _ratio(d_o: float, d_e: float) -> float | None:
    if d_e > 0:
        return 1.0 - d_o / d_e
    return 1.0 if d_o == 0 else None


def u_alpha_family(
    spans: SpansByCoder,
    length: float,
    *,
    begin: float = 0.0,
    domains: Mapping[Hashable, Hashable] | None = None,
) -> UAlphaFamily:
    """uα, |uα, cuα and per-code (k)cuα for mutually exclusive codes (one semantic domain).

    Krippendorff, K., Mathet, Y., Bouvry, S. & Widlöcher, A. (2016) On the reliability of
    unitizing textual continua: further developments, Quality & Quantity 50:2347–2364;
    Krippendorff, K. (2019) Content Analysis, 4th ed., §12.6 (eqs. 32–38). These are the
    coefficients ATLAS.ti reports as α-binary, cu-α (the codes of one semantic domain) and
    Cu-α (the semantic domains themselves as values): pass ``domains`` (code -> domain) to
    compute the latter. Values of one coder may not overlap (codes of a domain are exclusive);
    a value is ``None`` where the coefficient is undefined (e.g. no coded stretch is shared).
    Coincidences are divided by m − 1 for every stretch, as published, so a stretch coded by
    only some coders weighs less than in α with missing values: the two agree when every
    stretch is coded by the same number of coders, not otherwise (docs/statistics.md).
    """
    coders = _checked(spans, begin, length)
    if domains is not None:
        try:
            coders = [[(s, e, domains[c]) for s, e, c in coder] for coder in coders]
        except KeyError as exc:
            raise InputError(f"code {exc.args[0]!r} has no semantic domain") from None
    end = begin + length
    values = _categories(coders)
    v = len(values) + 1  # index 0 is the gap (φ)
    index = {c: i + 1 for i, c in enumerate(values)}
    m = len(coders)
    tilings: list[tuple[FloatArray, FloatArray, IntArray]] = []
    for n, coder in enumerate(coders, 1):
        units: list[tuple[float, float, int]] = []
        for c in values:
            units.extend((s, e, index[c]) for s, e in _layer(coder, c))
        units.sort()
        for (_s1, e1, _), (s2, _e2, _) in itertools.pairwise(units):
            if s2 < e1:
                raise InputError(
                    f"coder {n}: spans with different values overlap at {s2}; the codes of a "
                    "cu-alpha analysis must be mutually exclusive (one semantic domain)"
                )
        starts: list[float] = []
        ends: list[float] = []
        vals: list[int] = []
        pos = begin
        for s, e, k in units:
            if s > pos:
                starts.append(pos)
                ends.append(s)
                vals.append(0)
            starts.append(s)
            ends.append(e)
            vals.append(k)
            pos = e
        if pos < end:
            starts.append(pos)
            ends.append(end)
            vals.append(0)
        tilings.append((np.asarray(starts), np.asarray(ends), np.asarray(vals, dtype=np.intp)))
    cuts = np.unique(np.concatenate([np.concatenate([t[0], t[1]]) for t in tilings]))
    widths = np.diff(cuts)
    mids = (cuts[:-1] + cuts[1:]) / 2.0
    seg_idx = np.stack([np.searchsorted(t[0], mids, side="right") - 1 for t in tilings], axis=1)
    val_at = np.stack([t[2][seg_idx[:, i]] for i, t in enumerate(tilings)], axis=1)
    counts = np.zeros((mids.size, v), dtype=np.float64)
    np.add.at(counts, (np.repeat(np.arange(mids.size), m), val_at.ravel()), 1.0)
    weighted = counts * widths[:, None]
    ell = (weighted.T @ counts - np.diag(weighted.sum(axis=0))) / (m - 1)

    correction = np.zeros(v, dtype=np.float64)
    for t_starts, t_ends, t_vals in tilings:
        seg = t_ends - t_starts
        np.add.at(correction, t_vals, np.where(t_vals == 0, seg, seg**2))
    margin = ell.sum(axis=0)
    total = float(margin.sum())
    denom = total - correction.sum() / total
    eps = (np.outer(margin, margin) - np.diag(correction)) / denom
    off = ~np.eye(v, dtype=bool)
    u_alpha = _ratio(float(ell[off].sum()), float(eps[off].sum()))
    binary = _ratio(
        float(ell[0, 1:].sum() + ell[1:, 0].sum()), float(eps[0, 1:].sum() + eps[1:, 0].sum())
    )

    star = ell[1:, 1:]
    star_margin = star.sum(axis=0)
    star_total = float(star_margin.sum())
    per_code: dict[Hashable, float | None] = {}
    coverage: dict[Hashable, float] = {}
    cu: float | None = None
    if star_total > 0:
        pair_corr = _self_pairing(val_at, seg_idx, widths, tilings, m, v)[1:]
        denom_star = star_total - pair_corr.sum() / star_total
        eps_star = (np.outer(star_margin, star_margin) - np.diag(pair_corr)) / denom_star
        off_s = ~np.eye(v - 1, dtype=bool)
        cu = _ratio(float(star[off_s].sum()), float(eps_star[off_s].sum()))
        eps_margin = eps_star.sum(axis=0)
        for k, code in enumerate(values):
            coverage[code] = float(star_margin[k] / margin[k + 1]) if margin[k + 1] else 0.0
            d_o = float(star_margin[k] - star[k, k])
            d_e = float(eps_margin[k] - eps_star[k, k])
            if d_e > 0 and star_margin[k] > 0:
                per_code[code] = 1.0 - (eps_margin[k] / star_margin[k]) * d_o / d_e
            else:
                per_code[code] = 1.0 if d_o == 0 and star_margin[k] > 0 else None
    else:
        coverage = dict.fromkeys(values, 0.0)
        per_code = dict.fromkeys(values)
    return UAlphaFamily(
        u_alpha=u_alpha,
        binary_u_alpha=binary,
        cu_alpha=cu,
        per_code=per_code,
        coverage=coverage,
        n_coders=m,
        length=float(length),
    )
