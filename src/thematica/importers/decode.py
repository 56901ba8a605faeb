"""Turn the bytes of a text file into ``str`` without guessing wildly.

The order (BOM, strict UTF-8, strict cp1252) is deliberate: UTF-8 almost never decodes bytes that
were written in another encoding, and cp1252 is what Word and Excel on Windows save as "text", so
the two together cover nearly every transcript. Anything else must be named
(``ImportOptions.encoding``).
"""

from __future__ import annotations

import codecs

from thematica.importers._common import fail

__all__ = ["decode_bytes"]

# UTF-32 first: its little-endian BOM begins with the UTF-16 one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE = frozenset({"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"})

# C0 controls other than tab/LF/VT/FF/CR, plus DEL: rare in real text, common in binaries.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r") + b"\x7f"
_CONTROL_CHARS: dict[int, None] = dict.fromkeys(_CONTROL_BYTES)
_MAX_CONTROL_SHARE = 0.1

_UNDECODABLE = (
    "cannot decode the text (tried UTF-8, UTF-16 with BOM, cp1252); "
    "save it as UTF-8 or give its encoding"
)
_BINARY = "looks like a binary file, not text"


_SAMPLE = 4096


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the bytes look like BOM-less UTF-16 text.

    Text in a Latin script saved as UTF-16 has a zero byte in every other position (the high
    byte of each character), on the odd side for little-endian and the even side for big-endian;
    a binary file has zeros scattered on both sides.
    """
    sample = data[:_SAMPLE]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zero, odd_zero = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_zero > 0.6 and even_zero < 0.05:
        codec = "utf-16-le"
    elif even_zero > 0.6 and odd_zero < 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        data[: len(data) - len(data) % 2].decode(codec)
    except UnicodeDecodeError:
        return None
    return codec


def _too_many_controls(count: int, total: int) -> bool:
    return total > 0 and count / total > _MAX_CONTROL_SHARE


def _check_text(text: str, name: str) -> None:
    """Catch binaries that happen to decode (e.g. under a BOM or a forced codec)."""
    if "\x00" in text:
        raise fail(name, _BINARY)
    controls = len(text) - len(text.translate(_CONTROL_CHARS))
    if _too_many_controls(controls, len(text)):
        raise fail(name, _BINARY)
    if not text.lstrip("\ufeff").strip():
        raise fail(name, "the file has no text")


def _decode_forced(data: bytes, name: str, forced: str) -> tuple[str, str]:
    try:
        codec = codecs.lookup(forced).name
    except LookupError:
        raise fail(name, f"unknown encoding {forced!r}") from None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise fail(
            name, f"cannot decode the text as {forced} (bad byte at position {exc.start})"
        ) from None
    _check_text(text, name)
    return text, codec


def decode_bytes(data: bytes, name: str, forced: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding used)``; ``name`` is only used to word errors."""
    if not data.strip():
        raise fail(name, "the file has no text")
    if forced:
        return _decode_forced(data, name, forced)

    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data if codec == "utf-8-sig" else data[len(bom) :]
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                if codec in _WIDE:
                    continue  # e.g. a UTF-16 BOM mistaken for UTF-32: try the next BOM
                break  # a broken UTF-8 BOM file may still be cp1252
            _check_text(text, name)
            return text, codec

    if b"\x00" in data:
        wide = _utf16_without_bom(data)
        if wide is not None:
            raise fail(
                name,
                f"looks like {wide.upper()} text without a byte-order mark; "
                f"give its encoding: {wide}",
                encoding=wide,
                hint="encoding",
            )
        raise fail(name, _BINARY)
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if _too_many_controls(controls, len(data)):
        raise fail(name, _BINARY)

    for codec in ("utf-8", "cp1252"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        _check_text(text, name)
        return text, codec
    raise fail(name, _UNDECODABLE, hint="encoding")
