"""A sampling profiler over all threads, for ``bench/web_load.py --profile DIR``.

cProfile sees only the thread that enables it, but the web app runs each request in a worker
thread of its own (sync routes go to anyio's thread pool) under an event loop in another, so
this samples every thread's Python stack every ``interval`` seconds (``sys._current_frames``,
no extra package) and counts, per function, the share of busy samples it was on the stack
(inclusive) and on top (leaf). Threads parked in a lock, queue, selector or the event loop's
C code are idle and not counted. A C call that blocks (SQLite waiting for the write lock in
its busy handler) counts as busy in its Python caller: read the stacks.

``sampled_app`` is a uvicorn factory: the app ``thematica serve`` builds, with a sampler that
writes its report to ``$THEMATICA_SAMPLE_OUT-PID.txt`` when the server process exits.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

IDLE_LEAVES = {
    "threading.py:wait",
    "threading.py:_wait_for_tstate_lock",
    "queue.py:get",
    "selectors.py:select",
    "runners.py:run",  # uvloop's loop is C: the loop thread rests here between callbacks
    "base_events.py:_run_once",
}


class Sampler:
    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.busy = 0
        self.idle = 0
        self.incl: Counter[str] = Counter()
        self.leaf: Counter[str] = Counter()
        self.stacks: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        main = threading.main_thread().ident
        while not self._stop.wait(self.interval):
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                names: list[str] = []
                f: Any = frame
                while f is not None:
                    names.append(f"{os.path.basename(f.f_code.co_filename)}:{f.f_code.co_name}")
                    f = f.f_back
                if names[0] in IDLE_LEAVES or (tid == main and len(names) < 3):
                    self.idle += 1
                    continue
                self.busy += 1
                self.leaf[names[0]] += 1
                for name in set(names):
                    self.incl[name] += 1
                self.stacks[" < ".join(names[:10])] += 1

    def report(self, top: int = 60) -> str:
        n = max(1, self.busy)
        out = [f"busy samples {self.busy}, idle {self.idle}, every {self.interval * 1e3:g} ms", ""]
        out.append("== inclusive (share of busy samples with the function on the stack) ==")
        out += [f"{v / n * 100:6.1f}%  {k}" for k, v in self.incl.most_common(top)]
        out += ["", "== leaf (on top of the stack) =="]
        out += [f"{v / n * 100:6.1f}%  {k}" for k, v in self.leaf.most_common(top // 2)]
        out += ["", "== stacks (innermost 10 frames) =="]
        out += [f"{v / n * 100:6.1f}%  {k}" for k, v in self.stacks.most_common(top // 2)]
        return "\n".join(out) + "\n"


def sampled_app() -> Any:
    """uvicorn factory: ``thematica serve``'s app, sampled while the process lives."""
    from thematica.web.app import app_from_environment

    sampler = Sampler().start()
    base = os.environ.get("THEMATICA_SAMPLE_OUT", "/tmp/thematica-sample")
    out = Path(f"{base}-{os.getpid()}.txt")  # one per worker process

    def dump() -> None:
        sampler.stop()
        out.write_text(sampler.report(), encoding="utf-8")

    atexit.register(dump)
    return app_from_environment()
