"""The documents API: the overview with each coder's progress (blind coding respected), one
document, the coder's status, and importing uploaded files as a job (owners only, size limit,
bad files, file names that try to leave the upload folder)."""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import CODER_A, CODER_B, OWNER, VIEWER
from thematica.store import schema as t

P01 = "P01-interview"


# -- helpers -----------------------------------------------------------------------------------


def _alex_on_p01_by_hand(web: Any) -> tuple[int, int, int]:
    """alex's codings on P01, the turns they touch, and P01's turns: counted here from the
    stored rows (SQL for the count, a plain double loop for the overlap)."""
    with web.project.db.read() as conn:
        n = conn.scalar(
            select(func.count())
            .select_from(t.coding)
            .join(t.coder, t.coder.c.id == t.coding.c.coder_id)
            .join(t.document, t.document.c.id == t.coding.c.document_id)
            .where(t.coder.c.name == CODER_A, t.document.c.name == P01)
        )
    spans = [(c.start, c.end) for c in web.project.coding.list(coder=CODER_A, document=P01)]
    turns = web.project.documents.get(P01).turns
    touched = sum(1 for tr in turns if any(s < tr.end and e > tr.start for s, e in spans))
    return int(n or 0), touched, len(turns)


def _row(overview: dict[str, Any], document: str) -> dict[str, Any]:
    return next(r for r in overview["documents"] if r["document"] == document)


def _coder(row: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in row["coders"] if c["coder"] == name)


def _count_documents(web: Any) -> int:
    return len(web.project.documents.list())


def _upload(client: Any, pid: int, files: list[tuple[str, bytes]], **fields: str) -> Any:
    return client.post(
        f"/api/p/{pid}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        data=fields,
    )


def _wait(client: Any, pid: int, job: int, seconds: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        r = client.get(f"/api/p/{pid}/jobs/{job}")
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("done", "failed"):
            return dict(r.json())
        assert time.monotonic() < deadline, f"job {job} still running: {r.json()}"
        time.sleep(0.05)


def _docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the server's temporary upload folders are made in, so a test can see that
    none is left behind."""
    folder = tmp_path / "server-tmp" / "uploads"
    folder.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# -- the overview ------------------------------------------------------------------------------


def test_overview_counts_coverage_size_and_case_worked_out_by_hand(web: Any) -> None:
    n, touched, turns = _alex_on_p01_by_hand(web)
    assert n > 0 and 0 < touched < turns  # the demo: alex coded some of P01, not all
    r = web.client(OWNER).get(f"/api/p/{web.pid}/documents")
    assert r.status_code == 200
    data = r.json()
    assert [d["document"] for d in data["documents"]] == [f"P0{i}-interview" for i in range(1, 8)]
    row = _row(data, P01)
    alex = _coder(row, CODER_A)
    assert alex["codings"] == n
    assert alex["coded_turns"] == touched
    assert alex["coverage"] == pytest.approx(touched / turns)
    assert row["turns"] == turns
    text = web.project.documents.get(P01).text
    assert row["characters"] == len(text)
    assert row["words"] == sum(1 for tok in text.split() if any(ch.isalnum() for ch in tok))
    # from participants.csv and the transcript, read by hand
    assert row["case"] == "P01"
    assert row["attributes"]["employer_type"] == "Syringe services program"
    assert row["attributes"]["time_in_role"] == "1-3 years"
    assert row["speakers"] == ["Interviewer", "Participant 1"]
    names = [c["name"] for c in data["coders"]]
    assert names == [CODER_A, CODER_B]  # the two coders; olivia owns, vera views
    assert all(c["readable"] for c in data["coders"])  # an owner reads every layer
    # the totals: every coding of each layer (114 each in the demo, counted here by SQL)
    with web.project.db.read() as conn:
        total = conn.scalar(
            select(func.count())
            .select_from(t.coding)
            .join(t.coder, t.coder.c.id == t.coding.c.coder_id)
            .where(t.coder.c.name == CODER_A, t.coding.c.project_id == web.pid)
        )
    assert data["coders"][0]["codings"] == total


def test_a_blind_coder_sees_counts_not_the_other_coders_passages(web: Any) -> None:
    n = _alex_on_p01_by_hand(web)[0]
    sam = web.client(CODER_B)
    data = sam.get(f"/api/p/{web.pid}/documents").json()
    columns = {c["name"]: c for c in data["coders"]}
    assert columns[CODER_A]["readable"] is False and columns[CODER_A]["mine"] is False
    assert columns[CODER_B]["readable"] is True and columns[CODER_B]["mine"] is True
    alex = _coder(_row(data, P01), CODER_A)
    assert alex["codings"] == n  # counts are not content
    assert alex["coverage"] is None and alex["coded_turns"] is None  # which turns would be
    own = _coder(_row(data, P01), CODER_B)
    assert own["coverage"] is not None
    # ...and the codings themselves stay closed to sam
    from thematica.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        web.as_user(CODER_B).coding.list(coder=CODER_A, document=P01)
    r = sam.get(f"/api/p/{web.pid}/codings", params={"document": P01, "coder": CODER_A})
    if r.status_code != 404 or r.json().get("kind") != "HTTPError":  # the codings API exists
        assert r.status_code == 403, r.text
        assert "blind" in r.json()["error"]
    # the page carries the same data: no coverage of alex's layer in it for sam
    html = sam.get(f"/p/{web.pid}/documents").text
    assert '"coded_turns": null' in html or '"coded_turns":null' in html
    # a viewer sees the counts too
    vera = web.client(VIEWER).get(f"/api/p/{web.pid}/documents").json()
    assert _coder(_row(vera, P01), CODER_A)["codings"] == n
    assert _coder(_row(vera, P01), CODER_A)["coverage"] is None


def test_one_document_with_text_turns_case_and_speakers(web: Any) -> None:
    r = web.client(VIEWER).get(f"/api/p/{web.pid}/documents/{P01}")
    assert r.status_code == 200
    doc = r.json()
    record = web.project.documents.get(P01)
    assert doc["text"] == record.text
    assert doc["case"] == "P01"
    assert doc["speakers"] == ["Interviewer", "Participant 1"]
    assert len(doc["turns"]) == len(record.turns)
    first = doc["turns"][1]
    assert doc["text"][first["start"] : first["end"]].startswith(first["speaker"])
    missing = web.client(VIEWER).get(f"/api/p/{web.pid}/documents/P99-nothing")
    assert missing.status_code == 404 and "P99-nothing" in missing.json()["error"]
    # a document of a project one is not in is not found either
    assert web.client(OWNER).get(f"/api/p/{web.other_pid}/documents").status_code == 404


# -- status -------------------------------------------------------------------------------------


def _statuses(web: Any) -> dict[tuple[str, str], str]:
    with web.project.db.read() as conn:
        rows = conn.execute(
            select(
                t.document.c.name, t.document_progress.c.coder, t.document_progress.c.status
            ).join(t.document, t.document.c.id == t.document_progress.c.document_id)
        ).all()
    return {(d, c): s for d, c, s in rows}


def test_a_coder_marks_their_own_progress_and_only_theirs(web: Any) -> None:
    alex = web.client(CODER_A)
    url = f"/api/p/{web.pid}/documents/{P01}/status"
    r = alex.put(url, json={"status": "done"})
    assert r.status_code == 200, r.text
    assert r.json() == {"document": P01, "coder": CODER_A, "status": "done"}
    assert _statuses(web) == {(P01, CODER_A): "done"}
    # everyone sees it (a status is not content), sam included while blind
    sam_view = web.client(CODER_B).get(f"/api/p/{web.pid}/documents").json()
    assert _coder(_row(sam_view, P01), CODER_A)["status"] == "done"
    assert next(c for c in sam_view["coders"] if c["name"] == CODER_A)["documents_done"] == 1
    # alex cannot set sam's
    r = alex.put(url, json={"status": "done", "coder": CODER_B})
    assert r.status_code == 403
    assert r.json()["error"] == (
        "alex (coder) may not set the status of coder layer 'sam' in project 'demo'"
    )
    # nonsense is refused in one line, and nothing changes
    r = alex.put(url, json={"status": "finished-ish"})
    assert r.status_code == 400 and "\n" not in r.json()["error"]
    # a viewer may not mark anything
    assert web.client(VIEWER).put(url, json={"status": "done"}).status_code == 403
    assert _statuses(web) == {(P01, CODER_A): "done"}
    # back to in progress, then cleared
    assert alex.put(url, json={"status": "in progress"}).json()["status"] == "in progress"
    assert _statuses(web) == {(P01, CODER_A): "started"}
    assert alex.put(url, json={"status": "not started"}).json()["status"] is None
    assert _statuses(web) == {}
    # the owner may set a coder's status (owners write any layer)
    r = web.client(OWNER).put(url, json={"status": "done", "coder": CODER_B})
    assert r.status_code == 200 and _statuses(web) == {(P01, CODER_B): "done"}
    # each change is in the audit log, made by the signed-in person
    log = web.project.audit_log(10, action="document_status").rows
    assert [(e.actor, e.detail["coder"], e.detail["new"]) for e in log] == [
        (OWNER, CODER_B, "done"),
        (CODER_A, CODER_A, None),
        (CODER_A, CODER_A, "in progress"),
        (CODER_A, CODER_A, "done"),
    ]


# -- upload ------------------------------------------------------------------------------------


def test_upload_a_text_and_a_word_file_imports_both(web: Any, uploads: Path) -> None:
    before = _count_documents(web)
    owner = web.client(OWNER)
    files = [
        ("P08-interview.txt", b"Interviewer: How was the week?\nP08: Long, but good.\n"),
        ("P09-interview.docx", _docx(["Interviewer: What helps?", "P09: The team, mostly."])),
    ]
    r = _upload(owner, web.pid, files)
    assert r.status_code == 202, r.text
    job = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "done", job
    assert job["message"].startswith("Imported 2 documents: P08-interview, P09-interview")
    assert _count_documents(web) == before + 2
    assert "The team, mostly." in web.project.documents.get("P09-interview").text
    assert web.project.documents.get("P08-interview").case == "P08"  # the project's pattern
    assert list(uploads.iterdir()) == []  # the temporary folder went with the job
    entry = web.project.audit_log(1, action="import").rows[0]
    assert entry.actor == OWNER and entry.detail["documents"] == ["P08-interview", "P09-interview"]


def test_upload_over_the_limit_is_refused_early_and_stores_nothing(web: Any, uploads: Path) -> None:
    web.app.state.max_upload_bytes = 2000
    before = _count_documents(web)
    owner = web.client(OWNER)
    r = _upload(owner, web.pid, [("big.txt", b"Interviewer: x\n" * 400)])
    assert r.status_code == 413
    body = r.json()
    assert body["kind"] == "TooLarge" and "\n" not in body["error"]
    assert "at most" in body["error"]
    # a client that does not say how much it sends is cut off while it streams
    boundary = "thematica-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()

    def chunks() -> Any:
        yield head
        for _ in range(10):
            yield b"Interviewer: x\n" * 50
        yield f"\r\n--{boundary}--\r\n".encode()

    r = owner.post(
        f"/api/p/{web.pid}/documents",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413 and r.json()["kind"] == "TooLarge"
    assert _count_documents(web) == before
    assert list(uploads.iterdir()) == []
    assert owner.get(f"/api/p/{web.pid}/jobs").json() == []  # no job was started


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("broken.docx", b"PK\x03\x04 this is not really a Word file", "broken.docx"),
        ("latin.txt", b"Interviewer: caf\xe9 \x81\x8d\x8f\n", "cannot decode"),
        ("junk.txt", bytes(range(256)) * 8, "binary"),
        ("notes.exe", b"MZ\x90\x00", "unsupported file type"),
    ],
)
def test_a_bad_file_fails_the_import_in_one_line_and_changes_nothing(
    web: Any, uploads: Path, name: str, data: bytes, words: str
) -> None:
    before = _count_documents(web)
    owner = web.client(OWNER)
    good = ("P10-interview.txt", b"Interviewer: Hello.\nP10: Hi.\n")
    r = _upload(owner, web.pid, [good, (name, data)])
    assert r.status_code == 202, r.text
    job = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "failed"
    assert "\n" not in job["message"] and words in job["message"]
    assert name in job["message"]
    assert str(uploads) not in job["message"]  # no server path in what the user reads
    assert _count_documents(web) == before  # the good file did not land either
    assert list(uploads.iterdir()) == []
    # with skip_bad the good file is imported and the bad one reported
    r = _upload(owner, web.pid, [good, (name, data)], skip_bad="1")
    job = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "done", job
    assert job["message"].startswith("Imported 1 document: P10-interview")
    assert f"skipped 1: {name}" in job["message"]
    assert _count_documents(web) == before + 1


@pytest.mark.parametrize("user", [CODER_A, VIEWER])
def test_only_owners_upload(web: Any, uploads: Path, user: str) -> None:
    before = _count_documents(web)
    r = _upload(web.client(user), web.pid, [("P11.txt", b"Interviewer: hi\n")])
    assert r.status_code == 403
    assert "may not import" in r.json()["error"]
    assert _count_documents(web) == before
    assert list(uploads.iterdir()) == []  # refused before a byte was written
    # a signed-out client is asked to sign in; a non-member does not see the project
    assert _upload(web.client(), web.pid, [("P11.txt", b"x")]).status_code == 401


def test_a_file_name_cannot_leave_the_upload_folder(web: Any, uploads: Path) -> None:
    owner = web.client(OWNER)
    escape = uploads.parent.parent / "etc" / "passwd.txt"  # where ../../etc/passwd.txt points
    r = _upload(owner, web.pid, [("../../etc/passwd.txt", b"Interviewer: where am I?\n")])
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["passwd.txt"]
    job = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "done", job
    assert not escape.exists() and not (uploads.parent / "etc").exists()
    assert "where am I?" in web.project.documents.get("passwd").text
    assert list(uploads.iterdir()) == []


def test_file_names_are_sanitised() -> None:
    from thematica.web.api.documents import safe_file_name

    taken: set[str] = set()
    assert safe_file_name("../../etc/passwd.txt", taken) == "passwd.txt"
    assert safe_file_name("C:\\Users\\me\\P01.docx", taken) == "P01.docx"
    assert safe_file_name("..", taken) == "upload"
    assert safe_file_name(".bashrc.txt", taken) == "bashrc.txt"
    assert safe_file_name("a\x00b\n.txt", taken) == "ab.txt"
    assert safe_file_name("passwd.txt", taken) == "passwd (2).txt"  # taken above
    assert safe_file_name("PASSWD.TXT", taken) == "PASSWD (3).TXT"
    long = safe_file_name("x" * 500 + ".txt", taken)
    assert len(long) == 180 and long.endswith(".txt")


def test_upload_form_mistakes_are_one_line_400s(web: Any, uploads: Path) -> None:
    owner = web.client(OWNER)
    url = f"/api/p/{web.pid}/documents"
    r = owner.post(url, data={"case_pattern": "(P\\d+)"}, files=[("files", ("", b""))])
    assert r.status_code == 400 and r.json()["error"] == "choose at least one file to import"
    r = _upload(owner, web.pid, [("a.txt", b"x")], case_pattern="(unclosed")
    assert r.status_code == 400 and "case pattern" in r.json()["error"]
    r = owner.post(url, json={"files": []})
    assert r.status_code == 400 and "multipart" in r.json()["error"]
    r = _upload(owner, web.pid, [("a.txt", b"x")], surprise="1")
    assert r.status_code == 400 and "surprise" in r.json()["error"]
    assert list(uploads.iterdir()) == []
    assert owner.get(f"/api/p/{web.pid}/jobs").json() == []


def test_upload_from_a_plain_form_with_the_token_as_a_field(web: Any, uploads: Path) -> None:
    """A form posted without script sends the CSRF token as a field: the sign-in check reads
    the form first, and the upload takes the files from it."""
    import re

    client = web.client(OWNER, csrf=False)
    html = client.get(f"/p/{web.pid}/documents").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert token is not None
    files = [("P12-interview.txt", b"Interviewer: Hello.\nP12: Hi there.\n")]
    refused = _upload(client, web.pid, files)  # no token at all
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    r = _upload(client, web.pid, files, csrf=token.group(1))
    assert r.status_code == 202, r.text
    assert _wait(client, web.pid, r.json()["job"])["status"] == "done"
    assert "Hi there." in web.project.documents.get("P12-interview").text
    assert list(uploads.iterdir()) == []
