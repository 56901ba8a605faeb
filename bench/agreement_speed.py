"""Nominal Krippendorff's alpha, 4 coders × 1,000,000 units: Thematica vs ``krippendorff``.

Run from the repository root (not part of the tests)::

    .venv/bin/python bench/agreement_speed.py [--units 1000000] [--coders 4] [--repeat 3]

Both run side by side on the same data (5 categories, 10% missing) in one process; the best of
``--repeat`` runs is printed for each, with the two values (they must agree).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--coders", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--level", default="nominal")
    args = parser.parse_args()

    import krippendorff

    from thematica.stats import krippendorff_alpha

    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, size=args.units)
    data = np.where(
        rng.random((args.units, args.coders)) < 0.7,
        truth[:, None],
        rng.integers(1, 6, size=(args.units, args.coders)),
    ).astype(np.float64)
    data[rng.random(data.shape) < 0.1] = np.nan
    reliability = np.ascontiguousarray(data.T)  # the package wants coders × units

    def best(fn: object) -> tuple[float, float]:
        times, value = [], float("nan")
        for _ in range(args.repeat):
            start = time.perf_counter()
            value = fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return min(times), value

    ours_t, ours = best(lambda: krippendorff_alpha(data, level=args.level))
    pkg_t, pkg = best(
        lambda: krippendorff.alpha(reliability_data=reliability, level_of_measurement=args.level)
    )
    print(f"data: {args.coders} coders × {args.units:,} units, {args.level}, 10% missing")
    print(f"thematica.stats.krippendorff_alpha: {ours_t:.3f} s  alpha={ours:.10f}")
    version = importlib.metadata.version("krippendorff")
    print(f"krippendorff {version} alpha:  {pkg_t:.3f} s  alpha={pkg:.10f}")
    print(f"speed-up: {pkg_t / ours_t:.1f}×; |difference| = {abs(ours - pkg):.2e}")


if __name__ == "__main__":
    main()
