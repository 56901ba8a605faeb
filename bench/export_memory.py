"""Peak memory of the codings CSV export, and the time of a paged query, on the 1,000-document
benchmark project (SQLite).

Run from the repository root (not part of the tests)::

    .venv/bin/python bench/export_memory.py [--docs 1000] [--codings 200000] [--keep DIR]

It builds ``bench/report_speed.py``'s project (``bench/run.py``'s synthetic corpus, the
starter codebook, ``--codings`` split over 3 coders), then, each in a fresh process:

* ``thematica export codings --coder all -o FILE.csv``: the streamed export, every coding;
* the same table built in memory first (``project.exports.codings_frame`` then pandas'
  ``to_csv``), which is how the CSV was written before (the XLSX path still does this);
* a paged query: ``project.query(CODE, coder=..., limit=50, offset=...)`` for the first, a middle
  and the last page, and the whole result for comparison (median of ``--reps`` after one warm-up).

Peak memory is the child's ``VmHWM`` (``ru_maxrss`` is carried over from the parent across
fork and exec on Linux). Target (issue 9): the streamed export under 200 MiB for 200,000 rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_speed import build

PEAK = """
def peak_mib():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
"""

STREAMED = (
    PEAK
    + """
import json, sys, time, resource
from thematica.cli.main import run
t0 = time.perf_counter()
code = run(["export", "codings", "--db", sys.argv[1], "--coder", "all", "-o", sys.argv[2], "-q"])
assert code == 0, code
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mib": peak_mib(),
                  "cpu_seconds": use.ru_utime + use.ru_stime}))
"""
)

IN_MEMORY = (
    PEAK
    + """
import json, sys, time, resource
import thematica
from thematica.exporters.atomic import write_atomic
from thematica.services.exports import frame_to_csv
t0 = time.perf_counter()
with thematica.open_project(sys.argv[1]) as p:
    frame = p.exports.codings_frame(coder="all")
    write_atomic(sys.argv[2], frame_to_csv(frame))
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mib": peak_mib(),
                  "cpu_seconds": use.ru_utime + use.ru_stime, "rows": len(frame)}))
"""
)

PAGED = """
import json, statistics, sys, time
import thematica
reps = int(sys.argv[3])
with thematica.open_project(sys.argv[1]) as p:
    code = '"' + sys.argv[2] + '"'  # a path may hold spaces: quoted, as in the CLI
    whole = p.query(code, coder="coder1")
    total = whole.total
    def timed(**page):
        p.query(code, coder="coder1", **page)  # warm-up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            table = p.query(code, coder="coder1", **page)
            times.append(time.perf_counter() - t0)
        assert table.total == total
        return {"median_ms": 1000 * statistics.median(times), "rows": len(table)}
    out = {"code": code, "total": total,
           "first_page": timed(limit=50, offset=0),
           "middle_page": timed(limit=50, offset=total // 2),
           "last_page": timed(limit=50, offset=max(0, total - 50)),
           "whole_result": timed()}
print(json.dumps(out))
"""


def child(code: str, *args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(f"child failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--codings", type=int, default=200_000)
    p.add_argument("--coders", type=int, default=3)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--code", default=None, help="the code to page through (default: a leaf)")
    p.add_argument("--keep", type=Path, default=None, help="keep the project in this folder")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="thematica-export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    results: dict[str, object] = {
        "docs": args.docs,
        "codings": args.codings,
        "load_average_at_start": os.getloadavg(),
    }
    try:
        if not db.exists():
            t0 = time.perf_counter()
            build(f"sqlite:///{db}", work, args.docs, args.codings, args.coders, args.seed)
            results["build_s"] = round(time.perf_counter() - t0, 1)
            print(f"built the project in {results['build_s']} s", file=sys.stderr)
        streamed = child(STREAMED, str(db), str(work / "streamed.csv"))
        in_memory = child(IN_MEMORY, str(db), str(work / "in_memory.csv"))
        same = (work / "streamed.csv").read_bytes() == (work / "in_memory.csv").read_bytes()
        results["export_streamed"] = streamed
        results["export_in_memory"] = in_memory
        results["same_file"] = same
        results["csv_mib"] = round((work / "streamed.csv").stat().st_size / 2**20, 1)
        code = args.code
        if code is None:
            import thematica

            with thematica.open_project(str(db)) as project:
                leaves = [r.path for r in project.codebook.tree() if r.codings]
            code = leaves[len(leaves) // 2]
        results["paged_query"] = child(PAGED, str(db), code, str(args.reps))
        print(json.dumps(results, indent=2))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
