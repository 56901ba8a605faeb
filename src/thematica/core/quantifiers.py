"""Quantifier words for prevalence ("most participants", "a few"), from a documented scale.

A results section describes how many participants raised a theme in words. Using the same
words for the same shares throughout a report is what this scale is for. A word is chosen from
``n`` (units with the theme) out of ``total`` (all units) by these rules, in this order:

======================  ===========================================
word (default)          rule
======================  ===========================================
``none``                n = 0
``all``                 n = total
``one``                 n = 1
``almost all``          share >= 90 %
``most``                share > 50 %   (more than half)
``many``                share >= 30 %
``some``                share >= 15 %
``a few``               anything else (n >= 2, share < 15 %)
======================  ===========================================

where share = n / total. The words are monotone: for a fixed total, more units never give a
"smaller" word. ``one`` wins over the share bands (1 of 2 is "one", not "many"); ``all`` wins
over ``one`` (1 of 1 is "all").

The banded part is configurable per project (settings key ``quantifiers``, see
:func:`scale_from_settings`) or per call: a list of ``[word, operator, percent]`` with
operator ``>=`` or ``>`` and percents strictly decreasing, plus optional ``all`` / ``one`` /
``none`` / ``rest`` words::

    {"bands": [["almost all", ">=", 90], ["most", ">", 50], ["many", ">=", 30],
               ["some", ">=", 15]],
     "all": "all", "one": "one", "none": "none", "rest": "a few"}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from thematica.core.errors import InputError


@dataclass(frozen=True, slots=True)
class Band:
    word: str
    percent: float
    strict: bool = False  # True: share > percent; False: share >= percent

    def holds(self, n: int, total: int) -> bool:
        # integer arithmetic avoids 0.3 * 10 != 3 style surprises at the boundary
        lhs, rhs = n * 100, self.percent * total
        return lhs > rhs if self.strict else lhs >= rhs


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("almost all", 90),
    Band("most", 50, strict=True),
    Band("many", 30),
    Band("some", 15),
)


@dataclass(frozen=True, slots=True)
class QuantifierScale:
    bands: tuple[Band, ...] = field(default=DEFAULT_BANDS)
    all: str = "all"
    one: str = "one"
    none: str = "none"
    rest: str = "a few"

    def __post_init__(self) -> None:
        percents = [b.percent for b in self.bands]
        if any(not 0 <= p <= 100 for p in percents):
            raise InputError("quantifier percents must lie between 0 and 100")
        if any(a <= b for a, b in pairwise(percents)):
            raise InputError("quantifier bands must have strictly decreasing percents")
        words = [self.none, self.one, self.rest, self.all, *(b.word for b in self.bands)]
        if any(not w.strip() for w in words) or len({w.casefold() for w in words}) != len(words):
            raise InputError("quantifier words must be distinct and not empty")

    def word(self, n: int, total: int) -> str:
        """The word for ``n`` units out of ``total``."""
        if total <= 0:
            raise InputError("a share needs at least one unit")
        if not 0 <= n <= total:
            raise InputError(f"{n} of {total} is not a share")
        if n == 0:
            return self.none
        if n == total:
            return self.all
        if n == 1:
            return self.one
        for band in self.bands:
            if band.holds(n, total):
                return band.word
        return self.rest

    def words(self) -> list[str]:
        """All words from the largest to the smallest share."""
        return [self.all, *(b.word for b in self.bands), self.rest, self.one, self.none]

    def to_spec(self) -> dict[str, Any]:
        return {
            "bands": [[b.word, ">" if b.strict else ">=", b.percent] for b in self.bands],
            "all": self.all,
            "one": self.one,
            "none": self.none,
            "rest": self.rest,
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | Sequence[Any] | None) -> QuantifierScale:
        """Build a scale from its JSON form (see the module docstring); None: the default."""
        if spec is None:
            return cls()
        if not isinstance(spec, Mapping):
            spec = {"bands": spec}
        bands: tuple[Band, ...] = DEFAULT_BANDS
        if "bands" in spec:
            parsed = []
            for item in spec["bands"]:
                try:
                    word, op, percent = item
                    value = float(percent)
                except (TypeError, ValueError) as exc:
                    raise InputError(
                        f"quantifier band {item!r} is not [word, '>=' or '>', percent]"
                    ) from exc
                if op not in (">=", ">"):
                    raise InputError(f"quantifier band operator must be '>=' or '>', not {op!r}")
                parsed.append(Band(str(word), value, strict=op == ">"))
            bands = tuple(parsed)
        unknown = set(spec) - {"bands", "all", "one", "none", "rest"}
        if unknown:
            raise InputError(f"unknown quantifier setting(s): {', '.join(sorted(unknown))}")
        return cls(
            bands=bands,
            all=str(spec.get("all", "all")),
            one=str(spec.get("one", "one")),
            none=str(spec.get("none", "none")),
            rest=str(spec.get("rest", "a few")),
        )


DEFAULT_SCALE = QuantifierScale()


def scale_from_settings(settings: Mapping[str, Any]) -> QuantifierScale:
    """The project's scale: settings key ``quantifiers`` (the JSON form), else the default."""
    return QuantifierScale.from_spec(settings.get("quantifiers"))


def quantifier(n: int, total: int, scale: QuantifierScale | None = None) -> str:
    return (scale or DEFAULT_SCALE).word(n, total)
