"""CPU time of ``thematica`` start-up: ``--version``, ``--help`` and a query on the demo.

Run from the repository root (not part of the tests)::

    .venv/bin/python bench/startup.py [--repeats 9] [--json PATH]

Each command runs ``--repeats`` times as a fresh process (the installed ``thematica`` entry
point, or ``python -m thematica`` with ``--module``); its CPU time is user + system time of the
child (``resource.getrusage(RUSAGE_CHILDREN)`` before and after), and the median is reported,
in seconds and as a ratio to ``python -c pass`` (the interpreter's own start-up) on the same
machine at the same time. The demo project is built once in a temporary folder first, and
every command runs once unmeasured with byte-code writing on (``PYTHONDONTWRITEBYTECODE`` is
removed from the children's environment), so the numbers are those of an installed Thematica,
not of compiling its sources on every start.
Targets (issue 9): ``--help`` and ``--version`` under 0.25 s of CPU, a demo query under 0.5 s.
Also printed: how many modules each command imports, and whether any heavy library is among
them (``-X importtime`` is not needed: the child reports ``sys.modules``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HEAVY = ("sqlalchemy", "alembic", "pandas", "numpy", "docx", "pypdf", "lxml", "pydantic", "rich")
TARGETS = {"--version": 0.25, "--help": 0.25, "query (demo)": 0.5}

#: runs the CLI in-process after the fact to list the modules the same command line imports
MODULES = """
import io, json, sys
from contextlib import redirect_stdout
from thematica.cli.main import run
with redirect_stdout(io.StringIO()):
    run(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps({"modules": len(sys.modules), "heavy": heavy}))
"""


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_of(argv: list[str], cwd: Path) -> float:
    """User + system CPU seconds of one child process running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def modules_of(args: list[str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", MODULES, *args],
        cwd=cwd,
        env=ENV,
        input=json.dumps(HEAVY),
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--module", action="store_true", help="run 'python -m thematica'")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = p.parse_args(argv)
    entry = Path(sys.executable).with_name("thematica")
    cli = [sys.executable, "-m", "thematica"] if args.module or not entry.exists() else [str(entry)]
    work = Path(tempfile.mkdtemp(prefix="thematica-startup-bench-"))
    try:
        subprocess.run(
            [*cli, "demo", "--db", "demo.db", "-q"],
            cwd=work,
            env=ENV,
            check=True,
            capture_output=True,
        )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "--version": [*cli, "--version"],
            "--help": [*cli, "--help"],
            "query (demo)": [*cli, "query", "Staffing", "--db", "demo.db", "--coder", "alex"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # writes the byte-code caches
            cpu_of(command, work)
        for _ in range(args.repeats):  # interleaved, so a busy moment hits every command alike
            for name, command in commands.items():
                samples[name].append(cpu_of(command, work))
        base = statistics.median(samples["python -c pass"])
        results: dict[str, dict[str, object]] = {}
        print(f"{'command':<16} {'median CPU s':>12} {'x python':>9} {'target':>7} modules  heavy")
        for name, command in commands.items():
            median = statistics.median(samples[name])
            row: dict[str, object] = {
                "median_cpu_s": round(median, 3),
                "min_cpu_s": round(min(samples[name]), 3),
                "ratio_to_python": round(median / base, 1) if base else None,
                "target_s": TARGETS.get(name),
            }
            if name != "python -c pass":
                row.update(modules_of(command[len(cli) :], work))
            results[name] = row
            target = TARGETS.get(name)
            print(
                f"{name:<16} {median:>12.3f} {row['ratio_to_python']!s:>9} "
                f"{'' if target is None else f'{target:.2f}':>7} {row.get('modules', ''):>7}  "
                f"{','.join(row.get('heavy', [])) if isinstance(row.get('heavy'), list) else ''}"
            )
        results["machine"] = {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "repeats": args.repeats,
        }
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
