"""Unitised (character) agreement for 2 coders on the 1,000-document / 200,000-coding project.

Run from the repository root (not part of the tests; SQLite in a temporary folder)::

    .venv/bin/python bench/agreement_project.py [--docs 1000] [--codings 200000] [--repeat 3]

Builds the synthetic project of ``bench/run.py`` (same corpus generator and seed, the starter
codebook, 200,000 codings over 3 coders). To make the agreement realistic rather than chance,
coder2 starts from coder1's codings: each is kept with its boundaries moved by up to
``--jitter`` characters (80%), given another code (10%) or replaced by a random coding (10%);
coder1 and coder3 are drawn as in ``bench/run.py``. Then times
``project.agreement.compute(("coder1", "coder2"), "character", bootstrap=0)`` on a freshly
opened project (loading the codings and texts from the database included), best of
``--repeat``, and prints the overall values and a breakdown.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as synth
from run import TEMPLATE, coding_items, log, machine

import thematica

TARGET_S = 5.0


def derived(
    items: list[thematica.CodingInput],
    lengths: dict[str, int],
    paths: list[str],
    fresh: list[thematica.CodingInput],
    rng: random.Random,
    jitter: int,
) -> list[thematica.CodingInput]:
    """coder2: coder1's codings with moved boundaries, some recoded, some replaced."""
    out: list[thematica.CodingInput] = []
    seen: set[tuple[str, str, int, int]] = set()
    spare = iter(fresh)
    for item in items:
        roll = rng.random()
        if roll < 0.1:
            new = next(spare)
        else:
            code = rng.choice(paths) if roll < 0.2 else item.code
            length = lengths[str(item.document)]
            start = min(max(0, item.start + rng.randint(-jitter, jitter)), length - 1)
            end = max(start + 1, min(length, item.end + rng.randint(-jitter, jitter)))
            new = thematica.CodingInput(item.document, code, start, end)
        key = (str(new.document), str(new.code), new.start, new.end)
        if key not in seen:
            seen.add(key)
            out.append(new)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--codings", type=int, default=200_000)
    parser.add_argument("--jitter", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thematica-agreement-bench-") as tmp:
        folder = Path(tmp)
        log(f"generating {args.docs} transcripts")
        data = synth.generate(folder / "corpus", args.docs, args.words, args.seed)
        db = str(folder / "bench.db")
        project = thematica.init_project(db, "bench")
        project.documents.import_files([data.folder], case_pattern=r"^(P\d+)")
        lengths = {row.name: row.characters for row in project.documents.list()}
        project.codebook.apply_template(TEMPLATE)
        paths = [row.path for row in project.codebook.tree()]
        rng = random.Random(args.seed + 1)
        share, extra = divmod(args.codings, 3)
        sizes = [share + (1 if n < extra else 0) for n in range(3)]
        coder1 = coding_items(data.names, lengths, paths, sizes[0], rng)
        fresh = coding_items(data.names, lengths, paths, sizes[1], rng)
        coder2 = derived(coder1, lengths, paths, fresh, rng, args.jitter)
        if len(coder2) < sizes[1]:  # duplicates dropped: top up with random codings
            taken = {(i.document, i.code, i.start, i.end) for i in coder2}
            coder2 += [i for i in fresh if (i.document, i.code, i.start, i.end) not in taken][
                : sizes[1] - len(coder2)
            ]
        coder3 = coding_items(data.names, lengths, paths, sizes[2], rng)
        for name, items in (("coder1", coder1), ("coder2", coder2), ("coder3", coder3)):
            log(f"{name} applies {len(items):,} codings")
            project.coding.apply_many(items, coder=name)
        total = project.coding.count()
        project.close()
        del coder1, coder2, coder3, fresh

        times: list[float] = []
        report = None
        for n in range(args.repeat):
            project = thematica.open_project(db)
            start = time.perf_counter()
            report = project.agreement.compute(("coder1", "coder2"), "character", bootstrap=0)
            times.append(time.perf_counter() - start)
            project.close()
            log(f"run {n + 1}: {times[-1]:.2f} s")
        assert report is not None
        info = machine()
        print(
            f"machine: {info['CPU']}, {info['Cores']} cores, {info['RAM']} RAM, "
            f"Python {info['Python']}, SQLite {info['SQLite']}"
        )
        print(f"project: {args.docs} documents, {total:,} codings, {len(paths)} codes")
        print("call: project.agreement.compute(('coder1', 'coder2'), 'character', bootstrap=0)")
        best = min(times)
        verdict = "met" if best < TARGET_S else "MISSED"
        print(
            f"time: best {best:.2f} s of {args.repeat} ({', '.join(f'{t:.2f}' for t in times)}),"
            f" target < {TARGET_S:.0f} s: {verdict}"
        )
        for row in report.overall:
            value = "null" if row.value is None else f"{row.value:.4f}"
            print(f"  {row.measure}: {value}" + (f"  ({row.note[:70]})" if row.note else ""))
        print(f"  disagreements listed: {len(report.disagreements):,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
