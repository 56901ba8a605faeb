"""``project.clusters`` on SQLite and PostgreSQL: uncoded sentences grouped by topic (coded and
short ones never), runs stored and read back, a group accepted into the codebook (and its
passages coded as one undoable batch), refusals that change nothing, blind coding respected,
a chat model's names, and the real MiniLM model grouping paraphrases that share no words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ai_clusters_study import HOUSING, POLICE, SHORT, STAFFING, build_study

import thematica
from thematica.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied

#: the expected labels, worked out by hand: in the housing sentences "flat" and "rent" occur
#: six times, "landlord" five, every other word at most twice, and none of the three occurs
#: elsewhere (equal scores go alphabetically); in the police sentences "police", "officers"
#: and "station" occur six times each
HOUSING_LABEL = "flat, rent, landlord"
POLICE_LABEL = "officers, police, station"


def _groups(p: Any, run_id: int | None = None) -> dict[str, set[str]]:
    """label -> the texts of its members."""
    return {
        row.label: {m.text for m in p.clusters.members(run_id, row.number)}
        for row in p.clusters.list(run_id)
    }


def _number(p: Any, label: str, run_id: int | None = None) -> int:
    return int(next(row.number for row in p.clusters.list(run_id) if row.label == label))


def _state(p: Any) -> tuple[Any, ...]:
    """Everything accepting may change: codes, codings, batches, audit entries, the runs."""
    return (
        [(r.path, r.definition) for r in p.codebook.tree()],
        p.coding.count(),
        len(p.batches.list()),
        len(p.audit_log(None)),
        [(r.id, r.accepted) for r in p.clusters.runs()],
    )


def test_uncoded_sentences_are_grouped_by_topic(study: Any) -> None:
    run = study.clusters.propose(backend="tfidf")
    assert (run.backend, run.model, run.unit) == ("tfidf", "tfidf", "sentence")
    # 6 housing + 6 police: the staffing sentences are coded, the short ones too short
    assert (run.passages, run.clustered, run.unclustered) == (12, 12, 0)
    assert run.layers == ["pi"]
    assert run.label_model is None
    assert {row.label for row in run.rows} == {HOUSING_LABEL, POLICE_LABEL}
    assert _groups(study) == {HOUSING_LABEL: set(HOUSING), POLICE_LABEL: set(POLICE)}
    housing = next(row for row in run.rows if row.label == HOUSING_LABEL)
    assert housing.keywords.startswith("flat, rent, landlord, every, ")  # "every": twice
    assert housing.size == 6 and housing.example in HOUSING and housing.accepted is None
    assert 0 < housing.cohesion < 1
    # the stored run reads back the same; members point at their words in the documents
    assert [(r.number, r.label, r.size) for r in study.clusters.list(run.run_id)] == [
        (r.number, r.label, r.size) for r in run.rows
    ]
    for row in run.rows:
        for member in study.clusters.members(run.run_id, row.number):
            text = study.documents.get(member.document).text
            assert text[member.start : member.end] == member.text
    shown = study.clusters.members(None, housing.number).rows
    assert [m.rank for m in shown] == list(range(1, 7))
    assert [m.centrality for m in shown] == sorted((m.centrality for m in shown), reverse=True)
    assert shown[0].text == housing.example
    everything = {t for texts in _groups(study).values() for t in texts}
    assert not everything & (set(STAFFING) | set(SHORT))
    entry = study.audit_log(1, action="propose_clusters").rows[0]
    assert entry.detail["run"] == run.run_id and entry.detail["passages"] == 12


def test_a_layer_not_counted_leaves_its_passages_uncoded(study: Any) -> None:
    """Counting only sam's (empty) layer, the staffing sentences are uncoded: a third group."""
    study.members.add("sam", "coder")
    at = study.documents.get("P1").text.index(SHORT[0])  # sam codes "Yes.": too short anyway
    study.coding.apply("P1", "Staffing", at, at + len(SHORT[0]), coder="sam")
    run = study.clusters.propose(backend="tfidf", layers=["sam"])
    assert run.passages == 15 and run.layers == ["sam"]
    groups = _groups(study, run.run_id)
    assert set(STAFFING) in groups.values()


def test_runs_and_documents(study: Any) -> None:
    first = study.clusters.propose(backend="tfidf")
    second = study.clusters.propose(backend="tfidf", min_size=4)
    assert [r.id for r in study.clusters.runs()] == [second.run_id, first.run_id]
    assert study.clusters.list().title.startswith(f"Clusters of run {second.run_id}")
    assert second.min_size == 4
    with pytest.raises(InputError, match="too few"):
        study.clusters.propose(backend="tfidf", documents=["P1"])  # 5 uncoded sentences
    with pytest.raises(NotFoundError, match="no clusters run 999"):
        study.clusters.list(999)
    with pytest.raises(NotFoundError, match="has no group 9"):
        study.clusters.members(first.run_id, 9)


def test_bad_input_changes_nothing(study: Any) -> None:
    for kwargs, error, words in (
        ({"unit": "word"}, InputError, "unknown unit"),
        ({"unit": "turn"}, InputError, r"only 0 uncoded turn\(s\)"),  # one coded turn each
        ({"layers": ["nobody"]}, NotFoundError, "no coder layer named 'nobody'"),
        ({"documents": ["P9"]}, NotFoundError, "no document named 'P9'"),
        ({"min_size": 1}, InputError, "at least 2"),
        ({"backend": "nonsense"}, InputError, "unknown AI backend"),
    ):
        with pytest.raises(error, match=words):
            study.clusters.propose(**kwargs)
    assert len(study.clusters.runs()) == 0
    with pytest.raises(NotFoundError, match="no groups of uncoded passages"):
        study.clusters.list()


def test_accept_makes_a_code_with_the_keywords_definition(study: Any) -> None:
    run = study.clusters.propose(backend="tfidf")
    number = _number(study, HOUSING_LABEL)
    keywords = next(r.keywords for r in run.rows if r.number == number)
    done = study.clusters.accept(run.run_id, number)
    assert done.code == HOUSING_LABEL
    assert (done.layer, done.codings, done.batch_id) == (None, 0, None)
    expected = f"Passages about: {keywords} (proposed by clustering, run {run.run_id})"
    code = study.codebook.get(HOUSING_LABEL)
    assert code["definition"] == expected == done.definition
    assert code["origin"] == "inductive"
    assert study.coding.count() == 3  # only pi's staffing codings
    listed = {r.number: r.accepted for r in study.clusters.list()}
    assert listed[number] == HOUSING_LABEL
    assert [r.accepted for r in study.clusters.runs()] == [1]
    actions = [e.action for e in study.audit_log(3)]
    assert actions[:2] == ["accept_cluster", "add_code"]
    # offered once: accepting it again is refused and changes nothing
    before = _state(study)
    with pytest.raises(ConflictError, match="already accepted as code 'flat, rent, landlord'"):
        study.clusters.accept(run.run_id, number, name="Housing")
    assert _state(study) == before


def test_accept_under_a_parent_with_a_definition(study: Any) -> None:
    study.codebook.add("Living conditions")
    study.clusters.propose(backend="tfidf")
    done = study.clusters.accept(
        None,
        _number(study, POLICE_LABEL),
        name="Policing",
        parent="Living conditions",
        definition="Contact with the police.",
    )
    assert done.code == "Living conditions/Policing"
    assert study.codebook.get(done.code)["definition"] == "Contact with the police."


def test_code_members_is_one_batch_that_undo_removes(study: Any) -> None:
    run = study.clusters.propose(backend="tfidf")
    done = study.clusters.accept(
        run.run_id, _number(study, POLICE_LABEL), name="Policing", code_members=True
    )
    assert (done.layer, done.codings) == ("pi", 6)
    coded = study.coding.list(coder="pi", code="Policing")
    assert {r.text for r in coded} == set(POLICE)
    batch = study.batches.list().rows[-1]
    assert (batch.id, batch.operation, batch.coder, batch.added) == (
        done.batch_id,
        "clusters",
        "pi",
        6,
    )
    study.batches.undo(done.batch_id)
    assert len(study.coding.list(coder="pi", code="Policing")) == 0
    assert study.coding.count() == 3


def test_a_name_clash_changes_nothing(study: Any) -> None:
    run = study.clusters.propose(backend="tfidf")
    before = _state(study)
    with pytest.raises(ConflictError, match="a code named 'staffing' already exists"):
        study.clusters.accept(
            run.run_id, _number(study, HOUSING_LABEL), name="staffing", code_members=True
        )
    assert _state(study) == before
    with pytest.raises(NotFoundError):
        study.clusters.accept(run.run_id, _number(study, HOUSING_LABEL), parent="Nowhere")
    assert _state(study) == before


def test_viewers_are_refused_and_blind_coders_see_only_their_runs(study: Any, db_url: str) -> None:
    study.members.add("kim", "viewer")
    study.members.add("sam", "coder")
    pi_run = study.clusters.propose(backend="tfidf")
    with thematica.open_project(db_url, actor="kim") as kim:
        with pytest.raises(PermissionDenied, match="kim \\(viewer\\) may not code"):
            kim.clusters.propose(backend="tfidf")
        with pytest.raises(PermissionDenied):
            kim.clusters.accept(pi_run.run_id, 1)
        # reading is allowed: pi's run counted pi's layer, which a viewer may not read
        with pytest.raises(PermissionDenied, match="read coder layer 'pi'"):
            kim.clusters.list(pi_run.run_id)
        assert len(kim.clusters.runs()) == 0
    with thematica.open_project(db_url, actor="sam") as sam:
        # while blind sam reads no layer but his own: pi's codings do not count for him,
        # so the staffing sentences are uncoded and form a third group
        run = sam.clusters.propose(backend="tfidf")
        assert run.layers == [] and run.passages == 15
        assert set(STAFFING) in _groups(sam).values()
        assert [r.id for r in sam.clusters.runs()] == [run.run_id]
        with pytest.raises(PermissionDenied):
            sam.clusters.members(pi_run.run_id, 1)
        # coders add codes (coders_add_codes, on by default), coding their own layer
        done = sam.clusters.accept(None, _number(sam, POLICE_LABEL), code_members=True)
        assert (done.layer, done.codings) == ("sam", 6)
    study.configure(coders_add_codes=False)
    with thematica.open_project(db_url, actor="sam") as sam:
        before = _state(study)
        with pytest.raises(PermissionDenied, match="may not change the codebook"):
            sam.clusters.accept(None, _number(sam, HOUSING_LABEL))
        assert _state(study) == before


def test_a_chat_model_names_the_groups(study: Any, chat_server: Any) -> None:
    study.configure(ai_url=chat_server.url, ai_model="namer")
    run = study.clusters.propose(backend="tfidf")
    assert run.label_model == "namer"
    # the fake server names a group after the first keyword of the prompt
    assert {r.label for r in run.rows} == {"About flat", "About officers"}
    assert len(chat_server.requests) == 2
    prompt = chat_server.requests[0]["body"]["messages"][1]["content"]
    assert "Keywords of the group:" in prompt and "Its most typical passages:" in prompt
    number = _number(study, "About flat")
    done = study.clusters.accept(run.run_id, number)
    assert done.code == "About flat"
    assert done.definition.startswith(
        f"Passages on flat, rent. (proposed by clustering, run {run.run_id}; keywords: flat, "
    )
    # keywords only when asked
    plain = study.clusters.propose(backend="tfidf", model_labels=False)
    assert plain.label_model is None and len(chat_server.requests) == 2


def test_a_model_answering_no_json_stores_nothing(study: Any, chat_server: Any) -> None:
    from thematica.ai.server import BackendError

    study.configure(ai_url=chat_server.url, ai_model="namer")
    chat_server.mode = "invalid"
    with pytest.raises(BackendError, match="invalid JSON"):
        study.clusters.propose(backend="tfidf")
    assert len(study.clusters.runs()) == 0


PARAPHRASES = {
    "money": [
        "I could not afford to pay the bills last winter.",
        "Cash was always tight and debts kept piling up.",
        "We struggled financially after my wages were cut.",
        "There was never enough income for food or heating.",
    ],
    "sleep": [
        "I barely slept and felt exhausted every morning.",
        "Insomnia kept me awake most nights.",
        "By midday my eyelids were heavy with fatigue.",
        "Rest never came easily; I lay restless until dawn.",
    ],
    "dogs": [
        "Walking my dog in the park calms me down.",
        "Our puppy loves chasing a ball across the garden.",
        "The vet said the spaniel needs more exercise.",
        "My terrier barks whenever someone knocks.",
    ],
}


def test_minilm_groups_paraphrases_that_share_no_words(tmp_path: Path) -> None:
    """No two sentences of a topic share a content word, so word overlap (TF-IDF) finds no
    group at all; the sentence model finds the three topics."""
    from thematica.ai import embedders

    if embedders._missing("minilm") is not None:
        reason = "the minilm backend is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: this must not be skipped)")
        pytest.skip(reason)
    folder = tmp_path / "files"
    folder.mkdir()
    order = [s for i in range(4) for s in (PARAPHRASES[k][i] for k in PARAPHRASES)]
    (folder / "P1.txt").write_text(" ".join(order) + "\n", encoding="utf-8")
    with thematica.init_project(tmp_path / "para.db", "para", actor="pi") as p:
        p.documents.import_files([folder / "P1.txt"])
        words = p.clusters.propose(backend="tfidf", min_size=3)
        assert (words.clustered, len(words.rows)) == (0, 0)
        run = p.clusters.propose(backend="minilm", min_size=3)
        assert (run.backend, run.model) == ("minilm", "all-MiniLM-L6-v2")
        found = sorted(_groups(p, run.run_id).values(), key=lambda g: sorted(g))
        assert found == sorted((set(g) for g in PARAPHRASES.values()), key=sorted)


def test_the_study_codes_its_staffing_sentences_in_pis_layer(tmp_path: Path) -> None:
    """The study's staffing sentences really are coded in pi's layer (the other tests rely on
    it)."""
    with thematica.init_project(tmp_path / "s.db", "s", actor="pi") as p:
        folder = tmp_path / "f"
        folder.mkdir()
        build_study(p, folder)
        assert {r.text for r in p.coding.list(coder="pi")} == set(STAFFING)
