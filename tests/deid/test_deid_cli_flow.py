"""``thematica deid``: the bare ``deid DOC… [--review | --accept-all]`` form, the review
subcommands, the key and its passphrase from an environment variable; in-process (with the
stand-in detector) and one real subprocess smoke test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_deid_service_flow import A_TEXT, B_AFTER, FakeDetector, at, doc_text, make_project

import thematica

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    from thematica.cli.main import run as run_cli

    for name in [k for k in os.environ if k.startswith("THEMATICA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("THEMATICA_USER", "pi")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("thematica.services.deid._detector", FakeDetector)

    def run(*args: object) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli([str(a) for a in args])
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = str(tmp_path / "study.db")
    make_project(url, tmp_path).close()
    return url


def ok(result: tuple[int, str, str]) -> tuple[str, str]:
    code, out, err = result
    assert code == 0, err
    assert "Traceback" not in err
    return out, err


def one_error(result: tuple[int, str, str], fragment: str) -> str:
    code, out, err = result
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]
    return lines[0]


def text_of(db: str, name: str) -> str:
    with thematica.open_project(db, actor="pi") as p:
        return doc_text(p, name)


def test_bare_form_reviews_then_commits(cli: Run, db: str) -> None:
    _, err = ok(cli("deid", "a", "--db", db))
    assert "found 7 new proposal(s) in 1 document(s): LOCATION 2, ORGANIZATION 1, PERSON 4" in err
    assert "thematica deid list" in err
    assert text_of(db, "a") == A_TEXT  # --review is the default: nothing changed
    out, _ = ok(cli("deid", "list", "--db", db, "--format", "json"))
    rows = json.loads(out)
    assert len(rows) == 7 and {r["status"] for r in rows} == {"proposed"}
    by_text = {r["text"]: r for r in rows}
    assert by_text["Maria Lopez"]["placeholder"] == "[person 1]"
    springfields = [str(r["id"]) for r in rows if r["text"] == "Springfield"]
    ok(cli("deid", "reject", *springfields, "--db", db))
    ok(
        cli(
            "deid",
            "edit",
            by_text["Harbor Clinic"]["id"],
            "--placeholder",
            "[the clinic]",
            "--db",
            db,
        )
    )
    s, e = at(A_TEXT, "outreach")
    ok(cli("deid", "add", "a", "--start", s, "--end", e, "--type", "ORGANIZATION", "--db", db))
    _, err = ok(
        cli("deid", "add", "a", "--text", "my boss", "--placeholder", "[my boss]", "--db", db)
    )
    assert "added 1 accepted proposal(s)" in err
    _, err = ok(cli("deid", "accept", "--all", "--document", "a", "--db", db))
    assert "accepted 4 proposal(s)" in err  # Maria Lopez, Maria, Jake twice
    out, _ = ok(cli("deid", "list", "--db", db, "--status", "rejected", "--format", "csv"))
    assert out.count("Springfield") == 2
    _, err = ok(cli("deid", "commit", "--db", db))
    assert "replaced 7 identifier(s) in 1 document(s)" in err
    assert "[the clinic] ×1" in err
    assert text_of(db, "a") == (
        "Interviewer: How did you start [organisation 1] work?\n"
        "Participant 1: [person 1] hired me at [the clinic] in Springfield. [person 1] was "
        "[my boss] for two years.\n"
        "Interviewer: And your colleagues?\n"
        "Participant 1: [person 2] helped me a lot. Springfield is small, everyone knows "
        "[person 2].\n"
    )


def test_accept_all_form_and_the_key(cli: Run, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ok(cli("deid", "a", "--accept-all", "--db", db))
    _, err = ok(cli("deid", "--accept-all", "b", "--db", db))
    assert "replaced 4 identifier(s) in 1 document(s)" in err
    assert text_of(db, "b") == B_AFTER
    out, _ = ok(cli("deid", "key", "--db", db, "--format", "json"))
    key = {(r["term"], r["placeholder"]) for r in json.loads(out)}
    assert ("Sam", "[person 3]") in key and ("Jake", "[person 2]") in key
    # encryption: the passphrase only ever from a named environment variable
    one_error(cli("deid", "encrypt", "--db", db), "--passphrase-env")
    one_error(
        cli("deid", "encrypt", "--passphrase-env", "my secret words", "--db", db),
        "NAME of an environment variable",
    )
    one_error(
        cli("deid", "encrypt", "--passphrase-env", "DEID_UNSET", "--db", db),
        "DEID_UNSET is not set",
    )
    monkeypatch.setenv("DEID_PASS", "a long passphrase")
    _, err = ok(cli("deid", "encrypt", "--passphrase-env", "DEID_PASS", "--db", db))
    assert "encrypted the key (6 term(s))" in err
    out, _ = ok(cli("deid", "key", "--db", db, "--format", "json"))
    assert {r["term"] for r in json.loads(out)} == {"(encrypted)"}
    out, _ = ok(cli("deid", "key", "--passphrase-env", "DEID_PASS", "--db", db, "-f", "json"))
    assert "Maria Lopez" in {r["term"] for r in json.loads(out)}
    monkeypatch.setenv("DEID_WRONG", "not the passphrase")
    one_error(
        cli("deid", "commit", "--passphrase-env", "DEID_WRONG", "--db", db), "wrong passphrase"
    )


def test_names_placeholders_and_errors(cli: Run, db: str) -> None:
    out, _ = ok(
        cli("deid", "placeholders", "--set", "PERSON=[participant {n}]", "--db", db, "-f", "json")
    )
    plates = {r["entity_type"]: r for r in json.loads(out)}
    assert plates["PERSON"]["template"] == "[participant {n}]"
    assert plates["PERSON"]["default"] is False
    assert plates["LOCATION"] == {
        "entity_type": "LOCATION",
        "template": "[place {n}]",
        "default": True,
    }
    out, _ = ok(cli("deid", "placeholders", "--reset", "PERSON", "--db", db, "-f", "csv"))
    assert "PERSON,[person {n}]" in out
    ok(cli("deid", "names", "add", "Dr Smith", "--placeholder", "[my doctor]", "--db", db))
    out, _ = ok(cli("deid", "names", "--db", db, "--format", "json"))
    assert json.loads(out)[0]["term"] == "Dr Smith"
    out, _ = ok(cli("deid", "names", "list", "--db", db, "--format", "json"))
    assert json.loads(out)[0]["placeholder"] == "[my doctor]"
    ok(cli("deid", "names", "remove", "dr smith", "--db", db))
    one_error(cli("deid", "list", "--status", "maybe", "--db", db), "unknown status 'maybe'")
    one_error(cli("deid", "nope", "--db", db), "no document named 'nope'")
    one_error(cli("deid", "accept", "--db", db), "give the ids")
    one_error(cli("deid", "placeholders", "--set", "PERSON", "--db", db), "TYPE=TEMPLATE")
    one_error(cli("deid", "add", "a", "--text", "Nobody", "--db", db), "does not occur")
    one_error(cli("deid", "edit", "99", "--type", "PERSON", "--db", db), "proposal 99")
    assert text_of(db, "a") == A_TEXT


def test_subprocess_smoke(db: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THEMATICA_")}
    env.update(THEMATICA_USER="pi", PYTHONIOENCODING="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "thematica", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )

    result = run("deid", "--help")
    assert result.returncode == 0 and "accept-all" in result.stdout
    for name in ("list", "accept", "reject", "edit", "add", "commit", "names", "key"):
        assert name in result.stdout
    result = run("deid", "placeholders", "--db", db, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "ORGANIZATION,[organisation {n}],True" in result.stdout
    result = run("deid", "list", "--db", db, "--status", "bogus")
    assert result.returncode == 2 and result.stderr.startswith("error: unknown status")
