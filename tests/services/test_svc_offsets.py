"""Code-point offsets through import, coding, SQL retrieval and search, on both backends.

SQLite's and PostgreSQL's ``substr`` must count code points exactly as Python ``str`` indexing
does, or every excerpt after an emoji or a combining mark is shifted.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

# Written in NFD on purpose (as macOS editors save it): "café" and "naïve" are decomposed.
NFD_SOURCE = unicodedata.normalize(
    "NFD",
    "Interviewer: How was the café? 🙂\n"
    "P5: The café 👩\u200d👩\u200dÅ was naïve 🇺🇸 and q\u0307uiet. Stigma hurts.\n",
)
# Family emoji (with zero-width joiners), a flag (two regional indicators) and "q̇" (q plus a
# combining dot: no precomposed form, so it stays two code points after NFC).
QUOTES = [
    "café? 🙂",
    "The café 👩\u200d👩\u200dÅ",
    "naïve 🇺🇸 and q\u0307uiet",
    "Stigma hurts.",
]


def _import(project: object, tmp_path: Path) -> str:
    f = tmp_path / "P05-cafe.txt"
    f.write_bytes(NFD_SOURCE.encode("utf-8"))
    project.documents.import_files([f])  # type: ignore[attr-defined]
    return project.documents.get("P05-cafe").text  # type: ignore[attr-defined]


def test_import_stores_nfc_and_offsets_are_code_points(project: object, tmp_path: Path) -> None:
    text = _import(project, tmp_path)
    assert text == unicodedata.normalize("NFC", NFD_SOURCE)
    assert len(text) < len(NFD_SOURCE)  # composed: fewer code points
    assert "café" in text and "naïve" in text
    # hand count: "Interviewer: How was the " is 25 code points, so "café" is [25, 29)
    assert text[25:29] == "café"


def test_codings_by_quote_land_on_the_quoted_text(project: object, tmp_path: Path) -> None:
    p = project
    text = _import(p, tmp_path)
    p.codebook.add("Place")
    quotes_file = tmp_path / "quotes.csv"
    # the quotes are given decomposed too: locating them must normalise them the same way
    rows = "".join(f'P05-cafe,Place,"{unicodedata.normalize("NFD", q)}"\n' for q in QUOTES)
    quotes_file.write_text("document,code,quote\n" + rows, encoding="utf-8")
    assert p.coding.import_csv(quotes_file, coder="alex").applied == 4

    codings = p.coding.list(coder="alex").rows
    for row, quote in zip(codings, QUOTES, strict=True):
        nfc = unicodedata.normalize("NFC", quote)
        assert text[row.start : row.end] == nfc
        assert row.text == nfc  # computed in SQL with substr
    # by hand: line one is 32 code points and "\n", so line two starts at 33 and the quote after
    # "P5: " at 37; it is "The café " (9) + woman, ZWJ, woman, ZWJ, Å (5; Å composed) = 14 long
    assert (codings[1].start, codings[1].end) == (37, 51)

    excerpts = p.query("Place", coder="alex").rows
    assert [e.text for e in excerpts] == [unicodedata.normalize("NFC", q) for q in QUOTES]
    assert [e.speaker for e in excerpts] == ["Interviewer", "P5", "P5", "P5"]


def test_codings_by_offset_after_emoji_read_back_exactly(project: object, tmp_path: Path) -> None:
    p = project
    text = _import(p, tmp_path)
    p.codebook.add("Stigma")
    start = text.index("Stigma")
    p.coding.apply("P05-cafe", "Stigma", start, start + len("Stigma"), coder="alex")
    (excerpt,) = p.query("Stigma", coder="alex").rows
    assert excerpt.text == "Stigma"
    assert (excerpt.start, excerpt.end) == (start, start + 6)


def test_search_offsets_slice_to_the_word_after_emoji(project: object, tmp_path: Path) -> None:
    p = project
    text = _import(p, tmp_path)
    hits = p.search("café").rows
    assert [(h.start, h.end) for h in hits] == [(25, 29), (41, 45)]
    assert all(text[h.start : h.end] == h.match == "café" for h in hits)
    (stigma,) = p.search("stigma").rows
    assert text[stigma.start : stigma.end] == "Stigma"
    assert stigma.left.endswith("uiet. ")
    assert stigma.right.startswith(" hurts.")  # the space before the context is kept
    # a decomposed query finds the composed text
    nfd = p.search(unicodedata.normalize("NFD", "naïve")).rows
    assert [text[h.start : h.end] for h in nfd] == ["naïve"]


def test_quote_in_nfd_via_api_is_located(project: object, tmp_path: Path) -> None:
    from thematica.services.coding import locate

    text = _import(project, tmp_path)
    start, end = locate(text, unicodedata.normalize("NFD", "naïve"))
    assert text[start:end] == "naïve"
    assert (start, end) == (text.index("naïve"), text.index("naïve") + 5)
