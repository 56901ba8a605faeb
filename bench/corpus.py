"""Deterministic synthetic corpus for the benchmark: interview transcripts and participants.

Every transcript alternates ``Interviewer:`` and ``Participant N:`` turns. Words are drawn from
a Zipf-weighted list of common English words mixed with harm-reduction domain words and a few
fixed phrases (so phrase searches have something to find). The same seed gives byte-identical
files.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

_COMMON_WORDS = """
the be to of and a in that have i it for not on with he as you do at this but his by from
they we say her she or an will my one all would there their what so up out if about who get
which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how
our work first well way even new want because any these give day most us is was are were been
has had did said went got made know felt feel really mean kind thing things lot always never
sometimes often maybe pretty very much more less little big long hard easy right wrong same
different next last every each another week month morning night today yesterday tomorrow home
office car van street place part end start help try ask tell call keep let put seem leave
still here where why something nothing everything someone everyone nobody talk listen show
hear turn move live believe hold bring happen write sit stand lose pay meet include continue
set learn change lead understand watch follow stop create speak read allow add spend grow open
walk win offer remember love consider appear buy wait serve die send expect build stay fall
cut reach kill remain suggest raise pass sell require report decide pull
"""

_DOMAIN_WORDS = """
outreach naloxone supervisor stigma burnout overdose syringe fentanyl clients peer navigator
counselling housing shelter encampment caseload funding grant training shadowing staffing
wages benefits trauma grief boundaries self-care recovery relapse treatment methadone
buprenorphine police pharmacy clinic referral insurance paperwork bureaucracy advocacy
volunteers drop-in wound testing strips kits harm reduction community county agency manager
"""
COMMON = _COMMON_WORDS.split()
DOMAIN = _DOMAIN_WORDS.split()

PHRASES = [
    "harm reduction",
    "peer support",
    "syringe services",
    "test strips",
    "lived experience",
    "compassion fatigue",
    "mental health",
]

PUNCT = [". ", ". ", ". ", "? ", ", and ", "; "]


@dataclass(slots=True)
class Corpus:
    folder: Path
    participants_csv: Path
    names: list[str]
    words: int
    bytes: int


def _vocabulary() -> tuple[list[str], list[float]]:
    words = list(COMMON) + list(DOMAIN) + list(PHRASES)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(COMMON))]
    # Domain words and phrases are rarer than the common words but every transcript has them.
    weights += [0.012] * len(DOMAIN)
    weights += [0.006] * len(PHRASES)
    return words, list(accumulate(weights))


def _sentences(rng: random.Random, words: list[str], cum: list[float], n: int) -> str:
    drawn = rng.choices(words, cum_weights=cum, k=n)
    out: list[str] = []
    i = 0
    while i < n:
        length = rng.randint(6, 22)
        chunk = drawn[i : i + length]
        i += length
        chunk[0] = chunk[0].capitalize()
        out.append(" ".join(chunk) + rng.choice(PUNCT[:4]).rstrip())
    return " ".join(out)


def transcript(rng: random.Random, number: int, target_words: int) -> tuple[str, int]:
    """One transcript of about ``target_words`` words; returns (text, words)."""
    words, cum = _vocabulary()
    parts = [f"[Synthetic benchmark transcript {number}. Not real data.]\n"]
    count = 0
    while count < target_words:
        q = rng.randint(8, 35)
        a = rng.randint(40, 260)
        parts.append(f"Interviewer: {_sentences(rng, words, cum, q)}\n")
        answer = _sentences(rng, words, cum, a)
        if rng.random() < 0.3:  # a second paragraph in the same turn
            answer += "\n\n" + _sentences(rng, words, cum, rng.randint(20, 120))
        parts.append(f"Participant {number}: {answer}\n")
        count += q + a
    return "\n".join(parts), count


COUNTY_TYPES = ["Rural", "Suburban", "Urban"]
TIME_IN_ROLE = ["<1 year", "1-3 years", "3-5 years", ">5 years"]
EMPLOYERS = ["Syringe services program", "Community-based organization", "Health department"]


def participant_id(number: int) -> str:
    return f"P{number:04d}"


def generate(folder: Path, docs: int, words: int, seed: int) -> Corpus:
    """Write ``docs`` transcripts and ``participants.csv`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    transcripts = folder / "transcripts"
    transcripts.mkdir(exist_ok=True)
    rng = random.Random(seed)
    names: list[str] = []
    total_words = total_bytes = 0
    for number in range(1, docs + 1):
        text, count = transcript(rng, number, int(words * rng.uniform(0.9, 1.1)))
        name = f"{participant_id(number)}-interview"
        data = text.encode("utf-8")
        (transcripts / f"{name}.txt").write_bytes(data)
        names.append(name)
        total_words += count
        total_bytes += len(data)
    csv_path = folder / "participants.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["participant_id", "lived_experience", "county_type", "time_in_role", "employer_type"]
        )
        for number in range(1, docs + 1):
            writer.writerow(
                [
                    participant_id(number),
                    rng.choice(["yes", "no"]),
                    rng.choice(COUNTY_TYPES),
                    rng.choice(TIME_IN_ROLE),
                    rng.choice(EMPLOYERS),
                ]
            )
    return Corpus(transcripts, csv_path, names, total_words, total_bytes)
