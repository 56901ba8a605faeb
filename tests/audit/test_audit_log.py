"""Reading the audit log: filters by who, what and since when, paging, and ``thematica log``'s
one readable line per change (times UTC)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import thematica
from thematica.cli.log_format import describe
from thematica.core.errors import InputError
from thematica.core.timespans import parse_since

TEXT = "We are two people short and pay is low.\n"


@pytest.fixture
def logged(db_url: str, tmp_path: Path) -> Any:
    """pat (owner) imports, adds codes, makes sam a coder and changes a setting; sam codes.
    Newest first the log reads: code (sam), settings, member_add, add_code x2, import, init."""
    p = thematica.init_project(db_url, "study", actor="pat")
    doc = tmp_path / "P1.txt"
    doc.write_text(TEXT, "utf-8")
    p.documents.import_files([doc])
    p.codebook.add("Staffing")
    p.codebook.add("Pay")
    p.members.add("sam", "coder")
    p.configure(case_pattern=r"(P\d+)")
    with thematica.open_project(p.db.url, actor="sam") as sam:
        sam.coding.apply("P1", "Staffing", 7, 23, coder="sam")
    yield p
    p.close()


def actions(table: Any) -> list[str]:
    return [r.action for r in table]


def test_filters(logged: Any) -> None:
    everything = ["code", "settings", "member_add", "add_code", "add_code", "import", "init"]
    assert actions(logged.audit_log(limit=None)) == everything
    assert actions(logged.audit_log(actor="sam")) == ["code"]
    assert actions(logged.audit_log(actor="pat")) == everything[1:]
    assert actions(logged.audit_log(actor=["sam", "nobody"])) == ["code"]
    assert actions(logged.audit_log(action="add_code")) == ["add_code", "add_code"]
    assert actions(logged.audit_log(action="member*,settings")) == ["settings", "member_add"]
    assert actions(logged.audit_log(action=["init", "code"])) == ["code", "init"]
    assert actions(logged.audit_log(action="add")) == []  # exact unless it ends in *
    assert actions(logged.audit_log(actor="pat", action="i*")) == ["import", "init"]
    # paging: newest first, limit and offset
    assert actions(logged.audit_log(limit=2, offset=1)) == ["settings", "member_add"]
    assert actions(logged.audit_log(limit=2, offset=6)) == ["init"]


def test_since(logged: Any) -> None:
    now = datetime.now(UTC)
    assert len(logged.audit_log(limit=None, since="1h")) == 7
    assert len(logged.audit_log(limit=None, since="2000-01-01")) == 7
    assert len(logged.audit_log(limit=None, since=now - timedelta(minutes=10))) == 7
    assert len(logged.audit_log(limit=None, since=now + timedelta(minutes=10))) == 0
    tomorrow = (now + timedelta(days=1)).date().isoformat()
    assert len(logged.audit_log(limit=None, since=tomorrow)) == 0
    # a naive datetime is UTC: an hour ahead of now in UTC finds nothing
    ahead = (now + timedelta(hours=1)).replace(tzinfo=None)
    assert len(logged.audit_log(limit=None, since=ahead)) == 0
    # the stored time is UTC, to the second
    at = datetime.fromisoformat(logged.audit_log(limit=1).rows[0].at)
    assert at.tzinfo is not None and abs((at - now).total_seconds()) < 600


def test_parse_since() -> None:
    now = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 12, 6, 5, 30, tzinfo=UTC)
    assert parse_since("3d", now) == datetime(2026, 12, 3, 7, 30, tzinfo=UTC)
    assert parse_since("45m", now) == datetime(2026, 12, 6, 6, 45, tzinfo=UTC)
    assert parse_since("1w", now) == datetime(2026, 11, 29, 7, 30, tzinfo=UTC)
    assert parse_since("2026-12-01", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_since("2026-12-01T08:15", now) == datetime(2026, 12, 1, 8, 15, tzinfo=UTC)
    # a zone given is honoured: 09:00 in UTC+2 is 07:00 UTC
    assert parse_since("2026-12-01T09:00+02:00", now) == datetime(2026, 12, 1, 7, tzinfo=UTC)
    with pytest.raises(InputError, match="since 'last week' is neither a date/time"):
        parse_since("last week", now)


def test_describe_each_kind_of_change() -> None:
    single = {"coder": "sam", "document": "P01-interview", "code": "Staffing", "start": 120}
    assert (
        describe("code", {**single, "end": 180})
        == "coded P01-interview [120, 180) Staffing (layer sam)"
    )
    bulk = {"coder": "alex", "applied": 114, "duplicates": 2, "source": "a.csv", "batch": 3}
    assert describe("code", bulk) == (
        "coded 114 passages (layer alex) from a.csv, batch 3; 2 already there"
    )
    rename = {"path": "Staffing", "changes": {"name": ["Staffing", "Staff"]}}
    assert describe("update_code", rename) == "edited code Staffing: name 'Staffing' → 'Staff'"
    attr = {"case": "P01", "attribute": "setting", "old": None, "new": "rural"}
    assert describe("set_attribute", attr) == "set P01.setting: (none) → 'rural'"
    settings = {"changes": {"blind": [True, False]}}
    assert describe("settings", settings) == "changed settings: blind 'True' → 'False'"
    role = {"user": "sam", "old": "coder", "new": "owner"}
    assert describe("member_role", role) == "changed sam's role: coder → owner"
    assert describe(
        "coder_kind", {"coder": "x", "old": "human", "new": "ai", "on_behalf_of": "lead"}
    ) == ("marked coder x as ai (was human) (on behalf of lead)")
    # an action without a wording still reads: its name and its detail
    assert describe("future_thing", {"a": 1}) == "future_thing (a=1)"


def test_log_command(logged: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from thematica.cli.main import run

    db = ["--db", str(logged.db.url)]
    assert run(["--as", "pat", "log", *db, "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert len(lines) == 3
    assert re.fullmatch(stamp + r"  sam  coded P1 \[7, 23\) Staffing \(layer sam\)", lines[0])
    assert re.fullmatch(
        stamp + r"  pat  changed settings: case_pattern \(none\) → '\(P\\d\+\)'", lines[1]
    )
    assert re.fullmatch(stamp + r"  pat  added member sam as coder", lines[2])

    assert (
        run(["--as", "pat", "log", *db, "--actor", "pat", "--action", "add*", "--since", "1d"]) == 0
    )
    assert [line[18:] for line in capsys.readouterr().out.splitlines()] == [
        "pat  added code Pay",
        "pat  added code Staffing",
    ]
    assert run(["--as", "pat", "log", *db, "--action", "code", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["actor"], entry["action"]) == ("sam", "code")
    assert {k: entry["detail"][k] for k in ("coder", "document", "code", "start", "end")} == {
        "coder": "sam",
        "document": "P1",
        "code": "Staffing",
        "start": 7,
        "end": 23,
    }
    assert run(["--as", "pat", "log", *db, "--since", "soon"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: since 'soon' is neither") and err.count("\n") == 1
