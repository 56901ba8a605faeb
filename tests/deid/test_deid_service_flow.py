"""De-identification service: detect, review, commit — with a stand-in detector, so the review
and commit rules are tested on both backends without loading the language model (the real
engine runs in test_deid_service_engine.py).

Every expected text below is written out by hand from the interview text, never taken from
the code's output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import thematica
from thematica.core.errors import InputError, NotFoundError, PermissionDenied
from thematica.store import schema as t

A_TEXT = (
    "Interviewer: How did you start outreach work?\n"
    "Participant 1: Maria Lopez hired me at Harbor Clinic in Springfield. Maria was my boss "
    "for two years.\n"
    "Interviewer: And your colleagues?\n"
    "Participant 1: Jake helped me a lot. Springfield is small, everyone knows Jake.\n"
)
B_TEXT = (
    "Interviewer: Tell me about your team.\n"
    "Participant 2: Jake and Maria Lopez run the van. I met Sam at Harbor Clinic.\n"
)

#: what the stand-in detector knows (besides the project's known names)
LEXICON = {
    "Maria Lopez": "PERSON",
    "Maria": "PERSON",
    "Jake": "PERSON",
    "Sam": "PERSON",
    "Springfield": "LOCATION",
    "Harbor Clinic": "ORGANIZATION",
}


@dataclass(frozen=True)
class FakeFinding:
    start: int
    end: int
    entity_type: str
    text: str
    score: float
    recogniser: str


class FakeDetector:
    """Whole-word matches of a fixed lexicon plus the known names, longest first."""

    def __init__(self, known: Any = ()) -> None:
        self.terms = dict(LEXICON)
        self.terms.update({term: kind for term, kind in known})

    def find(self, text: str) -> list[FakeFinding]:
        taken: list[tuple[int, int]] = []
        out = []
        for term in sorted(self.terms, key=len, reverse=True):
            for m in re.finditer(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text):
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                taken.append(m.span())
                out.append(
                    FakeFinding(m.start(), m.end(), self.terms[term], m.group(), 0.85, "fake")
                )
        return sorted(out, key=lambda f: f.start)


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)


def make_project(url: str, folder: Path) -> Any:
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (folder / "b.txt").write_text(B_TEXT, encoding="utf-8")
    p = thematica.init_project(url, "study", actor="pi")
    p.documents.import_files([folder / "a.txt", folder / "b.txt"])
    return p


@pytest.fixture
def study(db_url: str, tmp_path: Path, fake_engine: None) -> Iterator[Any]:
    p = make_project(db_url, tmp_path)
    yield p
    p.close()


def at(text: str, phrase: str, nth: int = 0) -> tuple[int, int]:
    """Offsets of the nth occurrence of ``phrase`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return start, start + len(phrase)


def doc_text(p: Any, name: str) -> str:
    with p.db.read() as conn:
        return str(
            conn.scalar(
                select(t.document.c.text).where(
                    t.document.c.project_id == p.id, t.document.c.name == name
                )
            )
        )


# -- the key test: codings cover the same words after commit ---------------------------------

A_AFTER = (
    "Interviewer: How did you start outreach work?\n"
    "Participant 1: [person 1] hired me at [organisation 1] in [place 1]. [person 1] was my boss "
    "for two years.\n"
    "Interviewer: And your colleagues?\n"
    "Participant 1: [person 2] helped me a lot. [place 1] is small, everyone knows [person 2].\n"
)
B_AFTER = (
    "Interviewer: Tell me about your team.\n"
    "Participant 2: [person 2] and [person 1] run the van. I met [person 3] at "
    "[organisation 1].\n"
)
#: the placeholder of each identifier, worked out by hand: numbered per type in the order a
#: commit meets them (documents by name, then position); "Maria" is a word of the one person
#: "Maria Lopez", so it shares her placeholder
PLACEHOLDER = {
    "Maria Lopez": "[person 1]",
    "Harbor Clinic": "[organisation 1]",
    "Springfield": "[place 1]",
    "Maria": "[person 1]",
    "Jake": "[person 2]",
    "Sam": "[person 3]",
}


def expected_passage(old: str, start: int, end: int, identifiers: list[tuple[int, int]]) -> str:
    """The coded words with each identifier replaced by its placeholder; a coding that starts
    or ends inside an identifier comes to cover all of its placeholder."""
    for s, e in identifiers:
        if s < start < e:
            start = s
        if s < end < e:
            end = e
    out, at_ = [], start
    for s, e in sorted(identifiers):
        if start <= s and e <= end:
            out.append(old[at_:s] + PLACEHOLDER[old[s:e]])
            at_ = e
    out.append(old[at_:end])
    return "".join(out)


def test_codings_cover_the_same_words_after_commit(study: Any) -> None:
    p = study
    p.codebook.add("Support")
    p.codebook.add("Place")
    spans = {
        # ana: a sentence holding three identifiers
        "ana-sentence": (
            "ana",
            "Support",
            at(A_TEXT, "Maria Lopez hired me at Harbor Clinic in Springfield."),
        ),
        # ben: exactly an identifier
        "ben-jake": ("ben", "Support", at(A_TEXT, "Jake")),
        # ana: no identifier at all
        "ana-plain": ("ana", "Support", at(A_TEXT, "How did you start outreach work?")),
        # ben: starts inside "Maria Lopez"
        "ben-partial": (
            "ben",
            "Support",
            (A_TEXT.index("Lopez hired"), A_TEXT.index(" at Harbor")),
        ),
        # ben: ends inside "Springfield"
        "ben-ends-inside": (
            "ben",
            "Place",
            (A_TEXT.index("in Springfield"), A_TEXT.index("field. Maria")),
        ),
        # ana: a later passage, after several replacements
        "ana-late": ("ana", "Place", at(A_TEXT, "Springfield is small, everyone knows Jake.")),
        # ben: the same words as ana's
        "ben-late": ("ben", "Place", at(A_TEXT, "Springfield is small, everyone knows Jake.")),
        # ana: the whole document
        "ana-all": ("ana", "Place", (0, len(A_TEXT))),
    }
    ids = {}
    for key, (coder, code, (s, e)) in spans.items():
        ids[key] = p.coding.apply("a", code, s, e, coder=coder)
    p.coding.apply("b", "Support", *at(B_TEXT, "I met Sam at Harbor Clinic."), coder="ana")
    report = p.deid.detect()
    assert report.documents == 2
    # a: Maria Lopez, Harbor Clinic, Springfield, Maria, Jake, Springfield, Jake; b: Jake,
    # Maria Lopez, Sam, Harbor Clinic
    assert report.proposed == 11
    assert report.by_type == {"PERSON": 7, "LOCATION": 2, "ORGANIZATION": 2}
    assert doc_text(p, "a") == A_TEXT  # nothing changes before commit
    assert p.deid.accept(all_open=True) == 11
    assert doc_text(p, "a") == A_TEXT
    maria = A_TEXT.index("Maria was")
    identifiers = [
        at(A_TEXT, "Maria Lopez"),
        at(A_TEXT, "Harbor Clinic"),
        at(A_TEXT, "Springfield"),
        (maria, maria + len("Maria")),
        at(A_TEXT, "Jake"),
        at(A_TEXT, "Springfield", 1),
        at(A_TEXT, "Jake", 1),
    ]
    committed = p.deid.commit()
    assert committed.documents == 2 and committed.replaced == 11
    assert doc_text(p, "a") == A_AFTER
    assert doc_text(p, "b") == B_AFTER
    assert committed.codings_lost == 0
    assert committed.placeholders == {
        "[person 1]": 3,  # Maria Lopez twice, Maria once
        "[person 2]": 3,  # Jake
        "[person 3]": 1,  # Sam
        "[organisation 1]": 2,
        "[place 1]": 2,
    }
    with p.db.read() as conn:
        stored = {
            r.id: (r.start, r.end)
            for r in conn.execute(select(t.coding.c.id, t.coding.c.start, t.coding.c.end))
        }
    new = doc_text(p, "a")
    for key, (_coder, _code, (s, e)) in spans.items():
        ns, ne = stored[ids[key]]
        assert new[ns:ne] == expected_passage(A_TEXT, s, e, identifiers), key
    # hand-checked spot values
    ns, ne = stored[ids["ben-jake"]]
    assert new[ns:ne] == "[person 2]"
    ns, ne = stored[ids["ben-partial"]]
    assert new[ns:ne] == "[person 1] hired me"
    ns, ne = stored[ids["ana-plain"]]
    assert (ns, ne) == at(A_TEXT, "How did you start outreach work?")
    # codings over identifiers were touched, the others moved or kept
    assert committed.codings_touched >= 5


def test_numbers_stay_on_a_second_commit_and_placeholders_are_consistent(study: Any) -> None:
    p = study
    p.deid.detect(["a"])
    p.deid.accept(all_open=True)
    p.deid.commit()
    assert doc_text(p, "a") == A_AFTER
    assert doc_text(p, "b") == B_TEXT  # not detected, not committed
    p.deid.detect(["a", "b"])
    # a's placeholders are not proposed again
    assert {r.document for r in p.deid.list(status="proposed")} == {"b"}
    listed = {r.text: r.placeholder for r in p.deid.list(document="b", status="proposed")}
    assert listed == {
        "Jake": "[person 2]",
        "Maria Lopez": "[person 1]",
        "Sam": "[person 3]",  # the number it would get, shown before it is given
        "Harbor Clinic": "[organisation 1]",
    }
    p.deid.accept(all_open=True, document="b")
    p.deid.commit(["b"])
    assert doc_text(p, "b") == B_AFTER
    key = {(r.entity_type, r.term): (r.placeholder, r.uses) for r in p.deid.key()}
    # a placeholder two terms share counts its uses for each (Maria Lopez 2 + Maria 1)
    assert key == {
        ("PERSON", "Maria Lopez"): ("[person 1]", 3),
        ("PERSON", "Maria"): ("[person 1]", 3),
        ("PERSON", "Jake"): ("[person 2]", 3),
        ("PERSON", "Sam"): ("[person 3]", 1),
        ("LOCATION", "Springfield"): ("[place 1]", 2),
        ("ORGANIZATION", "Harbor Clinic"): ("[organisation 1]", 2),
    }


def test_templates_and_a_terms_own_placeholder(study: Any) -> None:
    p = study
    row = p.deid.set_placeholder("person", "[participant {n}]")
    assert (row.template, row.default) == ("[participant {n}]", False)
    p.deid.add_name("Dr Smith", placeholder="[my doctor]")
    p.deid.detect(["b"])
    rows = {r.text: r for r in p.deid.list(document="b")}
    p.deid.edit(rows["Jake"].id, placeholder="[my boss]")
    p.deid.accept(all_open=True)
    p.deid.commit()
    assert doc_text(p, "b") == (
        "Interviewer: Tell me about your team.\n"
        "Participant 2: [my boss] and [participant 1] run the van. I met [participant 2] at "
        "[organisation 1].\n"
    )
    # Jake's own placeholder is now the key's: the same in document a
    p.deid.detect(["a"])
    listed = {r.text: r.placeholder for r in p.deid.list(document="a", status="proposed")}
    assert listed["Jake"] == "[my boss]"
    assert listed["Maria Lopez"] == "[participant 1]"
    assert listed["Maria"] == "[participant 1]"  # a word of the one "Maria Lopez"
    names = {r.term: r.placeholder for r in p.deid.names()}
    assert names == {"Dr Smith": "[my doctor]"}
    p.deid.set_placeholder("PERSON", None)
    assert {r.entity_type: r.default for r in p.deid.placeholders()}["PERSON"] is True


def test_rejected_and_edited_and_added(study: Any) -> None:
    p = study
    p.deid.detect(["a"])
    rows = p.deid.list(document="a")
    by_text: dict[str, list[Any]] = {}
    for r in rows:
        by_text.setdefault(r.text, []).append(r)
    # the review list carries context on either side
    first = by_text["Maria Lopez"][0]
    assert first.before.endswith("Participant 1: ") and first.after.startswith(" hired me")
    assert first.placeholder == "[person 1]" and first.status == "proposed"
    p.deid.reject([r.id for r in by_text["Springfield"]])
    # the span of "Maria Lopez" narrowed to the surname, typed as a place for the sake of it
    s, e = at(A_TEXT, "Lopez")
    edited = p.deid.edit(first.id, start=s, end=e, entity_type="LOCATION")
    assert (edited.text, edited.entity_type, edited.status) == ("Lopez", "LOCATION", "accepted")
    # a selection and every occurrence of words
    added = p.deid.add(
        "a",
        start=at(A_TEXT, "outreach")[0],
        end=at(A_TEXT, "outreach")[1],
        entity_type="ORGANIZATION",
    )
    assert [(r.text, r.recogniser, r.score, r.status) for r in added] == [
        ("outreach", "reviewer", 1.0, "accepted")
    ]
    boss = p.deid.add("a", text="my BOSS", entity_type="PERSON", placeholder="[my boss]")
    assert [r.text for r in boss] == ["my boss"]
    p.deid.accept([r.id for r in by_text["Jake"]])
    p.deid.commit()
    assert doc_text(p, "a") == (
        "Interviewer: How did you start [organisation 1] work?\n"
        "Participant 1: Maria [place 1] hired me at Harbor Clinic in Springfield. Maria was "
        "[my boss] for two years.\n"
        "Interviewer: And your colleagues?\n"
        "Participant 1: [person 1] helped me a lot. Springfield is small, everyone knows "
        "[person 1].\n"
    )
    # rejected ones keep their words; detecting again proposes nothing already decided
    again = p.deid.detect(["a"])
    # new: the "Maria" left of the edited span; already there: "Maria was" and Harbor Clinic
    # (open) and the two rejected Springfields
    assert (again.proposed, again.already) == (1, 4)
    assert {r.text for r in p.deid.list(document="a", status="proposed")} == {
        "Maria",
        "Harbor Clinic",
    }


def test_overlaps_are_refused_and_accept_all_resolves_them(study: Any) -> None:
    p = study
    p.deid.detect(["a"])
    rows = {r.text: r for r in p.deid.list(document="a")}
    p.deid.accept([rows["Maria Lopez"].id])
    s, e = at(A_TEXT, "Lopez hired")
    with pytest.raises(InputError, match=rf"overlaps accepted proposal {rows['Maria Lopez'].id}"):
        p.deid.add("a", start=s, end=e)
    # an open proposal overlapping an accepted one stays open under accept-all
    p.deid.reject([rows["Maria Lopez"].id])
    overlapping = p.deid.add("a", start=s, end=e)[0]
    with pytest.raises(InputError, match=rf"proposals {rows['Maria Lopez'].id} .* overlap"):
        p.deid.accept([rows["Maria Lopez"].id])
    n_open = len(p.deid.list(document="a", status="proposed"))
    assert p.deid.accept(all_open=True, document="a") == n_open
    assert overlapping.id in {r.id for r in p.deid.list(status="accepted")}


def test_identifiers_leave_text_search_proposals_and_audit(study: Any) -> None:
    p = study
    p.codebook.add("Support")
    cid = p.coding.apply("a", "Support", *at(A_TEXT, "Jake helped me a lot."), coder="ana")
    p.coding.set_memo(cid, "Jake is central here")
    p.memos.add("project", None, "Springfield keeps coming up")
    assert len(p.search("Springfield")) == 2
    p.deid.run(accept_all=True)
    assert len(p.search("Springfield")) == 0
    assert len(p.search("Jake")) == 0
    assert len(p.search("person")) > 0
    for r in p.deid.list():
        assert r.status == "committed" and r.text == ""
        assert r.placeholder.startswith("[")
    log = json.dumps([r.detail for r in p.audit_log(limit=None)])
    for word in LEXICON:
        assert word not in log, word
    actions = {r.action for r in p.audit_log(limit=None)}
    assert {"deid_detect", "deid_accept", "deid_commit"} <= actions
    with p.db.read() as conn:
        proposal_texts = list(conn.scalars(select(t.deid_proposal.c.text)))
    assert set(proposal_texts) == {""}
    # memos are the researchers' words: counted, not edited
    assert p.deid.commit().documents == 0  # nothing left to commit
    assert any("Springfield" in m.text for m in p.memos.list())


def test_memos_are_counted_in_the_warnings(study: Any) -> None:
    p = study
    p.codebook.add("Support")
    cid = p.coding.apply("a", "Support", *at(A_TEXT, "Jake helped me a lot."), coder="ana")
    p.coding.set_memo(cid, "Jake is central here")
    p.memos.add("project", None, "Springfield keeps coming up")
    p.deid.detect()
    p.deid.accept(all_open=True)
    report = p.deid.commit()
    assert any(w.startswith("2 memo(s) mention") for w in report.warnings), report.warnings


def test_bad_input_is_one_line_and_changes_nothing(study: Any) -> None:
    p = study
    p.deid.detect(["a"])
    before = [(r.id, r.status, r.start, r.end, r.entity_type) for r in p.deid.list()]
    one = before[0][0]
    cases = [
        (lambda: p.deid.detect(["nope"]), NotFoundError, "no document named 'nope'"),
        (lambda: p.deid.accept([9999]), NotFoundError, "no de-identification proposal 9999"),
        (lambda: p.deid.reject([one, 9998]), NotFoundError, "9998"),
        (lambda: p.deid.edit(one, start=5, end=len(A_TEXT) + 3), InputError, "outside"),
        (lambda: p.deid.edit(one, start=7, end=7), InputError, "outside"),
        (lambda: p.deid.edit(one, entity_type="PET"), InputError, "unknown entity type 'PET'"),
        (lambda: p.deid.edit(one, placeholder="[x {name}]"), InputError, "{name}"),
        (lambda: p.deid.add("nope", text="Jake"), NotFoundError, "no document named 'nope'"),
        (lambda: p.deid.add("a", text="Nobody"), InputError, "does not occur"),
        (lambda: p.deid.add("a", start=0, end=5, text="x"), InputError, "either a span"),
        (lambda: p.deid.set_placeholder("PERSON", "[p {m}]"), InputError, "{m}"),
        (lambda: p.deid.set_placeholder("PET", "[pet]"), InputError, "unknown entity type"),
        (lambda: p.deid.list(status="maybe"), InputError, "unknown status 'maybe'"),
        (lambda: p.deid.accept(), InputError, "give the ids"),
        (lambda: p.deid.add_name("..."), InputError, "empty"),
        (lambda: p.deid.remove_name("Nobody"), NotFoundError, "not on the project's list"),
        (lambda: p.deid.encrypt_key("short"), InputError, "at least 8"),
    ]
    for call, kind, fragment in cases:
        with pytest.raises(kind) as err:
            call()
        assert fragment in str(err.value) and "\n" not in str(err.value)
    after = [(r.id, r.status, r.start, r.end, r.entity_type) for r in p.deid.list()]
    assert after == before
    assert doc_text(p, "a") == A_TEXT
    assert len(p.deid.key()) == 0


def test_coders_and_viewers_are_refused(study: Any) -> None:
    p = study
    p.members.add("cat", "coder")
    p.members.add("vic", "viewer")
    p.deid.detect(["a"])
    for user in ("cat", "vic"):
        with thematica.open_project(p.db.url, actor=user) as q:
            for call in (
                lambda: q.deid.detect(),
                lambda: q.deid.list(),
                lambda: q.deid.accept(all_open=True),
                lambda: q.deid.commit(),
                lambda: q.deid.key(),
                lambda: q.deid.set_placeholder("PERSON", "[p {n}]"),
            ):
                with pytest.raises(PermissionDenied):
                    call()
    assert all(r.status == "proposed" for r in p.deid.list())


def test_known_names_are_found_and_removed(study: Any) -> None:
    p = study
    p.deid.add_name("van", entity_type="FACILITY", placeholder="[the van]")
    p.deid.detect(["b"])
    found = {r.text: (r.entity_type, r.placeholder) for r in p.deid.list(document="b")}
    assert found["van"] == ("FACILITY", "[the van]")
    assert p.deid.remove_name("Van") == 1
    assert len(p.deid.names()) == 0
    assert len(p.deid.key()) == 0  # never written: gone from the key too
