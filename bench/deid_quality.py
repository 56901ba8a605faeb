"""Recall, precision and speed of identifier detection on synthetic interviews (issue 12).

Runs ``thematica.intake.deid.engine.Detector`` over the transcripts of ``bench/deid_corpus.py``
(``--split test``, the held-out vocabulary and frames, by default) and scores its findings
against the planted identifiers.

Matching. A planted identifier is *found* when a finding overlaps it and the finding's type is
compatible with the planted type:

* PERSON: PERSON only;
* LOCATION, STREET_ADDRESS ("places"): LOCATION, STREET_ADDRESS or FACILITY;
* ORGANIZATION: ORGANIZATION or FACILITY;
* FACILITY (a clinic, shelter, hospital is both a place and an organisation): FACILITY,
  ORGANIZATION, LOCATION or STREET_ADDRESS;
* DATE_TIME, PHONE_NUMBER, EMAIL_ADDRESS, URL: the same type.

Either way the text would be replaced; the group decides only whether the placeholder says the
right kind of thing. A finding is a true positive when it overlaps a planted identifier it is
compatible with, otherwise a false positive (nothing is planted outside the frames, so every
other finding is one). "Exact type" numbers ask for the very same type.

Speed: seconds per 10,000 words over the whole split with the engine warm, and the cold start
(building Presidio and loading spaCy) measured in a fresh process.

Prints markdown and writes it into BENCHMARKS.md (``--output``, or ``--no-write``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from deid_corpus import Gold, Transcript, generate

from thematica.intake.deid.engine import Detector, Finding

PLACES = {"LOCATION", "STREET_ADDRESS", "FACILITY"}
COMPATIBLE = {
    "PERSON": {"PERSON"},
    "LOCATION": PLACES,
    "STREET_ADDRESS": PLACES,
    "ORGANIZATION": {"ORGANIZATION", "FACILITY"},
    "FACILITY": PLACES | {"ORGANIZATION"},
    "DATE_TIME": {"DATE_TIME"},
    "PHONE_NUMBER": {"PHONE_NUMBER"},
    "EMAIL_ADDRESS": {"EMAIL_ADDRESS"},
    "URL": {"URL"},
}
GROUPS = {
    "people": {"PERSON"},
    "places": {"LOCATION", "STREET_ADDRESS"},
    "organisations & facilities": {"ORGANIZATION", "FACILITY"},
}


def _overlap(f: Finding, g: Gold) -> bool:
    return f.start < g.end and g.start < f.end


def _covered(text: str, g: Gold, hits: list[Finding]) -> bool:
    """Every letter and digit of the identifier lies inside a compatible finding: what stays
    in the text after redaction gives nothing of it away ("Maria" found in "Maria Lopez"
    overlaps, but leaves "Lopez")."""
    inside = set()
    for f in hits:
        if f.entity_type in COMPATIBLE[g.entity_type]:
            inside.update(range(max(f.start, g.start), min(f.end, g.end)))
    return all(i in inside for i in range(g.start, g.end) if text[i].isalnum())


def score(corpus: list[Transcript], findings: list[list[Finding]]) -> dict[str, object]:
    found: Counter[str] = Counter()
    whole: Counter[str] = Counter()
    exact: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    kind_found: Counter[str] = Counter()
    kind_planted: Counter[str] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    misses: list[str] = []
    false: list[str] = []
    for transcript, found_here in zip(corpus, findings, strict=True):
        for g in transcript.gold:
            planted[g.entity_type] += 1
            kind_planted[g.kind] += 1
            hits = [f for f in found_here if _overlap(f, g)]
            if _covered(transcript.text, g, hits):
                whole[g.entity_type] += 1
            if any(f.entity_type in COMPATIBLE[g.entity_type] for f in hits):
                found[g.entity_type] += 1
                kind_found[g.kind] += 1
            else:
                shown = ", ".join(f"{f.text!r}/{f.entity_type}" for f in hits) or "nothing"
                misses.append(f"{g.entity_type} {g.text!r} ({g.kind}) -> {shown}")
            if any(f.entity_type == g.entity_type for f in hits):
                exact[g.entity_type] += 1
        for f in found_here:
            if any(
                _overlap(f, g) and f.entity_type in COMPATIBLE[g.entity_type]
                for g in transcript.gold
            ):
                tp[f.entity_type] += 1
            else:
                fp[f.entity_type] += 1
                line_start = transcript.text.rfind("\n", 0, f.start) + 1
                context = transcript.text[max(line_start, f.start - 40) : f.end + 30]
                false.append(f"{f.entity_type} {f.text!r} [{f.recogniser}] in …{context}…")
    return {
        "found": found,
        "whole": whole,
        "exact": exact,
        "planted": planted,
        "tp": tp,
        "fp": fp,
        "kind_found": kind_found,
        "kind_planted": kind_planted,
        "misses": misses,
        "false": false,
    }


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "–"


def report(split: str, corpus: list[Transcript], s: dict, timing: dict[str, float]) -> str:
    found, exact, planted, whole = s["found"], s["exact"], s["planted"], s["whole"]
    tp, fp = s["tp"], s["fp"]
    words = sum(len(t.text.split()) for t in corpus)
    load = os.getloadavg()
    lines = [
        f"### De-identification detection ({split} part of `bench/deid_corpus.py`)",
        "",
        f"{len(corpus)} transcripts, {sum(planted.values())} planted identifiers, {words:,} "
        f"words; {dt.date.today().isoformat()}, {platform.machine()} "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.platform()}), load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, Python {platform.python_version()}.",
        "",
        "Recall counts a planted identifier as found when a finding of a compatible type "
        "overlaps it; *fully covered* asks that every letter and digit of it lie inside "
        "compatible findings (nothing of it left in the text after redaction).",
        "",
        "| planted type | planted | recall (compatible type) | fully covered | "
        "recall (exact type) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in sorted(planted):
        lines.append(
            f"| {kind} | {planted[kind]} | {_ratio(found[kind], planted[kind])} | "
            f"{_ratio(whole[kind], planted[kind])} | {_ratio(exact[kind], planted[kind])} |"
        )
    for group, kinds in GROUPS.items():
        p = sum(planted[k] for k in kinds)
        lines.append(
            f"| **{group}** | {p} | **{_ratio(sum(found[k] for k in kinds), p)}** | "
            f"**{_ratio(sum(whole[k] for k in kinds), p)}** | "
            f"{_ratio(sum(exact[k] for k in kinds), p)} |"
        )
    total = sum(planted.values())
    lines.append(
        f"| **all (micro)** | {total} | **{_ratio(sum(found.values()), total)}** | "
        f"**{_ratio(sum(whole.values()), total)}** | {_ratio(sum(exact.values()), total)} |"
    )
    lines += ["", "| finding type | findings | precision (compatible type) |", "|---|---:|---:|"]
    for kind in sorted(set(tp) | set(fp)):
        n = tp[kind] + fp[kind]
        lines.append(f"| {kind} | {n} | {_ratio(tp[kind], n)} |")
    n_all = sum(tp.values()) + sum(fp.values())
    lines.append(f"| **all (micro)** | {n_all} | **{_ratio(sum(tp.values()), n_all)}** |")
    lines += ["", "| planted as | planted | recall |", "|---|---:|---:|"]
    for kind in sorted(s["kind_planted"]):
        lines.append(
            f"| {kind} | {s['kind_planted'][kind]} | "
            f"{_ratio(s['kind_found'][kind], s['kind_planted'][kind])} |"
        )
    lines += [
        "",
        f"Speed (engine warm): {timing['warm'] / words * 10_000:.2f} s per 10,000 words "
        f"({words:,} words in {timing['warm']:.2f} s); cold start (import, build Presidio, load "
        f"spaCy, first transcript) {timing['cold']:.2f} s in a fresh process.",
        "",
    ]
    return "\n".join(lines)


def cold_start() -> float:
    code = (
        "import time; t=time.perf_counter(); import sys; sys.path.insert(0, 'src');"
        "from thematica.intake.deid.engine import Detector;"
        "Detector().find('Interviewer: Hi.\\nParticipant: Maria said we go to Salem.\\n');"
        "print(time.perf_counter()-t)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-ner", action="store_true", help="field recognisers only")
    parser.add_argument("--show", type=int, default=0, help="print this many misses and FPs")
    parser.add_argument(
        "--output", default=str(Path(__file__).resolve().parent.parent / "BENCHMARKS.md")
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    corpus = generate(args.split, args.count, args.seed)
    cold = 0.0 if args.no_ner else cold_start()
    detector = Detector(ner=not args.no_ner)
    detector.find(corpus[0].text)
    started = time.perf_counter()
    findings = [detector.find(t.text) for t in corpus]
    warm = time.perf_counter() - started
    s = score(corpus, findings)
    text = report(args.split, corpus, s, {"warm": warm, "cold": cold})
    if args.no_ner:
        text = text.replace("### De-identification detection", "### Field recognisers alone")
    print(text)
    if args.show:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for miss in s["misses"]:
            by_kind[miss.split()[0]].append(miss)
        print("misses:")
        for items in by_kind.values():
            for miss in items[: args.show]:
                print("  ", miss)
        print("false positives:")
        for item in s["false"][: args.show * 3]:
            print("  ", item)
    if not args.no_write:
        from intake_blocks import write_block

        write_block(Path(args.output), f"deid-{args.split}", "deid_quality.py", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
