"""The load generator of ``bench/web_load.py``: simulated coders over HTTP, and CPU probes.

Each simulated coder is one ``httpx.AsyncClient`` (one keep-alive connection, its own
credentials) in a single asyncio loop in this process. A coder sends one request, waits for
the answer, optionally "thinks" (an exponential pause of mean ``think_s``), and sends the next,
until the deadline; so with ``think_s = 0`` the server runs at saturation (closed loop, no
think time) and latency is concurrency / throughput. Every request and answer is kept for the
lost/duplicate check.

CPU is read from ``/proc``: the server's process tree (uvicorn and its workers), this process
(the client), and the whole machine, so the report can say how much of the 2 cores each had and
how much went to other work on the machine.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TICK = os.sysconf("SC_CLK_TCK")


# -- what a coder asks for --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Item:
    """One coding: document index, code index, start and end (in the target's offsets)."""

    doc: int
    code: int
    start: int
    end: int


class SpanPicker:
    """Random word-aligned spans (``lengths`` characters, about) on a set of texts, never the
    same (document, code, span) twice for one coder (a repeat is a conflict, not a coding)."""

    def __init__(
        self, texts: list[str], codes: int, seed: int, lengths: tuple[int, int] = (20, 600)
    ) -> None:
        self.texts = texts
        self.codes = codes
        self.rng = random.Random(seed)
        self.lengths = lengths
        self.used: set[Item] = set()

    def _span(self, text: str) -> tuple[int, int]:
        n = len(text)
        start = self.rng.randrange(0, max(1, n - 40))
        while start > 0 and not text[start - 1].isspace():  # back to a word start
            start -= 1
        end = min(n, start + self.rng.randint(*self.lengths))
        while end < n and not text[end].isspace():  # on to a word end
            end += 1
        while end > start + 1 and text[end - 1].isspace():
            end -= 1
        return start, end

    def next(self) -> Item:
        while True:
            doc = self.rng.randrange(len(self.texts))
            start, end = self._span(self.texts[doc])
            item = Item(doc, self.rng.randrange(self.codes), start, end)
            if item not in self.used and end > start:
                self.used.add(item)
                return item


@dataclass(slots=True)
class Coder:
    """One simulated coder: who, how to reach the server, and what to send."""

    name: str
    client_kwargs: dict[str, Any]  # for httpx.AsyncClient: base_url, headers, cookies
    picker: SpanPicker
    #: (item) -> (url, json body)
    request: Callable[[Item], tuple[str, dict[str, Any]]]


@dataclass(slots=True)
class Sample:
    coder: str
    item: Item
    phase: str  # "warmup" or "timed"
    ms: float
    done: float  # perf_counter() when the answer arrived
    status: int  # HTTP status; 0: no answer (exception)
    ident: int | None  # the id the server acknowledged
    error: str = ""


# -- CPU probes ---------------------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and all its live descendants."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                stats[int(entry)] = found
    total, wanted = 0.0, {root}
    changed = True
    while changed:  # close over parent links
        changed = False
        for pid, (ppid, _) in stats.items():
            if ppid in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted:
        if pid in stats:
            total += stats[pid][1]
    return total


def self_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores; idle and iowait excluded)."""
    first = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0]
    parts = [int(x) for x in first.split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / TICK


@dataclass(slots=True)
class CpuWindow:
    wall_s: float = 0.0
    server_s: float = 0.0
    client_s: float = 0.0
    machine_s: float = 0.0

    @property
    def others_s(self) -> float:
        return max(0.0, self.machine_s - self.server_s - self.client_s)

    def cores(self, seconds: float) -> float:
        return seconds / self.wall_s if self.wall_s else 0.0


class CpuMeter:
    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def snap(self) -> tuple[float, float, float, float]:
        server = tree_cpu(self.server_pid) if self.server_pid else 0.0
        return time.perf_counter(), server, self_cpu(), machine_busy()

    @staticmethod
    def window(a: tuple[float, ...], b: tuple[float, ...]) -> CpuWindow:
        return CpuWindow(b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3])


# -- the run --------------------------------------------------------------------------------------
@dataclass(slots=True)
class LoadResult:
    label: str
    clients: int
    duration_s: float
    think_s: float
    ok_status: int
    samples: list[Sample] = field(default_factory=list)
    cpu: CpuWindow = field(default_factory=CpuWindow)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    notes: list[str] = field(default_factory=list)

    def timed(self) -> list[Sample]:
        return [s for s in self.samples if s.phase == "timed"]

    def ok_timed(self) -> list[Sample]:
        return [s for s in self.timed() if s.status == self.ok_status and s.ident is not None]

    @property
    def throughput(self) -> float:
        return len(self.ok_timed()) / self.duration_s if self.duration_s else 0.0

    def latency(self) -> dict[str, float]:
        ms = sorted(s.ms for s in self.ok_timed())
        if not ms:
            return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0, "max": 0.0}
        return {
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "mean": statistics.fmean(ms),
            "max": ms[-1],
        }

    def errors(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for s in self.samples:
            if s.status != self.ok_status or s.ident is None:
                out[f"{s.status or s.error or 'no answer'}"] += 1
        return out


def percentile(ordered: list[float], q: float) -> float:
    """Linear-interpolated percentile of sorted samples (as numpy's default)."""
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _one(
    client: httpx.AsyncClient, coder: Coder, phase: str, ok_status: int, out: list[Sample]
) -> None:
    item = coder.picker.next()
    url, body = coder.request(item)
    t0 = time.perf_counter()
    try:
        r = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        t1 = time.perf_counter()
        out.append(
            Sample(coder.name, item, phase, (t1 - t0) * 1e3, t1, 0, None, type(exc).__name__)
        )
        return
    t1 = time.perf_counter()
    ident: int | None = None
    error = ""
    if r.status_code == ok_status:
        try:
            ident = int(r.json()["id"])
        except (ValueError, KeyError, TypeError):
            error = "no id in answer"
    else:
        error = r.text[:200]
    out.append(Sample(coder.name, item, phase, (t1 - t0) * 1e3, t1, r.status_code, ident, error))


async def _run(
    coders: list[Coder],
    *,
    duration_s: float,
    warmup: int,
    think_s: float,
    ok_status: int,
    meter: CpuMeter,
    result: LoadResult,
    seed: int,
) -> None:
    clients = [
        httpx.AsyncClient(
            timeout=60.0,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            **c.client_kwargs,
        )
        for c in coders
    ]
    try:
        # warm-up: every coder's connection opened and a few requests answered
        async def warm(client: httpx.AsyncClient, coder: Coder) -> None:
            for _ in range(warmup):
                await _one(client, coder, "warmup", ok_status, result.samples)

        await asyncio.gather(*(warm(cl, c) for cl, c in zip(clients, coders, strict=True)))
        result.load_before = os.getloadavg()
        before = meter.snap()
        deadline = before[0] + duration_s

        async def work(client: httpx.AsyncClient, coder: Coder, rng: random.Random) -> None:
            if think_s > 0:  # start staggered, as people do
                await asyncio.sleep(rng.uniform(0, think_s))
            while time.perf_counter() < deadline:
                await _one(client, coder, "timed", ok_status, result.samples)
                if think_s > 0:
                    pause = min(rng.expovariate(1 / think_s), deadline - time.perf_counter())
                    if pause > 0:
                        await asyncio.sleep(pause)

        await asyncio.gather(
            *(
                work(cl, c, random.Random(seed * 1000 + i))
                for i, (cl, c) in enumerate(zip(clients, coders, strict=True))
            )
        )
        after = meter.snap()
        result.load_after = os.getloadavg()
        result.cpu = CpuMeter.window(before, after)
        # answers that came after the deadline are checked but do not count as throughput
        for s in result.samples:
            if s.phase == "timed" and s.done > deadline:
                s.phase = "late"
    finally:
        for cl in clients:
            await cl.aclose()


def run_load(
    label: str,
    coders: list[Coder],
    *,
    duration_s: float,
    warmup: int,
    think_s: float,
    ok_status: int,
    server_pid: int | None,
    seed: int,
) -> LoadResult:
    result = LoadResult(label, len(coders), duration_s, think_s, ok_status)
    asyncio.run(
        _run(
            coders,
            duration_s=duration_s,
            warmup=warmup,
            think_s=think_s,
            ok_status=ok_status,
            meter=CpuMeter(server_pid),
            result=result,
            seed=seed,
        )
    )
    return result
