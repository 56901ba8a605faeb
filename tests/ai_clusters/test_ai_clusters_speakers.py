"""``project.clusters.propose`` and ``thematica clusters`` group what participants said: the
interviewer's questions (about the same topics, so a run that reads them groups them too) are
left out by default, ``speakers`` chooses others, ``*`` is everyone; documents without speaker
labels are unaffected. Counts worked out by hand from the texts below, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ai_clusters_study import HOUSING, POLICE, run_cli

import thematica
from thematica.core.errors import InputError

#: questions of four words or more, on the study's topics
Q1 = "Interviewer: Did the police officers at the station ever stop you?"
Q2 = "Interviewer: What happened with the rent on your flat after that?"
#: too short to be a passage: never counted, left out or not
Q3 = "Interviewer: Yes."
P1_FIRST = f"Participant 1: {HOUSING[0]}"
INTERVIEW = (
    f"{Q1}\n{P1_FIRST} {POLICE[0]} {HOUSING[1]}\n"
    f"{Q2}\nParticipant 1: {POLICE[1]} {HOUSING[2]} {POLICE[2]}\n{Q3}\n"
)
#: field notes without speaker labels
NOTES = " ".join([HOUSING[3], POLICE[3], HOUSING[4], POLICE[4], HOUSING[5], POLICE[5]]) + "\n"
PARTICIPANT = {P1_FIRST, POLICE[0], HOUSING[1], f"Participant 1: {POLICE[1]}"}
PARTICIPANT |= {HOUSING[2], POLICE[2]}
NOTED = {HOUSING[3], POLICE[3], HOUSING[4], POLICE[4], HOUSING[5], POLICE[5]}


def _build(p: Any, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("P1-interview", INTERVIEW), ("notes", NOTES)):
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    p.documents.import_files(paths)


@pytest.fixture
def interviews(db_url: str, tmp_path: Path) -> Iterator[Any]:
    p = thematica.init_project(db_url, "study", actor="pi")
    _build(p, tmp_path / "files")
    yield p
    p.close()


def _members(p: Any, run_id: int) -> set[str]:
    return {
        m.text for row in p.clusters.list(run_id) for m in p.clusters.members(run_id, row.number)
    }


def test_interviewer_sentences_are_not_grouped_by_default(interviews: Any) -> None:
    p = interviews
    run = p.clusters.propose(backend="tfidf")
    # 6 participant sentences + 6 of the notes; the two questions left out ("Yes." is short)
    assert (run.passages, run.speaker_skipped, run.speakers) == (12, 2, None)
    grouped = _members(p, run.run_id)
    assert grouped and grouped <= PARTICIPANT | NOTED
    assert not grouped & {Q1, Q2}
    stored = p.clusters.runs().rows[0]
    assert stored.passages == 12
    (entry,) = p.audit_log(action="propose_clusters").rows
    assert (entry.detail["speakers"], entry.detail["speaker_skipped"]) == (None, 2)


def test_every_speaker_and_chosen_speakers(interviews: Any) -> None:
    p = interviews
    every = p.clusters.propose(backend="tfidf", speakers=["*"])
    assert (every.passages, every.speaker_skipped, every.speakers) == (14, 0, ["*"])
    participants = p.clusters.propose(backend="tfidf", speakers=["participant*"])
    # the notes have no speaker, so they are no participant's: 6 of them and 2 questions out
    assert (participants.passages, participants.speaker_skipped) == (6, 8)
    assert _members(p, participants.run_id) <= PARTICIPANT
    either = p.clusters.propose(backend="tfidf", speakers=["Nobody", "P*"], min_size=2)
    assert (either.passages, either.speaker_skipped) == (6, 8)
    runs = {r.id for r in p.clusters.runs().rows}
    assert {every.run_id, participants.run_id, either.run_id} <= runs


def test_too_few_passages_of_the_speakers_chosen_is_refused(interviews: Any) -> None:
    p = interviews
    with pytest.raises(InputError) as exc:
        p.clusters.propose(backend="tfidf", speakers=["Interviewer"])
    assert str(exc.value).startswith(
        "only 2 uncoded sentence(s) of 4 words or more of the speakers chosen: too few"
    )
    with pytest.raises(InputError, match="speaker pattern"):
        p.clusters.propose(backend="tfidf", speakers=[" "])
    assert p.clusters.runs().rows == []


def test_clusters_command_speaker_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "study.db")
    with thematica.init_project(db, "study", actor="pi") as p:
        _build(p, tmp_path / "files")
    args = ["clusters", "--backend", "tfidf", "--db", db, "--as", "pi"]
    default = run_cli(*args)
    assert default.returncode == 0, default.stderr
    assert "12 uncoded sentence(s)" in default.stderr
    assert "2 sentence(s) in the interviewer's turns left out (--all-speakers" in default.stderr
    every = run_cli(*args, "--all-speakers")
    assert every.returncode == 0 and "14 uncoded sentence(s)" in every.stderr
    assert "left out" not in every.stderr
    chosen = run_cli(*args, "--speaker", "Participant*", "--speaker", "Interviewer")
    assert chosen.returncode == 0, chosen.stderr
    assert "8 uncoded sentence(s)" in chosen.stderr
    assert "6 sentence(s) of other speakers left out (kept: Participant*, Interviewer)" in (
        chosen.stderr
    )
    both = run_cli(*args, "--speaker", "P*", "--all-speakers")
    assert (both.returncode, both.stdout) == (2, "")
    assert both.stderr == "error: give --speaker or --all-speakers, not both\n"
