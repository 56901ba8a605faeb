"""Inter-coder agreement statistics on plain arrays (numpy only; independent of the store).

Reliability data are a units × coders table (one row per unit, one column per coder; ``None``,
NaN or "" = missing) or a :class:`Ratings` built from a contingency table or category counts.
Each function names its source in its docstring. Undefined coefficients raise
:class:`thematica.core.errors.InputError`; nothing returns NaN.
"""

from __future__ import annotations

from thematica.stats._input import Ratings
from thematica.stats.alpha import LEVELS, AlphaDetail, alpha_detail, krippendorff_alpha
from thematica.stats.api import COEFFICIENTS, agreement, estimator
from thematica.stats.kappa import (
    brennan_prediger,
    cohen_kappa,
    fleiss_category_kappas,
    fleiss_kappa,
    gwet_ac1,
    percent_agreement,
    scott_pi,
)
from thematica.stats.result import (
    LABEL_SCALES,
    AgreementResult,
    bootstrap_ci,
    krippendorff_label,
    label_scale,
    landis_koch_label,
    reliability_label,
)
from thematica.stats.unitizing import (
    UAlphaFamily,
    UnitizedAlpha,
    concatenate_continua,
    u_alpha_family,
    unitized_alpha,
)
from thematica.stats.weights import agreement_weights

__all__ = [
    "COEFFICIENTS",
    "LABEL_SCALES",
    "LEVELS",
    "AgreementResult",
    "AlphaDetail",
    "Ratings",
    "UAlphaFamily",
    "UnitizedAlpha",
    "agreement",
    "agreement_weights",
    "alpha_detail",
    "bootstrap_ci",
    "brennan_prediger",
    "cohen_kappa",
    "concatenate_continua",
    "estimator",
    "fleiss_category_kappas",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "krippendorff_label",
    "label_scale",
    "landis_koch_label",
    "percent_agreement",
    "reliability_label",
    "scott_pi",
    "u_alpha_family",
    "unitized_alpha",
]
