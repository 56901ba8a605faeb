"""Recordings through the web API: an owner uploads audio (with or without transcripts) and a
job transcribes it, reporting seconds of audio; bad recordings and settings are one-line 4xx
answers with nothing stored; only owners upload, with the CSRF token; timed documents download
as WebVTT or SubRip captions, and the documents list says which are timed.

The speech is espeak-ng's (tests/speech/speech_clips.py), made once per module; each backend
transcribes it once (tiny.en, a few seconds).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import CODER_A, OWNER, VIEWER

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "speech"))
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, silence, synthesize

#: two short turns in two voices
SCRIPT = [
    (INTERVIEWER, "How long have you worked in outreach?"),
    (PARTICIPANT, "About six years now, mostly on the mobile van."),
]
#: the pause synthesize() leaves after the last turn (its default), in seconds
TAIL = 1.2
#: a caption file whose cue times are known: two speakers, three cues
VTT = """WEBVTT

00:00:01.000 --> 00:00:04.500
<v Interviewer>What brought you to the van?

00:00:05.000 --> 00:00:09.250
<v P11>A friend told me about it.

00:01:02.000 --> 00:01:03.000
<v P11>That was years ago.
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return synthesize(tmp_path_factory.mktemp("speech"), SCRIPT, name="P10-outreach")


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return silence(tmp_path_factory.mktemp("quiet"), 3.0, name="empty-room")


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the server makes its temporary upload folders (to see none is left)."""
    folder = tmp_path / "server-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _send(client: Any, pid: int, files: list[tuple[str, bytes]], **fields: str) -> Any:
    return client.post(
        f"/api/p/{pid}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        data=fields,
    )


def _wait(client: Any, pid: int, job: int, seconds: float = 180) -> tuple[dict[str, Any], list]:
    """The finished job, and every (done, total, message) seen while it ran."""
    deadline, seen = time.monotonic() + seconds, []
    while True:
        r = client.get(f"/api/p/{pid}/jobs/{job}")
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] in ("done", "failed"):
            return body, seen
        seen.append((body["done"], body["total"], body["message"]))
        assert time.monotonic() < deadline, f"job {job} still running: {body}"
        time.sleep(0.05)


def _names(web: Any) -> set[str]:
    return {row.name for row in web.project.documents.list()}


def _jobs(client: Any, pid: int) -> list[Any]:
    return list(client.get(f"/api/p/{pid}/jobs").json())


# -- a recording becomes a document ------------------------------------------------------------
def test_a_recording_and_a_transcript_uploaded_together_become_documents(
    web: Any, clip: Clip, uploads: Path
) -> None:
    owner = web.client(OWNER)
    before = _names(web)
    transcript = b"Interviewer: And the weekends?\nP12: Quiet, mostly.\n"
    r = _send(
        owner,
        web.pid,
        [("P10-outreach.wav", clip.path.read_bytes()), ("P12-notes.txt", transcript)],
        model="tiny.en",
        language="en",
        speakers="2",
    )
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["P10-outreach.wav", "P12-notes.txt"]
    assert r.json()["recordings"] == ["P10-outreach.wav"]
    job, seen = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "done", job
    assert job["kind"] == "transcribe"
    # progress in seconds of audio: the file is the turns plus the pause after the last
    length = clip.duration + TAIL
    assert abs(job["total"] - length) <= 1 and job["done"] == job["total"]
    assert all(total is None or total == job["total"] for _, total, m in seen if "transcribed" in m)
    msg = job["message"]
    assert msg.startswith("Imported 1 document: P12-notes; 1 new case (P12). Transcribed 1"), msg
    assert "Transcribed 1 recording: P10-outreach (0:0" in msg and "2 speakers" in msg, msg
    assert "\n" not in msg and "server-tmp" not in msg
    assert _names(web) == before | {"P10-outreach", "P12-notes"}
    record = web.project.documents.get("P10-outreach")
    assert record.case == "P10"  # the project's case pattern, as for a transcript
    assert len(record.turns) >= 2 and all(t.time_start is not None for t in record.turns)
    assert "six years" in record.text.lower()
    assert list(uploads.iterdir()) == []  # the temporary folder went with the job
    entry = web.project.audit_log(1, action="transcribe").rows[0]
    assert entry.actor == OWNER and entry.detail["document"] == "P10-outreach"
    # the list says which documents have times; only those download as captions
    rows = {row["document"]: row for row in owner.get(f"/api/p/{web.pid}/documents").json()[
        "documents"]}  # fmt: skip
    assert rows["P10-outreach"]["timed"] is True
    assert rows["P12-notes"]["timed"] is False and rows["P01-interview"]["timed"] is False
    vtt = owner.get(f"/api/p/{web.pid}/documents/P10-outreach/captions")
    assert vtt.status_code == 200
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert "filename*=UTF-8''P10-outreach.vtt" in vtt.headers["content-disposition"]
    assert vtt.text.startswith("WEBVTT\n") and "<v Speaker 1>" in vtt.text
    srt = owner.get(f"/api/p/{web.pid}/documents/P10-outreach/captions?format=srt")
    assert srt.headers["content-type"].startswith("application/x-subrip")
    assert srt.text.startswith("1\n00:00:0") and "," in srt.text.split("\n")[1]


def test_a_silent_recording_ends_the_job_with_the_reason_and_no_document(
    web: Any, quiet: Path, uploads: Path
) -> None:
    owner = web.client(OWNER)
    before = _names(web)
    r = _send(owner, web.pid, [("empty-room.wav", quiet.read_bytes())], model="tiny.en")
    assert r.status_code == 202, r.text
    job, _ = _wait(owner, web.pid, r.json()["job"])
    assert job["status"] == "failed"
    assert (
        job["message"]
        == "Transcribed 0 recordings; skipped empty-room.wav: no speech found (silence)."
    )
    assert _names(web) == before
    assert list(uploads.iterdir()) == []


# -- refused before anything is stored ---------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "fields", "words"),
    [
        ("broken.wav", b"RIFF\x00\x00 certainly not audio" * 20, {}, "not a readable audio file"),
        ("empty.mp3", b"", {}, "the file is empty"),
        ("@clip", None, {"model": "large-v3"}, "unknown speech model 'large-v3'"),
        ("@clip", None, {"language": "de"}, "knows only English"),
        ("@clip", None, {"model": "base", "language": "xx"}, "xx"),
        ("@clip", None, {"speakers": "0"}, "between 1 and 20, not 0"),
        ("@clip", None, {"speakers": "two"}, "from 1 to 20, not 'two'"),
    ],
)
def test_bad_recordings_and_settings_are_one_line_400s_with_nothing_stored(
    web: Any, clip: Clip, uploads: Path, name: str, data: bytes | None, fields: dict, words: str
) -> None:
    owner = web.client(OWNER)
    before = _names(web)
    upload = ("P10-outreach.wav", clip.path.read_bytes()) if name == "@clip" else (name, data)
    r = _send(owner, web.pid, [upload], **fields)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert words in error and "\n" not in error and "server-tmp" not in error, error
    assert _names(web) == before
    assert list(uploads.iterdir()) == []
    assert _jobs(owner, web.pid) == []  # refused before a job was started


def test_a_recording_over_the_length_limit_is_refused(
    web: Any, clip: Clip, uploads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thematica.intake import audio

    monkeypatch.setattr(audio, "MAX_HOURS_DEFAULT", 1 / 3600)  # one second
    owner = web.client(OWNER)
    r = _send(owner, web.pid, [("P10-outreach.wav", clip.path.read_bytes())])
    assert r.status_code == 400
    # the clip: 8.0 s of turns and 1.2 s of pause after them
    assert r.json()["error"] == (
        "P10-outreach.wav is 9 seconds long; the limit is 0.000277778 hours"
    )
    assert list(uploads.iterdir()) == [] and _jobs(owner, web.pid) == []


@pytest.mark.parametrize("user", [CODER_A, VIEWER])
def test_only_owners_upload_recordings(web: Any, clip: Clip, uploads: Path, user: str) -> None:
    before = _names(web)
    r = _send(web.client(user), web.pid, [("P10-outreach.wav", clip.path.read_bytes())])
    assert r.status_code == 403 and "\n" not in r.json()["error"]
    assert _names(web) == before and list(uploads.iterdir()) == []


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_a_recording_upload_needs_the_csrf_token(
    web: Any, clip: Clip, uploads: Path, token: str | None
) -> None:
    owner = web.client(OWNER, csrf=False)
    if token:
        owner.headers["X-CSRF-Token"] = token
    r = _send(owner, web.pid, [("P10-outreach.wav", clip.path.read_bytes())])
    assert r.status_code == 403, r.text
    assert _jobs(web.client(OWNER), web.pid) == []


# -- captions ----------------------------------------------------------------------------------
@pytest.fixture
def captioned(web: Any, tmp_path: Path) -> str:
    path = tmp_path / "P11-van.vtt"
    path.write_text(VTT, encoding="utf-8")
    web.project.documents.import_files([path])
    return "P11-van"


def test_captions_of_an_imported_caption_file_keep_its_times(web: Any, captioned: str) -> None:
    viewer = web.client(VIEWER)  # reading: any member
    r = viewer.get(f"/api/p/{web.pid}/documents/{captioned}/captions", params={"format": "srt"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-subrip; charset=utf-8"
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''P11-van.srt"
    blocks = r.text.strip().split("\n\n")
    assert blocks[0].split("\n")[:2] == ["1", "00:00:01,000 --> 00:00:04,500"]
    assert blocks[0].split("\n")[2] == "Interviewer: What brought you to the van?"
    assert r.text.count("-->") >= 3 and "00:01:03,000" in r.text
    r = viewer.get(f"/api/p/{web.pid}/documents/{captioned}/captions")
    assert r.headers["content-type"] == "text/vtt; charset=utf-8"
    assert r.text.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:04.500\n<v Interviewer>What")
    rows = viewer.get(f"/api/p/{web.pid}/documents").json()["documents"]
    assert {row["document"] for row in rows if row["timed"]} == {captioned}


def test_captions_refusals(web: Any) -> None:
    owner = web.client(OWNER)
    r = owner.get(f"/api/p/{web.pid}/documents/P01-interview/captions")
    assert r.status_code == 400
    assert r.json()["error"].startswith("P01-interview has no timestamps")
    assert "\n" not in r.json()["error"]
    r = owner.get(f"/api/p/{web.pid}/documents/P01-interview/captions?format=txt")
    assert r.status_code == 422
    r = owner.get(f"/api/p/{web.pid}/documents/no-such-doc/captions")
    assert r.status_code == 404
    assert web.client().get(f"/api/p/{web.pid}/documents/P01-interview/captions").status_code == 401
