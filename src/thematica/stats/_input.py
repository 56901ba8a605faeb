"""Reliability data in one shape: units × coders category codes and units × categories counts.

Every coefficient in :mod:`thematica.stats` reads a :class:`Ratings`; plain nested lists, numpy
arrays, contingency tables and category-count tables are converted here, and every input a user
can get wrong (ragged rows, one coder, nothing rated) is refused with a one-line ``InputError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thematica.core.errors import InputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_FAST_RANGE = 1 << 20  # integer-valued data spanning fewer values than this skip the sort


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and bool(np.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _sort_key(value: object) -> tuple[int, Any]:
    if _is_number(value):
        return (0, float(value))  # type: ignore[arg-type]
    return (1, str(value))


def _as_2d(data: object) -> NDArray[Any]:
    try:
        array = np.asarray(data)
    except ValueError:
        raise InputError(
            "ratings are not rectangular: every unit (row) needs one cell per coder"
        ) from None
    if (
        array.ndim == 1
        and array.dtype == object
        and any(isinstance(row, (list, tuple)) for row in array)
    ):
        raise InputError("ratings are not rectangular: every unit (row) needs one cell per coder")
    if array.ndim != 2:
        raise InputError(
            f"ratings must be a table (units × coders), got an array with {array.ndim} dimension(s)"
        )
    return array


@dataclass(frozen=True)
class Ratings:
    """Reliability data: what each coder assigned to each unit.

    ``codes`` is units × coders with category indices (``-1`` = missing); it is ``None`` when the
    data were given as category counts per unit (then only coder-exchangeable coefficients apply).
    ``counts`` is units × categories: how many coders put each unit in each category.
    ``categories`` are the category labels in their order; ``ordered`` says whether that order
    means something (numbers, or an order the user gave), as weights and ordinal alpha need.
    """

    counts: FloatArray
    categories: tuple[Any, ...]
    codes: IntArray | None
    ordered: bool

    @property
    def n_units(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    @property
    def n_coders(self) -> int:
        if self.codes is not None:
            return int(self.codes.shape[1])
        return round(float(self.counts.sum(axis=1).max(initial=0.0)))

    @property
    def numeric(self) -> bool:
        return all(_is_number(c) for c in self.categories)

    def values(self) -> FloatArray:
        """The categories as numbers (interval and ratio metrics need them)."""
        if not self.numeric:
            raise InputError(
                "interval and ratio levels need numeric values, but the categories include "
                f"{next(c for c in self.categories if not _is_number(c))!r}"
            )
        return np.asarray([float(c) for c in self.categories], dtype=np.float64)

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def coerce(cls, data: object, categories: Sequence[Any] | None = None) -> Ratings:
        """``data`` as :class:`Ratings`: a ``Ratings`` passes through, anything else is a table."""
        if isinstance(data, Ratings):
            if categories is not None and tuple(categories) != data.categories:
                return data.reordered(categories)
            return data
        return cls.from_table(data, categories)

    @classmethod
    def from_table(cls, data: object, categories: Sequence[Any] | None = None) -> Ratings:
        """Units × coders values; ``None``, NaN and empty strings are missing.

        ``categories`` declares the category set and its order (values outside it are refused);
        without it the categories are the distinct values seen, sorted.
        """
        array = _as_2d(data)
        n_units, n_coders = array.shape
        if n_coders < 2:
            raise InputError(f"need ratings from at least 2 coders (columns), got {n_coders}")
        if n_units == 0:
            raise InputError("there are no units (rows) to compare")
        if array.dtype.kind in "biuf":
            codes, cats, ordered = _encode_numeric(array.astype(np.float64), categories)
        else:
            codes, cats, ordered = _encode_objects(array, categories)
        return cls._from_codes(codes, cats, ordered)

    @classmethod
    def _from_codes(cls, codes: IntArray, cats: tuple[Any, ...], ordered: bool) -> Ratings:
        present = codes >= 0
        if not present.any():
            raise InputError("all values are missing: nothing was rated")
        n_units, _ = codes.shape
        q = max(len(cats), 1)
        flat = (np.arange(n_units, dtype=np.intp)[:, None] * q + codes)[present]
        counts = np.bincount(flat, minlength=n_units * q).reshape(n_units, q).astype(np.float64)
        return cls(counts=counts, categories=cats, codes=codes, ordered=ordered)

    @classmethod
    def from_contingency(cls, table: object, categories: Sequence[Any] | None = None) -> Ratings:
        """A square table of two coders' joint counts (coder 1 in rows, coder 2 in columns).

        Every row/column is a category, used or not: weights count the table's categories.
        """
        matrix = _as_2d(table)
        if matrix.shape[0] != matrix.shape[1]:
            raise InputError(f"a contingency table must be square, got {matrix.shape}")
        try:
            values = matrix.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError("a contingency table must hold counts (numbers)") from None
        if (values < 0).any() or not np.array_equal(values, np.round(values)):
            raise InputError("a contingency table must hold whole, non-negative counts")
        q = values.shape[0]
        cats, ordered = _declared(categories, q)
        cells = np.repeat(np.arange(q * q, dtype=np.intp), values.astype(np.intp).ravel())
        codes = np.stack([cells // q, cells % q], axis=1)
        if codes.shape[0] == 0:
            raise InputError("all values are missing: the contingency table is empty")
        return cls._from_codes(codes, cats, ordered)

    @classmethod
    def from_counts(cls, counts: object, categories: Sequence[Any] | None = None) -> Ratings:
        """Units × categories: how many coders assigned each unit to each category.

        Coders are anonymous here, so only coder-exchangeable coefficients (percent agreement,
        Fleiss, Brennan–Prediger, AC1/AC2, alpha) can be computed from it.
        """
        matrix = _as_2d(counts)
        try:
            values = matrix.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError("category counts must be numbers") from None
        if (values < 0).any() or not np.isfinite(values).all():
            raise InputError("category counts must be finite and non-negative")
        if values.shape[0] == 0:
            raise InputError("there are no units (rows) to compare")
        if not values.any():
            raise InputError("all values are missing: nothing was rated")
        cats, ordered = _declared(categories, values.shape[1])
        return cls(counts=values, categories=cats, codes=None, ordered=ordered)

    def reordered(self, categories: Sequence[Any]) -> Ratings:
        """The same data over a declared category set/order."""
        new = tuple(categories)
        index = {c: i for i, c in enumerate(new)}
        if len(index) != len(new):
            raise InputError("the declared categories contain duplicates")
        mapping = np.empty(len(self.categories), dtype=np.intp)
        for i, c in enumerate(self.categories):
            if c not in index:
                if self.counts[:, i].any():
                    raise InputError(f"value {c!r} is not among the declared categories")
                mapping[i] = -1
            else:
                mapping[i] = index[c]
        counts = np.zeros((self.n_units, len(new)), dtype=np.float64)
        keep = mapping >= 0
        counts[:, mapping[keep]] = self.counts[:, keep]
        codes = None
        if self.codes is not None:
            codes = np.where(self.codes >= 0, mapping[np.maximum(self.codes, 0)], -1)
        return Ratings(counts=counts, categories=new, codes=codes, ordered=True)

    def subset(self, units: IntArray) -> Ratings:
        """The rows ``units`` (used by the bootstrap and for tests)."""
        codes = None if self.codes is None else self.codes[units]
        return Ratings(self.counts[units], self.categories, codes, self.ordered)


def _declared(categories: Sequence[Any] | None, q: int) -> tuple[tuple[Any, ...], bool]:
    if categories is None:
        return tuple(range(q)), True
    cats = tuple(categories)
    if len(cats) != q:
        raise InputError(f"{len(cats)} categories given for a table with {q}")
    if len(set(cats)) != len(cats):
        raise InputError("the declared categories contain duplicates")
    return cats, True


def _encode_numeric(
    array: FloatArray, categories: Sequence[Any] | None
) -> tuple[IntArray, tuple[Any, ...], bool]:
    missing = np.isnan(array)
    if np.isinf(array).any():
        raise InputError("ratings contain an infinite value")
    codes = np.full(array.shape, -1, dtype=np.intp)
    values = array[~missing]
    if categories is not None:
        cats = tuple(categories)
        if len(set(cats)) != len(cats):
            raise InputError("the declared categories contain duplicates")
        if not all(_is_number(c) for c in cats):
            raise InputError("numeric ratings need numeric categories")
        declared = np.asarray([float(c) for c in cats], dtype=np.float64)
        order = np.argsort(declared, kind="stable")
        sorted_cats = declared[order]
        pos = np.searchsorted(sorted_cats, values).clip(0, max(len(cats) - 1, 0))
        if values.size and (len(cats) == 0 or not np.array_equal(sorted_cats[pos], values)):
            bad = values[(len(cats) == 0) | (sorted_cats[pos] != values)][0]
            raise InputError(f"value {_plain(bad)!r} is not among the declared categories")
        codes[~missing] = order[pos]
        return codes, cats, True
    if values.size == 0:
        raise InputError("all values are missing: nothing was rated")
    low, high = float(values.min()), float(values.max())
    if high - low < _FAST_RANGE and np.array_equal(values, np.floor(values)):
        # Integer-valued data: a lookup table instead of a sort (linear time).
        shifted = (values - low).astype(np.intp)
        present = np.bincount(shifted, minlength=int(high - low) + 1) > 0
        lookup = np.cumsum(present) - 1
        codes[~missing] = lookup[shifted]
        uniq = np.flatnonzero(present) + low
    else:
        uniq, inverse = np.unique(values, return_inverse=True)
        codes[~missing] = inverse.reshape(-1)
    cats = tuple(_plain(v) for v in uniq)
    return codes, cats, True


def _plain(value: float) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _encode_objects(
    array: NDArray[Any], categories: Sequence[Any] | None
) -> tuple[IntArray, tuple[Any, ...], bool]:
    flat: Iterable[object] = array.ravel().tolist()
    cells = list(flat)
    missing = [_is_missing(v) for v in cells]
    seen = {v for v, m in zip(cells, missing, strict=True) if not m}
    if not seen:
        raise InputError("all values are missing: nothing was rated")
    if categories is not None:
        cats = tuple(categories)
        if len(set(cats)) != len(cats):
            raise InputError("the declared categories contain duplicates")
        ordered = True
    else:
        cats = tuple(sorted(seen, key=_sort_key))
        ordered = all(_is_number(c) for c in cats)
    index = {c: i for i, c in enumerate(cats)}
    out = np.full(len(cells), -1, dtype=np.intp)
    for i, (value, miss) in enumerate(zip(cells, missing, strict=True)):
        if miss:
            continue
        try:
            out[i] = index[value]
        except (KeyError, TypeError):
            raise InputError(f"value {value!r} is not among the declared categories") from None
    return out.reshape(array.shape), cats, ordered
