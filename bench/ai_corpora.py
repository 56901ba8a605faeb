"""Loaders for the coded corpora the AI-assistance benchmark measures against.

The corpora are read in place from ``../shared/data/corpora`` (or ``$THEMATICA_CORPORA``) and
never copied into the repository. Each loader returns a :class:`Dataset`: a codebook (codes
with whatever definition and examples the corpus gives) and units of text with the human
codes, split into a training part (the pool for few-shot examples and for fitting the
calibration) and a held-out test part, with fixed seeds.

* NHS patient-experience comments (``load_nhs``): multi-label, 50 framework columns; the
  corpus ships code *names only* (no definitions), so the labels are the names.
* AnnoMI utterances (``load_annomi``): one behaviour code per utterance, therapist codes for
  therapist turns and client talk types for client turns; the labels are the behaviour names
  with the subtypes the README lists (plus the standard meaning of change / sustain talk).
* World after Covid answers (``load_wac``): multi-label, 110 ``<theme>_q<N>`` codes, with the
  theme definitions and published example quotes parsed from ``codebook.md``
  (``parse_wac_codebook``; the quotes are excerpts of the very answers being coded, so they
  are kept out of the zero-shot labels).
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = Path(os.environ.get("THEMATICA_CORPORA", str(ROOT.parent / "shared/data/corpora")))

NHS_FILE = "nhs_patient_experience_coded/v6framework_230831.csv"
ANNOMI_FILE = "annomi/AnnoMI-full.csv"
WAC_DIR = "world_after_covid"

#: NHS framework columns that mark "no content code" rather than a theme
NHS_NON_CONTENT = ("Not assigned", "Labelling not possible")


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a benchmark codebook.

    ``key`` is unique in the dataset; ``group`` says which units it may be applied to (the
    question of a WAC answer, the speaker of an AnnoMI utterance, ``""`` for every unit).
    """

    key: str
    name: str
    definition: str = ""
    examples: tuple[str, ...] = ()
    group: str = ""


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of text with the human codes (keys) applied to it."""

    id: str
    text: str
    labels: frozenset[str]
    group: str = ""
    source: str = ""  # respondent / transcript / participant: splits never divide one


@dataclass(slots=True)
class Dataset:
    name: str
    codes: list[Code]
    train: list[Unit]
    test: list[Unit]
    multi_label: bool
    note: str = ""
    sizes: dict[str, int] = field(default_factory=dict)

    def candidates(self, unit: Unit) -> list[int]:
        """Indexes of the codes that apply to the unit's group."""
        return [i for i, c in enumerate(self.codes) if not c.group or c.group == unit.group]


def _require(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"corpus not found: {path} (set THEMATICA_CORPORA)")
    return path


def _split_sources(
    units: Sequence[Unit], test_share: float, seed: int
) -> tuple[list[Unit], list[Unit]]:
    """Split by ``source`` so that no respondent or transcript is on both sides."""
    sources = sorted({u.source for u in units})
    random.Random(seed).shuffle(sources)
    n_test = round(len(sources) * test_share)
    test_sources = set(sources[:n_test])
    train = [u for u in units if u.source not in test_sources]
    test = [u for u in units if u.source in test_sources]
    return train, test


def _sample(units: Sequence[Unit], cap: int | None, seed: int) -> list[Unit]:
    if cap is None or len(units) <= cap:
        return list(units)
    picked = random.Random(seed).sample(range(len(units)), cap)
    return [units[i] for i in sorted(picked)]


# -- NHS patient experience ----------------------------------------------------------------
def load_nhs(
    *, test_cap: int | None = 1500, train_cap: int | None = 3000, seed: int = 11
) -> Dataset:
    """Comments with at least one content code; codes with no positive at all are dropped."""
    path = _require(CORPORA / NHS_FILE)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    framework = columns[columns.index("Comment sentiment") + 1 :]
    content = [c for c in framework if c not in NHS_NON_CONTENT]
    positives: dict[str, int] = defaultdict(int)
    units: list[Unit] = []
    for row in rows:
        text = (row["FFT answer"] or "").strip()
        labels = frozenset(c for c in content if row[c].strip() in {"1", "1.0"})
        for c in labels:
            positives[c] += 1
        if text and labels:
            units.append(Unit(f"nhs:{row['Comment ID']}", text, labels, "", row["Comment ID"]))
    kept = [c for c in content if positives[c] > 0]
    codes = [Code(c, c) for c in kept]
    train, test = _split_sources(units, 0.5, seed)
    dataset = Dataset(
        "NHS patient experience",
        codes,
        _sample(train, train_cap, seed + 1),
        _sample(test, test_cap, seed + 2),
        multi_label=True,
        note=(
            f"{len(framework)} framework columns; {len(NHS_NON_CONTENT)} mark 'no theme' "
            f"({', '.join(NHS_NON_CONTENT)}) and {len(content) - len(kept)} have no positive, "
            f"leaving {len(kept)} codes. Comments with text and at least one content code: "
            f"{len(units):,} of {len(rows):,}. Codebook: names only (the corpus and its README "
            "give no definitions; the framework's descriptions live on an external website), "
            "so the labels are weaker than a codebook with definitions."
        ),
    )
    dataset.sizes = {"units": len(units), "train_pool": len(train), "test_pool": len(test)}
    return dataset


# -- AnnoMI --------------------------------------------------------------------------------
ANNOMI_CODES: tuple[Code, ...] = (
    Code(
        "question",
        "Question",
        "The therapist asks the client a question, open or closed.",
        group="therapist",
    ),
    Code(
        "reflection",
        "Reflection",
        "The therapist reflects back what the client has said, a simple or a complex reflection.",
        group="therapist",
    ),
    Code(
        "therapist_input",
        "Therapist input",
        "The therapist gives input: information, advice, negotiation or options.",
        group="therapist",
    ),
    Code("other", "Other", "Any other therapist utterance.", group="therapist"),
    Code(
        "change",
        "Change talk",
        "The client talks in favour of changing the behaviour (change talk).",
        group="client",
    ),
    Code(
        "neutral",
        "Neutral talk",
        "The client's talk is neither for nor against changing the behaviour.",
        group="client",
    ),
    Code(
        "sustain",
        "Sustain talk",
        "The client talks in favour of keeping the behaviour as it is (sustain talk).",
        group="client",
    ),
)


def load_annomi(
    *, test_cap: int | None = 2000, train_cap: int | None = 3000, seed: int = 11
) -> Dataset:
    """One row per utterance (the first annotator's code where several annotated it)."""
    path = _require(CORPORA / ANNOMI_FILE)
    seen: set[tuple[str, str]] = set()
    units: list[Unit] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["transcript_id"], row["utterance_id"])
            if key in seen:
                continue
            seen.add(key)
            speaker = row["interlocutor"]
            label = (
                row["main_therapist_behaviour"]
                if speaker == "therapist"
                else row["client_talk_type"]
            )
            text = (row["utterance_text"] or "").strip()
            if not text or label in {"", "n/a"}:
                continue
            units.append(
                Unit(f"annomi:{key[0]}:{key[1]}", text, frozenset({label}), speaker, key[0])
            )
    train, test = _split_sources(units, 0.5, seed)
    dataset = Dataset(
        "AnnoMI",
        list(ANNOMI_CODES),
        _sample(train, train_cap, seed + 1),
        _sample(test, test_cap, seed + 2),
        multi_label=False,
        note=(
            f"{len(units):,} utterances (one annotation each; the first annotator where several "
            "coded one), split by transcript. Therapist turns are scored against the 4 therapist "
            "codes, client turns against the 3 client talk types (a researcher codes behaviour "
            "by speaker). Labels: the behaviour names with the subtypes the README lists; the "
            "one-line meaning of change / sustain talk is the standard MI definition, added "
            "here. 'Other' has no definition to speak of."
        ),
    )
    dataset.sizes = {"units": len(units), "train_pool": len(train), "test_pool": len(test)}
    return dataset


# -- World after Covid -----------------------------------------------------------------------
@dataclass(slots=True)
class WacTheme:
    """A theme of ``codebook.md`` with its definition and example quotes per question."""

    name: str
    section: str  # the "## Question N themes" heading it is listed under
    definition: str = ""
    quotes: dict[str, list[str]] = field(default_factory=dict)  # "Q1" -> quotes


_HEADING2 = re.compile(r"^##\s+(.*?)\s*$")
_HEADING3 = re.compile(r"^###\s+(.*?)\s*$")
_QMARK = re.compile(r"^\s*\*\*(Q\d)\*\*\s*$")
_BULLET = re.compile(r"^\s*\*\s*>\s?(.*)$")
_DEFINITION = re.compile(r"^\s*Definition:\s*(.*)$")


def _clean(parts: Iterable[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(parts).replace("\\'", "'")).strip()


def parse_wac_codebook(path: Path | None = None) -> list[WacTheme]:
    """Themes (``###``) under "Themes and example statements", with their ``Definition:``
    paragraph and the ``* >`` quotes listed under each ``**Q<N>**`` marker."""
    path = _require(path or CORPORA / WAC_DIR / "codebook.md")
    themes: list[WacTheme] = []
    section = ""
    theme: WacTheme | None = None
    question = ""
    buffer: list[str] = []
    mode = ""  # "definition" | "quote" | ""

    def flush() -> None:
        nonlocal buffer, mode
        if theme is not None and buffer:
            text = _clean(buffer)
            if mode == "definition":
                theme.definition = text
            elif mode == "quote" and question and text:
                theme.quotes.setdefault(question, []).append(text)
        buffer = []
        mode = ""

    started = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# Themes and example statements"):
            started = True
            continue
        if not started:
            continue
        if m := _HEADING3.match(line):
            flush()
            theme = WacTheme(m.group(1), section)
            themes.append(theme)
            question = ""
        elif m := _HEADING2.match(line):
            flush()
            section, theme = m.group(1), None
        elif m := _QMARK.match(line):
            flush()
            question = m.group(1)
        elif m := _DEFINITION.match(line):
            flush()
            mode, buffer = "definition", [m.group(1)]
        elif m := _BULLET.match(line):
            flush()
            mode, buffer = "quote", [m.group(1)]
        elif not line.strip():
            flush()
        elif mode:
            buffer.append(line)
    flush()
    return themes


#: ``codes.csv`` theme names that differ from the codebook headings (after normalising)
_WAC_ALIASES = {
    "improved care for elders": "improve care for elders",
    "improved work-life balance": "improve work-life balance",
    "increased interest in science": "interest in science",
    "learning from pandemics": "learning from the pandemic(s)",
    "learning from the pandemics": "learning from the pandemic(s)",
    "bipartisanship and international cooperation": "bipartisanship and political cooperation",
    "acknowledge of uncertainty/flexibility": "acknowledge uncertainty/flexibility",
    "balance of personal & others interest": "balance of personal and others' interest",
    "perspective taking": "perspective-taking",
    "career disruptions": "career disruption",
    "exacerbated social inequality": "social inequality",
    "misperception about the world": "misperception of the world",
    "intimate relations": "poor intimate relations",
    "long term orientation": "long-term orientation",
    "self-reflection on what is important": "self-reflection on what's important",
}


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def wac_theme_for(column_theme: str, themes: Sequence[WacTheme]) -> WacTheme:
    by_name = {_norm(t.name): t for t in themes}
    name = _norm(column_theme)
    name = _WAC_ALIASES.get(name, name)
    if name not in by_name:
        raise SystemExit(f"WAC code {column_theme!r} has no theme in codebook.md")
    return by_name[name]


def _read_cp1252_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return list(csv.DictReader(text.splitlines()))


def load_wac(*, seed: int = 11) -> Dataset:
    """Answers (participant x question) with the ``<theme>_q<N>`` codes of that question;
    labels carry the theme definition, examples carry the published quotes for that question.
    Split by participant, half and half."""
    folder = _require(CORPORA / WAC_DIR)
    themes = parse_wac_codebook(folder / "codebook.md")
    code_rows = _read_cp1252_csv(folder / "codes.csv")
    answers = {r["Name"]: r for r in _read_cp1252_csv(folder / "transcripts.csv")}
    columns = [c for c in code_rows[0] if c != "Name"]
    codes: list[Code] = []
    for column in columns:
        base, q = column.rsplit("_q", 1)
        theme = wac_theme_for(base, themes)
        quotes = tuple(theme.quotes.get(f"Q{q}", []))
        codes.append(Code(column, theme.name, theme.definition, quotes, f"Q{q}"))
    units: list[Unit] = []
    missing = 0
    for row in code_rows:
        name = row["Name"]
        answer = answers.get(name)
        if answer is None:
            missing += 1
            continue
        for q in ("Q1", "Q2", "Q3", "Q4", "Q5"):
            text = (answer.get(q) or "").strip()
            if not text or text.lower() == "nan":
                continue
            labels = frozenset(
                c for c in columns if c.endswith(f"_q{q[1]}") and row[c].strip() == "1"
            )
            units.append(Unit(f"wac:{name}:{q}", text, labels, q, name))
    train, test = _split_sources(units, 0.5, seed)
    words = sum(len(u.text.split()) for u in units)
    dataset = Dataset(
        "World after Covid",
        codes,
        train,
        test,
        multi_label=True,
        note=(
            f"{len(units)} answers of {len({u.source for u in units})} participants "
            f"({words:,} words; {sum(1 for u in units if not u.labels)} answers with no code), "
            f"split by participant; each answer is scored against the 20-24 codes of its "
            f"question. Labels: theme name and the codebook's definition. The codebook's example "
            f"quotes are excerpts of these answers, so they are not used in the labels."
            + (f" {missing} coded participants have no transcript." if missing else "")
        ),
    )
    dataset.sizes = {"units": len(units), "train_pool": len(train), "test_pool": len(test)}
    return dataset


@dataclass(frozen=True, slots=True)
class Quote:
    """A published example statement and the theme(s) the codebook lists it under."""

    text: str
    question: str
    themes: frozenset[str]


def wac_quotes(themes: Sequence[WacTheme]) -> list[Quote]:
    """Every example quote once; a quote listed under several themes counts for each."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    order: list[tuple[str, str]] = []
    for theme in themes:
        for question, quotes in theme.quotes.items():
            for text in quotes:
                key = (_norm(text), question)
                if key not in found:
                    order.append(key)
                found[key].add(theme.name)
    originals: dict[tuple[str, str], str] = {}
    for theme in themes:
        for question, quotes in theme.quotes.items():
            for text in quotes:
                originals.setdefault((_norm(text), question), text)
    return [Quote(originals[k], k[1], frozenset(found[k])) for k in order]


def wac_question_themes() -> dict[str, list[str]]:
    """The codebook theme names coded for each question in ``codes.csv``."""
    folder = _require(CORPORA / WAC_DIR)
    themes = parse_wac_codebook(folder / "codebook.md")
    header = _read_cp1252_csv(folder / "codes.csv")[0]
    out: dict[str, list[str]] = defaultdict(list)
    for column in header:
        if column == "Name":
            continue
        base, q = column.rsplit("_q", 1)
        name = wac_theme_for(base, themes).name
        if name not in out[f"Q{q}"]:
            out[f"Q{q}"].append(name)
    return dict(out)


def load_all(seed: int = 11) -> list[Dataset]:
    return [load_nhs(seed=seed), load_annomi(seed=seed), load_wac(seed=seed)]


if __name__ == "__main__":  # a quick look at what the loaders read
    for ds in load_all():
        per_unit = sum(len(u.labels) for u in ds.test) / max(1, len(ds.test))
        print(
            f"{ds.name}: {len(ds.codes)} codes, train {len(ds.train)}, test {len(ds.test)}, "
            f"{per_unit:.2f} codes per test unit; {ds.sizes}\n  {ds.note}"
        )
    parsed = parse_wac_codebook()
    quotes = wac_quotes(parsed)
    print(
        f"WAC codebook: {len(parsed)} themes, {sum(1 for t in parsed if t.definition)} with a "
        f"definition, {len(quotes)} distinct quotes"
    )
