"""De-identification end to end with the real engine (Presidio + spaCy + the field
recognisers), on both backends: detect, review (one span corrected by hand), accept, commit;
every coded passage still covers the same words, identifiers replaced by their placeholders.

The model is loaded once per module (the engine caches it per process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import thematica
from thematica.store import schema as t

P3 = (
    "Interviewer: Can you tell me how you came to this work?\n"
    "Participant 3: Sure. I started at the Eastside Harm Reduction Program in Baltimore back "
    "then. My supervisor, Angela Martinez, trained me on naloxone.\n"
    "Interviewer: Who else was on the team?\n"
    "Participant 3: Mostly David Chen and me. David Chen still calls me at 410-555-0199 when "
    "the van runs out of supplies. Angela Martinez told Dr Smith about it.\n"
)
P4 = (
    "Interviewer: What helps you keep going?\n"
    "Participant 4: Angela Martinez checks in on us every week, and Dr Smith too.\n"
)
#: what must be gone after the commit (planted by hand; the engine must find them, with the
#: one correction a reviewer makes below)
IDENTIFIERS = (
    "Eastside Harm Reduction Program",
    "Baltimore",
    "Angela",
    "Martinez",
    "David Chen",
    "410-555-0199",
    "Dr Smith",
)


@pytest.fixture(scope="module")
def engine() -> None:
    from thematica.intake.deid.engine import Detector, engine_available

    reason = engine_available()
    assert reason is None, reason
    Detector()  # loads and caches the model for the module's tests


@pytest.fixture
def study(db_url: str, tmp_path: Path, engine: None) -> Iterator[Any]:
    (tmp_path / "p3.txt").write_text(P3, encoding="utf-8")
    (tmp_path / "p4.txt").write_text(P4, encoding="utf-8")
    p = thematica.init_project(db_url, "study", actor="pi")
    p.documents.import_files([tmp_path / "p3.txt", tmp_path / "p4.txt"])
    yield p
    p.close()


def texts(p: Any) -> dict[str, str]:
    with p.db.read() as conn:
        return dict(conn.execute(select(t.document.c.name, t.document.c.text)).all())


def expected(old: str, start: int, end: int, replaced: list[tuple[int, int, str]]) -> str:
    """The coded words with each replaced span given its placeholder (a coding that begins or
    ends inside a replaced span comes to cover all of the placeholder)."""
    for s, e, _ in replaced:
        if s < start < e:
            start = s
        if s < end < e:
            end = e
    out, at = [], start
    for s, e, new in sorted(replaced):
        if start <= s and e <= end:
            out.append(old[at:s] + new)
            at = e
    return "".join(out) + old[at:end]


def test_real_engine_commit_keeps_every_coded_passage(study: Any) -> None:
    p = study
    p.deid.add_name("Dr Smith", placeholder="[my doctor]")
    p.codebook.add("Supervision")
    p.codebook.add("Team")
    angela = P3.index("Angela Martinez")
    codings = {
        "exactly-a-name": ("ana", "Supervision", angela, angela + len("Angela Martinez")),
        "sentence": (
            "ben",
            "Supervision",
            P3.index("My supervisor"),
            P3.index("naloxone.") + len("naloxone."),
        ),
        "plain": ("ana", "Team", *(lambda s: (s, s + 25))(P3.index("Who else was on the team?"))),
        "turn": ("ben", "Team", P3.index("Mostly"), len(P3) - 1),
        "inside-name": ("ana", "Team", P3.index("Chen and me"), P3.index(" and me")),
    }
    ids = {k: p.coding.apply("p3", code, s, e, coder=c) for k, (c, code, s, e) in codings.items()}
    before = texts(p)
    report = p.deid.detect()
    assert report.proposed >= 10
    assert before == texts(p)  # nothing changes before commit
    rows = p.deid.list()
    found = {(r.document, r.text, r.entity_type) for r in rows}
    assert ("p3", "Angela Martinez", "PERSON") in found
    assert ("p3", "Dr Smith", "PERSON") in found
    assert ("p4", "Angela Martinez", "PERSON") in found
    # the reviewer trims a span the engine drew too wide ("Mostly David Chen")
    for r in rows:
        if r.text.startswith("Mostly "):
            p.deid.edit(r.id, start=r.start + len("Mostly "))
    p.deid.accept(all_open=True)
    accepted = {r.id: r for r in p.deid.list(status="accepted")}
    report_c = p.deid.commit()
    assert report_c.documents == 2 and report_c.replaced == len(accepted)
    after = texts(p)
    committed = {r.id: r for r in p.deid.list(status="committed")}
    assert set(committed) == set(accepted)
    for doc in ("p3", "p4"):
        for word in IDENTIFIERS:
            assert word not in after[doc], (doc, word)
    # one identifier, one placeholder, in both documents; different people, different ones
    by_term: dict[str, set[str]] = {}
    for pid, r in accepted.items():
        by_term.setdefault(r.text, set()).add(committed[pid].placeholder)
    assert all(len(v) == 1 for v in by_term.values()), by_term
    assert by_term["Dr Smith"] == {"[my doctor]"}
    assert by_term["Angela Martinez"] != by_term["David Chen"]
    assert "[my doctor]" in after["p4"]
    # every coding covers the same words, identifiers replaced
    replaced = [
        (r.start, r.end, committed[r.id].placeholder)
        for r in accepted.values()
        if r.document == "p3"
    ]
    with p.db.read() as conn:
        spans = {r.id: (r.start, r.end) for r in conn.execute(select(t.coding))}
    for key, (_c, _code, s, e) in codings.items():
        ns, ne = spans[ids[key]]
        assert after["p3"][ns:ne] == expected(P3, s, e, replaced), key
    ns, ne = spans[ids["plain"]]
    assert after["p3"][ns:ne] == "Who else was on the team?"
    assert len(p.search("Martinez")) == 0
    keyed = {r.term for r in p.deid.key()}
    assert {"Angela Martinez", "David Chen", "Dr Smith"} <= keyed


def test_real_engine_bare_cli_form_accept_all(
    tmp_path: Path, engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``thematica deid p4 --accept-all``, in process, with the real engine (which leaves a
    title such as "Dr" outside the name unless the name is a known one)."""
    import contextlib
    import io

    from thematica.cli.main import run

    db = str(tmp_path / "cli.db")
    (tmp_path / "p4.txt").write_text(P4, encoding="utf-8")
    with thematica.init_project(db, "study", actor="pi") as p:
        p.documents.import_files([tmp_path / "p4.txt"])
    monkeypatch.setenv("THEMATICA_USER", "pi")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run(["deid", "p4", "--accept-all", "--db", db])
    assert code == 0, err.getvalue()
    assert "replaced 2 identifier(s) in 1 document(s)" in err.getvalue()
    with thematica.open_project(db, actor="pi") as p:
        assert texts(p)["p4"] == (
            "Interviewer: What helps you keep going?\n"
            "Participant 4: [person 1] checks in on us every week, and Dr [person 2] too.\n"
        )
