"""An encrypted de-identification key: terms unreadable in the database, the passphrase needed
to commit, a wrong one refused with nothing changed, numbering carried on across encryption;
and the key never exported (qdpx, csv)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from test_deid_service_flow import A_AFTER, B_AFTER, B_TEXT, LEXICON, doc_text, make_project

from thematica.core.errors import ConflictError, InputError
from thematica.store import schema as t

PASS = "correct horse battery"


@pytest.fixture
def study(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from test_deid_service_flow import FakeDetector

    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)
    p = make_project(db_url, tmp_path)
    yield p
    p.close()


def key_rows(p: Any) -> list[Any]:
    with p.db.read() as conn:
        return list(conn.execute(select(t.deid_term)))


def test_encrypted_key_needs_the_passphrase_and_keeps_numbering(study: Any) -> None:
    p = study
    p.deid.run(["a"], accept_all=True)
    assert doc_text(p, "a") == A_AFTER
    p.deid.add_name("Dr Smith", placeholder="[my doctor]")
    assert p.deid.encrypt_key(PASS) == 6  # five a-terms (Maria Lopez, Maria, Jake, ...) + 1
    settings = p.settings["deid_key"]
    assert set(settings) == {"salt", "verifier"} and PASS not in json.dumps(p.settings)
    rows = key_rows(p)
    stored = json.dumps([[r.term, r.term_hash] for r in rows])
    for word in [*LEXICON, "Dr Smith", "maria lopez", "jake"]:
        assert word not in stored
    assert all(r.encrypted for r in rows)
    from thematica.intake.deid.keycrypt import plain_hash

    assert plain_hash("jake") not in stored  # re-hashed with the passphrase
    with pytest.raises(ConflictError, match="already encrypted"):
        p.deid.encrypt_key(PASS)
    # the key reads as "(encrypted)" without the passphrase
    assert {r.term for r in p.deid.key()} == {"(encrypted)"}
    # detection needs the passphrase (known names are encrypted)
    with pytest.raises(InputError, match="encrypted: give its passphrase"):
        p.deid.detect(["b"])
    p.deid.detect(["b"], passphrase=PASS)
    # without the passphrase the review list cannot look terms up: numbers show as "?"
    assert {r.placeholder for r in p.deid.list(document="b")} == {
        "[person ?]",
        "[organisation ?]",
    }
    shown = {r.text: r.placeholder for r in p.deid.list(document="b", passphrase=PASS)}
    assert shown == {
        "Jake": "[person 2]",
        "Maria Lopez": "[person 1]",
        "Sam": "[person 3]",
        "Harbor Clinic": "[organisation 1]",
    }
    p.deid.accept(all_open=True)
    # a commit without or with a wrong passphrase changes nothing
    for phrase, message in ((None, "give its passphrase"), ("not it at all", "wrong passphrase")):
        with pytest.raises(InputError, match=message) as err:
            p.deid.commit(passphrase=phrase)
        assert "\n" not in str(err.value)
        assert doc_text(p, "b") == B_TEXT
        assert {r.status for r in p.deid.list(document="b")} == {"accepted"}
    report = p.deid.commit(passphrase=PASS)
    assert report.replaced == 4
    assert doc_text(p, "b") == B_AFTER  # Jake is still [person 2], Sam the next: [person 3]
    key = {(r.term, r.placeholder) for r in p.deid.key(passphrase=PASS)}
    assert ("Sam", "[person 3]") in key and ("Dr Smith", "[my doctor]") in key
    assert ("Jake", "[person 2]") in key
    new = [r for r in key_rows(p) if r.encrypted]
    assert len(new) == 7 and "Sam" not in json.dumps([r.term for r in new])
    with pytest.raises(InputError, match="wrong passphrase"):
        p.deid.key(passphrase="nope nope")
    names = {r.term for r in p.deid.names(passphrase=PASS)}
    assert names == {"Dr Smith"}
    assert p.deid.remove_name("dr smith", passphrase=PASS) == 1


def test_no_identifier_or_key_in_exports(study: Any, tmp_path: Path) -> None:
    from thematica.exporters.project_files import write_qdpx

    p = study
    p.codebook.add("Support")
    p.coding.apply("a", "Support", 0, 80, coder="ana")
    p.coding.apply("b", "Support", 20, 90, coder="ben")
    p.deid.run(accept_all=True)
    out = tmp_path / "study.qdpx"
    write_qdpx(p, out)
    with zipfile.ZipFile(out) as z:
        blob = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    csv = p.exports.render("codings", "csv", coder="all").decode("utf-8") + p.exports.render(
        "codebook", "csv"
    ).decode("utf-8")
    for text in (blob, csv):
        assert "[person 1]" in text
        for word in LEXICON:
            assert word not in text, word
        assert "deid" not in text.lower()
