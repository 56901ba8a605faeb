"""The documents page in a real browser: an owner chooses a recording, sets the transcription
options that appear for it, watches the job's progress and sees the new document listed with
its caption downloads. Screenshots during and after (THEMATICA_SCREENSHOTS) for people to look
at."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import OWNER, screenshot, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "speech"))
from speech_clips import INTERVIEWER, PARTICIPANT, Clip, synthesize

SCRIPT = [
    (INTERVIEWER, "What does a good day at the van look like?"),
    (PARTICIPANT, "People come by, we talk, and everyone goes home safe."),
]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return synthesize(tmp_path_factory.mktemp("speech"), SCRIPT, name="P13-van", fmt="mp3")


@pytest.fixture
def slow_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each progress report of a transcription lingers, so the page (polling) sees one: a
    ten-second clip is otherwise transcribed between two polls."""
    from thematica.services.transcription import Transcription

    transcribe = Transcription.transcribe

    def slowly(self: Any, paths: Any, **options: Any) -> Any:
        report = options["progress"]

        def lingering(done: float, total: float, name: str) -> None:
            report(done, total, name)
            if name:
                time.sleep(0.8)

        return transcribe(self, paths, **{**options, "progress": lingering})

    monkeypatch.setattr(Transcription, "transcribe", slowly)


def test_owner_uploads_a_recording_and_sees_it_transcribed(
    page: Any, web_sqlite: Any, clip: Clip, slow_progress: None
) -> None:
    sign_in(page, OWNER)
    page.goto(f"/p/{web_sqlite.pid}/documents")
    page.wait_for_selector("#documents tbody tr")
    assert page.locator(".caption-link").count() == 0  # the demo's transcripts have no times
    page.click("#import-toggle")
    assert page.locator("#transcribe-options").is_hidden()
    page.set_input_files("#import-files", str(clip.path))
    expect(page.locator("#transcribe-options")).to_be_visible()
    assert page.inner_text("#import-submit") == "Upload and transcribe"
    assert page.inner_text("#transcribe-count") == "1 recording"
    page.select_option("#transcribe-model", "tiny.en")
    page.fill("#transcribe-speakers", "2")
    page.click("#import-submit")
    expect(page.locator("#import-stage")).to_have_text("Transcribing…", timeout=20_000)
    expect(page.locator("#import-message")).to_contain_text("P13-van.mp3: 0:", timeout=60_000)
    assert page.inner_text("#import-message").endswith("of 0:10 transcribed")
    assert page.inner_text("#import-percent").endswith("%")
    shot = screenshot(page, "documents-audio-transcribing")
    assert shot.exists()
    expect(page.locator("#import-stage")).to_have_text("Transcription finished", timeout=120_000)
    message = page.inner_text("#import-message")
    assert message.startswith("Transcribed 1 recording: P13-van (0:"), message
    row = page.locator('tr[data-document="P13-van"]')
    expect(row).to_be_visible()
    links = row.locator("a.caption-link")
    assert links.count() == 2
    href = links.first.get_attribute("href")
    assert href == f"/api/p/{web_sqlite.pid}/documents/P13-van/captions?format=vtt"
    assert row.locator("td.case").inner_text() == "P13"
    assert page.locator("#transcribe-options").is_hidden()  # the form was reset
    # the link downloads the captions
    with page.expect_download() as got:
        links.first.click()
    download = got.value
    assert download.suggested_filename == "P13-van.vtt"
    assert Path(download.path()).read_text(encoding="utf-8").startswith("WEBVTT")
    screenshot(page, "documents-audio-done")
