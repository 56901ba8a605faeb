"""Report time and peak memory on the 1,000-document benchmark project.

Run from the repository root (not part of the tests)::

    .venv/bin/python bench/report_speed.py                 # 1,000 documents, SQLite
    .venv/bin/python bench/report_speed.py --docs 100 --keep /tmp/rep-bench

It builds the benchmark project of ``bench/run.py`` (same synthetic corpus, seed, codebook and
codings by three coders; :func:`build` below), adds themes from the codebook, then:

1. saves an agreement run (``project.agreement.compute(..., save="bench")``) and times it;
2. writes the DOCX report in a **fresh process** that reuses that saved run, and records its
   wall time and peak resident memory (``ru_maxrss`` of the child);
3. with ``--compute``, first times a report that computes agreement itself (no saved run yet).

``--unit`` and ``--bootstrap`` choose the agreement settings of the run and of the reports
(default: the report's defaults, sentences and 1,000 resamples; at 1,000 documents that run
alone takes many minutes, so ``--unit document`` is the quick choice).

Each report runs in its own child process so that its peak memory is its own; it reports its
wall time, its CPU time (user + system: the better measure on a shared machine) and its peak
resident memory, all including Python start-up and imports.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as synth
from run import TEMPLATE, coding_items, log

import thematica

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import thematica
from thematica.exporters.project_files import write_report
p = thematica.open_project(sys.argv[1], "bench")
options = json.loads(sys.argv[3])
result = write_report(p, sys.argv[2], **options)
elapsed = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(json.dumps({"seconds": elapsed, "cpu_seconds": use.ru_utime + use.ru_stime,
                  "peak_mib": int(status) / 1024, "hash": result.state_hash}))
"""


def build(url: str, folder: Path, docs: int, codings: int, coders: int, seed: int) -> None:
    data = synth.generate(folder / "corpus", docs, 9000, seed)
    project = thematica.init_project(url, "bench")
    project.cases.import_table(
        data.participants_csv,
        id_column="participant_id",
        orders={"time_in_role": synth.TIME_IN_ROLE},
    )
    project.documents.import_files([data.folder], case_pattern=r"^(P\d+)")
    project.codebook.apply_template(TEMPLATE)
    paths = [row.path for row in project.codebook.tree()]
    lengths = {row.name: row.characters for row in project.documents.list()}
    rng = random.Random(seed + 1)
    share, extra = divmod(codings, coders)
    for n in range(coders):
        items = coding_items(data.names, lengths, paths, share + (1 if n < extra else 0), rng)
        project.coding.apply_many(items, coder=f"coder{n + 1}")
    project.themes.from_codebook(1)
    project.close()


def child_report(url: str, out: Path, options: dict[str, object]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(out), json.dumps(options)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"report failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--docs", type=int, default=1000)
    p.add_argument("--codings", type=int, default=200_000)
    p.add_argument("--coders", type=int, default=3)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--unit", default="sentence", help="agreement unit of the saved run")
    p.add_argument("--bootstrap", type=int, default=1000, help="resamples of the saved run")
    p.add_argument("--compute", action="store_true", help="also time a report without a run")
    p.add_argument("--keep", type=Path, default=None, help="keep the project in this folder")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="thematica-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    url = f"sqlite:///{db}"
    results: dict[str, object] = {
        "docs": args.docs,
        "codings": args.codings,
        "load_average_at_start": os.getloadavg(),
    }
    try:
        if not db.exists():
            log(f"building the {args.docs}-document project in {work}")
            t0 = time.perf_counter()
            build(url, work, args.docs, args.codings, args.coders, args.seed)
            log(f"built in {time.perf_counter() - t0:.1f} s")
        coders = [f"coder{n + 1}" for n in range(args.coders)]
        options = {
            "coder": "coder1",
            "order_by": "time_in_role",
            "agreement_unit": args.unit,
            "agreement_bootstrap": args.bootstrap,
        }
        if args.compute:
            log("report computing agreement itself (no saved run)")
            results["report_compute"] = child_report(url, work / "compute.docx", options)
            log(f"  {results['report_compute']}")
        with thematica.open_project(url, "bench") as project:
            names = {row.name for row in project.agreement.runs().rows}
            if "bench" not in names:
                log(f"saving agreement run: {args.unit}, {args.bootstrap} resamples")
                t0 = time.perf_counter()
                project.agreement.compute(
                    coders, args.unit, bootstrap=args.bootstrap, seed=1, save="bench"
                )
                results["agreement_run_s"] = time.perf_counter() - t0
                results["agreement_run_peak_mib"] = (
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                )
                log(f"  saved in {results['agreement_run_s']:.1f} s")
        log("report reusing the saved run")
        results["report_saved_run"] = child_report(
            url, work / "saved.docx", {**options, "agreement_run": "bench"}
        )
        log(f"  {results['report_saved_run']}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
