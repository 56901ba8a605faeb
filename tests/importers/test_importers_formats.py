"""One test group per file format: real files made by the real libraries."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from thematica.core.errors import InputError
from thematica.core.models import ParsedDocument
from thematica.importers import ImportOptions, parse_file


def only(path: Path, options: ImportOptions | None = None) -> ParsedDocument:
    documents = parse_file(path, options)
    assert len(documents) == 1
    return documents[0]


# --- txt / md ----------------------------------------------------------------------------


def test_txt_crlf_nfd_and_turns(write_bytes: Callable[[str, bytes], Path]) -> None:
    raw = "Interviewer: Where?\r\nP2: The cafe\u0301 🙂 downtown.\r\n\r\nIt was nice.\r\n"
    path = write_bytes("p2.txt", raw.encode("utf-8"))
    doc = only(path)
    assert doc.text == "Interviewer: Where?\nP2: The café 🙂 downtown.\n\nIt was nice.\n"
    assert (doc.name, doc.source_format, doc.encoding) == ("p2", "txt", "utf-8")
    assert doc.source_path == str(path)
    start = doc.text.index("downtown")
    assert doc.text[start : start + len("downtown")] == "downtown"
    assert [(t.speaker, doc.text[t.start : t.end]) for t in doc.turns] == [
        ("Interviewer", "Interviewer: Where?"),
        ("P2", "P2: The café 🙂 downtown.\n\nIt was nice."),
    ]


def test_md_keeps_markup_and_reads_bold_labels(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("notes.MD", b"# Interview 3\n\n**Interviewer:** Hi\n\n**P3:** Hello\n")
    doc = only(path)
    assert doc.source_format == "md"
    assert doc.text.startswith("# Interview 3")
    assert [t.speaker for t in doc.turns] == [None, "Interviewer", "P3"]


def test_txt_cp1252_reports_encoding(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("old.txt", "R: naïve “quotes” – 5€".encode("cp1252"))
    doc = only(path)
    assert doc.encoding == "cp1252"
    assert doc.text == "R: naïve “quotes” – 5€"


def test_txt_utf16_bom_reports_encoding(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("win.txt", b"\xff\xfe" + "I: hi\r\nR: ¡hola!".encode("utf-16-le"))
    doc = only(path)
    assert doc.encoding == "utf-16-le"
    assert doc.text == "I: hi\nR: ¡hola!"


def test_forced_encoding_option(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("ru.txt", "P1: Привет".encode("cp1251"))
    doc = only(path, ImportOptions(encoding="cp1251"))
    assert (doc.text, doc.encoding) == ("P1: Привет", "cp1251")


def test_custom_speaker_pattern_option(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("x.txt", b"ANA - hi\nBEN - yo\n")
    doc = only(path, ImportOptions(speaker_pattern=r"^(?P<speaker>[A-Z]+) -"))
    assert [t.speaker for t in doc.turns] == ["ANA", "BEN"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"caf\xe9 \x81 \x8d", "cannot decode the text"),
        (b"\x00\x01\x02binary\x00\xff", "looks like a binary file, not text"),
        (b"", "the file has no text"),
        (b" \r\n\r\n ", "the file has no text"),
    ],
)
def test_bad_txt(write_bytes: Callable[[str, bytes], Path], data: bytes, reason: str) -> None:
    path = write_bytes("broken.txt", data)
    with pytest.raises(InputError) as info:
        parse_file(path)
    message = str(info.value)
    assert message.startswith(f"broken.txt: {reason}")
    assert "\n" not in message


# --- docx --------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_in_body_order(make_docx: Callable[..., Path]) -> None:
    path = make_docx(
        ["Interview 4", "Interviewer: Tell me about the clinic.", "P4: It is far.", ""],
        table=[["Age", "34"], ["Site", "Zürich"]],
        after=["Interviewer: Anything else?", "P4: No."],
    )
    doc = only(path)
    assert doc.text == (
        "Interview 4\nInterviewer: Tell me about the clinic.\nP4: It is far.\n\n"
        "Age\n34\nSite\nZürich\n"
        "Interviewer: Anything else?\nP4: No."
    )
    assert (doc.source_format, doc.encoding, doc.name) == ("docx", None, "interview")
    assert [t.speaker for t in doc.turns] == [None, "Interviewer", "P4", "Interviewer", "P4"]
    # the table belongs to P4's turn, which ran until the next label
    p4 = doc.turns[2]
    assert doc.text[p4.start : p4.end].endswith("Site\nZürich")


def test_docx_without_text(make_docx: Callable[..., Path]) -> None:
    with pytest.raises(InputError, match=r"^empty\.docx: the document has no text$"):
        parse_file(make_docx(["", "  "], name="empty.docx"))


NOT_DOCX = r"^{}: not a valid Word document \(corrupt or not a \.docx file\)"


def test_corrupt_docx(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("fake.docx", b"this is just text pretending to be a docx")
    with pytest.raises(InputError, match=NOT_DOCX.format(r"fake\.docx")):
        parse_file(path)


def test_truncated_docx(make_docx: Callable[..., Path], tmp_path: Path) -> None:
    data = make_docx(["P1: words " * 200]).read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=NOT_DOCX.format(r"cut\.docx")):
        parse_file(path)


def test_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    path = tmp_path / "photos.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "no word/document.xml here")
    with pytest.raises(InputError, match=NOT_DOCX.format(r"photos\.docx")):
        parse_file(path)


def test_docx_with_broken_xml(make_docx: Callable[..., Path], tmp_path: Path) -> None:
    source = zipfile.ZipFile(make_docx(["P1: hi"]))
    path = tmp_path / "badxml.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]  # unterminated XML
            archive.writestr(item, data)
    with pytest.raises(InputError, match=NOT_DOCX.format(r"badxml\.docx")):
        parse_file(path)


def _add_member(source: Path, target: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as archive:
        for item in original.infolist():
            archive.writestr(item, original.read(item.filename))
        archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def test_zip_bomb_docx_by_ratio(make_docx: Callable[..., Path], tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    _add_member(make_docx(["P1: hi"]), path, "word/media/filler.bin", bytes(16 * 1024 * 1024))
    assert path.stat().st_size < 100_000  # tiny on disk
    with pytest.raises(InputError) as info:
        parse_file(path)
    message = str(info.value)
    assert message.startswith("bomb.docx: refusing to unpack")
    assert "word/media/filler.bin" in message
    assert "zip bomb" in message


def test_zip_bomb_docx_by_total_size(make_docx: Callable[..., Path], tmp_path: Path) -> None:
    path = tmp_path / "wide.docx"
    _add_member(make_docx(["P1: hi"]), path, "word/media/pad.bin", bytes(600_000))
    options = ImportOptions(max_bytes=path.stat().st_size + 1)  # fits, but expands > 20x
    with pytest.raises(InputError, match=r"^wide\.docx: refusing to unpack: .*zip bomb"):
        parse_file(path, options)
    assert parse_file(path)[0].text == "P1: hi"  # the same file passes the default limits


# --- odt ---------------------------------------------------------------------------------


def test_odt_headings_and_paragraphs_in_order(make_odt: Callable[..., Path]) -> None:
    path = make_odt(
        [
            ("h", "Focus group 2"),
            ("p", "Moderator: Welcome, everyone."),
            ("h", "Part B"),
            ("p", "Participant 3: Thanks.  Two  spaces."),
        ]
    )
    doc = only(path)
    assert doc.text == (
        "Focus group 2\nModerator: Welcome, everyone.\nPart B\nParticipant 3: Thanks.  Two  spaces."
    )
    assert doc.source_format == "odt"
    assert [t.speaker for t in doc.turns] == [None, "Moderator", "Participant 3"]


def test_corrupt_odt(write_bytes: Callable[[str, bytes], Path]) -> None:
    path = write_bytes("bad.odt", b"\x00garbage" * 10)
    with pytest.raises(InputError, match=r"^bad\.odt: not a valid OpenDocument text file"):
        parse_file(path)


def test_odt_with_broken_content(make_odt: Callable[..., Path], tmp_path: Path) -> None:
    source = zipfile.ZipFile(make_odt([("p", "hello")]))
    path = tmp_path / "broken.odt"
    with zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            archive.writestr(item, b"<not xml" if item.filename == "content.xml" else data)
    with pytest.raises(InputError, match=r"^broken\.odt: not a valid OpenDocument text file"):
        parse_file(path)


# --- pdf ---------------------------------------------------------------------------------


def test_pdf_text_layer_pages_joined(make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(["Interviewer: How was it?\nP9: Fine, thanks.", "P9: Page two words."])
    doc = only(path)
    assert doc.source_format == "pdf"
    assert doc.text == "Interviewer: How was it?\nP9: Fine, thanks.\n\nP9: Page two words."
    assert [t.speaker for t in doc.turns] == ["Interviewer", "P9", "P9"]


def test_pdf_without_text_layer(make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(["", ""], name="scan.pdf")
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert str(info.value) == (
        "scan.pdf: the PDF has no text layer (scanned or image-only?); run OCR first"
    )


def test_encrypted_pdf(make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(["secret words"], name="locked.pdf", user_password="pw")
    with pytest.raises(InputError, match=r"^locked\.pdf: the PDF is password-protected"):
        parse_file(path)


def test_pdf_with_owner_password_only_opens(make_pdf: Callable[..., Path]) -> None:
    path = make_pdf(["open words"], name="restricted.pdf", user_password="")
    assert only(path).text == "open words"


@pytest.mark.parametrize("data", [b"not a pdf at all", b"%PDF-1.7\n1 0 obj\n<<"])
def test_corrupt_pdf(write_bytes: Callable[[str, bytes], Path], data: bytes) -> None:
    with pytest.raises(InputError, match=r"^bad\.pdf: not a valid PDF"):
        parse_file(write_bytes("bad.pdf", data))


def test_truncated_pdf(make_pdf: Callable[..., Path], tmp_path: Path) -> None:
    data = make_pdf(["P1: " + "words " * 300]).read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert str(info.value).startswith("half.pdf: ")
    assert "\n" not in str(info.value)


# --- rtf ---------------------------------------------------------------------------------

RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}"
    rb"\f0\fs22 Interviewer: How was the caf\'e9?\par "
    rb"Participant 2: Gr\u246?n and \b bold\b0  \u8364?5.\par"
    rb"}"
)


def test_rtf(write_bytes: Callable[[str, bytes], Path]) -> None:
    doc = only(write_bytes("int.rtf", RTF))
    assert doc.text.strip() == "Interviewer: How was the café?\nParticipant 2: Grön and bold €5."
    assert (doc.source_format, doc.encoding) == ("rtf", "cp1252")
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Participant 2"]


def test_rtf_code_page_is_honoured(write_bytes: Callable[[str, bytes], Path]) -> None:
    data = rb"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Arial;}}\f0 P1: \'cf\'f0\'e8\par}"
    doc = only(write_bytes("ru.rtf", data))
    assert doc.text.strip() == "P1: При"
    assert doc.encoding == "cp1251"


def test_not_rtf(write_bytes: Callable[[str, bytes], Path]) -> None:
    with pytest.raises(InputError, match=r"^plain\.rtf: not an RTF file"):
        parse_file(write_bytes("plain.rtf", b"Interviewer: hello"))


def test_rtf_without_text(write_bytes: Callable[[str, bytes], Path]) -> None:
    data = rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0\par\par}"
    with pytest.raises(InputError, match=r"^blank\.rtf: the document has no text$"):
        parse_file(write_bytes("blank.rtf", data))
