"""No data loss: killed imports leave nothing half-written; coders writing at once both land."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import thematica

N_FILES = 120


def _corpus(folder: Path) -> None:
    folder.mkdir()
    para = "Participant {n}: we carry naloxone on every outreach shift and talk it through after. "
    for i in range(N_FILES):
        body = "\n\n".join(
            f"Interviewer: question {k}?\n\n" + para.format(n=i) * 40 for k in range(30)
        )
        (folder / f"P{i:03d}-interview.txt").write_text(body, encoding="utf-8")


def _count(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        docs = conn.execute("SELECT count(*) FROM document").fetchone()[0]
        turns = conn.execute("SELECT count(*) FROM turn").fetchone()[0]
    return docs, turns


def test_killed_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    _corpus(folder)
    db = tmp_path / "study.db"
    thematica.init_project(db, "study").close()
    outcomes = []
    for delay in (0.4, 0.8, 1.2, 1.6, 2.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "thematica", "import", str(folder), "--db", str(db), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        docs, turns = _count(db)
        assert docs in (0, N_FILES), f"killed after {delay}s: {docs} of {N_FILES} documents"
        assert turns == docs * 60  # no orphan or missing turns either
        outcomes.append(docs)
        if docs:
            break
    # whatever happened, a complete import afterwards gives every document exactly once
    project = thematica.open_project(db)
    project.documents.import_files([folder])
    assert len(project.documents.list()) == N_FILES
    project.close()


WORKER = textwrap.dedent(
    """
    import sys, thematica
    db, coder = sys.argv[1], sys.argv[2]
    p = thematica.open_project(db)
    doc = p.documents.list().rows[0].name
    for batch in range(10):
        starts = range(batch * 300, batch * 300 + 300)
        items = [thematica.CodingInput(doc, "Staffing", s, s + 5) for s in starts]
        p.coding.apply_many(items, coder=coder)
    p.close()
    """
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_coders_writing_at_once_both_land(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = str(tmp_path / "study.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    project = thematica.init_project(db, "study")
    project.codebook.apply_template("sem-harm-reduction-workforce")
    (tmp_path / "a.txt").write_text("Participant 1: " + "word " * 1000, encoding="utf-8")
    project.documents.import_files([tmp_path / "a.txt"])
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, str(script), db, coder], env=env, stderr=subprocess.PIPE)
        for coder in ("alex", "sam")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    for coder in ("alex", "sam"):
        assert len(project.coding.list(coder=coder)) == 3000
    project.close()
