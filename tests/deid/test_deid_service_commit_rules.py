"""Commit rules from the privacy review (r2), with the stand-in detector on both backends:
open proposals that overlapped a redaction are dropped, the key's lock is taken inside each
document's transaction, one person keeps one placeholder, and codings keep their words at the
edges of the text, between adjacent identifiers and after an astral emoji.

Expected texts and passages are written out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from test_deid_service_flow import (
    A_AFTER,
    A_TEXT,
    B_AFTER,
    FakeDetector,
    at,
    doc_text,
    make_project,
)

import thematica
from thematica.store import schema as t

PASS = "correct horse battery"


def detector_with(extra: dict[str, str], *, only: bool = False) -> type[FakeDetector]:
    """The stand-in detector with more (or only these) words."""

    class Detector(FakeDetector):
        def __init__(self, known: Any = ()) -> None:
            super().__init__(known)
            if only:
                self.terms = {term: kind for term, kind in known}
            self.terms.update(extra)

    return Detector


@pytest.fixture
def study(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)
    p = make_project(db_url, tmp_path)
    yield p
    p.close()


def one_doc(db_url: str, tmp_path: Path, text: str, name: str = "c") -> Any:
    path = tmp_path / f"{name}.txt"
    path.write_bytes(text.encode("utf-8"))
    p = thematica.init_project(db_url, "study", actor="pi")
    p.documents.import_files([path])
    assert doc_text(p, name) == text
    return p


def key_terms(p: Any) -> dict[str, str]:
    return {r.term: r.placeholder for r in p.deid.key()}


# -- item 1: open proposals overlapping a committed one --------------------------------------


def test_open_proposals_overlapping_a_redaction_are_dropped(
    study: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = study
    p.deid.detect(["a"])
    rows = {r.text: r for r in p.deid.list(document="a")}
    p.deid.accept([rows["Maria Lopez"].id])
    # a second detection draws other spans over the accepted name
    monkeypatch.setattr(
        "thematica.services.deid._detector", detector_with({"Lopez hired me": "PERSON"})
    )
    p.deid.detect(["a"])
    wide = at(A_TEXT, "Lopez hired me")
    first_maria = at(A_TEXT, "Maria")
    spans = {(r.start, r.end) for r in p.deid.list(document="a", status="proposed")}
    assert {wide, first_maria} <= spans
    p.deid.accept(all_open=True)
    # accept-all leaves the two overlapping ones open
    assert {(r.start, r.end) for r in p.deid.list(document="a", status="proposed")} == {
        wide,
        first_maria,
    }
    report = p.deid.commit()
    assert report.replaced == 7
    assert doc_text(p, "a") == A_AFTER
    # they overlapped a redaction that is now written: gone, not moved onto "[person 1]"
    assert p.deid.list(document="a", status=["proposed", "accepted"]).rows == []
    p.deid.detect(["a"])
    p.deid.accept(all_open=True)
    assert p.deid.commit().replaced == 0
    assert doc_text(p, "a") == A_AFTER  # no second redaction, no "[person 3]"
    terms = key_terms(p)
    assert not any("[" in term for term in terms), terms
    assert terms["Maria Lopez"] == "[person 1]"


def test_an_accepted_placeholder_is_not_redacted_again(study: Any) -> None:
    p = study
    p.deid.run(["a"], accept_all=True)
    assert doc_text(p, "a") == A_AFTER
    s, e = at(A_AFTER, "[person 2]")
    with p.db.write() as conn:
        doc_id = conn.scalar(select(t.document.c.id).where(t.document.c.name == "a"))
        conn.execute(
            insert(t.deid_proposal).values(
                project_id=p.id,
                document_id=doc_id,
                start=s,
                end=e,
                text="[person 2]",
                entity_type="PERSON",
                recogniser="test",
                status="accepted",
                created_at=datetime.now(UTC),
            )
        )
    report = p.deid.commit(["a"])
    assert (report.documents, report.replaced) == (0, 0)
    assert doc_text(p, "a") == A_AFTER
    assert p.deid.list(document="a", status="accepted").rows == []
    assert not any("[" in term for term in key_terms(p))


# -- item 7: the key's lock is taken inside each document's transaction ----------------------


def test_key_encrypted_between_two_documents_of_one_commit(study: Any) -> None:
    p = study
    p.deid.detect()
    p.deid.accept(all_open=True)
    other = thematica.open_project(p.db.url, actor="pi")
    real = p.db.write
    calls: list[int] = []

    @contextmanager
    def write() -> Iterator[Any]:
        calls.append(1)
        if len(calls) == 2:  # after document a, before document b
            other.deid.encrypt_key(PASS)
        with real() as conn:
            yield conn

    p.db.write = write
    try:
        report = p.deid.commit(passphrase=PASS)
    finally:
        del p.db.write
        other.close()
    assert report.documents == 2
    assert doc_text(p, "a") == A_AFTER
    assert doc_text(p, "b") == B_AFTER  # Jake and Maria Lopez keep a's numbers; Sam is next
    with p.db.read() as conn:
        rows = conn.execute(select(t.deid_term)).all()
    # Maria Lopez, Maria, Jake, Springfield, Harbor Clinic (a) + Sam (b): no duplicates
    assert len(rows) == 6
    assert all(r.encrypted for r in rows)
    assert "Sam" not in {r.term for r in rows}
    assert key_terms_with(p) == {
        "Maria Lopez": "[person 1]",
        "Maria": "[person 1]",
        "Jake": "[person 2]",
        "Sam": "[person 3]",
        "Springfield": "[place 1]",
        "Harbor Clinic": "[organisation 1]",
    }


def key_terms_with(p: Any) -> dict[str, str]:
    return {r.term: r.placeholder for r in p.deid.key(passphrase=PASS)}


# -- item 11: one person, one placeholder ----------------------------------------------------

PEOPLE = {"Maria Lopez": "PERSON", "Maria Garcia": "PERSON", "Maria": "PERSON", "Lopez": "PERSON"}


def test_a_first_name_after_the_full_name_shares_its_placeholder(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(PEOPLE, only=True))
    p = one_doc(db_url, tmp_path, "P1: Maria Lopez came first. Later Maria left, and Lopez too.\n")
    report = p.deid.run(accept_all=True)[1]
    assert report is not None
    assert not any("share a word" in w for w in report.warnings), report.warnings
    assert doc_text(p, "c") == (
        "P1: [person 1] came first. Later [person 1] left, and [person 1] too.\n"
    )
    p.close()


def test_a_full_name_after_its_first_name_shares_its_placeholder(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(PEOPLE, only=True))
    p = one_doc(db_url, tmp_path, "P1: Maria came first. Later Maria Lopez left.\n", name="d")
    p.deid.run(accept_all=True)
    assert doc_text(p, "d") == "P1: [person 1] came first. Later [person 1] left.\n"
    assert key_terms(p) == {"Maria": "[person 1]", "Maria Lopez": "[person 1]"}
    p.close()


def test_a_first_name_of_two_people_gets_its_own_number_and_a_warning(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(PEOPLE, only=True))
    text = "P1: Maria Lopez and Maria Garcia both came. Then Maria left.\n"
    p = one_doc(db_url, tmp_path, text)
    report = p.deid.run(accept_all=True)[1]
    assert doc_text(p, "c") == "P1: [person 1] and [person 2] both came. Then [person 3] left.\n"
    assert report is not None
    assert any(
        w.startswith("1 name(s) share a word with more than one person") for w in report.warnings
    )
    p.close()


def test_a_second_full_name_does_not_join_a_first_name_taken_by_another(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", detector_with(PEOPLE, only=True))
    text = "P1: Maria Lopez came. Maria stayed. Maria Garcia came later.\n"
    p = one_doc(db_url, tmp_path, text)
    report = p.deid.run(accept_all=True)[1]
    assert doc_text(p, "c") == "P1: [person 1] came. [person 1] stayed. [person 2] came later.\n"
    assert report is not None and any("share a word" in w for w in report.warnings)
    p.close()


# -- item 13: codings at the edges, between adjacent identifiers, after an emoji -------------

EDGE_TEXT = "Maria Lopez,Springfield 👍🏽 then Jake said hi to Sam"
EDGE_AFTER = "[person 1],[place 1] 👍🏽 then [person 2] said hi to [person 3]"


def test_codings_keep_their_words_at_the_edges(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)
    p = one_doc(db_url, tmp_path, EDGE_TEXT, name="e")
    p.codebook.add("Edge")
    n = len(EDGE_TEXT)
    # (old span, the words it must cover afterwards, written by hand)
    cases = {
        "first-name-exactly": ((0, 11), "[person 1]"),
        "inside-the-first": ((0, 5), "[person 1]"),
        "adjacent-pair": ((0, 23), "[person 1],[place 1]"),
        "comma-only": ((11, 12), ","),
        "second-of-pair": ((12, 23), "[place 1]"),
        "emoji-and-name": ((24, 36), "👍🏽 then [person 2]"),
        "emoji-only": ((24, 26), "👍🏽"),
        "after-emoji": ((26, 36), " then [person 2]"),
        "last-word": ((n - 3, n), "[person 3]"),
        "tail": ((n - 14, n), "said hi to [person 3]"),
        "everything": ((0, n), EDGE_AFTER),
    }
    # the offsets are code points: the thumbs-up and its skin tone are two
    assert EDGE_TEXT[24:26] == "\U0001f44d\U0001f3fd" and EDGE_TEXT[24:36] == "👍🏽 then Jake"
    assert EDGE_TEXT[n - 14 :] == "said hi to Sam"
    ids = {}
    for i, (key, ((s, e), _)) in enumerate(cases.items()):
        # a coder each: two codings of one layer that land on one span would be merged
        ids[key] = p.coding.apply("e", "Edge", s, e, coder=f"coder{i}")
    report = p.deid.run(accept_all=True)[1]
    assert report is not None and report.replaced == 4 and report.codings_lost == 0
    new = doc_text(p, "e")
    assert new == EDGE_AFTER
    with p.db.read() as conn:
        spans = {r.id: (r.start, r.end) for r in conn.execute(select(t.coding))}
    for key, (_old, words) in cases.items():
        s, e = spans[ids[key]]
        assert new[s:e] == words, key
    p.close()
