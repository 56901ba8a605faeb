"""Inter-coder agreement on a project: any two or more coder layers, five choices of unit.

``project.agreement.compute(coders=("alex", "sam"), unit="sentence")`` returns an
:class:`AgreementReport`: the overall values, a per-code, per-document and per-coder-pair
table, and the list of disagreements. The coefficients themselves come from
:mod:`thematica.stats`; this package only turns codings into the data those functions take.

Units
-----
``character``
    Spans on the text continuum (every document laid end to end). Per code and pooled over
    codes: character-level percent agreement and Cohen's kappa (2 coders) or Fleiss' kappa
    (3+), the measures NVivo reports; per code Krippendorff's unitised u-alpha of that code
    against the gaps (Krippendorff et al. 2016); overall αU with every code as its own layer
    (Krippendorff 2004), |u-alpha (coded vs not coded), cu-alpha (the selected codes as one
    semantic domain) and Cu-alpha (top-level codes as domains) — the last two only when each
    coder's codes do not overlap, as the coefficients require. No bootstrap interval: the
    characters of a text are not independently sampled units.
``segment``
    MAXQDA-style: two coders' codings of the same code in the same document are paired
    one-to-one (:func:`thematica.core.segments.match_segments`) when their overlap
    (intersection over union) reaches ``min_overlap``. Every pair or unpaired coding is one
    unit, on which each coder either applied the code or not. Per code: percent = paired /
    all units of the code; Cohen's kappa and nominal alpha on "is this code" over all segment
    units. Overall: percent paired; kappa and alpha with the codes (and "(none)") as
    categories. With 3+ coders, pairs are compared one at a time and per-code and overall
    values are means over pairs (Light's kappa); alpha is then left out.
``sentence`` / ``turn`` / ``document``
    The text is cut into units — sentences (:func:`split_sentences`), the stored speaker
    turns, or whole documents — and a code is present in a unit for a coder when any of that
    coder's codings of it overlaps the unit. Each unit × code is one rating per coder
    (present/absent): percent agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+),
    nominal Krippendorff's alpha with a percentile bootstrap interval. The overall values
    pool every unit × code cell over the codes that somebody used.

A coefficient that cannot be computed (nobody used the code; one category only) is ``None``
with the reason in ``note``; it never becomes NaN, and the rest of the report still computes.
Codes include their subcodes' codings under the subcodes' own rows.
"""

from __future__ import annotations

from thematica.core.units import split_sentences
from thematica.services.agreement.rows import AgreementComparison, AgreementReport
from thematica.services.agreement.service import UNITS, Agreement

__all__ = [
    "UNITS",
    "Agreement",
    "AgreementComparison",
    "AgreementReport",
    "split_sentences",
]
