"""Whose words suggestions are made for: by default not the interviewer's (researchers code
what participants say), ``speakers`` patterns choose others, ``*`` is everyone; documents
without speaker labels are unaffected by the default. The interviewer's questions here share
words with the codes, so a run that reads them suggests codes for them: every expected row is
worked out by hand from shared words (as in ``ai_suggest_helpers``), on SQLite and PostgreSQL,
through the service and the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ai_suggest_helpers import CODES, footprint, layer_codings
from sqlalchemy import select, update

import thematica
from thematica.core.errors import InputError, NotFoundError
from thematica.core.speaker_scope import SpeakerScope, looks_like_interviewer
from thematica.store import schema as t

EXACT = {"backend": "tfidf", "top": 1, "min_score": 0.0}

I1 = "Interviewer: What about training for new staff and nurses?"
P1A = "Participant 1: The nurses on the ward were overworked and staff shortages were obvious."
P1B = "The meals were cold and the food was bland."
I2 = "Interviewer: And the parking charges?"
P2 = "Participant 2: Nobody respected my privacy or dignity."
INTERVIEW = f"{I1}\n{P1A} {P1B}\n{I2}\n{P2}\n"

Q3 = "Interviewer: Tell me about the food and the meals."
P3 = "Participant 3: Parking charges at the car park were far too high."
FOLLOW_UP = f"{Q3}\n{P3}\n"

#: field notes: no speaker labels at all
N1 = "The drinks trolley never came with food."
NOTES = f"{N1}\n"

TEXTS = {"P01-interview": INTERVIEW, "P02-interview": FOLLOW_UP, "notes": NOTES}

#: (document, sentence, code), by hand: the code whose definition shares the sentence's words
#: ("staff", "nurses" -> Staffing; "parking charges" -> Parking; "food", "meals" -> Food; ...)
ROWS = {
    "I1": ("P01-interview", I1, "Staffing"),
    "P1A": ("P01-interview", P1A, "Staffing"),
    "P1B": ("P01-interview", P1B, "Food"),
    "I2": ("P01-interview", I2, "Parking"),
    "P2": ("P01-interview", P2, "Care/Dignity"),
    "Q3": ("P02-interview", Q3, "Food"),
    "P3": ("P02-interview", P3, "Parking"),
    "N1": ("notes", N1, "Food"),
}
INTERVIEWER = {"I1", "I2", "Q3"}


def expected(*keys: str) -> set[tuple[str, int, int, str]]:
    out = set()
    for key in keys:
        doc, sentence, code = ROWS[key]
        start = TEXTS[doc].index(sentence)
        out.add((doc, start, start + len(sentence), code))
    return out


def build(p: Any, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in TEXTS.items():
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    p.documents.import_files(paths)
    for path, definition in CODES.items():
        parent, _, name = path.rpartition("/")
        p.codebook.add(name, parent=parent or None, definition=definition)


def _speakers(p: Any) -> dict[str, list[str | None]]:
    tr, d = t.turn.c, t.document.c
    with p.db.read() as conn:
        rows = conn.execute(
            select(d.name, tr.speaker)
            .join(t.turn, tr.document_id == d.id)
            .where(d.project_id == p.id)
            .order_by(d.name, tr.position)
        ).all()
    out: dict[str, list[str | None]] = {}
    for name, speaker in rows:
        out.setdefault(str(name), []).append(speaker)
    return out


def _latest_run(p: Any) -> Any:
    r = t.ai_run.c
    with p.db.read() as conn:
        return conn.execute(
            select(t.ai_run).where(r.project_id == p.id).order_by(r.id.desc()).limit(1)
        ).one()


def test_the_study_has_the_speaker_turns_the_tests_assume(
    owner_project: Any, tmp_path: Path
) -> None:
    build(owner_project, tmp_path / "in")
    assert _speakers(owner_project) == {
        "P01-interview": ["Interviewer", "Participant 1", "Interviewer", "Participant 2"],
        "P02-interview": ["Interviewer", "Participant 3"],
        "notes": [None],
    }


@pytest.mark.parametrize(
    ("speakers", "kept", "skipped"),
    [
        # default: every sentence but the interviewer's three; the notes are unaffected
        (None, ["P1A", "P1B", "P2", "P3", "N1"], 3),
        # everyone: the interviewer's questions get codes too
        (["*"], list(ROWS), 0),
        # participants only: the notes (no speaker) are not a participant's either
        (["Participant*"], ["P1A", "P1B", "P2", "P3"], 4),
        # case ignored, the whole label: "participant 1" is not "Participant 2"
        (["participant 1", "Participant 3"], ["P1A", "P1B", "P3"], 5),
        (["Interviewer"], ["I1", "I2", "Q3"], 5),
    ],
)
def test_suggestions_follow_the_speakers_chosen(
    owner_project: Any,
    tmp_path: Path,
    speakers: list[str] | None,
    kept: list[str],
    skipped: int,
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    run = p.suggestions.suggest(**EXACT, speakers=speakers)
    want = expected(*kept)
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == want
    assert layer_codings(p, "ai:tfidf") == want
    assert (run.units, run.speaker_skipped, run.documents) == (len(kept), skipped, 3)
    assert run.speakers == speakers
    # recorded with the run (resume reads it from there) and in the audit log
    assert _latest_run(p).parameters["speakers"] == speakers
    (entry,) = p.audit_log(action="suggest").rows
    assert entry.detail["speakers"] == speakers
    assert entry.detail["speaker_skipped"] == skipped


def test_by_default_no_suggestion_falls_in_an_interviewer_turn(
    owner_project: Any, tmp_path: Path
) -> None:
    """Whatever the unit: turns too are the participants' only."""
    p = owner_project
    build(p, tmp_path / "in")
    run = p.suggestions.suggest(backend="tfidf", unit="turn", top=3, min_score=0.0)
    spans = {(r.document, r.start, r.end) for r in run.rows}
    # by hand: the turns are whole lines of the files, the label included
    lines = {
        (doc, TEXTS[doc].index(line), TEXTS[doc].index(line) + len(line))
        for doc, line in [
            ("P01-interview", f"{P1A} {P1B}"),
            ("P01-interview", P2),
            ("P02-interview", P3),
            ("notes", N1),
        ]
    }
    assert spans == lines
    assert (run.units, run.speaker_skipped) == (4, 3)
    every = p.suggestions.suggest(
        backend="tfidf", unit="turn", top=3, min_score=0.0, speakers=["*"]
    )
    assert (every.units, every.speaker_skipped) == (7, 0)
    # the interviewer's three turns now have suggestions too
    assert {TEXTS[r.document][r.start : r.end] for r in every.rows} >= {I1, I2, Q3}


def test_resume_keeps_the_speakers_of_the_run(owner_project: Any, tmp_path: Path) -> None:
    p = owner_project
    build(p, tmp_path / "in")

    def stop_after_first(done: int, total: int, what: str) -> None:
        if done == 1 and what not in ("preparing", "documents"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        p.suggestions.suggest(**EXACT, speakers=["Participant*"], progress=stop_after_first)
    assert layer_codings(p, "ai:tfidf") == expected("P1A", "P1B", "P2")
    before = footprint(p)
    with pytest.raises(InputError, match=r"resume carries on run \d+ .*speakers Participant\*"):
        p.suggestions.suggest(resume=True, speakers=["*"])
    assert footprint(p) == before
    run = p.suggestions.suggest(resume=True)
    assert run.resumed and run.speakers == ["Participant*"]
    # P02: the participant's sentence, not the interviewer's; the notes have no participant
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == expected("P3")
    assert run.speaker_skipped == 2
    # the same patterns given again are no difference
    with pytest.raises(NotFoundError, match="no unfinished"):
        p.suggestions.suggest(resume=True, speakers=["Participant*"])


def test_a_run_stored_before_speakers_were_recorded_resumes_with_everyone(
    owner_project: Any, tmp_path: Path
) -> None:
    p = owner_project
    build(p, tmp_path / "in")

    def stop_after_first(done: int, total: int, what: str) -> None:
        if done == 1 and what not in ("preparing", "documents"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        p.suggestions.suggest(**EXACT, progress=stop_after_first)
    row = _latest_run(p)
    old = {k: v for k, v in row.parameters.items() if k != "speakers"}
    with p.db.write() as conn:
        conn.execute(update(t.ai_run).where(t.ai_run.c.id == row.id).values(parameters=old))
    run = p.suggestions.suggest(resume=True)
    assert run.speakers == ["*"]
    assert {(r.document, r.start, r.end, r.code) for r in run.rows} == expected("Q3", "P3", "N1")


@pytest.mark.parametrize("speakers", [[], ["  "], ["Participant*", ""], ["x" * 201]])
def test_blank_or_overlong_patterns_are_refused(
    owner_project: Any, tmp_path: Path, speakers: list[str]
) -> None:
    p = owner_project
    build(p, tmp_path / "in")
    before = footprint(p)
    with pytest.raises(InputError) as exc:
        p.suggestions.suggest(**EXACT, speakers=speakers)
    assert "speaker pattern" in str(exc.value) and "\n" not in str(exc.value)
    assert footprint(p) == before


@pytest.mark.parametrize(
    ("label", "interviewer"),
    [
        ("Interviewer", True),
        ("INTERVIEWER", True),
        ("interviewers", True),
        ("Interviewer 2", True),
        ("Moderator", True),
        ("Moderator (Ana)", True),
        ("Facilitator B", True),
        ("Researcher", True),
        ("INT", True),
        ("IV", True),
        ("I", True),
        ("Q", True),
        ("  Interviewer ", True),
        ("Participant 1", False),
        ("Interviewee", False),
        ("P1", False),
        ("Q3", False),  # a survey question's column: the answers
        ("R", False),
        ("Researcher 2", False),
        ("Internal", False),
        ("", False),
        (None, False),
    ],
)
def test_which_labels_look_like_the_interviewer(label: str | None, interviewer: bool) -> None:
    assert looks_like_interviewer(label) is interviewer
    assert SpeakerScope.of(None).keeps(label) is not interviewer
    assert SpeakerScope.of(["*"]).keeps(label)


def test_the_document_unit_reads_only_the_kept_sentences() -> None:
    """A whole document is one unit, so the interviewer's sentences are left out of what is
    scored rather than the document; with none left, the document is left out."""
    from thematica.ai.unit_scoring import cut_units
    from thematica.core.text import detect_turns

    turns = detect_turns(INTERVIEW)
    keep = SpeakerScope.of(None).keeper(turns)
    assert keep is not None
    units = cut_units(INTERVIEW, "document", [(x.start, x.end) for x in turns], keep)
    assert units.spans == [(0, len(INTERVIEW))]
    assert units.sentences == [P1A, P1B, P2]
    assert units.skipped == 2
    only = SpeakerScope.of(["Nobody"]).keeper(turns)
    assert only is not None
    none = cut_units(INTERVIEW, "document", [], only)
    assert (len(none), none.sentences, none.skipped) == (0, [], 5)
    assert SpeakerScope.of(["**"]).keeper(turns) is None  # everyone: nothing to check
    assert SpeakerScope.of(None).keeper(detect_turns(NOTES)) is None  # nobody to leave out


# -- the command line (SQLite file) ---------------------------------------------------------------
@pytest.fixture
def speakers_file(tmp_path: Path) -> str:
    db = str(tmp_path / "cli.db")
    with thematica.init_project(db, "study", actor="pi") as p:
        build(p, tmp_path / "files")
    return db


def _rows(result: Any) -> set[tuple[str, int, int, str]]:
    assert result.returncode == 0, result.stderr
    return {(r["document"], r["start"], r["end"], r["code"]) for r in json.loads(result.stdout)}


def test_suggest_speaker_options(run_cli: Callable[..., Any], speakers_file: str) -> None:
    base = ["--db", speakers_file, "--backend", "tfidf", "--top", "1", "--min-score", "0"]
    base += ["--format", "json", "--as", "pi"]
    args = [*base, "--documents", "P01-interview"]
    default = run_cli("suggest", *args)
    assert _rows(default) == expected("P1A", "P1B", "P2")
    assert "2 sentence(s) in the interviewer's turns left out (--all-speakers" in default.stderr
    every = run_cli("suggest", *args, "--all-speakers")
    assert _rows(every) == expected("I1", "I2")  # the rest were suggested already
    assert "left out" not in every.stderr
    # P02's participant only ("P*" is not "Interviewer")
    chosen = run_cli("suggest", *base, "--documents", "P02-interview", "--speaker", "P*")
    assert _rows(chosen) == expected("P3")
    assert "1 sentence(s) of other speakers left out (kept: P*)" in chosen.stderr
    both = run_cli("suggest", *args, "--speaker", "Participant*", "--all-speakers")
    assert both.returncode == 2 and both.stdout == ""
    assert both.stderr == "error: give --speaker or --all-speakers, not both\n"
