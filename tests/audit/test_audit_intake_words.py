"""Transcription and de-identification entries read as sentences (CLI log and web audit page)
and never need the identifiers themselves (the details hold counts only)."""

from __future__ import annotations

from thematica.cli.log_format import describe
from thematica.web.pages.audit_words import family_label, label


def test_intake_entries_in_words() -> None:
    assert describe(
        "transcribe",
        {
            "document": "P09",
            "source": "P09.mp3",
            "model": "tiny.en",
            "duration": 90.0,
            "segments": 12,
            "speakers": 2,
            "resumed_from": 30.0,
        },
    ) == (
        "transcribed P09.mp3 as P09 with tiny.en (1.5 min of audio, 12 segments, 2 speakers; "
        "resumed at 30 s)"
    )
    assert describe(
        "deid_commit",
        {
            "document": "P09",
            "replaced": 3,
            "by_type": {"PERSON": 2, "STREET_ADDRESS": 1},
            "codings_moved": 4,
            "codings_touched": 1,
            "codings_lost": 1,
        },
    ) == (
        "de-identified P09: 3 identifiers replaced (2 person, 1 street address); codings: "
        "4 moved, 1 holding an identifier, 1 wholly redacted and removed"
    )
    assert describe("deid_accept", {"accepted": 1}) == "accepted 1 proposed redaction"
    assert (
        describe("rename_speaker", {"document": "P1", "old": "Speaker 1", "new": "Ana", "turns": 3})
        == "renamed speaker Speaker 1 to Ana in P1 (3 turns)"
    )
    assert label("deid_commit") == "Document de-identified"
    assert label("transcribe") == "Recording transcribed"
    assert family_label("deid") == "Every de-identification step"
