"""Milliseconds per single coding (``project.coding.apply``) in a 1,000-document project.

Run from the repository root (not part of the tests)::

    .venv/bin/python bench/coding_speed.py [--docs 1000] [--words 9000] [--reps 500]
                                           [--backend sqlite|postgresql]

It writes ``bench/run.py``'s synthetic corpus (same seed), imports it into a fresh project with
the starter codebook, then times ``--reps`` single codings, each a new span of a random
document and code, as a coding interface applies them one click at a time (one transaction
each). Target: under 2 ms per coding at 1,000 documents on SQLite. ``bench/run.py`` times the
same call (:func:`single_coding`) in its latency table.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as synth

import thematica

TEMPLATE = "sem-harm-reduction-workforce"
TARGET_MS = 2.0


def single_coding(
    project: Any, names: list[str], lengths: dict[str, int], paths: list[str], seed: int
) -> Callable[[], list[int]]:
    """A call that applies one new coding per call (a random span of a random document)."""
    rng = random.Random(seed)
    seen: set[tuple[str, str, int, int]] = set()

    def apply() -> list[int]:
        while True:
            doc, code = rng.choice(names), rng.choice(paths)
            size = rng.randint(40, 800)
            start = rng.randrange(0, max(1, lengths[doc] - size))
            end = min(lengths[doc], start + size)
            if (doc, code, start, end) not in seen:
                seen.add((doc, code, start, end))
                break
        return [project.coding.apply(doc, code, start, end, coder="clicker")]

    return apply


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "THEMATICA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="thematica-coding-"))
    scratch = None
    try:
        data = synth.generate(work / "corpus", args.docs, args.words, args.seed)
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'bench.db'}"
        else:
            from run import Scratch

            scratch = Scratch(args.pg_url).__enter__()
            url = scratch.url
        project = thematica.init_project(url, "bench")
        t0 = time.perf_counter()
        project.documents.import_files([data.folder])
        print(f"imported {args.docs} documents in {time.perf_counter() - t0:.1f} s", flush=True)
        project.codebook.apply_template(TEMPLATE)
        paths = [row.path for row in project.codebook.tree()]
        lengths = {row.name: row.characters for row in project.documents.list()}
        project.close()
        project = thematica.open_project(url, "bench")  # as a coding session opens it
        apply = single_coding(project, data.names, lengths, paths, args.seed)
        for _ in range(10):  # warm-up: plans, page cache, the coder row
            apply()
        samples = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            apply()
            samples.append((time.perf_counter() - t0) * 1000)
        project.close()
        ordered = sorted(samples)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        mean = statistics.fmean(samples)
        median = statistics.median(samples)
        print(
            f"{args.backend}: single coding at {args.docs} documents: median {median:.2f} ms, "
            f"mean {mean:.2f} ms, p95 {p95:.2f} ms over {args.reps} codings; load average "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
            f"(target < {TARGET_MS:g} ms by the median: "
            f"{'met' if median < TARGET_MS else 'missed'})"
        )
    finally:
        if scratch is not None:
            scratch.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
