"""Turn times in a .qdpx: the export still validates and a Thematica import brings them back."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree
from transcripts_helpers import INTERVIEW_VTT, find, import_text

import thematica
from thematica.exporters import project_files as files
from thematica.interop.refi_turns import turns_from_extra
from thematica.services.interop import import_qdpx

NS = "{urn:QDA-XML:project:1.0}"


def _qde(path: Path) -> Any:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


def test_timed_turns_survive_a_qdpx_round_trip(
    project: Any, db_url: str, tmp_path: Path, shared_data: Path
) -> None:
    import_text(project, tmp_path, "interview.vtt", INTERVIEW_VTT)
    import_text(project, tmp_path, "notes.txt", "Interviewer: Hello.\nParticipant 2: Hi.\n")
    project.codebook.add("Peers")
    text = project.documents.get("interview").text
    project.coding.apply("interview", "Peers", *find(text, "A friend & I"), coder="alex")
    out = tmp_path / "study.qdpx"
    report = files.write_qdpx(project, out)
    assert "2 speaker turns of untimed documents (re-detected on import)" in report.not_exported
    assert (
        "timestamps of 1 timed document(s) for other tools (NVivo, ATLAS.ti get the text only; "
        "the times travel to Thematica alone)"
    ) in report.not_exported

    root = _qde(out)
    schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda/schema/Project-mrt2019.xsd")))
    assert schema.validate(root), schema.error_log
    sources = {s.get("name"): s for s in root.iter(f"{NS}TextSource")}
    assert set(sources) == {"interview", "notes"}
    pis = [c for c in sources["interview"] if isinstance(c, etree._ProcessingInstruction)]
    assert [json.loads(pi.text) for pi in pis] == [
        {
            "turns": [
                [0, 43, "Interviewer", 1.0, 4.5],
                [44, 91, "Participant 11", 5.0, 9.25],
                [92, 130, "Interviewer", 3723.456, 3725.0],
            ]
        }
    ]
    assert not [c for c in sources["notes"] if isinstance(c, etree._ProcessingInstruction)]
    assert len(root.findall(f".//{NS}AudioSource")) == 0  # the text is not sent twice

    import_qdpx(db_url, out, "again")
    with thematica.open_project(db_url, "again") as again:
        doc = again.documents.get("interview")
        assert doc.text == text
        assert [(tr.start, tr.end, tr.speaker, tr.time_start, tr.time_end) for tr in doc.turns] == [
            (0, 43, "Interviewer", 1.0, 4.5),
            (44, 91, "Participant 11", 5.0, 9.25),
            (92, 130, "Interviewer", 3723.456, 3725.0),
        ]
        notes = again.documents.get("notes")
        assert [(tr.speaker, tr.time_start) for tr in notes.turns] == [
            ("Interviewer", None),
            ("Participant 2", None),
        ]
        rows = again.coding.list().rows
        assert [doc.text[r.start : r.end] for r in rows] == ["A friend & I"]
        assert again.exports.captions("interview") == project.exports.captions("interview")


def test_turns_that_do_not_fit_the_text_are_ignored() -> None:
    good = {"turns": [[0, 5, "A", 0.0, 1.0], [6, 10, None, 1.5, None]]}
    assert turns_from_extra(good, 10) is not None
    assert turns_from_extra(good, 9) is None  # past the end of the text
    assert turns_from_extra({"turns": [[6, 10, "A", 0, 1], [0, 5, "B", 0, 1]]}, 10) is None
    assert turns_from_extra({"turns": [[0, 5, "A", -1.0, 1.0]]}, 10) is None
    assert turns_from_extra({"turns": [[0, 5, "A"]]}, 10) is None
    assert turns_from_extra({"turns": "no"}, 10) is None
    assert turns_from_extra({}, 10) is None


def test_a_speaker_label_xml_cannot_carry_travels_escaped(
    project: Any, db_url: str, tmp_path: Path, shared_data: Path
) -> None:
    from sqlalchemy import update

    from thematica.store import schema as t

    import_text(project, tmp_path, "interview.vtt", INTERVIEW_VTT)
    odd = "Dr ?> Who\ufffe"
    with project.db.write() as conn:  # no importer makes this label: set it by hand
        conn.execute(update(t.turn).where(t.turn.c.speaker == "Participant 11").values(speaker=odd))
    out = tmp_path / "odd.qdpx"
    files.write_qdpx(project, out)
    with zipfile.ZipFile(out) as zf:
        raw = zf.read("project.qde")
    assert b"\xef\xbf\xbe" not in raw  # U+FFFE in UTF-8: not in the XML
    assert b"Dr ?\\u003e Who\\ufffe" in raw  # written as JSON escapes, the PI left open
    root = etree.fromstring(raw)
    schema = etree.XMLSchema(etree.parse(str(shared_data / "refi-qda/schema/Project-mrt2019.xsd")))
    assert schema.validate(root), schema.error_log
    (source,) = root.iter(f"{NS}TextSource")
    (pi,) = [c for c in source if isinstance(c, etree._ProcessingInstruction)]
    assert json.loads(pi.text)["turns"][1][2] == odd
    import_qdpx(db_url, out, "again")  # and it reads back
    with thematica.open_project(db_url, "again") as again:
        turns = again.documents.get("interview").turns
        assert [tr.speaker for tr in turns] == ["Interviewer", odd, "Interviewer"]
