"""REFI-QDA export and re-import of the 1,000-document / 200,000-coding synthetic project.

Run from the repository root (not part of the tests; SQLite in a temporary folder)::

    .venv/bin/python bench/interop_project.py [--docs 1000] [--codings 200000] [--keep DIR]

Builds the synthetic project of ``bench/run.py`` (same corpus generator and seed, participants
with their attributes, the starter codebook, 200,000 codings over 3 coders), then on a freshly
opened project times ``write_qdpx(project, path)`` and ``import_qdpx(db2, path)`` (into a new
SQLite database), each in a child process of its own so that its peak memory (``ru_maxrss``,
and the ``tracemalloc`` peak of Python allocations in a second, slower pass with
``--tracemalloc``) is its own. Checks that the re-imported project has every document,
coding, case and attribute value. Targets: under 20 s each way. ``--keep DIR`` builds the
project in ``DIR`` and leaves it there; a later run with the same ``DIR`` reuses it (the
export and import are always redone), so repeated measurements skip the build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as synth
from run import TEMPLATE, coding_items, log, machine

import thematica

TARGET_S = 20.0
HERE = Path(__file__).resolve().parent


def build(folder: Path, args: argparse.Namespace) -> str:
    log(f"generating {args.docs} transcripts")
    data = synth.generate(folder / "corpus", args.docs, args.words, args.seed)
    db = str(folder / "bench.db")
    project = thematica.init_project(db, "bench")
    project.cases.import_table(
        data.participants_csv,
        id_column="participant_id",
        orders={"time_in_role": synth.TIME_IN_ROLE},
    )
    project.documents.import_files([data.folder], case_pattern=r"^(P\d+)")
    lengths = {row.name: row.characters for row in project.documents.list()}
    project.codebook.apply_template(TEMPLATE)
    paths = [row.path for row in project.codebook.tree()]
    rng = random.Random(args.seed + 1)
    share, extra = divmod(args.codings, 3)
    for n in range(3):
        items = coding_items(data.names, lengths, paths, share + (1 if n < extra else 0), rng)
        log(f"coder{n + 1} applies {len(items):,} codings")
        project.coding.apply_many(items, coder=f"coder{n + 1}")
        del items
    project.close()
    return db


def child(which: str, db: str, qdpx: str, trace: bool) -> dict[str, float | int]:
    """One timed step, measured in this (fresh) process."""
    import tracemalloc

    from thematica.exporters.project_files import write_qdpx
    from thematica.services.interop import import_qdpx

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict[str, float | int] = {}
    if which == "export":
        project = thematica.open_project(db)
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        report = write_qdpx(project, qdpx)
        out["seconds"] = time.perf_counter() - t0
        out.update({k: int(v) for k, v in report.counts.items()})
        project.close()
    else:
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        report2 = import_qdpx(db, qdpx, "reimported")
        out["seconds"] = time.perf_counter() - t0
        out.update({k: int(v) for k, v in report2.counts.items()})
    if trace:
        out["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["maxrss_before"] = before * 1024
    out["maxrss_after"] = after * 1024
    return out


def run_child(which: str, db: str, qdpx: str, trace: bool) -> dict[str, float | int]:
    cmd = [sys.executable, str(Path(__file__)), "--child", which, db, qdpx]
    if trace:
        cmd.append("--trace")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{which} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        which, db, qdpx = sys.argv[2:5]
        print(json.dumps(child(which, db, qdpx, "--trace" in sys.argv)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--codings", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python peaks")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build the project in DIR (kept afterwards) or reuse the one already there",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thematica-interop-bench-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.keep and (folder / "bench.db").exists():
            db = str(folder / "bench.db")
            log(f"reusing {db}")
        else:
            db = build(folder, args)
        qdpx = str(folder / "bench.qdpx")
        db2 = str(folder / "reimport.db")
        for old in (qdpx, db2, str(folder / "traced.qdpx"), str(folder / "traced.db")):
            Path(old).unlink(missing_ok=True)
        text_bytes = sum(p.stat().st_size for p in (folder / "corpus" / "transcripts").iterdir())
        log("export")
        exp = run_child("export", db, qdpx, False)
        log(f"export {exp['seconds']:.2f} s")
        log("import")
        imp = run_child("import", db2, qdpx, False)
        log(f"import {imp['seconds']:.2f} s")
        traced: dict[str, dict[str, float | int]] = {}
        if args.tracemalloc:
            traced["export"] = run_child("export", db, str(folder / "traced.qdpx"), True)
            traced["import"] = run_child("import", str(folder / "traced.db"), qdpx, True)
        original = thematica.open_project(db)
        again = thematica.open_project(db2)
        checks = {
            "documents": (len(original.documents.list()), len(again.documents.list())),
            "codings": (original.coding.count(), again.coding.count()),
            "cases": (len(original.cases.list()), len(again.cases.list())),
            "attribute values": (
                sum(v is not None for c in original.cases.values().values() for v in c.values()),
                sum(v is not None for c in again.cases.values().values() for v in c.values()),
            ),
        }
        original.close()
        again.close()
        info = machine()
        print(
            f"machine: {info['CPU']}, {info['Cores']} cores, {info['RAM']} RAM, "
            f"Python {info['Python']}, SQLite {info['SQLite']}, load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"project: {args.docs} documents ({mib(text_bytes)} of text), "
            f"{exp['codings']:,} codings, {exp['codes']} codes, {exp['cases']} cases, "
            f"{exp['variables']} variables"
        )
        print(f"archive: {mib(os.path.getsize(qdpx))} (.qdpx)")
        for name, r in (("export", exp), ("import", imp)):
            verdict = "met" if float(r["seconds"]) < TARGET_S else "MISSED"
            line = (
                f"{name}: {float(r['seconds']):.2f} s (target < {TARGET_S:.0f} s: {verdict}); "
                f"peak RSS {mib(r['maxrss_after'])} "
                f"(+{mib(float(r['maxrss_after']) - float(r['maxrss_before']))} during the call)"
            )
            if name in traced:
                line += f"; tracemalloc peak {mib(traced[name]['tracemalloc_peak'])}"
            print(line)
        for what, (a, b) in checks.items():
            print(f"  {what}: {a:,} -> {b:,} {'ok' if a == b else 'DIFFERENT'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
