"""importers.decode: what gets decoded, what is refused, and the wording of refusals."""

from __future__ import annotations

import codecs

import pytest

from thematica.core.errors import InputError
from thematica.importers.decode import decode_bytes

SAMPLE = "Interviewer: Où est le café? «Très» bien — 20 €"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + SAMPLE.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + SAMPLE.encode("utf-32-be"), "utf-32-be"),
        (SAMPLE.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_and_reports_encoding(data: bytes, encoding: str) -> None:
    text, used = decode_bytes(data, "x.txt")
    assert used == encoding
    assert text.lstrip("\ufeff") == SAMPLE


def test_utf16_via_python_codec_with_native_bom() -> None:
    text, used = decode_bytes("Hi P1".encode("utf-16"), "x.txt")
    assert text == "Hi P1"
    assert used.startswith("utf-16")


def test_utf8_is_preferred_to_cp1252() -> None:
    # "é" in UTF-8 is also valid cp1252 ("Ã©"); UTF-8 must win.
    assert decode_bytes("café".encode(), "x.txt") == ("café", "utf-8")


def test_forced_encoding_is_used() -> None:
    data = "Привет".encode("koi8-r")
    assert decode_bytes(data, "x.txt", forced="koi8-r") == ("Привет", "koi8-r")


def test_forced_encoding_that_fails() -> None:
    with pytest.raises(InputError) as info:
        decode_bytes(b"caf\xe9 \xff", "notes.txt", forced="utf-8")
    assert str(info.value).startswith("notes.txt: cannot decode the text as utf-8")


def test_unknown_forced_encoding() -> None:
    with pytest.raises(InputError, match=r"^notes\.txt: unknown encoding 'klingon'$"):
        decode_bytes(b"hello", "notes.txt", forced="klingon")


def test_undecodable_bytes() -> None:
    # 0x81 and 0x9d are undefined in cp1252 and the sequence is not UTF-8.
    with pytest.raises(InputError) as info:
        decode_bytes(b"caf\xe9 \x81 na\x9dve", "x.txt")
    assert str(info.value) == (
        "x.txt: cannot decode the text (tried UTF-8, UTF-16 with BOM, cp1252); "
        "save it as UTF-8 or give its encoding"
    )
    assert info.value.detail == {"file": "x.txt", "hint": "encoding"}


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)),
        b"text with a NUL\x00 in it",
        b"\x01\x02\x03\x04\x05\x06abc\x07\x08\x0e\x0f",
    ],
)
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^x\.txt: looks like a binary file, not text$"):
        decode_bytes(data, "x.txt")


def test_a_few_control_characters_are_tolerated() -> None:
    text, _ = decode_bytes(b"page one\x0cpage two with a bell\x07 in a long line of text", "x.txt")
    assert "page two" in text


@pytest.mark.parametrize(
    "data",
    [b"", b"  \r\n\t\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")],
)
def test_empty_text_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^x\.txt: the file has no text$"):
        decode_bytes(data, "x.txt")
