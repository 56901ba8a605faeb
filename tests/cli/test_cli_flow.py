"""End to end through the real command: init -> codebook -> cases -> import -> code -> read.

The same flow runs on a SQLite file and on a PostgreSQL URL given to --db.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from cli_helpers import ok

P01 = (
    "Interviewer: How is staffing?\n"
    "\n"
    "Participant 1: We are two people short and my supervisor is great.\n"
)
P02 = "Interviewer: And pay?\n\nP2: Pay is low. Staffing is fine.\n"
PEOPLE = (
    "participant_id,role,lived_experience,time_in_role\n"
    "P01,Outreach,yes,<1 year\n"
    "P02,Peer,no,>5 years\n"
    "P03,Peer,,1-3 years\n"
)
CODINGS = (
    "document,code,quote\n"
    "P01-interview,Staffing,We are two people short\n"
    "P01-interview,Receiving affirmation and care from supervisors,my supervisor is great\n"
    "P02-interview,Compensation and benefits,Pay is low.\n"
)
ORDER = "time_in_role=<1 year;1-3 years;3-5 years;>5 years"


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "P01-interview.txt").write_text(P01, encoding="utf-8")
    (folder / "P02-interview.txt").write_text(P02, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "codings.csv").write_text(CODINGS, encoding="utf-8")
    return folder


def _build(cli: Callable[..., Any], db: list[str], tmp_path: Path) -> None:
    """init -> codebook template -> cases import -> import (quiet) -> code --from."""
    folder = _inputs(tmp_path)
    init = ok(cli("init", *db, "--name", "study"))
    assert "Created project study" in init.stderr
    template = ok(cli("codebook", "template", "sem-harm-reduction-workforce", *db))
    assert "21 code(s) added" in template.stderr
    cases = ok(
        cli(
            "cases",
            "import",
            tmp_path / "people.csv",
            *db,
            "--id-column",
            "participant_id",
            "--order",
            ORDER,
        )
    )
    assert "Imported 3 new" in cases.stderr
    imported = ok(cli("import", *db, folder, "--case-pattern", r"(P\d+)", "--quiet"))
    assert (imported.stdout, imported.stderr) == ("", "")  # --quiet: nothing on success
    coded = ok(cli("code", *db, "--coder", "alex", "--from", tmp_path / "codings.csv"))
    assert "alex: applied 3 coding(s) in 2 document(s)" in coded.stderr


EXCERPT = {
    "document": "P01-interview",
    "case": "P01",
    "speaker": "Participant 1",
    "start": 46,  # by hand: "Interviewer: How is staffing?" is 29, two newlines, 15 for the label
    "end": 69,
    "text": "We are two people short",
    "attribution": "\u2013 Participant 1",
    "codes": ["Organizational/Receiving resources and benefits from the organization/Staffing"],
}
TABLE1 = [
    ("role", "Outreach", 1, 33.3),
    ("role", "Peer", 2, 66.7),
    ("lived_experience", "yes", 1, 33.3),
    ("lived_experience", "no", 1, 33.3),
    ("lived_experience", None, 1, 33.3),
    ("time_in_role", "<1 year", 1, 33.3),
    ("time_in_role", "1-3 years", 1, 33.3),
    ("time_in_role", "3-5 years", 0, 0.0),
    ("time_in_role", ">5 years", 1, 33.3),
]


def test_flow_on_postgresql(
    cli: Callable[..., Any], cli_many: Callable[..., Any], pg_url: str, tmp_path: Path
) -> None:
    db = ["--db", pg_url]
    _build(cli, db, tmp_path)
    q_json, q_where, s_json, d_json = cli_many(
        [
            ("query", *db, "Staffing", "--coder", "alex", "--format", "json"),
            (
                "query",
                *db,
                "Organizational",
                "--coder",
                "alex",
                "-f",
                "md",
                "--where",
                "lived_experience = no",
            ),
            ("search", *db, "supervisor*", "--format", "json"),
            ("cases", "describe", *db, "--format", "json"),
        ]
    )
    assert json.loads(ok(q_json).stdout) == [{**EXCERPT, "coders": ["alex"]}]
    assert "> Pay is low.\n>\n> \u2013 Participant 2" in ok(q_where).stdout
    assert "We are two" not in q_where.stdout
    assert [(h["start"], h["end"], h["match"]) for h in json.loads(ok(s_json).stdout)] == [
        (77, 87, "supervisor")
    ]
    table1 = json.loads(ok(d_json).stdout)
    assert [(r["attribute"], r["value"], r["n"], r["percent"]) for r in table1] == TABLE1


def test_full_flow_on_sqlite(
    cli: Callable[..., Any], cli_many: Callable[..., Any], tmp_path: Path
) -> None:
    db = ["--db", str(tmp_path / "study.db")]
    _build(cli, db, tmp_path)
    exports = tmp_path / "out"
    exports.mkdir()
    table1_docx = exports / "table1.docx"
    (q_json, q_csv, q_md, q_where, s_json, d_json, d_docx, e_yaml, e_csv, log, docs) = cli_many(
        [
            ("query", *db, "Staffing", "--coder", "alex", "--format", "json"),
            ("query", *db, "Organizational", "--coder", "alex", "--format", "csv"),
            ("query", *db, "Organizational", "--coder", "alex", "--format", "md"),
            (
                "query",
                *db,
                "Organizational",
                "--coder",
                "alex",
                "-f",
                "json",
                "--where",
                "lived_experience = no",
            ),
            ("search", *db, "supervisor*", "--format", "json"),
            ("cases", "describe", *db, "--format", "json"),
            ("cases", "describe", *db, "--format", "docx", "--output", table1_docx),
            ("codebook", "export", exports / "book.yaml", *db),
            ("codebook", "export", exports / "book.csv", *db),
            ("log", *db, "--format", "json"),
            ("documents", "list", *db, "--format", "json"),
        ]
    )
    assert json.loads(ok(q_json).stdout) == [{**EXCERPT, "coders": ["alex"]}]
    # query as CSV: the whole Organizational subtree, in document order
    rows = list(csv.DictReader(io.StringIO(ok(q_csv).stdout)))
    assert [(r["document"], r["start"], r["end"], r["text"]) for r in rows] == [
        ("P01-interview", "46", "69", "We are two people short"),
        ("P01-interview", "74", "96", "my supervisor is great"),
        ("P02-interview", "27", "38", "Pay is low."),
    ]
    # query as Markdown: block quotes attributed as a paper does
    md = ok(q_md).stdout
    assert "> We are two people short\n>\n> \u2013 Participant 1" in md
    assert "> Pay is low.\n>\n> \u2013 Participant 2" in md
    # --where keeps only cases with lived_experience = no (P02)
    assert [e["text"] for e in json.loads(ok(q_where).stdout)] == ["Pay is low."]
    # search: offsets slice the stored text to the matched word
    (hit,) = json.loads(ok(s_json).stdout)
    assert (hit["document"], hit["start"], hit["end"], hit["match"]) == (
        "P01-interview",
        77,
        87,
        "supervisor",
    )
    assert P01[hit["start"] : hit["end"]] == "supervisor"

    # Table 1 as JSON: N = 3, so one case is 33.3 % and two are 66.7 %
    table1 = json.loads(ok(d_json).stdout)
    assert all(set(row) == {"attribute", "value", "n", "percent"} for row in table1)
    assert [(r["attribute"], r["value"], r["n"], r["percent"]) for r in table1] == TABLE1
    # ... and as a Word table
    ok(d_docx)
    import docx

    cells = [[c.text for c in row.cells] for row in docx.Document(str(table1_docx)).tables[0].rows]
    flat = [" | ".join(row) for row in cells]
    assert any("Peer" in line and "2" in line and "66.7" in line for line in flat), flat
    assert any("Missing" in line and "33.3" in line for line in flat), flat

    # codebook exports
    ok(e_yaml)
    ok(e_csv)
    book = yaml.safe_load((exports / "book.yaml").read_text(encoding="utf-8"))
    assert [c["name"] for c in book["codes"]] == [
        "Individual",
        "Interpersonal",
        "Organizational",
        "Community",
    ]
    book_rows = list(csv.DictReader(io.StringIO((exports / "book.csv").read_text("utf-8"))))
    assert len(book_rows) == 21
    assert book_rows[0]["path"] == "Individual"
    assert book_rows[0]["sem_level"] == "individual"

    # the audit log names every write, newest first
    actions = [entry["action"] for entry in json.loads(ok(log).stdout)]
    assert actions == ["code", "import", "import_cases", "import_codebook", "init"]
    listed = {d["name"]: (d["case"], d["codings"]) for d in json.loads(ok(docs).stdout)}
    assert listed == {"P01-interview": ("P01", 2), "P02-interview": ("P02", 1)}
