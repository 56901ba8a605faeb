"""Start-up cost: ``import thematica``, ``thematica --help`` and ``--version`` load no heavy
library. Checked by the modules a fresh interpreter has loaded, not by the clock (a shared
machine's timings vary; a module list does not)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: what ``--help`` must not pay for (each costs tens to hundreds of milliseconds)
HEAVY = (
    "sqlalchemy",
    "alembic",
    "pandas",
    "numpy",
    "docx",
    "pypdf",
    "openpyxl",
    "matplotlib",
    "lxml",
    "odf",
    "psycopg",
    "jinja2",
    "yaml",
    "argon2",
    "rich",
)

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
{setup}
roots = sorted({{m.split(".")[0] for m in sys.modules}})
print(json.dumps({{"roots": roots, "out": out}}))
"""


def _loaded(setup: str) -> tuple[set[str], str]:
    code = PROBE.format(setup=setup)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return set(data["roots"]), data["out"]


def _cli(*argv: str) -> str:
    return (
        "buf = io.StringIO()\n"
        "from thematica.cli.main import run\n"
        "with redirect_stdout(buf):\n"
        f"    code = run({list(argv)!r})\n"
        "assert code == 0, code\n"
        "out = buf.getvalue()\n"
    )


def test_import_thematica_is_light() -> None:
    roots, _ = _loaded("import thematica\nout = thematica.__version__")
    assert not roots & set(HEAVY), sorted(roots & set(HEAVY))


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("--version",), ("codebook", "--help"), ("export", "codings", "--help")],
)
def test_help_and_version_load_no_heavy_module(argv: tuple[str, ...]) -> None:
    roots, out = _loaded(_cli(*argv))
    assert not roots & set(HEAVY), (argv, sorted(roots & set(HEAVY)))
    assert out  # something was printed


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    _, out = _loaded(_cli("--version"))
    assert out == f"thematica {version('thematica')}\n"
    assert version("thematica") == "0.1.0"  # pyproject's version, which __version__ repeats


def test_using_the_api_loads_what_it_needs() -> None:
    """The lazy names still work: touching ``open_project`` brings in the database layer."""
    roots, _ = _loaded("import thematica\nthematica.open_project\nout = ''")
    assert "sqlalchemy" in roots


def test_version_smoke_in_a_real_process() -> None:
    """One real ``python -m thematica --version``: the entry point, exit code and stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "thematica", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "thematica 0.1.0\n", "")
